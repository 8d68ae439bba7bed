"""The fault matrix: a county synced cleanly is the reference; then `hub sync` runs with
each bad input, and once the input is removed or fixed and the sync run again, the graph
equals the reference; a sync with nothing new changes nothing.

Everything runs as a user runs it: the source simulators and `hub sync` as processes,
files dropped into the big-data centre's folder, `hub sync` and Neo4j killed with
SIGKILL. The graph is compared as a fingerprint of every node and relationship (labels,
keys, properties), without the hub's bookkeeping, the audit trail, what is stamped with
the time it was derived (alerts, judgements) and the volatile run times; the quarantine
is compared apart, as the reference's plus what the bad inputs left in it.

Each bad input is a file of its own beside the county's (named after a day before the
feeds' window, its rows a copy of a county file's), so that the graph must not change
while it is bad, and must still equal the reference once its fixed version is loaded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from neo4j import Driver

import connectors
from connectors import state
from hub import embedded, syncing
from hub.settings import Settings
from tests import snapshot as snapshots
from tests.conftest import wipe
from tests.connectors.simulator import HUB, Simulator, running
from tests.snapshot import Snapshot, differences

pytestmark = pytest.mark.journey

LEFT_OUT = {*snapshots.BOOKKEEPING, "AuditEvent", "AuditHead", "Alert", "Judgement"}
VOLATILE = {"fetched_at", "last_run", "at"}  # `at`: a judgement's time (a relationship's
# `at` is its key and part of the line either way)

# A stream's progress line on stderr when it is no terminal (`hub.cli.sync`).
# What a sync says in a log or a pipe as it goes: a stream's figures, a step it waits
# for ("checking the graph's constraints and indexes ..."), a resolution stage.
PROGRESS = re.compile(
    r"^(\S+/\S+: [\d,]+ written, [\d,]+ quarantined|.+ \.\.\.|resolution: .+ \([\d,]+\))$"
)


@dataclass
class Matrix:
    """The county, its simulators, the reference graph and the tally."""

    world: Path
    sim: Simulator
    driver: Driver
    settings: Settings
    reference: Snapshot = field(default_factory=lambda: ([], []))
    reference_held: set[str] = field(default_factory=set)  # the reference's quarantine
    held: set[str] = field(default_factory=set)  # and what the bad inputs left in it
    runs: int = 0
    compared: list[tuple[str, bool]] = field(default_factory=list)
    seconds: float = 0.0  # of one sync of the county into an empty graph
    log: list[str] = field(default_factory=list)
    began: float = field(default_factory=time.monotonic)

    def note(self, what: str) -> None:
        self.log.append(f"{time.monotonic() - self.began:6.0f}s  {what}")

    @property
    def drop(self) -> Path:
        return Path(self.sim.status()["bigdata"]["drop"])

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "HUB_SOURCES": str(self.sim.sources_file), **extra}

    def sync(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        self.runs += 1
        return subprocess.run(
            [HUB, "sync", *args], env=self.env(**extra), capture_output=True, text=True,
            timeout=900,
        )  # fmt: skip

    def start(self, *args: str, errors: bool = False, **extra: str) -> subprocess.Popen[str]:
        """`hub sync` started; its error output kept if `errors`."""
        self.runs += 1
        return subprocess.Popen(
            [HUB, "sync", *args], env=self.env(**extra), stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE if errors else subprocess.DEVNULL, text=True,
        )  # fmt: skip

    def same(self, what: str) -> None:
        """The graph equals the reference (and holds the reference's quarantine)."""
        found = data(self.driver)
        diff = differences(self.reference, found)
        missing = self.held - quarantine(self.driver)
        self.compared.append((what, not diff and not missing))
        self.note(f"{what}: {'identical' if not diff and not missing else 'DIFFERENT'}")
        assert diff == [], f"{what}: {diff}"
        assert missing == set(), f"{what}: quarantine lost {sorted(missing)[:3]}"


def data(driver: Driver) -> Snapshot:
    return snapshots.snapshot(driver, leave_out={*LEFT_OUT, "Quarantine"}, volatile=VOLATILE)


def quarantine(driver: Driver) -> set[str]:
    records, _, _ = driver.execute_query("MATCH (q:Quarantine) RETURN collect(q.quarantine_id)")
    return set(records[0][0])


def manifest(driver: Driver, feed: str) -> dict[str, Any]:
    return state.load_manifest(driver, "bigdata", [feed])[feed]


def ok(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def matrix(
    county_files: Callable[..., Path], driver: Driver, settings: Settings
) -> Iterator[Matrix]:
    world = county_files(people=500, seed=7, noise="hard")
    with running(world) as sim:
        yield Matrix(world, sim, driver, settings)


def county_file(m: Matrix, feed: str, day: str = "2026-10-30") -> Path:
    (found,) = (m.world / "sources" / "bigdata" / feed).glob(f"{day}.*")
    return found


def test_the_fault_matrix(matrix: Matrix, capsys: pytest.CaptureFixture[str]) -> None:
    m = matrix
    try:
        wipe(m.driver)
        began = time.monotonic()
        ok(m.sync())
        m.seconds = time.monotonic() - began
        m.reference, m.reference_held = data(m.driver), quarantine(m.driver)
        m.held = set(m.reference_held)
        m.note(f"reference: one sync into an empty graph, {m.seconds:.0f}s")
        assert len(m.reference[0]) > 1000 and m.reference_held

        bad_files(m)
        dead_source(m)
        killed_syncs(m, random.Random(18))
        killed_database(m, random.Random(18))

        before = everything(m.driver)
        ok(m.sync())
        same = not differences(before, everything(m.driver))
        m.compared.append(("a sync with nothing new changes nothing", same))
        m.note(f"a sync with nothing new: {'nothing changed' if same else 'CHANGED'}")
        assert differences(before, everything(m.driver)) == []
    finally:
        identical = sum(same for _, same in m.compared)
        with capsys.disabled():
            print("\n" + "\n".join(m.log))
            print(
                f"fault matrix: {m.runs} runs of `hub sync`, "
                f"{identical} of {len(m.compared)} graphs identical to the reference"
            )
    assert identical == len(m.compared)


def everything(driver: Driver) -> Snapshot:
    """The whole graph but the audit trail, the data's version (renewed by every sync, so
    that kept API answers are computed again) and the run times: quarantine, manifests,
    cursors, judgements and alerts included."""
    return snapshots.snapshot(
        driver,
        leave_out={"AuditEvent", "AuditHead", "DataVersion"},
        volatile={*VOLATILE, "loaded_at"},
    )


def bad_files(m: Matrix) -> None:
    """Every bad input at once in one sync: each kept aside alone (named, with its
    reason) while everything else loads and the graph stays the reference; then each
    removed or fixed, and the graph still the reference."""
    rail = county_file(m, "rail").read_text(encoding="utf-8")
    renamed = rail.replace("\nE", "\nF").encode()  # other ticket ids: loading it would show
    hotel = county_file(m, "hotel").read_bytes()
    netcafe = county_file(m, "netcafe").read_text(encoding="utf-8")
    assert not netcafe.isascii()  # names in Chinese, which GB18030 encodes otherwise
    gb18030 = netcafe.encode("gb18030")
    table = pl.read_csv(rail.encode(), infer_schema=False)
    huge = rail.encode() + b"E0," + "王".encode() * 30_000 + b",,,,,2026/10/30 10:00,\n"
    # file -> (bad bytes, outcome, what the reason says, fixed bytes or None: removed)
    faults: dict[str, tuple[bytes, str, str, bytes | None]] = {
        "rail/2099-12-31.csv": (renamed, "held", "named after 2099-12-31", None),
        "rail/export.csv": (renamed, "quarantined", "does not match", None),
        "hotel/2026-08-01.parquet": (hotel[: len(hotel) // 2], "quarantined", "Parquet", hotel),
        "netcafe/2026-08-01.csv": (gb18030, "loaded", "", gb18030),  # decoded: nothing to fix
        "rail/2026-08-02.csv": (
            table.drop("coach_seat").write_csv().encode(), "quarantined", "no column coach_seat",
            rail.encode(),
        ),
        "cdr/2026-08-01.csv": (b"", "quarantined", "empty", county_file(m, "cdr").read_bytes()),
        "rail/2026-08-03.csv": (huge, "loaded", "", rail.encode()),
    }  # fmt: skip
    held = quarantine(m.driver)
    for name, (bad, *_) in faults.items():
        (m.drop / name).write_bytes(bad)
    done = m.sync()
    assert done.returncode == 3, done.stderr[-2000:]  # partial: each file named, the rest loaded
    refused = [line for line in done.stderr.splitlines() if line.startswith("not loaded: ")]
    for name, (_, outcome, says, _) in faults.items():
        feed, file = name.split("/")
        entry = manifest(m.driver, feed)[file]
        assert entry.outcome == outcome and says in (entry.reason or ""), entry
        named = [line for line in refused if f"{m.drop / name}: " in line]
        assert len(named) == (outcome != "loaded"), (name, done.stderr[-2000:])
        assert all(says in line and "hub sync" in line for line in named), named
    assert len(refused) == sum(o != "loaded" for _, o, _, _ in faults.values())
    assert manifest(m.driver, "netcafe")["2026-08-01.csv"].encoding == "gb18030"
    (big,) = quarantine(m.driver) - held
    assert big.startswith("bigdata:rail:2026-08-03.csv#")
    m.held.add(big)  # what the bad input leaves in the quarantine, with its reason
    m.same("seven bad files in one sync")
    for name, (*_, fixed) in faults.items():
        if fixed is None:
            (m.drop / name).unlink()
        else:
            (m.drop / name).write_bytes(fixed)
    ok(m.sync())
    for name, (*_, fixed) in faults.items():
        if fixed is not None:
            feed, file = name.split("/")
            entry = manifest(m.driver, feed)[file]
            assert entry.outcome == "loaded" and entry.written, entry
    m.same("the bad files removed or fixed")


def dead_source(m: Matrix) -> None:
    """A source that answers 503 to everything fails alone: the other sources, the big
    data's new file, resolution and alerts go on; the next sync catches up."""
    m.sim.post("/faults/fugitives", {"rate_5xx": 1.0})
    extra = m.drop / "rail" / "2026-08-04.csv"
    shutil.copy(county_file(m, "rail", "2026-10-29"), extra)
    settings = dataclasses.replace(m.settings, sources_file=m.sim.sources_file)
    chosen = [connectors.build(name, settings) for name in connectors.names()]
    try:
        done = asyncio.run(syncing.sync(m.driver, settings, chosen))
    finally:
        m.sim.post("/faults/fugitives/clear", {})
    m.runs += 1
    failed = {r.stream for r in done.streams if r.failures}
    assert failed == set(connectors.Fugitives(connectors.Endpoint("", "")).mapping().streams)
    url = json.loads(m.sim.sources_file.read_text())["fugitives"]["url"]
    assert all(
        f.what == "fugitives" and f.reason.startswith(url) for r in done.streams for f in r.failures
    )
    (dead,) = done.failures  # the source named once, however many streams it has
    assert done.partial and dead.what in done.summary() and "hub sync" in str(dead)
    assert manifest(m.driver, "rail")["2026-08-04.csv"].outcome == "loaded"
    m.same("fugitives down: the rest synced")
    ok(m.sync())
    m.same("fugitives back")


def marks(driver: Driver) -> int:
    """How far a sync has come: the source records it has written."""
    records, _, _ = driver.execute_query("MATCH (r:Record) RETURN count(r) AS n")
    return int(records[0]["n"])


def kill_when(m: Matrix, victim: subprocess.Popen[str], written: int, extra: float) -> str:
    """Wait until the graph holds `written` records (and `extra` seconds more), then
    SIGKILL the sync; what happened, for the log."""
    began = time.monotonic()
    while victim.poll() is None and marks(m.driver) < written:
        time.sleep(0.05)
    time.sleep(extra)
    assert victim.poll() is None, f"the sync ended before it could be killed ({written} records)"
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    return (
        f"hub sync killed after {time.monotonic() - began:.1f}s, past {written} records "
        f"({marks(m.driver)} written)"
    )


def killed_syncs(m: Matrix, rng: random.Random) -> None:
    """`hub sync` into an empty graph killed three times at random points while it loads
    (after a random number of records), then run to its end."""
    total = marks(m.driver)  # what a sync of the sources as they are now writes
    wipe(m.driver)
    m.held = set(m.reference_held)  # what the bad inputs left in the quarantine is gone too
    for _ in range(3):  # each killed after a random share of what is left to write
        done = marks(m.driver)
        assert done < total * 0.9, f"{done} of {total} records written: nothing left to kill"
        # small pages and steps, so that there is much to kill between: sizes change nothing
        victim = m.start(HUB_SYNC_PAGE_SIZE="200", HUB_BATCH_SIZE="500")
        m.note(kill_when(m, victim, rng.randint(done + 1, (done + total) // 2), 0.0))
    ok(m.sync())
    m.same("after 3 killed syncs")


def killed_database(m: Matrix, rng: random.Random) -> None:
    """Neo4j killed during a sync: the sync stops within HUB_DATABASE_WAIT with one line
    and exit code 75; Neo4j started again, the next sync ends at the reference."""
    m.driver.execute_query("MATCH (s:SyncState) REMOVE s.last_run")
    victim = m.start("--full", errors=True, HUB_DATABASE_WAIT="15")
    written = rng.randint(1, 8)
    while victim.poll() is None:  # until the sync has moved that many cursors
        found, _, _ = m.driver.execute_query(
            "MATCH (s:SyncState) WHERE s.last_run IS NOT NULL RETURN count(s) AS n"
        )
        if found[0]["n"] >= written:
            break
        time.sleep(0.1)
    assert victim.poll() is None, "the sync ended before Neo4j could be killed"
    pid = embedded.status(m.settings).pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    _, err = victim.communicate(timeout=300)
    waited = time.monotonic() - killed
    m.note(f"Neo4j killed after {written} cursors of a sync, which stopped {waited:.0f}s later")
    assert victim.returncode == 75, err
    assert waited < 15 + 60
    # besides the streams' progress (a line each, as a log or a pipe is shown it)
    lines = [line for line in err.splitlines() if line.strip() and not PROGRESS.match(line)]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: the database"), err
    assert "stopped answering" in lines[0] and "run `hub sync` again" in lines[0]
    started = subprocess.run(
        [HUB, "neo4j", "start"], env={**os.environ, "HUB_NEO4J_START_TIMEOUT": "900"},
        capture_output=True, text=True, timeout=1000,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr  # recovery takes a while on a busy machine
    ok(m.sync())
    m.same("after Neo4j was killed during a sync")
