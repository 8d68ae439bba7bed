"""Turns the rows of a file feed into graph frames, column by column with polars.

The rules are transform.py's, applied to whole columns instead of one record at a time:
identifiers go through the normaliser graph_schema declares for them (each distinct raw
value once), times are read in the feed's own format as Beijing time, a row with a bad
value goes to quarantine whole with the first reason found, and a person is known by a
valid resident ID number or else by the row's record. A feed's relationships are made
per row, or `aggregate`d per (start, end) pair over every file given.

Every frame keeps the file, feed and row it came from (`ORDER`), so that rows of several
files and feeds can be put in one order (day, feed, row) before the loader sees them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from connectors.mapping import PERSON, Aggregate, NodeMap, RelationshipMap, StreamMap
from graph_schema import GraphSchema, Property
from hub import normalise
from hub.errors import HubError

ORDER = ("_file", "_feed", "_row")  # where a row came from: file name, feed, row in the file
PROVENANCE = ("_source", "_seen_at")
_UTC = pl.Datetime("us", "UTC")
_BEIJING = pl.duration(hours=8)  # the sources' local time is UTC+08:00, without DST
_NO_TIME = Property("_seen", "datetime")


class FeedError(HubError):
    """A feed's file cannot be read as its mapping declares."""


RelKey = tuple[str, str, str]  # type, start label, end label


@dataclass
class Frames:
    """Graph rows for the loader, as frames that still carry ORDER."""

    nodes: dict[str, list[pl.DataFrame]] = field(default_factory=lambda: defaultdict(list))
    relationships: dict[RelKey, list[pl.DataFrame]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def extend(self, other: Frames) -> None:
        for label, frames in other.nodes.items():
            self.nodes[label].extend(frames)
        for key, frames in other.relationships.items():
            self.relationships[key].extend(frames)


@dataclass
class Rows:
    """A feed's rows as read, with typed values and each row's verdict."""

    stream: StreamMap
    frame: pl.DataFrame  # the declared columns, ORDER, _reason, _seen_at, _record

    @property
    def valid(self) -> pl.DataFrame:
        return self.frame.filter(pl.col("_reason").is_null())


@dataclass
class Normals:
    """Normalised identifiers, each distinct raw value worked out once (normalisers are
    pure functions; the process shares one cache, `NORMALS`, of at most `limit` values
    per kind)."""

    cache: dict[str, dict[str, normalise.Result]] = field(default_factory=dict)
    limit: int = 2_000_000

    def results(self, kind: str, values: Iterable[str]) -> dict[str, normalise.Result]:
        known = self.cache.setdefault(kind, {})
        if len(known) > self.limit:
            known.clear()
        out = {}
        for value in values:
            result = known.get(value)
            if result is None:
                result = known[value] = normalise.normalise(kind, value)
            out[value] = result
        return out


NORMALS = Normals()


@dataclass
class FileRows:
    """One file as read: the declared columns of its rows (with ORDER), how its text was
    encoded, and the rows too large to load (`quarantine` frames, with ORDER)."""

    frame: pl.DataFrame
    encoding: str | None
    oversized: pl.DataFrame


EXCERPT = 2000  # bytes of an oversized row kept in its quarantine entry
CHUNK = 1 << 20  # bytes read at a time when looking for rows too large


def read_file(stream: StreamMap, path: Path, source: str, limit: int) -> FileRows:
    """The declared columns of one file, in row order, text as text (CSV is read without
    guessing types); rows larger than `limit` bytes are left out and returned apart.
    Raises FeedError with the reason when the file cannot be read as a whole: empty,
    not UTF-8 or GB18030 text, not Parquet, or without a declared column."""
    if path.stat().st_size == 0:
        raise FeedError("the file is empty (0 bytes)")
    if stream.format == "csv":
        frame, encoding, oversized = _csv(path, limit)
    else:
        frame, encoding = _parquet(path, stream), None
        frame, oversized = _too_large(frame, stream, limit)
    missing = [c for c in stream.layout if c not in frame.columns]
    if missing:
        raise FeedError(f"it has no column {', '.join(missing)}")
    if "_row" not in frame.columns:
        frame = frame.with_columns(_row=pl.int_range(pl.len(), dtype=pl.Int64))
    frame = frame.select(
        *(_text(c, frame.schema[c]) for c in stream.layout),
        _file=pl.lit(path.name),
        _feed=pl.lit(stream.name),
        _row=pl.col("_row"),
    )
    return FileRows(frame, encoding, _oversized(source, stream, path.name, limit, oversized))


def _csv(path: Path, limit: int) -> tuple[pl.DataFrame, str, list[tuple[int, int, bytes]]]:
    data, oversized = _lines(path, limit)
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8:
        try:
            text, encoding = data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise FeedError(f"it is neither UTF-8 nor GB18030 text ({utf8})") from None
        data = text.encode("utf-8")
    if not text.strip():
        raise FeedError("the file holds no header")
    try:
        frame = pl.read_csv(data, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise FeedError(f"it is not CSV: {_first_line(exc)}") from None
    if oversized:  # a row's number is its line, counting the lines left out
        left_out = {row for row, _, _ in oversized}
        rows = [i for i in range(frame.height + len(left_out)) if i not in left_out]
        frame = frame.with_columns(_row=pl.Series(rows[: frame.height], dtype=pl.Int64))
    return frame, encoding, oversized


def _lines(path: Path, limit: int) -> tuple[bytes, list[tuple[int, int, bytes]]]:
    """The file's bytes without the rows (lines after the header) longer than `limit`,
    read in chunks, so that such a row is never held whole: the data kept, and each row
    left out as (row number, size, its first EXCERPT bytes)."""
    kept = bytearray()
    oversized: list[tuple[int, int, bytes]] = []
    line = bytearray()
    size = 0
    row = -1  # the header is line -1, the first row 0

    def finish() -> None:
        nonlocal line, size, row
        if size > limit:
            if row < 0:
                raise FeedError(f"its header is {size:,} bytes, over {limit:,}")
            oversized.append((row, size, bytes(line[:EXCERPT])))
        else:
            kept.extend(line)
        line, size, row = bytearray(), 0, row + 1

    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            parts = chunk.split(b"\n")
            if len(parts) > 1 and size + len(parts[0]) < limit and max(map(len, parts)) < limit:
                # no row of the chunk is too long: its whole lines are kept at once
                kept.extend(line)
                kept.extend(chunk[: len(chunk) - len(parts[-1])])
                line, size, row = bytearray(parts[-1]), len(parts[-1]), row + len(parts) - 1
                continue
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                piece = part if last else part + b"\n"
                size += len(piece)
                if size <= limit:
                    line.extend(piece)
                elif len(line) < EXCERPT:
                    line.extend(piece[: EXCERPT - len(line)])
                if not last:
                    finish()
    if size:
        finish()
    return bytes(kept), oversized


def _parquet(path: Path, stream: StreamMap) -> pl.DataFrame:
    try:
        schema = pl.read_parquet_schema(path)
        missing = [c for c in stream.layout if c not in schema]
        if missing:
            raise FeedError(f"it has no column {', '.join(missing)}")
        frame = pl.read_parquet(path, columns=list(stream.layout))
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise FeedError(f"it is not a readable Parquet file: {_first_line(exc)}") from None
    return frame.with_columns(_row=pl.int_range(pl.len(), dtype=pl.Int64))


def _too_large(
    frame: pl.DataFrame, stream: StreamMap, limit: int
) -> tuple[pl.DataFrame, list[tuple[int, int, bytes]]]:
    """The rows of a typed frame within `limit` bytes (their values as text), and the
    others as (row number, size, the start of the row as JSON)."""
    size = pl.sum_horizontal(
        pl.col(c).cast(pl.String).str.len_bytes().fill_null(0) for c in stream.layout
    )
    sized = frame.with_columns(_size=size)
    big = sized.filter(pl.col("_size") > limit)
    if big.is_empty():
        return frame, []
    heads = big.select(pl.struct(sorted(stream.layout)).struct.json_encode().str.slice(0, EXCERPT))
    oversized = [
        (row, size, head.encode("utf-8"))
        for row, size, head in zip(big["_row"], big["_size"], heads.to_series(), strict=True)
    ]
    return sized.filter(pl.col("_size") <= limit).drop("_size"), oversized


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _oversized(
    source: str, stream: StreamMap, name: str, limit: int, rows: list[tuple[int, int, bytes]]
) -> pl.DataFrame:
    """Quarantine rows of the rows too large to load: where each is, its size, its start."""
    return pl.DataFrame(
        {
            "quarantine_id": [f"{source}:{stream.name}:{name}#{row}" for row, _, _ in rows],
            "source": [source] * len(rows),
            "stream": [stream.name] * len(rows),
            "reason": [
                f"row {row} of {name} is {size:,} bytes, over HUB_MAX_RECORD_BYTES ({limit:,}); "
                "raw holds its start"
                for row, size, _ in rows
            ],
            "raw": [head.decode("utf-8", errors="replace") for _, _, head in rows],
            "_file": [name] * len(rows),
            "_row": [row for row, _, _ in rows],
        },
        schema={
            "quarantine_id": pl.String, "source": pl.String, "stream": pl.String,
            "reason": pl.String, "raw": pl.String, "_file": pl.String, "_row": pl.Int64,
        },
    )  # fmt: skip


def _text(column: str, dtype: pl.DataType) -> pl.Expr:
    """Times and dates as the file typed them; every other column as text."""
    if isinstance(dtype, (pl.Datetime, pl.Date, pl.String)):
        return pl.col(column)
    return pl.col(column).cast(pl.String)


class _Columns:
    """Typed values of a frame's columns, and why a value is bad."""

    def __init__(self, frame: pl.DataFrame, stream: StreamMap, normals: Normals) -> None:
        self.frame = frame
        self.stream = stream
        self.normals = normals
        self._results: dict[tuple[str, str], dict[str, normalise.Result]] = {}

    def empty(self, column: str) -> pl.Expr:
        col = pl.col(column)
        if self.frame.schema[column] == pl.String:
            return col.is_null() | (col.str.strip_chars() == "")
        return col.is_null()

    def _normalised(self, column: str, kind: str) -> dict[str, normalise.Result]:
        if (column, kind) not in self._results:
            values = self.frame.get_column(column).cast(pl.String).drop_nulls().unique()
            self._results[column, kind] = self.normals.results(kind, values.to_list())
        return self._results[column, kind]

    def _lookup(self, column: str, mapping: dict[str, Any], dtype: pl.DataType) -> pl.Expr:
        if not mapping:
            return pl.lit(None, dtype=dtype)
        return (
            pl.col(column)
            .cast(pl.String)
            .replace_strict(list(mapping), list(mapping.values()), default=None, return_dtype=dtype)
        )

    def normalised(self, column: str, kind: str) -> tuple[pl.Expr, pl.Expr]:
        """The normal form (null when empty or invalid) and the reason it is invalid."""
        results = self._normalised(column, kind)
        values = {k: r.value for k, r in results.items() if isinstance(r, normalise.Valid)}
        reasons = {
            k: f"column {column!r}: {r.reason}"
            for k, r in results.items()
            if isinstance(r, normalise.Invalid)
        }
        reason = pl.when(~self.empty(column)).then(self._lookup(column, reasons, pl.String()))
        return self._lookup(column, values, pl.String()), reason

    def fact(self, column: str, kind: str, name: str, dtype: pl.DataType) -> pl.Expr:
        results = self._normalised(column, kind)
        facts = {k: r.facts[name] for k, r in results.items() if isinstance(r, normalise.Valid)}
        return self._lookup(column, facts, dtype)

    def time(self, column: str) -> pl.Expr:
        """The column as a UTC datetime; text is read in the feed's format as Beijing time."""
        col = pl.col(column)
        have = self.frame.schema[column]
        if isinstance(have, pl.Datetime):
            if have.time_zone is None:
                return (col.dt.replace_time_zone("UTC") - _BEIJING).cast(_UTC)
            return col.dt.convert_time_zone("UTC").cast(_UTC)
        if isinstance(have, pl.Date):
            return (col.cast(pl.Datetime("us")).dt.replace_time_zone("UTC") - _BEIJING).cast(_UTC)
        parsed = col.cast(pl.String).str.strptime(
            pl.Datetime("us"), self.stream.time_format, strict=False
        )
        return (parsed.dt.replace_time_zone("UTC") - _BEIJING).cast(_UTC)

    def value(self, column: str, prop: Property) -> tuple[pl.Expr, pl.Expr | None]:
        """The column as the property's value, and the reason when it cannot be."""
        raw = pl.col(column)
        if prop.normaliser:
            value, reason = self.normalised(column, prop.normaliser)
            return value, reason
        if prop.type == "datetime":
            value = self.time(column)
            form = f"is not a time in the form {self.stream.time_format}"
        elif prop.type == "date":
            value = raw.cast(pl.String).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
            form = "is not a date %Y-%m-%d"
        elif prop.type in ("integer", "float"):
            value = raw.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
            if prop.type == "integer":
                value = value.cast(pl.Int64, strict=False)
            form = "is not a number"
        elif prop.type == "boolean":
            flags = {"true": True, "1": True, "false": False, "0": False}
            value = (
                raw.cast(pl.String)
                .str.to_lowercase()
                .replace_strict(list(flags), list(flags.values()), default=None)
            )
            form = "is not true or false"
        else:
            return pl.when(~self.empty(column)).then(raw.cast(pl.String)), None
        bad = ~self.empty(column) & value.is_null()
        reason = pl.when(bad).then(_quoted(column, raw, form))
        return pl.when(~self.empty(column)).then(value), reason

    def date(self, column: str, fmt: str) -> pl.Expr:
        parsed = pl.col(column).cast(pl.String).str.strptime(pl.Date, fmt, strict=False)
        bad = ~self.empty(column) & parsed.is_null()
        return pl.when(bad).then(_quoted(column, pl.col(column), f"is not a date {fmt}"))


def _quoted(column: str, raw: pl.Expr, form: str) -> pl.Expr:
    return pl.concat_str(
        [pl.lit(f"column {column!r}: '"), raw.cast(pl.String), pl.lit(f"' {form}")]
    )


@dataclass
class _Plan:
    """The expressions one stream evaluates on a frame of its rows."""

    checks: list[pl.Expr]  # reasons, first non-null wins
    keys: dict[str, pl.Expr]  # node key column (or PERSON) -> key value
    person: dict[str, pl.Expr]  # Person property -> value
    nodes: list[tuple[NodeMap, dict[str, pl.Expr]]]  # node -> property -> value
    relationships: list[tuple[RelationshipMap, dict[str, pl.Expr]]]


# The person's name or address where the mapping reads it from several columns (given
# name and surname): a column of the frame holding their values joined by a space.
JOINED = "_person_"


def _joined(stream: StreamMap) -> dict[str, tuple[str, ...]]:
    """The name and address the mapping reads from several columns, and those columns."""
    features = stream.identity.features
    return {
        prop: features[prop].columns
        for prop in ("name", "address")
        if prop in features and prop not in stream.person
    }


def _plan(source: str, stream: StreamMap, gs: GraphSchema, cols: _Columns) -> _Plan:
    checks: list[pl.Expr] = []
    id_col = pl.col(stream.id)
    checks.append(
        pl.when(cols.empty(stream.id)).then(pl.lit(f"no record id in column {stream.id!r}"))
    )
    required = list(stream.required)
    for made in stream.relationships:  # an edge's key must be there when the edge is made
        edge_key = gs.relationship(made.type).key
        if edge_key and edge_key in made.properties and not made.when:
            required.append(made.properties[edge_key])
    for column in dict.fromkeys(required):
        checks.append(pl.when(cols.empty(column)).then(pl.lit(f"column {column!r} is empty")))
    for column in stream.times:
        _, reason = cols.value(column, _NO_TIME)
        checks.append(reason if reason is not None else pl.lit(None, pl.String))
    for column, fmt in stream.dates.items():
        checks.append(cols.date(column, fmt))

    keys: dict[str, pl.Expr] = {}
    person: dict[str, pl.Expr] = {}
    if stream.person or _joined(stream):
        person = _person(source, stream, cols, id_col)
        keys[PERSON] = person["uid"]
    nodes = []
    for node_map in stream.nodes:
        node = gs.node(node_map.label)
        key, reason = cols.value(node_map.key, node.properties[node.key])
        if reason is not None:
            checks.append(reason)
        if node_map.prefix:
            key = pl.lit(node_map.prefix) + key
        keys[node_map.key] = key
        props: dict[str, pl.Expr] = {node.key: key}
        for prop, column in node_map.properties.items():
            value, reason = cols.value(column, node.properties[prop])
            if reason is not None:
                checks.append(reason)
            props[prop] = value
        for prop, constant in node_map.constants.items():
            props[prop] = pl.lit(constant)
        nodes.append((node_map, props))
    rels = []
    for rel_map in stream.relationships:
        rel = gs.relationship(rel_map.type)
        values: dict[str, pl.Expr] = {}
        inputs = {p: a.column for p, a in rel_map.aggregate.items() if a.column}
        for prop, column in {**rel_map.properties, **inputs}.items():
            value, reason = cols.value(column, rel.properties[prop])
            if reason is not None:
                checks.append(reason)
            values[prop] = value
        rels.append((rel_map, values))
    return _Plan(checks, keys, person, nodes, rels)


def _person(source: str, stream: StreamMap, cols: _Columns, id_col: pl.Expr) -> dict[str, pl.Expr]:
    """Transform.py's person: a valid ID number identifies; a bad one is only not used."""
    columns = stream.person | {prop: JOINED + prop for prop in _joined(stream)}
    person: dict[str, pl.Expr] = {}
    record = pl.lit(f"R:{source}:{stream.name}:") + id_col.cast(pl.String)
    if "id_number" in columns:
        column = columns["id_number"]
        id_number, _ = cols.normalised(column, "resident_id")
        person["id_number"] = id_number
        person["birth_date"] = cols.fact(column, "resident_id", "birth_date", pl.Date())
        person["sex"] = cols.fact(column, "resident_id", "sex", pl.String())
        person["uid"] = pl.when(id_number.is_not_null()).then("P" + id_number).otherwise(record)
    else:
        person["uid"] = record
    if "name" in columns:
        name, _ = cols.normalised(columns["name"], "person_name")
        person["name"] = name
        person["name_pinyin"] = cols.fact(columns["name"], "person_name", "pinyin", pl.String())
    if "address" in columns:
        person["address"] = pl.when(~cols.empty(columns["address"])).then(
            pl.col(columns["address"]).cast(pl.String)
        )
    return person


def rows(
    source: str,
    stream: StreamMap,
    frame: pl.DataFrame,
    gs: GraphSchema,
    normals: Normals,
    fetched: datetime,
) -> tuple[Rows, _Plan]:
    """Each row's verdict (`_reason`, null when it loads), its time (`_seen_at`: the seen
    column, else the day the file is named after, else `fetched`) and its record id."""
    if frame.is_empty():
        frame = pl.DataFrame(
            {c: [] for c in (*stream.layout, *ORDER)},
            schema={**dict.fromkeys(stream.layout, pl.String), "_file": pl.String,
                    "_feed": pl.String, "_row": pl.Int64},
        )  # fmt: skip
    frame = frame.with_columns(
        pl.concat_str(
            [pl.col(c).cast(pl.String) for c in columns], separator=" ", ignore_nulls=True
        )
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .alias(JOINED + prop)
        for prop, columns in _joined(stream).items()
    )
    cols = _Columns(frame, stream, normals)
    plan = _plan(source, stream, gs, cols)
    day = (
        pl.col("_file")
        .str.slice(0, 10)
        .str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
        - _BEIJING
    )
    seen = cols.time(stream.seen) if stream.seen else pl.lit(None, _UTC)
    fallback = pl.lit(fetched).cast(_UTC)
    out = frame.with_columns(
        _reason=pl.coalesce(plan.checks) if plan.checks else pl.lit(None, pl.String),
        _seen_at=pl.coalesce(seen, day.cast(_UTC), fallback),
        _record=pl.lit(f"{source}:{stream.name}:") + pl.col(stream.id).cast(pl.String),
    )
    return Rows(stream, out), plan


def frames(
    source: str, read_rows: Rows, plan: _Plan, gs: GraphSchema, fetched: datetime
) -> tuple[Frames, pl.DataFrame]:
    """Nodes, per-row relationships, Records and RECORD_OF of the valid rows; and the
    quarantined rows as Quarantine nodes (the second frame, with ORDER)."""
    stream = read_rows.stream
    out = Frames()
    valid = read_rows.valid
    tail = [pl.lit(source).alias("_source"), pl.col("_seen_at"), *(pl.col(c) for c in ORDER)]
    if plan.person:
        out.nodes["Person"].append(valid.select(*tail, **plan.person))
    for node_map, props in plan.nodes:
        key_name = gs.node(node_map.label).key
        nodes = valid.select(*tail, **props, _k=props[key_name].is_not_null())
        out.nodes[node_map.label].append(nodes.filter(pl.col("_k")).drop("_k"))
    for rel_map, values in plan.relationships:
        if rel_map.aggregated:
            continue
        when = [pl.col(c).cast(pl.String) == v for c, v in rel_map.when.items()]
        made = valid.filter(*when) if when else valid
        edges = made.select(
            *tail, start=plan.keys[rel_map.start], end=plan.keys[rel_map.end], **values
        ).filter(pl.col("start").is_not_null(), pl.col("end").is_not_null())
        out.relationships[(rel_map.type, rel_map.start_label, rel_map.end_label)].append(edges)
    if stream.records:
        raw = _raw(stream)
        out.nodes["Record"].append(
            valid.select(
                *tail,
                record_id="_record",
                source=pl.lit(source),
                stream=pl.lit(stream.name),
                source_id=pl.col(stream.id).cast(pl.String),
                fetched_at=pl.lit(fetched).cast(_UTC),
                raw=raw,
            )
        )
        # Each RECORD_OF carries the record's statements: the values it gives the entity.
        targets = gs.relationship("RECORD_OF").targets
        ends = [(PERSON, "Person", plan.person)] if plan.person else []
        ends += [(n.key, n.label, props) for n, props in plan.nodes]
        for column, label, values in ends:
            if label in targets:
                key = gs.node(label).key
                stated = {p: v for p, v in values.items() if p != key}
                links = valid.select(*tail, start="_record", end=plan.keys[column], **stated)
                out.relationships[("RECORD_OF", "Record", label)].append(
                    links.filter(pl.col("end").is_not_null())
                )
    bad = read_rows.frame.filter(pl.col("_reason").is_not_null())
    where = pl.concat_str([pl.col("_file"), pl.lit("#"), pl.col("_row").cast(pl.String)])
    quarantine = bad.select(
        *tail,
        quarantine_id=pl.lit(f"{source}:{stream.name}:")
        + pl.when(pl.col(stream.id).cast(pl.String).str.strip_chars() != "")
        .then(pl.col(stream.id).cast(pl.String))
        .otherwise(where),
        source=pl.lit(source),
        stream=pl.lit(stream.name),
        reason="_reason",
        raw=_raw(stream),
    )
    return out, quarantine


def _raw(stream: StreamMap) -> pl.Expr:
    """The row as the file had it, as JSON text (keys sorted)."""
    return pl.struct(sorted(stream.layout)).struct.json_encode()


def facts(read_rows: Rows, plan: _Plan) -> dict[RelKey, pl.DataFrame]:
    """The facts the stream's valid rows give each aggregated relationship: one per row,
    its (start, end) pair, the values aggregated, its time and file."""
    out: dict[RelKey, pl.DataFrame] = {}
    valid = read_rows.valid
    for rel_map, values in plan.relationships:
        if rel_map.aggregated:
            out[(rel_map.type, rel_map.start_label, rel_map.end_label)] = valid.select(
                start=plan.keys[rel_map.start],
                end=plan.keys[rel_map.end],
                **values,
                _seen_at="_seen_at",
                _file="_file",
            ).filter(pl.col("start").is_not_null(), pl.col("end").is_not_null())
    return out


def aggregated(
    stream: StreamMap, facts: dict[RelKey, pl.DataFrame], pairs_from: set[str], source: str
) -> dict[RelKey, pl.DataFrame]:
    """The stream's aggregated relationships, over every fact given, for the (start, end)
    pairs that appear in the files `pairs_from`. Each pair comes twice, stamped with the
    earliest and the latest time of its rows, so that provenance widens to the same span
    however the files were split between syncs."""
    out: dict[RelKey, pl.DataFrame] = {}
    for rel_map in stream.relationships:
        key = (rel_map.type, rel_map.start_label, rel_map.end_label)
        if key not in facts:
            continue
        given = facts[key]
        values = [c for c in given.columns if c not in ("start", "end", "_seen_at", "_file")]
        pairs = given.filter(pl.col("_file").is_in(sorted(pairs_from))).select("start", "end")
        # A row repeated under another id (the same call reported twice) is one fact:
        # rows alike in pair, values and time are counted once.
        totals = (
            given.join(pairs.unique(), on=["start", "end"], how="semi")
            .unique(subset=["start", "end", *values, "_seen_at"], keep="first")
            .group_by("start", "end")
            .agg(
                *(_aggregate(p, a) for p, a in rel_map.aggregate.items()),
                _first=pl.col("_seen_at").min(),
                _last=pl.col("_seen_at").max(),
            )
            .sort("start", "end")
        )
        stamped = pl.concat(
            [
                totals.drop("_first").rename({"_last": "_seen_at"}),
                totals.filter(pl.col("_first") != pl.col("_last"))
                .drop("_last")
                .rename({"_first": "_seen_at"}),
            ]
        ).with_columns(_source=pl.lit(source))
        out[key] = stamped
    return out


def _aggregate(prop: str, how: Aggregate) -> pl.Expr:
    if how.function == "count":
        return pl.len().cast(pl.Int64).alias(prop)
    col = pl.col(prop)
    if how.function == "sum":
        return col.sum().alias(prop)
    return (col.min() if how.function == "min" else col.max()).alias(prop)
