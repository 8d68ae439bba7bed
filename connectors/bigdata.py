"""The big-data centre (大数据中心): daily files that its feeds drop into a folder.

Each feed has its folder, `<drop>/<feed>/`, and a manifest of the files it has seen there
(`connectors.manifest`): a sync reads the files the manifest does not have as loaded,
checks and normalises them as the mapping (`mappings/bigdata.yaml`) declares, and hands
the runner `Step`s: graph frames, and the manifest entries of the files they complete.

What cannot be loaded is kept aside at its own size. A bad row is a quarantined row. A
file whose name is not the feed's pattern, that is empty, unreadable, not UTF-8 or
GB18030 text, or without a declared column, is quarantined as a whole with the reason
(the parser's message) and what to do; one dated by its name or its rows more than
`future_days` ahead is held, and checked again at every sync. A row over
HUB_MAX_RECORD_BYTES is quarantined without ever being held in memory whole. Nothing of
this stops the other files.

Feeds that make a row's own nodes and relationships are loaded in steps of whole files,
each step read and written before the next is read, so a sync holds about `step_rows`
rows at a time. Which value a property shows does not depend on the order of the files
(hub.survivorship). A feed with aggregated relationships (call-detail records) is loaded
after them in one step: for the (start, end) pairs in its new files, the aggregate is
recomputed over every loaded file and the new ones and set, not added, so a re-run or a
resumed sync sets the same totals again; the files loaded before are not read again, their
facts are kept (`connectors.facts`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import ClassVar

import polars as pl

from connectors import feeds, manifest
from connectors.base import Connector, Failure
from connectors.facts import Facts, Store
from connectors.feeds import ORDER, FeedError, FileRows, Frames, RelKey, Rows
from connectors.manifest import HELD, LOADED, QUARANTINED, Arrival, Entry, Manifest
from connectors.mapping import StreamMap
from graph_schema import GraphSchema

BEIJING = timezone(timedelta(hours=8))
DEFAULT_MAX_RECORD_BYTES = 65_536
AGAIN = "then run `hub sync` again"
PART = 8  # an aggregating feed's totals worked out for about this many steps' facts at once


@dataclass
class Counts:
    fetched: int = 0
    written: int = 0
    quarantined: int = 0
    reasons: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)  # files quarantined or held
    notices: list[str] = field(default_factory=list)  # files changed and loaded again


@dataclass
class Step:
    """Rows to write (nodes, then relationships, then quarantine), then the manifest
    entries of the files they complete."""

    nodes: dict[str, pl.DataFrame]
    relationships: dict[RelKey, pl.DataFrame]
    quarantine: pl.DataFrame | None
    files: list[Entry]
    counts: dict[str, Counts]


class FileConnector(Connector):
    """A source that drops daily files into one folder per stream."""

    def __init__(
        self,
        drop: Path,
        *,
        step_rows: int = 1000,
        max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
        facts: Path | None = None,
    ) -> None:
        self.drop = drop
        self.facts = Store(facts)  # an aggregating feed's facts of loaded files (None: none)
        self.step_rows = max(1, step_rows)  # a step holds whole files, at least this many rows
        self.max_record_bytes = max_record_bytes
        self.normals = feeds.NORMALS

    def folder(self, stream: str) -> Path:
        return self.drop / stream

    def migrated(self, stream: str, cursor: str) -> list[Entry]:
        """Manifest entries for what a feed loaded when it kept a cursor (the last file
        name) rather than a manifest."""
        return manifest.migrated(self.mapping().streams[stream], self.folder(stream), cursor)

    def steps(
        self,
        seen: Manifest,
        gs: GraphSchema,
        fetched: datetime,
        *,
        streams: list[str] | None = None,
        full: bool = False,
    ) -> Iterator[Step]:
        """The steps that load every file of the chosen feeds (all by default) that the
        manifest `seen` has not loaded (every file with `full`)."""
        chosen = [self.mapping().streams[n] for n in streams or self.mapping().streams]
        arrivals: list[Arrival] = []
        updates: list[Entry] = []
        for stream in chosen:
            found, touched = manifest.triage(
                stream, self.folder(stream.name), seen.get(stream.name, {}), full
            )
            arrivals += found
            updates += touched
        if updates:
            yield _finish(Frames(), [], updates, {}, gs)
        loadable = []
        for arrival in arrivals:
            refused = self._refused(arrival, fetched)
            if refused is not None:
                yield refused
            else:
                loadable.append(arrival)
        aggregating = [s for s in chosen if any(r.aggregated for r in s.relationships)]
        per_row = [a for a in loadable if a.stream not in aggregating]
        per_row.sort(key=lambda a: (str(a.day or ""), a.stream.name, a.name))
        yield from self._per_row(per_row, gs, fetched)
        for stream in aggregating:
            new = [a for a in loadable if a.stream is stream]
            if new:
                yield from self._aggregated(stream, new, seen.get(stream.name, {}), gs, fetched)

    def _refused(self, arrival: Arrival, fetched: datetime) -> Step | None:
        """The step that records a file refused for its name, or None if it may be read."""
        stream = arrival.stream
        if arrival.day is None:
            return _refusal(
                arrival,
                QUARANTINED,
                f"its name does not match {stream.files} ({{day}} as YYYY-MM-DD)",
                f"rename it to the day its rows are from, or remove it; {AGAIN}",
            )
        latest = fetched.astimezone(BEIJING).date() + timedelta(days=stream.future_days)
        if arrival.day > latest:
            return _refusal(
                arrival,
                HELD,
                f"it is named after {arrival.day}, after {latest} "
                f"({stream.future_days} day(s) from today)",
                "if the name is wrong, rename it to the day its rows are from; "
                "it is checked again at every `hub sync`",
            )
        if arrival.changed and stream.changed == "quarantine":
            loaded = arrival.before.loaded_checksum if arrival.before else None
            return _refusal(
                arrival,
                QUARANTINED,
                f"it changed after it was loaded (sha256 {arrival.checksum[:12]}, "
                f"loaded {(loaded or '')[:12]})",
                "the loaded version's rows stay; to load this one, drop it under a new name "
                "or set `changed: reload` for the feed",
            )
        return None

    def _read(self, arrival: Arrival) -> FileRows | Step:
        """The file's rows, or the step that quarantines the file."""
        try:
            return feeds.read_file(arrival.stream, arrival.path, self.name, self.max_record_bytes)
        except FeedError as exc:
            return _refusal(
                arrival,
                QUARANTINED,
                str(exc),
                f"drop a complete, readable copy under the same name; {AGAIN}",
            )

    def _per_row(
        self, arrivals: list[Arrival], gs: GraphSchema, fetched: datetime
    ) -> Iterator[Step]:
        batch: list[tuple[Arrival, FileRows]] = []
        size = 0
        for arrival in arrivals:
            read = self._read(arrival)
            if isinstance(read, Step):
                yield read
                continue
            batch.append((arrival, read))
            size += read.frame.height + read.oversized.height
            if size >= self.step_rows:
                yield self._load(batch, gs, fetched)
                batch, size = [], 0
        if batch:
            yield self._load(batch, gs, fetched)

    def _load(
        self, batch: list[tuple[Arrival, FileRows]], gs: GraphSchema, fetched: datetime
    ) -> Step:
        made = Frames()
        held: list[pl.DataFrame] = []
        files: list[Entry] = []
        counts: dict[str, Counts] = defaultdict(Counts)
        streams: dict[str, list[tuple[Arrival, FileRows]]] = defaultdict(list)
        for arrival, read in batch:
            streams[arrival.stream.name].append((arrival, read))
        for items in streams.values():
            stream = items[0][0].stream
            frame = pl.concat([r.frame for _, r in items], how="diagonal_relaxed")
            rows, plan = feeds.rows(self.name, stream, frame, gs, self.normals, fetched)
            kept = self._dated(rows, items, fetched, files, counts[stream.name])
            fresh = Rows(
                stream, rows.frame.filter(pl.col("_file").is_in([a.name for a, _ in kept]))
            )
            more, quarantine = feeds.frames(self.name, fresh, plan, gs, fetched)
            made.extend(more)
            held.append(quarantine)
            self._account(kept, fresh, files, counts[stream.name], held, fetched)
        return _finish(made, held, files, dict(counts), gs)

    def _dated(
        self,
        rows: Rows,
        items: list[tuple[Arrival, FileRows]],
        fetched: datetime,
        files: list[Entry],
        counts: Counts,
    ) -> list[tuple[Arrival, FileRows]]:
        """The files whose rows are dated at most `future_days` ahead; the others are held
        (their entries added to `files`, their failures to `counts`)."""
        stream = rows.stream
        limit = fetched + timedelta(days=stream.future_days)
        late = (
            rows.frame.filter(pl.col("_seen_at") > limit)
            .group_by("_file")
            .agg(n=pl.len(), row=pl.col("_row").first(), at=pl.col("_seen_at").first())
        )
        dated = {r["_file"]: r for r in late.iter_rows(named=True)}
        kept = []
        for arrival, read in items:
            found = dated.get(arrival.name)
            if found is None:
                kept.append((arrival, read))
                continue
            reason = (
                f"{found['n']} row(s) are dated after {limit:%Y-%m-%d %H:%M} UTC "
                f"({stream.future_days} day(s) from now), the first row {found['row']} "
                f"at {found['at']:%Y-%m-%d %H:%M} UTC"
            )
            todo = (
                "fix the times in the file (or the clock of the system that wrote it) and "
                "drop it again; it is checked again at every `hub sync`"
            )
            files.append(arrival.entry(HELD, reason=f"{reason}; {todo}", encoding=read.encoding))
            counts.failures.append(Failure(str(arrival.path), reason, todo))
        return kept

    def _account(
        self,
        kept: list[tuple[Arrival, FileRows]],
        fresh: Rows,
        files: list[Entry],
        counts: Counts,
        held: list[pl.DataFrame],
        fetched: datetime,
    ) -> None:
        """Count the loaded files' rows, quarantine their oversized rows and add their
        manifest entries."""
        per_file = {
            r["_file"]: r
            for r in fresh.frame.group_by("_file")
            .agg(n=pl.len(), bad=pl.col("_reason").is_not_null().sum())
            .iter_rows(named=True)
        }
        reasons = fresh.frame.get_column("_reason").drop_nulls()
        counts.reasons.extend(reasons.head(max(0, 3 - len(counts.reasons))).to_list())
        for arrival, read in kept:
            mine = per_file.get(arrival.name, {"n": 0, "bad": 0})
            big = read.oversized.height
            if big:
                day = datetime.combine(arrival.day or fetched.date(), datetime.min.time(), BEIJING)
                held.append(
                    read.oversized.with_columns(
                        _source=pl.lit(self.name), _seen_at=pl.lit(day.astimezone(UTC))
                    )
                )
                counts.reasons.extend(read.oversized["reason"].head(1).to_list())
            counts.fetched += mine["n"] + big
            counts.written += mine["n"] - mine["bad"]
            counts.quarantined += mine["bad"] + big
            if arrival.changed:
                counts.notices.append(
                    f"{arrival.path} changed after it was loaded: its rows were loaded again"
                )
            files.append(
                arrival.entry(
                    LOADED,
                    encoding=read.encoding,
                    rows=mine["n"] + big,
                    written=mine["n"] - mine["bad"],
                    quarantined=mine["bad"] + big,
                )
            )

    def _aggregated(
        self,
        stream: StreamMap,
        new: list[Arrival],
        entries: dict[str, Entry],
        gs: GraphSchema,
        fetched: datetime,
    ) -> Iterator[Step]:
        """The steps of an aggregating feed's new files: their rows, in steps of whole
        files of about `step_rows` rows, each file's facts kept (`connectors.facts`); then
        the aggregates of the pairs they name, recomputed over their facts and those of
        every file loaded before, in parts of about `PART` steps' facts, the pairs of a
        part all in it. The last part's step enters the files in the manifest, once every
        total is in the graph."""
        files: list[Entry] = []
        fresh: list[tuple[str, str]] = []  # (name, checksum) of the files whose rows load
        facts = 0
        batch: list[tuple[Arrival, FileRows]] = []
        size = 0
        for i, arrival in enumerate(new, 1):
            read = self._read(arrival)
            if isinstance(read, Step):
                yield read  # the file refused as a whole: its entry says why
            else:
                batch.append((arrival, read))
                size += read.frame.height + read.oversized.height
            if batch and (size >= self.step_rows or i == len(new)):
                step, kept = self._facts_step(stream, batch, gs, fetched, files)
                fresh += [(a.name, a.checksum) for a, _ in kept]
                facts += step.counts[stream.name].written
                yield step
                batch, size = [], 0
        names = {a.name for a in new}
        earlier = sorted(
            (name, e.loaded_checksum or e.checksum)
            for name, e in entries.items()
            if e.outcome == LOADED and name not in names
        )
        keys = [(r.type, r.start_label, r.end_label) for r in stream.relationships if r.aggregated]
        unkept = self.facts.missing(stream, earlier, keys) if fresh else []
        if unkept:
            again = self._facts_again(stream, unkept, gs, fetched)
            if isinstance(again, Failure):  # the new files wait until it is back
                yield Step({}, {}, None, [], {stream.name: Counts(failures=[again])})
                return
            self.facts.keep(stream, ((n, c) for n, c in earlier if n in unkept), again)
        parts = max(1, math.ceil(facts / (PART * self.step_rows)))
        for part in range(parts):
            totals: dict[RelKey, pl.DataFrame] = {}
            for key in keys if fresh else []:
                mine = pl.struct("start", "end").hash() % parts == part
                pairs = self.facts.scan(stream, fresh, key).filter(mine).select("start", "end")
                every = (
                    self.facts.scan(stream, fresh + earlier, key)
                    .filter(mine)
                    .join(pairs.unique(), on=["start", "end"], how="semi")
                    .collect()
                )
                totals |= feeds.aggregated(stream, {key: every}, {n for n, _ in fresh}, self.name)
            last = part == parts - 1
            yield Step({}, totals, None, files if last else [], {stream.name: Counts()})

    def _facts_step(
        self,
        stream: StreamMap,
        batch: list[tuple[Arrival, FileRows]],
        gs: GraphSchema,
        fetched: datetime,
        files: list[Entry],
    ) -> tuple[Step, list[tuple[Arrival, FileRows]]]:
        """The step of some of an aggregating feed's new files: their rows but the
        aggregates, their facts kept; the files it loads (their entries, and those of
        the files held, added to `files`)."""
        counts = Counts()
        frame = pl.concat([r.frame for _, r in batch], how="diagonal_relaxed")
        rows, plan = feeds.rows(self.name, stream, frame, gs, self.normals, fetched)
        kept = self._dated(rows, batch, fetched, files, counts)
        fresh = Rows(stream, rows.frame.filter(pl.col("_file").is_in([a.name for a, _ in kept])))
        made, quarantine = feeds.frames(self.name, fresh, plan, gs, fetched)
        held = [quarantine]
        self._account(kept, fresh, files, counts, held, fetched)
        self.facts.keep(stream, ((a.name, a.checksum) for a, _ in kept), feeds.facts(fresh, plan))
        return _finish(made, held, [], {stream.name: counts}, gs), kept

    def _facts_again(
        self, stream: StreamMap, names: list[str], gs: GraphSchema, fetched: datetime
    ) -> Facts | Failure:
        """The facts of files loaded before, read and normalised again (a Failure: one
        cannot be read)."""
        frames = []
        for name in names:
            path = self.folder(stream.name) / name
            try:
                frames.append(feeds.read_file(stream, path, self.name, self.max_record_bytes).frame)
            except (FeedError, OSError) as exc:
                return Failure(
                    str(path),
                    f"the call totals cannot be recomputed without this loaded file: {exc}",
                    f"put the file back as it was loaded; the new files wait until then; {AGAIN}",
                )
        frame = pl.concat(frames, how="diagonal_relaxed")
        rows, plan = feeds.rows(self.name, stream, frame, gs, self.normals, fetched)
        return feeds.facts(rows, plan)


def _refusal(arrival: Arrival, outcome: str, reason: str, todo: str) -> Step:
    """The step that records a file quarantined or held as a whole."""
    failure = Failure(str(arrival.path), reason, todo)
    counts = {arrival.stream.name: Counts(failures=[failure])}
    return Step({}, {}, None, [arrival.entry(outcome, reason=f"{reason}; {todo}")], counts)


def _merge(steps: list[Step], last: Step) -> Step:
    """One step of refusals and a step of rows (refusals write no rows)."""
    for step in steps:
        last.files += step.files
        for name, counts in step.counts.items():
            mine = last.counts.setdefault(name, Counts())
            mine.failures += counts.failures
    return last


def _finish(
    made: Frames,
    held: list[pl.DataFrame],
    files: list[Entry],
    counts: dict[str, Counts],
    gs: GraphSchema,
) -> Step:
    """The step's frames, one per label and relationship, without ORDER; rows of one key
    are made one by the loader (survivorship)."""
    nodes = {
        label: _concat(frames)
        for label, frames in made.nodes.items()
        if any(f.height for f in frames)
    }
    relationships = {
        key: _concat(frames)
        for key, frames in made.relationships.items()
        if any(f.height for f in frames)
    }
    quarantine = _concat(held) if any(f.height for f in held) else None
    return Step(nodes, relationships, quarantine, files, counts)


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    frame = pl.concat([f for f in frames if f.height], how="diagonal_relaxed")
    return frame.drop([c for c in ORDER if c in frame.columns])


class BigData(FileConnector):
    """The big-data centre's drop folder: hotel, internet cafe, rail, checkpoint, CDR."""

    name: ClassVar[str] = "bigdata"
    mapping_file: ClassVar[str] = "bigdata.yaml"
