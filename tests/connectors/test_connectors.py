"""The shared connector suite, run for every connector against a live simulator."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from neo4j import Driver

import connectors
from connectors import HTTP, Endpoint, HttpConnector, state
from connectors.sync import StreamReport, sync_stream
from hub.errors import ConfigError
from hub.loader import Loader
from hub.migrate import migrate
from hub.settings import Settings
from tests import snapshot as snapshots
from tests.conftest import wipe
from tests.connectors.simulator import HUB, Simulator, running
from tests.snapshot import Snapshot, differences


@pytest.fixture(scope="module")
def world(county_files: Callable[..., Path]) -> Path:
    return county_files(people=1500, seed=3, noise="hard")


@pytest.fixture(scope="module")
def simulator(world: Path) -> Iterator[Simulator]:
    with running(world) as sim:
        yield sim


def connector(sim: Simulator, name: str, page_size: int = 100) -> HttpConnector:
    config = json.loads(sim.sources_file.read_text())[name]
    return HTTP[name](Endpoint(config["url"], config["token"]), page_size=page_size, timeout=1.5)


def sync_all(made: HttpConnector, driver: Driver, full: bool = False) -> dict[str, StreamReport]:
    loader = Loader(driver, batch_size=500)
    reports = {}
    for stream in made.mapping().streams:
        reports[stream] = asyncio.run(sync_stream(made, stream, loader, full=full))
    return reports


def snapshot(driver: Driver) -> Snapshot:
    # Left out: what records the run rather than the data (the audit trail, `hub sync`
    # being audited), and what is stamped with the time it was derived (alerts raised
    # and resolution's judgements after a sync); the persons resolution makes are kept.
    return snapshots.snapshot(
        driver,
        leave_out={*snapshots.BOOKKEEPING, "AuditEvent", "AuditHead", "Alert", "Judgement"},
        volatile={"fetched_at", "last_run"},
    )


@pytest.fixture(scope="module", params=sorted(HTTP))
def name(request: pytest.FixtureRequest) -> str:
    """A connector; module-scoped, so that the tests of one connector run one after
    another and share its first sync."""
    return str(request.param)


@dataclass
class First:
    """One sync of a connector into an empty graph: its reports, the graph it left and
    the cursors it saved."""

    reports: dict[str, StreamReport]
    snapshot: Snapshot
    cursors: dict[str, str | None]


def cursors(driver: Driver, name: str, streams: Iterable[str]) -> dict[str, str | None]:
    return {stream: state.load_cursor(driver, name, stream) for stream in streams}


def sync_into_an_empty_graph(
    driver: Driver, simulator: Simulator, name: str
) -> dict[str, StreamReport]:
    wipe(driver)
    migrate(driver)
    return sync_all(connector(simulator, name), driver)


@pytest.fixture(scope="module")
def first(driver: Driver, simulator: Simulator, name: str) -> First:
    reports = sync_into_an_empty_graph(driver, simulator, name)
    return First(reports, snapshot(driver), cursors(driver, name, reports))


@pytest.fixture
def synced(driver: Driver, simulator: Simulator, name: str, first: First) -> Driver:
    """The graph as the connector's first sync left it, cursors included. An earlier
    test of the connector leaves it so (a repeated sync changes nothing, a sync with
    faults ends where a clean one does: the tests assert it); any other graph is emptied
    and synced again."""
    migrate(driver)
    if (
        differences(first.snapshot, snapshot(driver))
        or cursors(driver, name, first.reports) != first.cursors
    ):
        sync_into_an_empty_graph(driver, simulator, name)
        assert differences(first.snapshot, snapshot(driver)) == []
    return driver


def test_records_come_back_with_unique_keys_and_the_cursor_moves_forward(
    synced: Driver, simulator: Simulator, name: str, first: First
) -> None:
    graph, reports = synced, first.reports  # of the first sync, into an empty graph
    made = connector(simulator, name)
    assert sum(r.written for r in reports.values()) > 0
    for stream, report in reports.items():
        records, _, _ = graph.execute_query(
            "MATCH (r:Record {source: $source, stream: $stream}) "
            "RETURN count(r) AS n, count(DISTINCT r.source_id) AS ids",
            source=name,
            stream=stream,
        )
        assert records[0]["n"] == records[0]["ids"] == report.written
        assert (state.load_cursor(graph, name, stream) is not None) == (report.written > 0)
    marks = {s: state.load_cursor(graph, name, s) for s in reports}
    again = sync_all(made, graph)
    for stream, report in again.items():
        assert state.load_cursor(graph, name, stream) == marks[stream]  # nothing newer
        assert report.fetched <= reports[stream].fetched


def test_a_second_sync_changes_nothing(
    synced: Driver, simulator: Simulator, name: str, first: First
) -> None:
    graph, before = synced, first.snapshot  # the graph after one sync
    sync_all(connector(simulator, name), graph)
    assert differences(before, snapshot(graph)) == []


def test_faults_do_not_change_the_graph(
    driver: Driver, simulator: Simulator, name: str, first: First
) -> None:
    clean = first.snapshot  # one sync without faults into an empty graph
    made = connector(simulator, name)
    wipe(driver)
    migrate(driver)
    simulator.post(
        f"/faults/{name}",
        {"rate_429": 0.2, "retry_after": 1, "rate_5xx": 0.15, "rate_timeout": 0.05,
         "timeout_seconds": 3},
    )  # fmt: skip
    try:
        sync_all(made, driver)
    finally:
        simulator.post(f"/faults/{name}/clear", {})
    assert differences(clean, snapshot(driver)) == []


def test_malformed_rows_are_quarantined_with_a_reason(
    synced: Driver, world: Path, name: str, first: First
) -> None:
    graph, reports = synced, first.reports  # of the first sync, into an empty graph
    truth = pl.read_parquet(world / "truth" / "record_links.parquet").filter(
        pl.col("source") == name, pl.col("malformed")
    )
    expected = {f"{name}:{r['stream']}:{r['record_id']}" for r in truth.iter_rows(named=True)}
    held, _, _ = graph.execute_query(
        "MATCH (q:Quarantine {source: $source}) RETURN q.quarantine_id AS id, q.reason AS reason, q.raw AS raw",
        source=name,
    )
    assert {r["id"] for r in held} == expected
    assert sum(r.quarantined for r in reports.values()) == len(expected)
    assert all(r["reason"] and r["raw"] for r in held)
    loaded, _, _ = graph.execute_query(
        "MATCH (r:Record {source: $source}) RETURN count(r) AS n", source=name
    )
    assert loaded[0]["n"] == sum(r.written for r in reports.values()) > 0


def sync_every_source(sim: Simulator, driver: Driver) -> None:
    for source in sorted(HTTP):
        sync_all(connector(sim, source), driver)


def test_an_incremental_sync_ends_where_a_full_one_does(
    graph: Driver, simulator: Simulator, world: Path, tmp_path: Path
) -> None:
    sync_every_source(simulator, graph)
    full = snapshot(graph)

    wipe(graph)
    copy = tmp_path / "world"
    shutil.copytree(world, copy)
    with running(copy, "--start-at", "2025-06-01T00:00:00") as early:
        sync_every_source(early, graph)
        partial = snapshot(graph)
        early.post("/clock", {"advance_hours": 24 * 365 * 5})
        sync_every_source(early, graph)
    assert partial != full
    assert differences(full, snapshot(graph)) == []


def test_a_sync_killed_midway_and_rerun_equals_a_clean_sync(
    graph: Driver, simulator: Simulator
) -> None:
    env = {**os.environ, "HUB_SOURCES": str(simulator.sources_file)}
    # The run to be killed reads small, slow pages in small steps, so that it is stopped
    # part of the way; the clean run and the rerun read the default pages and steps:
    # their sizes change nothing.
    small = {**env, "HUB_SYNC_PAGE_SIZE": "40", "HUB_BATCH_SIZE": "80"}
    command = [HUB, "sync", *sorted(HTTP)]
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=300)
    clean = snapshot(graph)
    wipe(graph)
    for source in sorted(HTTP):
        simulator.post(f"/faults/{source}", {"rate_slow": 0.5, "slow_seconds": 0.3})
    try:
        victim = subprocess.Popen(
            command,
            env=small,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            written, _, _ = graph.execute_query("MATCH (s:SyncState) RETURN count(s) AS n")
            if written[0]["n"] >= 2:
                break
            time.sleep(0.1)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        for source in sorted(HTTP):
            simulator.post(f"/faults/{source}/clear", {})
    interrupted = snapshot(graph)
    assert interrupted != clean  # it really stopped part of the way
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=300)
    assert differences(clean, snapshot(graph)) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"cases": {"url": "http://127.0.0.1:1", ', "is not valid JSON (line 1, column"),
        (b"", "is not valid JSON (line 1, column 1"),
        (b"\xff\xfe{}", "is not valid JSON (it is not UTF-8 text)"),
        (b'["cases"]', "must hold a JSON object"),
        (b'{"fraud": {}}', "has no valid entry for source 'cases'"),
    ],
)
def test_a_sources_file_that_is_not_json_is_named_so(
    tmp_path: Path, settings: Settings, content: bytes, message: str
) -> None:
    path = tmp_path / "sources.json"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        connectors.build("cases", dataclasses.replace(settings, sources_file=path))
    assert str(path) in str(caught.value)
