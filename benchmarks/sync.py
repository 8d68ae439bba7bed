"""Sync benchmark: a full sync of every source of a generated county, against the
simulators, beside the loader writing the same rows, in one run.

    python benchmarks/sync.py [--people 100000] [--world DIR] [--rounds 1] [--no-baseline]
                              [--no-bulk] [--bulk-only] [--day]

Generates a county (unless --world names one already generated), starts the source
simulators and empties its own Neo4j (Bolt port 7689 unless HUB_NEO4J_PORT says
otherwise; with NEO4J_URI it refuses unless --wipe is given). Then, each round, into an
emptied graph:

- baseline: `hub sync --full` with every page of an HTTP source written as a step of
  its own (as the hub did before it gathered pages into steps of HUB_BATCH_SIZE);
- sync: `hub sync --full` as the hub runs it: fetch, normalise, load, resolve, alerts;
- loader: the graph rows the sync wrote, gathered per node label and relationship type
  and written by the loader alone;
- bulk: `hub sync --full --bulk`, the first load through Neo4j's importer (hub.bulk),
  whole: fetch, normalise, import (Neo4j stopped and started again), resolve, alerts; in
  a process of its own, whose peak memory is measured with that of the processes it
  started (the importer, the training) and of the Neo4j it started again;
- importer: Neo4j's importer alone (`neo4j-admin database import full`, Neo4j stopped)
  on the same nodes and relationships, its CSV input written by the benchmark before
  the clock starts, into a database of its own beside the graph's, removed after (the
  project-run Neo4j only); with --bulk-only (no sync, no loader) from the sources
  fetched and normalised again.

With --day, each round also times one more day of every feed (the simulators' clock
moved on 24 hours, `hub sync` as the hub runs it: fetch, normalise, load, resolve the
new records, alerts) on top of the county's graph synced up to the day before (and that
day synced on its own before, untimed, as a hub syncing daily does), beside the same day
into an emptied graph holding only the sync state and the resolution model the first
graph had (so both fetch the same rows and resolve them incrementally). The county's
graph is the round's bulk load (the simulators' clock then starts two days before the
county's last day, for every figure) or, with --no-bulk, a sync of its own before the
day.

It prints the profiles of the last sync and bulk load (per stream: rows, seconds fetching,
transforming and waiting on Neo4j; the stages; Neo4j's CPU), then the median wall time
and rows/s of each, the ratios sync / loader, sync / baseline and bulk / importer (on
the same rows), and the peak memory of this process and of the Neo4j process.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import math
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("HUB_NEO4J_PORT", "7689")

import httpx
import polars as pl
from neo4j import Driver

import connectors
from connectors.feeds import NORMALS
from connectors.sync import sync_source
from graph_schema import ident
from hub import bulk, db, embedded, migrate, normalise, profiling, syncing
from hub.loader import Loader, LoadReport
from hub.resolution import records
from hub.settings import Settings
from hub.simulate import process as simulators
from hub.world import WorldConfig, generate

Key = tuple[str, str, str | None, str | None]  # kind, label or type, start, end


class Recording(Loader):
    """The hub's loader, keeping a copy of every frame it is given."""

    def __init__(self, driver: Driver, settings: Settings) -> None:
        base = Loader.from_settings(driver, settings)
        super().__init__(
            driver, batch_size=base.batch_size, workers=base.workers, database=base.database
        )
        self.frames: dict[Key, list[pl.DataFrame]] = defaultdict(list)

    def nodes(self, label: str, frame: pl.DataFrame, **given: Any) -> LoadReport:
        self.frames[("nodes", label, None, None)].append(frame)
        return super().nodes(label, frame, **given)

    def relationships(
        self,
        type_: str,
        frame: pl.DataFrame,
        *,
        start: str | None = None,
        end: str | None = None,
        **given: Any,
    ) -> LoadReport:
        self.frames[("relationships", type_, start, end)].append(frame)
        return super().relationships(type_, frame, start=start, end=end, **given)


def quiet() -> None:
    """No warning of Neo4j's about a fresh graph's property keys not there yet."""
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)


def neo4j_peak_mib(settings: Settings) -> float:
    """The peak resident memory of the project-run Neo4j since it started (NaN: not
    known)."""
    pid = embedded.status(settings).pid if settings.embedded else None
    if pid is None:
        return math.nan
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return math.nan


def empty(driver: Driver) -> None:
    with driver.session() as session:
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS"
        ).consume()
    migrate.migrate(driver)


def cold() -> None:
    """Forget every normalised value worked out, as a new `hub sync` process starts."""
    NORMALS.cache.clear()
    for module in (normalise, records):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def synced(
    driver: Driver, settings: Settings, step_rows: int | None
) -> tuple[float, syncing.Synced, Recording]:
    """A full sync into an emptied graph; its wall time, report and the frames it wrote.
    `step_rows` 1 writes every page of an HTTP source as a step of its own."""
    empty(driver)
    cold()
    chosen = [connectors.build(name, settings) for name in connectors.names()]
    for connector in chosen:
        if step_rows is not None and isinstance(connector, connectors.HttpConnector):
            connector.step_rows = step_rows
    loader = Recording(driver, settings)
    began = time.perf_counter()
    done = asyncio.run(syncing.sync(driver, settings, chosen, full=True, loader=loader))
    return time.perf_counter() - began, done, loader


def loaded(driver: Driver, settings: Settings, frames: dict[Key, list[pl.DataFrame]]) -> float:
    """The loader alone writing `frames` (gathered per label and type, nodes first) into
    an emptied graph; its wall time."""
    empty(driver)
    loader = Loader.from_settings(driver, settings)
    gathered = {key: pl.concat(parts, how="diagonal_relaxed") for key, parts in frames.items()}
    began = time.perf_counter()
    for (kind, name, start, end), frame in sorted(gathered.items(), key=lambda i: i[0][0]):
        if kind == "nodes":
            loader.nodes(name, frame)
        else:
            loader.relationships(name, frame, start=start, end=end)
    return time.perf_counter() - began


def bulk_synced(
    driver: Driver, settings: Settings
) -> tuple[float, syncing.Synced, dict[str, float]]:
    """`hub sync --full --bulk` into an emptied graph, in a process of its own (as `hub
    sync` runs it, so that its memory is its own); its wall time, report and peak memory
    in MiB: of that process, of the processes it started (the importer, feature and
    training processes, at once) and of the Neo4j it started again."""
    empty(driver)
    spawned = multiprocessing.get_context("spawn")  # not a daemon: it starts processes
    with ProcessPoolExecutor(1, mp_context=spawned) as pool:
        took, done, peaks = pool.submit(_bulk_process, dict(os.environ)).result()
    if not done.bulk:
        raise SystemExit(f"the bulk load went through the loader: {done.notes}")
    bulk.forget_bookmarks(driver, settings.neo4j_database)  # Neo4j holds another store
    peaks["Neo4j"] = neo4j_peak_mib(settings)
    stages = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in done.stages.items())
    print(f"  bulk load {took:.1f}s: {stages}", flush=True)
    return took, done, peaks


def _bulk_process(env: dict[str, str]) -> tuple[float, syncing.Synced, dict[str, float]]:
    os.environ.update(env)
    quiet()
    settings = Settings.from_env()
    chosen = [connectors.build(name, settings) for name in connectors.names()]
    samples: list[tuple[float, float]] = []
    children: list[float] = []
    stop = threading.Event()
    neo4j = embedded.Instance(settings)  # started again by the load: not counted here
    sampler = threading.Thread(
        target=_sample_rss, args=(stop, samples, children, neo4j.pid), daemon=True
    )
    with db.connected(settings) as driver:
        sampler.start()
        began = time.perf_counter()
        done = asyncio.run(
            syncing.sync(
                driver, settings, chosen, full=True, bulk=True, say=lambda m: print(f"  {m}")
            )
        )
        took = time.perf_counter() - began
        stop.set()
        sampler.join()
    print(f"  peak memory of the bulk load's process by stage: {_by_stage(began, done, samples)}")
    # not RUSAGE_CHILDREN: Linux carries a process's peak into the program it starts
    peaks = {
        "sync process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "its children at once (importer, feature and training processes)": max(
            children, default=math.nan
        ),
    }
    return took, done, peaks


def _sample_rss(
    stop: threading.Event,
    samples: list[tuple[float, float]],
    children: list[float],
    neo4j: Callable[[], int | None],
) -> None:
    """This process's resident memory (MiB), and the sum of its descendants' but
    Neo4j's, every quarter second until `stop`."""
    while not stop.wait(0.25):
        samples.append((time.perf_counter(), _rss(os.getpid())))
        children.append(sum(_rss(pid) for pid in _descendants(os.getpid(), neo4j())))


def _rss(pid: int) -> float:
    """A process's resident memory in MiB (0 once it has ended)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(root: int, skip: int | None = None) -> list[int]:
    """The processes started by `root`, and by them, as /proc lists them now; not
    `skip` and those it started."""
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:  # the field after the command, which may hold spaces and parentheses
                parent[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [root]
    while frontier:
        below = [pid for pid, ppid in parent.items() if ppid in frontier and pid != skip]
        found += below
        frontier = below
    return found


def _by_stage(began: float, done: syncing.Synced, samples: list[tuple[float, float]]) -> str:
    """The highest of `samples` within each of the sync's stages (they follow one
    another from `began`)."""
    out = []
    for name, seconds in done.stages.items():
        within = [mib for at, mib in samples if began <= at < began + seconds]
        out.append(f"{name} {max(within, default=math.nan):,.0f} MiB")
        began += seconds
    return ", ".join(out)


def imported(
    driver: Driver, settings: Settings, frames: dict[Key, list[pl.DataFrame]] | None
) -> tuple[float, int]:
    """Neo4j's importer alone writing `frames` (as `hub sync --bulk` would give them to
    it; None: the sources fetched and normalised again, written nowhere) while Neo4j is
    stopped, into a database beside the graph's (`SIDE`, removed after: the graph stays
    as it was); its wall time and the rows it wrote. Neo4j is started again after."""
    side = dataclasses.replace(settings, neo4j_database=SIDE)
    with tempfile.TemporaryDirectory(prefix="hub-import-") as folder:
        collector = bulk.Collector(driver, settings, Path(folder) / "collected")
        if frames is None:
            asyncio.run(_fetched(settings, collector))
        for (kind, name, start, end), parts in (frames or {}).items():
            for frame in parts:
                if kind == "nodes":
                    collector.nodes(name, frame)
                else:
                    collector.relationships(name, frame, start=start, end=end)
        given = bulk.write_input(collector, Path(folder) / "input")
        embedded.stop(settings)
        began = time.perf_counter()
        try:
            bulk.run_import(side, given, Path(folder))
            took = time.perf_counter() - began
        finally:
            bulk.discard(side)
    embedded.start(settings)
    return took, given.rows


SIDE = "importeralone"  # the importer alone's database, never started (and removed)


async def _fetched(settings: Settings, collector: bulk.Collector) -> None:
    for name in connectors.names():
        await sync_source(connectors.build(name, settings), collector, full=True)


# What a graph keeps of its syncs and resolution: cursors, loaded files, the model.
STATE = ("SyncState", "SourceFile", "ResolutionModel")


def kept_state(driver: Driver) -> dict[str, list[dict[str, Any]]]:
    return {
        label: [
            r["p"]
            for r in driver.execute_query(f"MATCH (n:{ident(label)}) RETURN properties(n) AS p")[0]
        ]
        for label in STATE
    }


def restore_state(driver: Driver, state: dict[str, list[dict[str, Any]]]) -> None:
    for label, rows in state.items():
        driver.execute_query(f"UNWIND $rows AS p CREATE (n:{ident(label)}) SET n = p", rows=rows)


def incremental(driver: Driver, settings: Settings) -> tuple[float, syncing.Synced]:
    """`hub sync` (from the saved cursors and manifests); its wall time and report."""
    cold()
    chosen = [connectors.build(name, settings) for name in connectors.names()]
    began = time.perf_counter()
    done = asyncio.run(syncing.sync(driver, settings, chosen))
    return time.perf_counter() - began, done


def days(
    world: Path, args: argparse.Namespace, clock: datetime, times: dict[str, list[float]]
) -> tuple[syncing.Synced, syncing.Synced]:
    """Each round: the county synced up to two days before (untimed) through the loader,
    then `day_after` on that graph. The last round's reports of that day. (With the bulk
    load, the rounds of `main` load the county so and time the day themselves.)"""
    start = clock - timedelta(hours=48 * args.rounds)
    with simulators.running(world, args.port_base, *_at(world, start)) as sources:
        os.environ["HUB_SOURCES"] = str(sources)
        settings = Settings.from_env()
        with db.connected(settings) as driver:
            for _ in range(args.rounds):
                empty(driver)
                cold()
                chosen = [connectors.build(name, settings) for name in connectors.names()]
                asyncio.run(syncing.sync(driver, settings, chosen, full=True))
                day = day_after(driver, settings, args.port_base, times)
    return day


def _at(world: Path, start: datetime | None) -> tuple[str, ...]:
    """The simulators' arguments to start their clock at `start` (None: as usual)."""
    if start is None:
        return ()
    shutil.rmtree(world / "drop", ignore_errors=True)  # the days after `start` drop again
    return ("--start-at", start.isoformat())


def day_after(
    driver: Driver, settings: Settings, port_base: int, times: dict[str, list[float]]
) -> tuple[syncing.Synced, syncing.Synced]:
    """On the county's graph as it is: the next day synced (untimed: as a hub syncing
    every day, Neo4j has planned its statements once), then one more day timed on that
    graph, and the same day into an emptied graph given the first one's sync state and
    model (so both fetch the same rows and resolve them incrementally). Their reports."""
    control = f"http://127.0.0.1:{port_base}/clock"
    httpx.post(control, json={"advance_hours": 24}, timeout=60).raise_for_status()
    incremental(driver, settings)
    state = kept_state(driver)
    httpx.post(control, json={"advance_hours": 24}, timeout=60).raise_for_status()
    wall, done = incremental(driver, settings)
    times["day on graph"].append(wall)
    rows = sum(r.fetched for r in done.streams)
    empty(driver)
    restore_state(driver, state)
    alone, single = incremental(driver, settings)
    times["day alone"].append(alone)
    same = sum(r.fetched for r in single.streams)
    if same != rows:
        sys.exit(f"the day fetched {rows} rows on the graph but {same} alone")
    print(
        f"day: {rows:,} source records, on the county's graph {wall:.1f}s, "
        f"into an emptied graph {alone:.1f}s",
        flush=True,
    )
    return done, single


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--world", type=Path)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline sync")
    parser.add_argument("--no-bulk", action="store_true", help="skip the bulk load and importer")
    parser.add_argument(
        "--day", action="store_true", help="also time one more day on the graph and alone"
    )
    parser.add_argument(
        "--bulk-only",
        action="store_true",
        help="only the bulk load and the importer alone (on the sources fetched again)",
    )
    parser.add_argument("--port-base", type=int, default=8760)
    parser.add_argument("--wipe", action="store_true", help="allow wiping NEO4J_URI's database")
    args = parser.parse_args()
    quiet()
    settings = Settings.from_env()
    if not settings.embedded and not args.wipe:
        raise SystemExit("NEO4J_URI is set: this benchmark empties the database; add --wipe")

    scratch = tempfile.TemporaryDirectory(prefix="hub-sync-")
    world = args.world or Path(scratch.name) / "world"
    if args.world is None:
        began = time.perf_counter()
        generate(WorldConfig(people=args.people, seed=1, out=world))
        print(f"county of {args.people:,} people generated in {time.perf_counter() - began:.0f}s")

    times: dict[str, list[float]] = defaultdict(list)
    bulk_peaks: dict[str, list[float]] = defaultdict(list)
    with simulators.running(world, args.port_base):
        status = httpx.get(f"http://127.0.0.1:{args.port_base}/status", timeout=60).json()
        clock = datetime.fromisoformat(status["clock"])
    bulk_loads = settings.embedded and not args.no_bulk
    # With --day and the bulk load, each round's bulk load is the county's first load,
    # two days before the clock, and the day is timed on the graph it made.
    day_here = args.day and bulk_loads
    start = clock - timedelta(hours=48 * args.rounds) if day_here else None
    day = None
    with simulators.running(world, args.port_base, *_at(world, start)) as sources:
        os.environ["HUB_SOURCES"] = str(sources)
        settings = Settings.from_env()
        with db.connected(settings) as driver:
            for round_ in range(1, args.rounds + 1):
                if not args.no_baseline and not args.bulk_only:
                    wall, _, _ = synced(driver, settings, step_rows=1)
                    times["baseline"].append(wall)
                recording = None
                if not args.bulk_only:
                    wall, done, recording = synced(driver, settings, step_rows=None)
                    times["sync"].append(wall)
                    times["loader"].append(loaded(driver, settings, recording.frames))
                if bulk_loads:
                    wall, bulk_done, peaks = bulk_synced(driver, settings)
                    times["bulk"].append(wall)
                    for name, mib in peaks.items():
                        bulk_peaks[name].append(mib)
                    wall, rows = imported(driver, settings, recording.frames if recording else None)
                    times["importer"].append(wall)
                    print(f"  importer alone {wall:.1f}s ({rows:,} nodes and relationships)")
                    if day_here:
                        day = day_after(driver, settings, args.port_base, times)
                figures = ", ".join(f"{k} {v[-1]:.1f}s" for k, v in times.items())
                print(f"round {round_}: {figures}", flush=True)

    if args.day and not day_here:
        day = days(world, args, clock, times)
    if recording is not None:
        rows = sum(f.height for parts in recording.frames.values() for f in parts)
        fetched = sum(r.fetched for r in done.streams)
        print(f"\nprofile of the last sync ({fetched:,} source records, {rows:,} graph rows):")
        for line in profiling.lines(done):
            print(line)
    if "bulk" in times:
        print("\nprofile of the last bulk load (streams fetched at once; Neo4j stopped meanwhile):")
        for line in profiling.lines(bulk_done):
            print(line)
    medians = {k: statistics.median(v) for k, v in times.items()}
    print(f"\nmedians of {args.rounds} round(s), the same {rows:,} graph rows each:")
    for name, wall in medians.items():
        if not name.startswith("day"):
            print(f"  {name:12s} {wall:8.1f}s {rows / wall:10,.0f} graph rows/s")
        else:  # one day's source records, not the county's graph rows
            print(f"  {name:12s} {wall:8.1f}s")
    if "sync" in medians:
        print(f"sync / loader rate: {medians['loader'] / medians['sync']:.2f} (target >= 0.5)")
    if "bulk" in medians:
        print(f"bulk / importer time: {medians['bulk'] / medians['importer']:.2f} (target <= 3)")
    if "bulk" in medians and "sync" in medians:
        print(f"bulk / sync rate: {medians['sync'] / medians['bulk']:.2f}")
    elif not settings.embedded:
        print("bulk: NEO4J_URI is a server the hub does not run; its first load is the sync's")
    if day is not None:
        for title, report in zip(("on the county's graph", "alone"), day, strict=True):
            print(f"\nprofile of the last day {title}:")
            for line in profiling.lines(report):
                print(line)
        print(
            f"one more day on the county's graph / into an emptied graph: "
            f"{medians['day on graph'] / medians['day alone']:.2f} (target <= 1.5)"
        )
    if "baseline" in medians:
        print(f"sync / baseline (pages as steps) rate: {medians['baseline'] / medians['sync']:.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak memory: benchmark process (sync, loader, importer's input) {peak:,.0f} MiB, "
        f"Neo4j {neo4j_peak_mib(settings):,.0f} MiB"
    )
    if bulk_peaks:
        figures = ", ".join(f"{name} {max(mib):,.0f} MiB" for name, mib in bulk_peaks.items())
        print(f"peak memory of the bulk load: {figures}")
    scratch.cleanup()


if __name__ == "__main__":
    main()
