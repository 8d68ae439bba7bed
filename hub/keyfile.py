"""A secret the hub makes itself: written once, readable by its owner only, and read
back by every process after (two processes starting at once make it once)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def made_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """The secret in `path`, made by `make` if the file does not exist yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(make())
    return path.read_bytes().strip()
