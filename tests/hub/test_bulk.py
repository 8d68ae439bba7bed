"""The bulk first load (`hub sync --bulk`, hub.bulk) makes the graph the loader makes.

One county is synced through the loader into a Neo4j of the test's own (the bulk load
stops and starts it, which the suite's shared one must not be); then, into the emptied
graph, through Neo4j's importer, killed while the importer writes and run again (the
second run redoes the whole bulk load); the two graphs are compared whole: every node
and relationship with its properties.
Left out, as in the fault matrix: the hub's bookkeeping (cursors, manifests, locks, the
schema's marker, the data's version, resolution's blocking keys and model), the audit
trail and the loader's lock handles (LoadStripe), which record how a graph was written,
not what it holds; alerts and judgements, stamped with the time they were derived; and
the volatile times (a record's `fetched_at`, a run's `last_run`, a judgement's `at`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from neo4j import Driver

from graph_schema import schema
from hub import bulk, db, embedded, scope, syncing
from hub.errors import ConfigError, StateConflict
from hub.loader import Loader
from hub.settings import Settings
from tests import snapshot as snapshots
from tests.conftest import wipe
from tests.connectors.simulator import HUB, running
from tests.hub.test_embedded import free_port
from tests.snapshot import Snapshot, differences

LEFT_OUT = {*snapshots.BOOKKEEPING, "AuditEvent", "AuditHead", "LoadStripe", "Alert"}
VOLATILE = {"fetched_at", "last_run", "at"}


def data(driver: Driver) -> Snapshot:
    return snapshots.snapshot(driver, leave_out=LEFT_OUT, volatile=VOLATILE)


def test_the_api_leaves_an_interrupted_bulk_load_to_hub_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finishing it stops the database the API serves from: a triggered sync is refused."""
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    settings = Settings.from_env()
    bulk.folder(settings).mkdir(parents=True)

    async def trigger() -> list[str]:
        return syncing.start(settings, "fugitives")

    with pytest.raises(StateConflict, match="`hub sync` on the hub's host finishes it"):
        asyncio.run(trigger())
    bulk.folder(settings).rmdir()
    with pytest.raises(ConfigError, match="no sources file"):  # past the check: the sources
        asyncio.run(trigger())


def test_against_a_server_the_hub_does_not_run_the_loader_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:1")
    monkeypatch.setenv("NEO4J_PASSWORD", "unused")
    settings = Settings.from_env()
    with db.driver(settings) as driver:  # never contacted: the answer needs no server
        why = bulk.why_not(driver, settings)
    assert why is not None and "NEO4J_URI" in why and "through the loader" in why


# (kind, name, frame, start label, end label): cases handled by two units, by one and by
# none, and records of one case, of two, of a case no unit handles, of a phone, of nothing
FIRST_LOAD = [
    ("nodes", "Unit", {"code": ["U1", "U2"]}, None, None),
    ("nodes", "Case", {"case_no": ["C1", "C2", "C3"]}, None, None),
    ("nodes", "Phone", {"number": ["+8613800000000"]}, None, None),
    ("nodes", "Record", {"record_id": [f"s:r:{i}" for i in range(1, 8)]}, None, None),
    ("relationships", "HANDLED_BY", {"start": ["C1", "C1", "C2"], "end": ["U2", "U1", "U1"]},
     "Case", "Unit"),
    ("relationships", "RECORD_OF", {"start": ["s:r:1", "s:r:2", "s:r:2", "s:r:3", "s:r:5",
     "s:r:5"], "end": ["C1", "C1", "C2", "C3", "C2", "C3"]}, "Record", "Case"),
    ("relationships", "RECORD_OF", {"start": ["s:r:4", "s:r:6"], "end": ["+8613800000000"] * 2},
     "Record", "Phone"),
]  # fmt: skip


def test_the_scopes_in_the_importers_input_are_those_hub_scope_derives(
    loader: Loader, settings: Settings, tmp_path: Path
) -> None:
    """What `bulk.scopes` gives the importer's input (and `bulk.unscope` the nodes granted
    to nobody), the refresh after a load through the loader writes into the graph."""
    collector = bulk.Collector(loader.driver, settings, tmp_path / "collected")
    seen = datetime(2026, 1, 1, tzinfo=UTC)
    for kind, name, columns, start, end in FIRST_LOAD:
        for writer in (loader, collector):
            if kind == "nodes":
                writer.nodes(name, pl.DataFrame(columns), source="s", seen_at=seen)
            else:
                writer.relationships(
                    name, pl.DataFrame(columns), start=start, end=end, source="s", seen_at=seen
                )
    scope.refresh(loader.driver)
    gs = schema()
    derived = {
        (label, key): grants
        for label in ("Case", "Record")
        for key, grants in loader.driver.execute_query(
            f"MATCH (n:{label}) RETURN n[$key] AS key, n.scope AS scope", key=gs.node(label).key
        ).records
    }
    found, complete = bulk.scopes(collector)
    given = {
        (label, key): grants for label, frame in found.items() for key, grants in frame.iter_rows()
    }
    assert derived[("Record", "s:r:2")] == ["unit:U1"] and derived[("Record", "s:r:7")] == ["any"]
    assert {k for k, grants in derived.items() if not grants} == {
        ("Case", "C3"), ("Record", "s:r:3"), ("Record", "s:r:5")
    }  # fmt: skip
    assert given == derived and complete  # no refresh needed after the import


def _input_rows(given: bulk.Input) -> dict[tuple[str, str], tuple[set[str], list[str]]]:
    """The importer's input, by kind and label or type: its headers and rows, sorted."""
    out: dict[tuple[str, str], tuple[set[str], list[str]]] = {}
    for kind, files in (("nodes", given.nodes), ("relationships", given.relationships)):
        for name, path in files:
            header, *rows = path.read_text().splitlines()
            headers, kept = out.setdefault((kind, name), (set(), []))
            headers.add(header)
            kept += rows
    return {key: (headers, sorted(rows)) for key, (headers, rows) in out.items()}


def test_the_importers_input_is_the_same_written_in_one_part_or_in_many(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A label's or type's rows are written in parts of their keys when they are many
    (`bulk.PART_BYTES`): each element whole in one part, its rows collapsed as in one
    frame (the best claim's value, the first and last sighting, the sources), the
    person records in the order of their first rows."""
    first, second = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    inputs = []
    for part_bytes in (bulk.PART_BYTES, 1):
        monkeypatch.setattr(bulk, "PART_BYTES", part_bytes)
        with db.driver(settings) as driver:  # never contacted: the frames are kept
            collector = bulk.Collector(driver, settings, tmp_path / f"collected-{part_bytes}")
        for day, source in ((first, "a"), (second, "b"), (first, "c")):
            for kind, name, columns, start, end in FIRST_LOAD:
                if kind == "nodes":
                    collector.nodes(name, pl.DataFrame(columns), source=source, seen_at=day)
                else:
                    collector.relationships(
                        name, pl.DataFrame(columns), start=start, end=end, source=source,
                        seen_at=day,
                    )  # fmt: skip
        people = pl.DataFrame(
            {
                "record_id": [f"s:p:{i}" for i in (3, 1, 2, 1)],
                "source": "s",
                "stream": "people",
                "raw": [f'{{"n": {i}}}' for i in range(4)],
            }
        )
        collector.nodes("Record", people, source="s", seen_at=first)
        links = {"start": ["s:p:1", "s:p:2", "s:p:3"], "end": ["P1", "P2", "P1"]}
        collector.relationships(
            "RECORD_OF", pl.DataFrame(links), start="Record", end="Person", source="s",
            seen_at=second,
        )  # fmt: skip
        inputs.append(bulk.write_input(collector, tmp_path / f"input-{part_bytes}"))
    whole, parted = inputs
    assert len(whole.nodes) == len({label for label, _ in whole.nodes})  # one file each
    assert len(parted.nodes) > len(whole.nodes)  # written in parts
    assert _input_rows(parted) == _input_rows(whole)
    assert parted.rows == whole.rows and parted.unscoped == whole.unscoped
    assert whole.persons.get_column("record_id").to_list() == ["s:p:3", "s:p:1", "s:p:2"]
    assert whole.persons.get_column("raw").to_list() == ['{"n": 0}', '{"n": 3}', '{"n": 2}']
    assert parted.persons.equals(whole.persons)


@pytest.fixture
def own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Iterator[Settings]:
    """Settings of a Neo4j of the test's own, stopped at the end."""
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HUB_NEO4J_PORT", str(free_port()))
    monkeypatch.setenv("HUB_CACHE_DIR", str(settings.cache_dir))
    mine = Settings.from_env()
    try:
        yield mine
    finally:
        embedded.stop(mine)


@pytest.mark.journey
def test_a_bulk_load_killed_and_run_again_makes_the_graph_the_loader_makes(
    own: Settings, county_files: Callable[..., Path]
) -> None:
    world = county_files(people=500, seed=7, noise="hard")
    with running(world) as sim:
        env = {**os.environ, "HUB_SOURCES": str(sim.sources_file)}

        def sync(*args: str) -> subprocess.CompletedProcess[str]:
            done = subprocess.run(
                [HUB, "sync", *args], env=env, capture_output=True, text=True, timeout=900
            )
            assert done.returncode == 0, done.stderr[-2000:]
            return done

        with db.connected(own) as driver:
            done = sync()  # through the loader: the reference
            assert "importing" not in done.stderr
            reference = data(driver)
            assert len(reference[0]) > 1000 and len(reference[1]) > 1000

            # killed while the importer writes (Neo4j stopped), with the importer
            wipe(driver)
            killed = subprocess.Popen(
                [HUB, "sync", "--bulk"], env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
            importing = bulk.folder(own) / bulk.IMPORTING
            deadline = time.monotonic() + 600
            while not importing.exists() and killed.poll() is None:
                assert time.monotonic() < deadline, "the bulk load never began importing"
                time.sleep(0.05)
            os.killpg(killed.pid, signal.SIGKILL)
            killed.wait()
            assert importing.exists()

            # without --bulk: the interrupted load is redone, through the importer
            done = sync()
            assert "interrupted" in done.stderr and "imported" in done.stderr, done.stderr[-2000:]
            assert not bulk.folder(own).exists()
        # a driver of its own: this one's bookmarks name transactions of the graph the
        # importer replaced, which Neo4j would wait for in vain
        with db.connected(own) as driver:
            assert differences(reference, data(driver)) == []
