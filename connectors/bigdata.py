"""The big-data centre (大数据中心): daily files that its feeds drop into a folder.

Each feed has its folder, `<drop>/<feed>/`, of daily files named after their day, and a
cursor: the name of the last file whose rows are in the graph. A sync reads the files
named after the cursor with polars, checks and normalises them as the mapping
(`mappings/bigdata.yaml`) declares, and hands the runner `Step`s: graph frames and the
cursor each feed reaches once they are written.

Feeds that make a row's own nodes and relationships are loaded together, day by day: all
of a day's files (in feed-name order, the order the drop folder fills) before the next
day's, in steps of whole days. Writing every row in that one order makes the graph the
same however the days were split between syncs, even where two feeds say different
things about one person. A feed with aggregated relationships (call-detail records) is
loaded after them in one step: for the (start, end) pairs in its new files, the aggregate
is recomputed over every file up to the newest and set, not added, so a re-run or a
resumed sync sets the same totals again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import polars as pl

from connectors import feeds
from connectors.base import Connector
from connectors.feeds import Frames, RelKey, Rows
from connectors.mapping import StreamMap
from graph_schema import GraphSchema


@dataclass
class Counts:
    fetched: int = 0
    written: int = 0
    quarantined: int = 0
    reasons: list[str] = field(default_factory=list)


@dataclass
class Step:
    """Rows to write (nodes, then relationships, then quarantine) before the cursors move."""

    nodes: dict[str, pl.DataFrame]
    relationships: dict[RelKey, pl.DataFrame]
    quarantine: pl.DataFrame | None
    cursors: dict[str, str]  # feed -> name of the last file these rows complete
    counts: dict[str, Counts]


def day(name: str) -> str:
    """The day a daily file is named after: its name up to the first dot."""
    return name.split(".", 1)[0]


class FileConnector(Connector):
    """A source that drops daily files into one folder per stream."""

    def __init__(self, drop: Path, *, step_rows: int = 1000) -> None:
        self.drop = drop
        self.step_rows = max(1, step_rows)  # a step holds whole days, at least this many rows
        self.normals = feeds.NORMALS

    def pending(self, stream: StreamMap, since: str | None) -> list[Path]:
        """The stream's files named after `since`, in name order."""
        folder = self.drop / stream.name
        if not folder.is_dir():
            return []
        return sorted(
            path
            for path in folder.glob(stream.files or "*")
            if path.is_file()
            and not path.name.startswith(".")  # a copy still being written
            and (since is None or path.name > since)
        )

    def steps(
        self, marks: dict[str, str | None], gs: GraphSchema, fetched: datetime
    ) -> Iterator[Step]:
        """The steps that load every file after each feed's mark (None: all files)."""
        streams = [self.mapping().streams[name] for name in marks]
        aggregating = [s for s in streams if any(r.aggregated for r in s.relationships)]
        yield from self._days([s for s in streams if s not in aggregating], marks, gs, fetched)
        for stream in aggregating:
            step = self._aggregated(stream, marks[stream.name], gs, fetched)
            if step is not None:
                yield step

    def _days(
        self,
        streams: list[StreamMap],
        marks: dict[str, str | None],
        gs: GraphSchema,
        fetched: datetime,
    ) -> Iterator[Step]:
        read: list[_Feed] = []
        files: dict[str, set[str]] = defaultdict(set)  # day -> its files, over every feed
        sizes: dict[str, int] = defaultdict(int)  # day -> rows over every feed
        for stream in streams:
            paths = self.pending(stream, marks[stream.name])
            if not paths:
                continue
            feed = self._load(stream, paths, gs, fetched)
            read.append(feed)
            for path in paths:
                files[day(path.name)].add(path.name)
            for name, size in feed.rows.frame.group_by("_file").len().iter_rows():
                sizes[day(name)] += size
        step: set[str] = set()
        size = 0
        for date in sorted(files):
            step |= files[date]
            size += sizes[date]
            if size >= self.step_rows or date == max(files):
                yield _step(read, step, gs)
                step, size = set(), 0

    def _load(
        self, stream: StreamMap, paths: list[Path], gs: GraphSchema, fetched: datetime
    ) -> _Feed:
        frame = feeds.read(stream, paths)
        rows, plan = feeds.rows(self.name, stream, frame, gs, self.normals, fetched)
        made, quarantine = feeds.frames(self.name, rows, plan, gs, fetched)
        return _Feed(rows, made, quarantine, {p.name for p in paths})

    def _aggregated(
        self, stream: StreamMap, mark: str | None, gs: GraphSchema, fetched: datetime
    ) -> Step | None:
        new = self.pending(stream, mark)
        if not new:
            return None
        every = [p for p in self.pending(stream, None) if p.name <= new[-1].name]
        frame = feeds.read(stream, every)
        rows, plan = feeds.rows(self.name, stream, frame, gs, self.normals, fetched)
        names = {p.name for p in new}
        fresh = Rows(stream, rows.frame.filter(pl.col("_file").is_in(sorted(names))))
        made, quarantine = feeds.frames(self.name, fresh, plan, gs, fetched)
        step = _finish(
            made, [quarantine], {stream.name: new[-1].name}, {stream.name: _counts(fresh.frame)}, gs
        )
        step.relationships.update(feeds.aggregated(rows, plan, names, self.name))
        return step


@dataclass
class _Feed:
    """A feed's new files, read: rows with their verdicts, graph frames, quarantine."""

    rows: Rows
    made: Frames
    quarantine: pl.DataFrame
    files: set[str]


def _step(read: list[_Feed], files: set[str], gs: GraphSchema) -> Step:
    made = Frames()
    held = []
    cursors = {}
    counts = {}
    for feed in read:
        mine = feed.files & files
        if not mine:
            continue
        keep = pl.col("_file").is_in(sorted(mine))
        made.extend(feed.made.only(mine))
        held.append(feed.quarantine.filter(keep))
        cursors[feed.rows.stream.name] = max(mine)
        counts[feed.rows.stream.name] = _counts(feed.rows.frame.filter(keep))
    return _finish(made, held, cursors, counts, gs)


def _counts(frame: pl.DataFrame) -> Counts:
    reasons = frame.get_column("_reason").drop_nulls()
    return Counts(
        fetched=frame.height,
        written=frame.height - reasons.len(),
        quarantined=reasons.len(),
        reasons=reasons.head(3).to_list(),
    )


def _finish(
    made: Frames,
    held: list[pl.DataFrame],
    cursors: dict[str, str],
    counts: dict[str, Counts],
    gs: GraphSchema,
) -> Step:
    nodes = {
        label: feeds.reduce(frames, [gs.node(label).key])
        for label, frames in made.nodes.items()
        if any(f.height for f in frames)
    }
    relationships = {}
    for key, frames in made.relationships.items():
        if any(f.height for f in frames):
            rel = gs.relationship(key[0])
            relationships[key] = feeds.reduce(
                frames, ["start", "end", *([rel.key] if rel.key else [])]
            )
    quarantine = feeds.reduce(held, ["quarantine_id"]) if any(f.height for f in held) else None
    return Step(nodes, relationships, quarantine, cursors, counts)


class BigData(FileConnector):
    """The big-data centre's drop folder: hotel, internet cafe, rail, checkpoint, CDR."""

    name: ClassVar[str] = "bigdata"
    mapping_file: ClassVar[str] = "bigdata.yaml"
