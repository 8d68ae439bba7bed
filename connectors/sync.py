"""Runs a connector: pages from the source, graph rows to the loader, then the cursor.

For each page: leave out the records the graph already holds exactly as sent (the
source sends the record at the cursor again), transform the others (bad ones to
quarantine), write nodes, then relationships, then the quarantined rows, and only then
move the stream's cursor (`--full` writes every record again). A
sync killed anywhere re-fetches at most the pages after the last saved cursor, and the
loader's writes are idempotent, so the graph ends as after an uninterrupted sync.

A file connector (`connectors.bigdata`) is run the same way with steps in place of
pages: each step's frames are written, then each feed's cursor moves to the last file
the step completes. `sync_files` runs all its feeds at once, so that their files are
loaded day by day; `sync_stream` runs one feed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl
from neo4j import Driver

from connectors import state
from connectors.base import Connector
from connectors.bigdata import FileConnector, Step
from connectors.transform import Batch, identity, transform
from hub.loader import Loader

GRAPH = "graph"


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

    @property
    def rate(self) -> float:
        return self.fetched / self.seconds if self.seconds else 0.0


Progress = Callable[[StreamReport], None]


def write(loader: Loader, batch: Batch) -> None:
    for label, rows in batch.nodes.items():
        loader.nodes(label, _frame(rows))
    for (type_, start, end), rows in batch.relationships.items():
        loader.relationships(type_, _frame(rows), start=start, end=end)
    if batch.quarantine:
        loader.nodes("Quarantine", _frame(batch.quarantine))


def write_step(loader: Loader, step: Step) -> None:
    for label, frame in step.nodes.items():
        loader.nodes(label, frame)
    for (type_, start, end), frame in step.relationships.items():
        loader.relationships(type_, frame, start=start, end=end)
    if step.quarantine is not None:
        loader.nodes("Quarantine", step.quarantine)


def _frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    columns = {key for row in rows for key in row}
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


async def sync_stream(
    connector: Connector,
    stream: str,
    loader: Loader,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> StreamReport:
    """Sync one stream from its saved high-water mark (everything with `full`)."""
    if isinstance(connector, FileConnector):
        (report,) = await sync_files(
            connector, loader, streams=[stream], full=full, progress=progress
        )
        return report
    mapping = connector.mapping().streams[stream]
    driver: Driver = loader.driver
    report = StreamReport(connector.name, stream)
    began = time.perf_counter()
    mark = None if full else state.load_cursor(driver, connector.name, stream, loader.database)
    async for page in connector.fetch(stream, mark):
        records = page.records
        if not full:  # the record at the cursor comes again: what the graph has is not new
            ids = [identity(connector.name, mapping, r) for r in records]
            held = await asyncio.to_thread(state.unchanged, driver, ids, loader.database)
            records = [r for r, (i, _) in zip(records, ids, strict=True) if i not in held]
            report.unchanged += len(page.records) - len(records)
        batch = transform(connector.name, mapping, records, loader.graph, _now())
        await asyncio.to_thread(write, loader, batch)
        report.fetched += len(page.records)
        report.written += batch.rows
        report.quarantined += len(batch.quarantine)
        report.reasons.extend(q["reason"] for q in batch.quarantine[:3])
        mark = max([m for m in (mark, batch.high_water) if m], default=None)
        await _advance(loader, report, mark, began, progress)
    report.seconds = time.perf_counter() - began
    return report


async def sync_files(
    connector: FileConnector,
    loader: Loader,
    *,
    streams: list[str] | None = None,
    full: bool = False,
    progress: Progress | None = None,
) -> list[StreamReport]:
    """Sync a file connector's feeds (all by default) from each one's last loaded file
    (every file with `full`); a feed with no new file is not written to at all."""
    chosen = streams or list(connector.mapping().streams)
    driver: Driver = loader.driver
    marks = {
        name: None
        if full
        else await asyncio.to_thread(
            state.load_cursor, driver, connector.name, name, loader.database
        )
        for name in chosen
    }
    reports = {name: StreamReport(connector.name, name) for name in chosen}
    began = time.perf_counter()
    steps = connector.steps(marks, loader.graph, _now())
    while (step := await asyncio.to_thread(next, steps, None)) is not None:
        await asyncio.to_thread(write_step, loader, step)
        for name, cursor in step.cursors.items():
            report, counts = reports[name], step.counts[name]
            report.fetched += counts.fetched
            report.written += counts.written
            report.quarantined += counts.quarantined
            report.reasons.extend(counts.reasons[: max(0, 3 - len(report.reasons))])
            await _advance(loader, report, cursor, began, progress)
    for report in reports.values():
        report.seconds = time.perf_counter() - began
    return [reports[name] for name in chosen]
