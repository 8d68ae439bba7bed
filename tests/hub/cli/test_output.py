"""The CLI's output in a log or a pipe."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.hub.test_cli import HUB


def test_a_table_in_a_pipe_shows_every_value_whole(tmp_path: Path) -> None:
    """`hub config > file` cut every value at rich's 80 columns, a data folder's path too."""
    folder = tmp_path / ("a-data-folder-with-a-long-name-" * 3)
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"HUB_DATA_DIR": str(folder)}
    shown = subprocess.run(
        [HUB, "config"], env=env, capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert str(folder) in shown
