"""What a sync keeps in the graph beside the data: the lock that lets one sync run per
source at a time, and the cursor each stream shows."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from neo4j import Driver

from connectors import state
from connectors.bigdata import BigData
from connectors.manifest import HELD, LOADED, QUARANTINED, Entry
from connectors.sync import sync_source
from hub.loader import Loader

ELSEWHERE = state.Holder("another-host", 4242)


def test_a_held_lock_names_its_holder_and_is_renewed_only_by_it(graph: Driver) -> None:
    state.take_lock(graph, "bigdata", ELSEWHERE, 60)
    with pytest.raises(
        state.SourceBusy, match=r"bigdata is being synced by another-host:4242 since"
    ):
        state.take_lock(graph, "bigdata", state.Holder.me(), 60)
    state.take_lock(graph, "bigdata", ELSEWHERE, 60)  # its holder renews it
    state.take_lock(graph, "cases", state.Holder.me(), 60)  # another source is free
    state.release_lock(graph, "bigdata", ELSEWHERE)
    state.take_lock(graph, "bigdata", state.Holder.me(), 60)


def test_a_lock_not_renewed_expires(graph: Driver) -> None:
    state.take_lock(graph, "bigdata", ELSEWHERE, 0.5)
    time.sleep(1.0)
    state.take_lock(graph, "bigdata", state.Holder.me(), 60)


def test_a_lock_whose_process_is_gone_from_this_host_is_free_at_once(graph: Driver) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a process of this host that ran and is gone
    gone = state.Holder(state.Holder.me().host, child.pid)
    state.take_lock(graph, "bigdata", gone, 3600)
    state.take_lock(graph, "bigdata", state.Holder.me(), 60)
    alive = state.Holder(state.Holder.me().host, os.getppid())
    state.release_lock(graph, "bigdata", state.Holder.me())
    state.take_lock(graph, "bigdata", alive, 3600)
    with pytest.raises(state.SourceBusy):
        state.take_lock(graph, "bigdata", state.Holder.me(), 60)


def test_a_second_sync_of_a_source_says_who_holds_it_and_writes_nothing(
    graph: Driver, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    (drop / "rail").mkdir(parents=True)
    (drop / "rail" / "2026-09-02.csv").write_text(
        "ticket_id,passenger,sex,birth_date,cert_type,cert_no,train_no,from_station,"
        "to_station,depart,coach_seat\n"
        "E1,王伟,,,,,G1,郑州东,周口东,2026/09/02 06:13,03车17C\n",
        encoding="utf-8",
    )
    state.take_lock(graph, "bigdata", ELSEWHERE, 60)  # a sync elsewhere, running
    loader = Loader(graph, batch_size=100)
    reports = asyncio.run(sync_source(BigData(drop), loader))
    assert all(r.failures for r in reports) and not any(r.fetched for r in reports)
    assert "another-host:4242" in reports[0].failures[0].reason
    records, _, _ = graph.execute_query("MATCH (r:Record) RETURN count(r) AS n")
    assert records[0]["n"] == 0
    state.release_lock(graph, "bigdata", ELSEWHERE)
    reports = asyncio.run(sync_source(BigData(drop), loader))
    assert sum(r.written for r in reports) == 1 and not any(r.failures for r in reports)
    held, _, _ = graph.execute_query("MATCH (l:SyncLock) RETURN count(l) AS n")
    assert held[0]["n"] == 0  # released when the sync ended


def _entry(name: str, outcome: str) -> Entry:
    return Entry(
        "rail", name, 10, 1, f"sum-{name}", outcome, f"sum-{name}" if outcome == LOADED else None
    )


def test_a_file_feeds_cursor_is_the_newest_file_it_loaded(graph: Driver) -> None:
    state.save_cursor(graph, "bigdata", "rail", None, rows=3, quarantined=0)
    state.save_cursor(graph, "bigdata", "hotel", None, rows=0, quarantined=0)
    state.save_cursor(graph, "cases", "cases", "2026-11-03T10:00:00+00:00", rows=1, quarantined=0)
    state.record_files(
        graph,
        "bigdata",
        [
            _entry("rail_2026-11-02.csv", LOADED),
            _entry("rail_2026-11-03.csv", LOADED),
            _entry("rail_2026-11-04.csv", QUARANTINED),  # not loaded: not the cursor
            _entry("rail_2026-11-09.csv", HELD),
        ],
    )
    cursors = {r["stream"]: r["cursor"] for r in state.sources(graph)}
    assert cursors == {
        "bigdata/rail": "rail_2026-11-03.csv",
        "bigdata/hotel": None,  # nothing loaded yet
        "cases/cases": "2026-11-03T10:00:00+00:00",
    }
