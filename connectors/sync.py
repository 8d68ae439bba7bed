"""Runs a connector: pages from the source, graph rows to the loader, then the cursor.

For each page: transform the records (bad ones to quarantine), write nodes, then
relationships, then the quarantined rows, and only then move the stream's cursor. A
sync killed anywhere re-fetches at most the pages after the last saved cursor, and the
loader's writes are idempotent, so the graph ends as after an uninterrupted sync.
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
from connectors.transform import Batch, transform
from hub.loader import Loader

GRAPH = "graph"


@dataclass
class StreamReport:
    source: str
    stream: str
    fetched: int = 0
    written: int = 0
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


def _frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    columns = {key for row in rows for key in row}
    return pl.DataFrame(
        [{c: row.get(c) for c in columns} for row in rows], infer_schema_length=None
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def sync_stream(
    connector: Connector,
    stream: str,
    loader: Loader,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> StreamReport:
    """Sync one stream from its saved high-water mark (everything with `full`)."""
    mapping = connector.mapping().streams[stream]
    driver: Driver = loader.driver
    report = StreamReport(connector.name, stream)
    began = time.perf_counter()
    mark = None if full else state.load_cursor(driver, connector.name, stream, loader.database)
    async for page in connector.fetch(stream, mark):
        batch = transform(connector.name, mapping, page.records, loader.graph, _now())
        await asyncio.to_thread(write, loader, batch)
        report.fetched += len(page.records)
        report.written += batch.rows
        report.quarantined += len(batch.quarantine)
        report.reasons.extend(q["reason"] for q in batch.quarantine[:3])
        mark = max([m for m in (mark, batch.high_water) if m], default=None)
        await asyncio.to_thread(
            state.save_cursor,
            driver,
            connector.name,
            stream,
            mark,
            report.written,
            report.quarantined,
            loader.database,
        )
        report.seconds = time.perf_counter() - began
        if progress:
            progress(report)
    report.seconds = time.perf_counter() - began
    return report
