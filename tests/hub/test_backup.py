"""`hub db backup DIR` and `hub db restore DIR` as users run them: the suite's Neo4j
backed up while it runs (stopped for the dump and started again), the backup restored
into a fresh instance, and the two graphs compared element by element."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from neo4j import Driver

from hub import db, demo, embedded
from hub.loader import Loader
from hub.settings import Settings
from tests.hub.test_embedded import HUB, free_port
from tests.snapshot import differences, snapshot

pytestmark = [
    pytest.mark.journey,  # minutes: Neo4j stopped, dumped, loaded into a second instance
    pytest.mark.skipif(
        bool(os.environ.get("NEO4J_URI")), reason="backs up the project's own Neo4j"
    ),
]


def hub(*args: str, port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_NEO4J_PORT": str(port), "COLUMNS": "200"}
    return subprocess.run(
        [HUB, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture
def fresh(settings: Settings) -> Iterator[Settings]:
    """Settings of a second project-run Neo4j with no folder yet; stopped afterwards."""
    fresh = replace(settings, neo4j_port=free_port(), neo4j_uri=None)
    yield fresh
    embedded.stop(fresh)
    shutil.rmtree(embedded.Instance(fresh).folder, ignore_errors=True)


def test_a_backup_restored_into_a_fresh_instance_is_the_same_graph(
    graph: Driver, settings: Settings, fresh: Settings, tmp_path: Path
) -> None:
    demo.load(Loader(graph))
    before = snapshot(graph, leave_out=())
    made = hub("db", "backup", str(tmp_path / "backup"), port=settings.neo4j_port)
    assert made.returncode == 0, made.stderr
    assert "backed up to" in made.stdout
    assert embedded.status(settings).running  # started again after the dump
    assert snapshot(graph, leave_out=()) == before

    done = hub("db", "restore", str(tmp_path / "backup"), port=fresh.neo4j_port)
    assert done.returncode == 0, done.stderr
    assert "restored from the backup of" in done.stdout
    embedded.start(fresh)
    with db.connected(fresh) as restored:
        assert differences(snapshot(restored, leave_out=()), before) == []

    # A dump that is not the one backed up is refused with one line, before anything.
    dump = tmp_path / "backup" / "neo4j.dump"
    dump.write_bytes(dump.read_bytes()[:-100])
    refused = hub("db", "restore", str(tmp_path / "backup"), port=fresh.neo4j_port)
    assert refused.returncode != 0
    assert "is not the file that was backed up" in refused.stderr + refused.stdout
    assert "Traceback" not in refused.stderr
    assert embedded.status(fresh).running  # left alone
    missing = hub("db", "restore", str(tmp_path / "nothing"), port=fresh.neo4j_port)
    assert missing.returncode != 0
    assert "holds no backup" in missing.stderr + missing.stdout
