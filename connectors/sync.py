"""Runs a connector: pages from the source, graph rows to the loader, then the cursor.

Pages are gathered into steps of HUB_BATCH_SIZE records. For each step: leave out the
records the graph already holds exactly as sent (the source sends the record at the
cursor again; `--full` writes every record again), transform the others (bad ones to
quarantine), write nodes, then relationships, then the quarantined rows, and only then
move the stream's cursor; the next step is fetched (or read) while one is written. A
sync killed anywhere re-fetches at most the steps after the last saved cursor, and the
loader's writes are idempotent (hub.survivorship: writing a statement again changes
nothing), so the graph ends as after an uninterrupted sync.

A file connector (`connectors.bigdata`) is run the same way with steps in place of
pages: each step's frames are written, then the manifest entries of the files it
completes. `sync_files` runs all its feeds at once; `sync_stream` runs one feed.

What cannot be loaded fails alone and is named in the stream's report (`failures`: the
file or URL, why, what to do): a bad row is quarantined, a bad file is quarantined as a
file, a source that does not answer ends that stream's sync. Only the database gone
stops a sync (`database_gone`: one line, DatabaseUnavailable). `sync_source` holds the
source's lock (connectors.state) while it runs, so a source is synced once at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import neo4j.exceptions
import polars as pl
from neo4j import Driver

from connectors import state
from connectors.base import Connector, Failure, SourceUnavailable
from connectors.bigdata import FileConnector, Step
from connectors.transform import Batch, identity, transform
from hub.errors import DatabaseUnavailable
from hub.loader import Loader
from hub.resolution.records import Known

log = logging.getLogger(__name__)

GRAPH = "graph"
PERSON = "Person"  # whose merges a step splits before it writes
ENDS = ("start", "end")
LOCK_SECONDS = 120.0  # a lock not renewed for this long is free (its sync was killed)


@dataclass
class Timings:
    """Where a stream's sync spent its time, in seconds: waiting on the source (for a
    file feed, nothing: reading its files is part of transforming them), checking and
    normalising records into graph rows, and waiting on Neo4j to write them."""

    fetching: float = 0.0
    transforming: float = 0.0
    writing: float = 0.0


@dataclass
class StreamReport:
    source: str
    stream: str
    fetched: int = 0
    written: int = 0
    unchanged: int = 0  # fetched again exactly as the graph holds them, so not written
    quarantined: int = 0
    seconds: float = 0.0
    reasons: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)  # what could not be loaded
    notices: list[str] = field(default_factory=list)  # what was loaded, but is worth saying
    timings: Timings = field(default_factory=Timings)

    @property
    def rate(self) -> float:
        return self.fetched / self.seconds if self.seconds else 0.0

    @property
    def partial(self) -> bool:
        """Something of the stream could not be loaded: a file, or the source itself."""
        return bool(self.failures)


Progress = Callable[[StreamReport], None]

# What the driver raises once Neo4j stays unreachable past its retries.
GONE = (
    neo4j.exceptions.ServiceUnavailable,
    neo4j.exceptions.SessionExpired,
    neo4j.exceptions.DatabaseUnavailable,
)


_ADDRESS = re.compile(r"[\w.-]+:\d{2,5}\b")  # host:port in the driver's message


@contextlib.contextmanager
def database_gone(what: str) -> Iterator[None]:
    """Turn the database going away during `what` into one line that says how to resume."""
    try:
        yield
    except GONE as exc:
        address = _ADDRESS.search(str(exc))
        at = f" at {address[0]}" if address else ""
        raise DatabaseUnavailable(
            f"the database{at} stopped answering during {what} ({type(exc).__name__}); "
            "what was written is kept: run `hub sync` again to resume"
        ) from None


def write(loader: Loader, batch: Batch, known: Known | None = None) -> None:
    """Write a batch's rows (after working out the features of its person records into
    `known`)."""
    nodes = {label: _frame(rows) for label, rows in batch.nodes.items()}
    relationships = {key: _frame(rows) for key, rows in batch.relationships.items()}
    if known is not None:
        known.add(nodes, relationships)
    held = _frame(batch.quarantine) if batch.quarantine else None
    write_frames(loader, nodes, relationships, held)


def write_step(loader: Loader, step: Step) -> None:
    write_frames(loader, step.nodes, step.relationships, step.quarantine)


def write_frames(
    loader: Loader,
    nodes: Mapping[str, pl.DataFrame],
    relationships: Mapping[tuple[str, str, str], pl.DataFrame],
    quarantine: pl.DataFrame | None,
) -> None:
    """Write one step: its nodes (the labels at once: their nodes are apart), then its
    relationships and quarantine."""
    with ThreadPoolExecutor(loader.workers, thread_name_prefix="step") as pool:
        for _ in pool.map(lambda item: loader.nodes(*item), nodes.items()):
            pass
    for (type_, start, end), frame in relationships.items():
        loader.relationships(type_, frame, start=start, end=end)
    if quarantine is not None:
        loader.nodes("Quarantine", quarantine)


def _frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    columns = sorted({key for row in rows for key in row})  # one order: one statement text
    return pl.DataFrame(
        [{c: row.get(c) for c in columns} for row in rows], infer_schema_length=None
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def _advance(
    loader: Loader,
    report: StreamReport,
    cursor: str | None,
    began: float,
    progress: Progress | None,
) -> None:
    """Move the stream's cursor (its rows are written by now) and report progress."""
    await asyncio.to_thread(
        state.save_cursor,
        loader.driver,
        report.source,
        report.stream,
        cursor,
        report.written,
        report.quarantined,
        loader.database,
    )
    report.seconds = time.perf_counter() - began
    if progress:
        progress(report)


async def sync_source(
    connector: Connector,
    loader: Loader,
    *,
    full: bool = False,
    progress: Progress | None = None,
    known: Known | None = None,
) -> list[StreamReport]:
    """Sync every stream of a source while holding its lock. A source another sync holds
    is not synced: each of its streams reports that as its failure. The features of the
    person records written are worked out into `known`, for resolution after."""
    holder = state.Holder.me()
    streams = list(connector.mapping().streams)
    with database_gone(f"the sync of {connector.name}"):
        try:
            await asyncio.to_thread(
                state.take_lock,
                loader.driver,
                connector.name,
                holder,
                LOCK_SECONDS,
                loader.database,
            )
        except state.SourceBusy as exc:
            failure = Failure(connector.name, str(exc), "run `hub sync` again once it has ended")
            busy = [StreamReport(connector.name, s, failures=[failure]) for s in streams]
            for report in busy:
                if progress:
                    progress(report)
            return busy
        try:
            async with _renewing(loader, connector.name, holder):
                if isinstance(connector, FileConnector):
                    return await sync_files(
                        connector, loader, full=full, progress=progress, known=known
                    )
                reports: list[StreamReport] = []
                for stream in streams:
                    dead = next((r.failures for r in reports if r.failures), None)
                    if dead:  # the source did not answer: its other streams are not tried
                        reports.append(StreamReport(connector.name, stream, failures=dead))
                        if progress:
                            progress(reports[-1])
                    else:
                        reports.append(
                            await sync_stream(
                                connector,
                                stream,
                                loader,
                                full=full,
                                progress=progress,
                                known=known,
                            )
                        )
                return reports
        finally:
            with contextlib.suppress(*GONE):
                state.release_lock(loader.driver, connector.name, holder, loader.database)


@contextlib.asynccontextmanager
async def _renewing(loader: Loader, source: str, holder: state.Holder) -> AsyncIterator[None]:
    """Renew the source's lock while the block runs."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(LOCK_SECONDS / 4)
            try:
                await asyncio.to_thread(
                    state.take_lock, loader.driver, source, holder, LOCK_SECONDS, loader.database
                )
            except Exception as exc:  # the sync itself meets the same trouble and says it
                log.warning("could not renew the sync lock of %s: %s", source, exc)

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def sync_stream(
    connector: Connector,
    stream: str,
    loader: Loader,
    *,
    full: bool = False,
    progress: Progress | None = None,
    known: Known | None = None,
) -> StreamReport:
    """Sync one stream from its saved high-water mark (everything with `full`). A source
    that stops answering ends the stream with its failure in the report; what was fetched
    before is written, and the next sync goes on from there.

    Pages are gathered into steps of the connector's `step_rows` (HUB_BATCH_SIZE). While
    a step is transformed and written (in a thread), the next one is fetched; it is
    written only once the step before it is in the graph and the cursor moved past it."""
    if isinstance(connector, FileConnector):
        (report,) = await sync_files(
            connector, loader, streams=[stream], full=full, progress=progress, known=known
        )
        return report
    mapping = connector.mapping().streams[stream]
    driver: Driver = loader.driver
    report = StreamReport(connector.name, stream)
    began = time.perf_counter()
    mark = None if full else state.load_cursor(driver, connector.name, stream, loader.database)
    limit = getattr(connector, "max_record_bytes", None)
    writing: asyncio.Task[None] | None = None

    def put(records: list[dict[str, Any]]) -> str | None:
        """Transform and write one step; its high-water mark."""
        clock = time.perf_counter()
        if not full:  # the record at the cursor comes again: what the graph has is not new
            ids = [identity(connector.name, mapping, r) for r in records]
            held = state.unchanged(driver, ids, loader.database)
            fresh = [r for r, (i, _) in zip(records, ids, strict=True) if i not in held]
            report.unchanged += len(records) - len(fresh)
            records = fresh
        batch = transform(connector.name, mapping, records, loader.graph, _now(), limit)
        report.timings.transforming += time.perf_counter() - clock
        clock = time.perf_counter()
        write(loader, batch, known)
        report.timings.writing += time.perf_counter() - clock
        report.written += batch.rows
        report.quarantined += len(batch.quarantine)
        shown = max(0, 3 - len(report.reasons))
        report.reasons.extend(q["reason"] for q in batch.quarantine[:shown])
        return batch.high_water

    async def step(records: list[dict[str, Any]]) -> None:
        nonlocal mark
        high_water = await asyncio.to_thread(put, records)
        mark = max([m for m in (mark, high_water) if m], default=None)
        await _advance(loader, report, mark, began, progress)

    async def flush(records: list[dict[str, Any]]) -> asyncio.Task[None] | None:
        if writing is not None:
            await writing
        return asyncio.create_task(step(records)) if records else None

    gathered: list[dict[str, Any]] = []
    pages = connector.fetch(stream, mark).__aiter__()
    try:
        while True:
            clock = time.perf_counter()
            page = await anext(pages, None)
            report.timings.fetching += time.perf_counter() - clock
            if page is None:
                break
            gathered += page.records
            report.fetched += len(page.records)
            if len(gathered) >= connector.step_rows:
                writing, gathered = await flush(gathered), []
    except SourceUnavailable as exc:
        todo = f"check that the source runs; then `hub sync {connector.name}` resumes it"
        report.failures.append(Failure(connector.name, str(exc), todo))
    finally:
        if writing is not None and not writing.done():
            await asyncio.shield(writing)  # a write under way ends before the sync does
    writing = await flush(gathered)
    if writing is not None:
        await writing
    if report.failures and progress:
        progress(report)
    report.seconds = time.perf_counter() - began
    return report


async def sync_files(
    connector: FileConnector,
    loader: Loader,
    *,
    streams: list[str] | None = None,
    full: bool = False,
    progress: Progress | None = None,
    known: Known | None = None,
) -> list[StreamReport]:
    """Sync a file connector's feeds (all by default): every file their manifests do
    not have as loaded (every file with `full`); a feed with no new file gets only its
    run's time recorded (`state.save_run`). A feed that kept a cursor (the name of its
    last file) before it kept a manifest has the files named up to the cursor entered in
    its manifest as loaded."""
    chosen = streams or list(connector.mapping().streams)
    driver: Driver = loader.driver
    db = loader.database
    seen = await asyncio.to_thread(state.load_manifest, driver, connector.name, chosen, db)
    for name in chosen:
        cursor = await asyncio.to_thread(state.load_cursor, driver, connector.name, name, db)
        if cursor is not None and not seen[name]:
            entries = await asyncio.to_thread(connector.migrated, name, cursor)
            await asyncio.to_thread(state.record_files, driver, connector.name, entries, db)
            seen[name] = {e.name: e for e in entries}
        if cursor is not None:
            await asyncio.to_thread(state.save_cursor, driver, connector.name, name, None, 0, 0, db)
    reports = {name: StreamReport(connector.name, name) for name in chosen}
    advanced: set[str] = set()  # the feeds whose run is recorded with the rows it wrote
    began = time.perf_counter()
    steps = connector.steps(seen, loader.graph, _now(), streams=chosen, full=full)

    def spend(step: Step, seconds: float, stage: str) -> None:
        """Share a step's time among its feeds by the rows each brought."""
        total = sum(c.fetched for c in step.counts.values())
        for name, counts in step.counts.items():
            part = counts.fetched / total if total else 1 / len(step.counts)
            timings = reports[name].timings
            setattr(timings, stage, getattr(timings, stage) + part * seconds)

    def prepared() -> Step | None:
        step = next(steps, None)
        if step is not None and known is not None:
            known.add(step.nodes, step.relationships)
        return step

    async def read() -> Step | None:
        clock = time.perf_counter()
        step = await asyncio.to_thread(prepared)
        if step is not None:
            spend(step, time.perf_counter() - clock, "transforming")
        return step

    async def put(step: Step) -> None:
        clock = time.perf_counter()
        await asyncio.to_thread(write_step, loader, step)
        spend(step, time.perf_counter() - clock, "writing")
        await asyncio.to_thread(state.record_files, driver, connector.name, step.files, db)
        for name, counts in step.counts.items():
            report = reports[name]
            report.fetched += counts.fetched
            report.written += counts.written
            report.quarantined += counts.quarantined
            report.reasons.extend(counts.reasons[: max(0, 3 - len(report.reasons))])
            report.failures += counts.failures
            report.notices += counts.notices
            await _advance(loader, report, None, began, progress)
            advanced.add(name)

    # the next step is read while one is written; its files are entered in the manifest
    # only once its rows are in the graph
    step = await read()
    while step is not None:
        writing = asyncio.create_task(put(step))
        try:
            step = await read()
        finally:
            await writing
    # every feed looked at records its run, so that one with no new file is not stale
    idle = [name for name in chosen if name not in advanced]
    await asyncio.to_thread(state.save_run, driver, connector.name, idle, db)
    for report in reports.values():
        report.seconds = time.perf_counter() - began
        if progress:  # every feed is reported, whether it had new files or not
            progress(report)
    return [reports[name] for name in chosen]
