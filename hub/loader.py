"""The one writer to the graph.

Takes polars frames of nodes or relationships typed by the graph schema and writes them
in batches of `UNWIND $rows ... MERGE` on the constrained key, each batch in a managed
write transaction (the driver retries transient errors such as deadlocks). Every write
is idempotent: properties are set to the row's value (a null leaves the stored value),
`first_seen` / `last_seen` only move outwards and `sources` only gains names, each
written only when it changes. Loading the same frames twice leaves the graph unchanged.

Frames:
- nodes: the type's key column, any declared property columns, and `_source` /
  `_seen_at` columns unless given once for the whole frame;
- relationships: `start` and `end` (the key values of the two endpoints), the type's
  key column if it has one, declared property columns, `_source` / `_seen_at` as above.
Endpoints that do not exist yet are created with just their key and provenance.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
from neo4j import Driver, ManagedTransaction

from graph_schema import GraphSchema, NodeType, Property, RelationshipType, ident, schema
from hub.errors import LoadError
from hub.settings import Settings

# Per-row provenance columns; underscored so they never clash with a declared property
# (a Record has a `source` property of its own).
PROVENANCE = ("_source", "_seen_at")
ENDPOINTS = ("start", "end")

_POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "integer": pl.Int64(),
    "float": pl.Float64(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us", "UTC"),
    "string[]": pl.List(pl.String()),
}


@dataclass(frozen=True)
class LoadReport:
    kind: str
    rows: int
    batches: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


def _touch(var: str) -> str:
    """Cypher that widens the provenance of `var` by the row's, writing only on change."""
    return (
        f"FOREACH (_ IN CASE WHEN {var}.first_seen IS NULL OR seen_at < {var}.first_seen "
        f"THEN [1] ELSE [] END | SET {var}.first_seen = seen_at) "
        f"FOREACH (_ IN CASE WHEN {var}.last_seen IS NULL OR seen_at > {var}.last_seen "
        f"THEN [1] ELSE [] END | SET {var}.last_seen = seen_at) "
        f"FOREACH (_ IN CASE WHEN {var}.sources IS NULL OR NOT source IN {var}.sources "
        f"THEN [1] ELSE [] END | SET {var}.sources = coalesce({var}.sources, []) + source) "
    )


def _value(column: str, type_: str) -> str:
    """The Cypher value of a row's column; dates and times travel as numbers and text
    (the driver packs those far faster than Python date and datetime objects)."""
    if type_ == "datetime":
        return f"datetime({{epochMillis: row.{ident(column)}}})"
    if type_ == "date":
        return f"date(row.{ident(column)})"
    return f"row.{ident(column)}"


def _provenance(per_row: bool) -> str:
    if per_row:
        return "WITH row, row._source AS source, " + _value("_seen_at", "datetime") + " AS seen_at "
    return "WITH row, $source AS source, $seen_at AS seen_at "


def _merge_node(var: str, node: NodeType, key_expr: str) -> str:
    return f"MERGE ({var}:{ident(node.label)} {{{ident(node.key)}: {key_expr}}}) "


def _set(var: str, columns: dict[str, str]) -> str:
    if not columns:
        return ""
    return "SET " + ", ".join(
        f"{var}.{ident(c)} = CASE WHEN row.{ident(c)} IS NULL THEN {var}.{ident(c)} "
        f"ELSE {_value(c, t)} END"
        for c, t in columns.items()
    )


def node_statement(node: NodeType, columns: dict[str, str], per_row: bool) -> str:
    """The batch statement for a frame of `node` with these property columns and types."""
    key = node.properties[node.key]
    return (
        "UNWIND $rows AS row "
        + _provenance(per_row)
        + _merge_node("n", node, _value(key.name, key.type))
        + _touch("n")
        + _set("n", columns)
    )


def relationship_statement(
    rel: RelationshipType, start: NodeType, end: NodeType, columns: dict[str, str], per_row: bool
) -> str:
    """The batch statement for a frame of `rel` from `start` to `end` nodes."""
    keyed = ""
    if rel.key:
        keyed = f" {{{ident(rel.key)}: {_value(rel.key, rel.properties[rel.key].type)}}}"
    return (
        "UNWIND $rows AS row "
        + _provenance(per_row)
        + _merge_node("a", start, _value("start", start.properties[start.key].type))
        + _merge_node("b", end, _value("end", end.properties[end.key].type))
        + f"MERGE (a)-[r:{ident(rel.type)}{keyed}]->(b) "
        + "WITH a, b, r, row, source, seen_at "
        + _touch("a")
        + _touch("b")
        + _touch("r")
        + _set("r", columns)
    )


class Loader:
    """Writes frames to Neo4j. One instance per connection; safe to use from threads."""

    def __init__(
        self,
        driver: Driver,
        *,
        batch_size: int = 10_000,
        workers: int = 2,
        database: str | None = None,
        graph: GraphSchema | None = None,
    ) -> None:
        self.driver = driver
        self.batch_size = batch_size
        self.workers = max(1, workers)
        self.database = database
        self.graph = graph or schema()

    @classmethod
    def from_settings(cls, driver: Driver, settings: Settings) -> Loader:
        return cls(
            driver,
            batch_size=settings.batch_size,
            workers=settings.load_workers,
            database=settings.neo4j_database,
        )

    def nodes(
        self,
        label: str,
        frame: pl.DataFrame,
        *,
        source: str | None = None,
        seen_at: datetime | None = None,
    ) -> LoadReport:
        node = self.graph.node(label)
        what = f"{label} nodes"
        frame, params = _prepare(frame, node.properties, (node.key,), what, source, seen_at)
        columns = {
            c: node.properties[c].type for c in frame.columns if c not in (node.key, *PROVENANCE)
        }
        statement = node_statement(node, columns, per_row=not params)
        return self._write(what, statement, frame, params, node.key)

    def relationships(
        self,
        type_: str,
        frame: pl.DataFrame,
        *,
        start: str | None = None,
        end: str | None = None,
        source: str | None = None,
        seen_at: datetime | None = None,
    ) -> LoadReport:
        rel = self.graph.relationship(type_)
        start_node = self.graph.node(_endpoint(rel, "start", start, rel.sources))
        end_node = self.graph.node(_endpoint(rel, "end", end, rel.targets))
        what = f"{type_} relationships"
        required = (*ENDPOINTS, *((rel.key,) if rel.key else ()))
        endpoint_types = {
            "start": start_node.properties[start_node.key],
            "end": end_node.properties[end_node.key],
        }
        frame, params = _prepare(
            frame, {**rel.properties, **endpoint_types}, required, what, source, seen_at
        )
        columns = {
            c: rel.properties[c].type
            for c in frame.columns
            if c not in (*ENDPOINTS, *PROVENANCE, rel.key)
        }
        statement = relationship_statement(rel, start_node, end_node, columns, not params)
        # One writer: concurrent relationship batches lock shared end nodes in different
        # orders, and the deadlocks Neo4j then breaks cost more than the second core gains.
        return self._write(what, statement, frame, params, "start", workers=1)

    def _write(
        self,
        what: str,
        statement: str,
        frame: pl.DataFrame,
        params: dict[str, Any],
        partition_key: str,
        workers: int | None = None,
    ) -> LoadReport:
        """Write the frame with `workers` concurrent transactions.

        Rows are partitioned by a hash of `partition_key`, so every row of one key goes to
        the same worker, in frame order: the result does not depend on how the workers
        interleave."""
        began = time.perf_counter()
        parts = _partitions(frame, partition_key, workers or self.workers)

        def work(part: pl.DataFrame) -> int:
            batches = 0
            with self.driver.session(database=self.database) as session:
                for rows in _batches(part, self.batch_size):
                    session.execute_write(_run, statement, rows, params)
                    batches += 1
            return batches

        if len(parts) == 1:
            batches = work(parts[0])
        else:
            with ThreadPoolExecutor(len(parts), thread_name_prefix="loader") as pool:
                batches = sum(pool.map(work, parts))
        return LoadReport(what, frame.height, batches, time.perf_counter() - began)


def _run(
    tx: ManagedTransaction, statement: str, rows: list[dict[str, Any]], params: dict[str, Any]
) -> None:
    tx.run(statement, params, rows=rows).consume()


def _partitions(frame: pl.DataFrame, key: str, workers: int) -> list[pl.DataFrame]:
    if workers == 1 or frame.height <= 1:
        return [frame]
    part = pl.col(key).hash(seed=0) % workers
    return frame.with_columns(_part=part).partition_by(
        "_part", maintain_order=True, include_key=False
    )


def _batches(frame: pl.DataFrame, size: int) -> Iterator[list[dict[str, Any]]]:
    for offset in range(0, frame.height, size):
        yield frame.slice(offset, size).to_dicts()


def _endpoint(rel: RelationshipType, side: str, given: str | None, allowed: tuple[str, ...]) -> str:
    if given is None:
        if len(allowed) != 1:
            raise LoadError(f"{rel.type}: say which {side} label, one of {list(allowed)}")
        return allowed[0]
    if given not in allowed:
        raise LoadError(f"{rel.type}: {side} label {given!r} is not one of {list(allowed)}")
    return given


def _prepare(
    frame: pl.DataFrame,
    declared: dict[str, Property] | Any,
    required: tuple[str, ...],
    what: str,
    source: str | None,
    seen_at: datetime | None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Check the frame against the schema and cast every column to its wire type.

    Returns the frame and the statement parameters: provenance given once for the whole
    frame travels as `$source` / `$seen_at`, not repeated in every row."""
    unknown = [c for c in frame.columns if c not in declared and c not in PROVENANCE]
    if unknown:
        raise LoadError(f"{what}: columns {unknown} are not declared in graph_schema")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise LoadError(f"{what}: required columns {missing} are missing")
    for column in required:
        nulls = frame.get_column(column).null_count()
        if nulls:
            raise LoadError(f"{what}: {nulls} rows have no value in key column {column!r}")
    given = {"source": source, "seen_at": seen_at}
    has = {name: f"_{name}" in frame.columns for name in given}
    if has["source"] != has["seen_at"]:
        raise LoadError(f"{what}: give both '_source' and '_seen_at' columns, or neither")
    params: dict[str, Any] = {}
    if not has["source"]:
        for name, value in given.items():
            if value is None:
                raise LoadError(f"{what}: give a '_{name}' column or {name}=...")
        assert seen_at is not None
        params = {"source": source, "seen_at": _utc(seen_at)}
    types = {c: declared[c].type for c in frame.columns if c in declared}
    types.update({"_source": "string", "_seen_at": "datetime"})
    try:
        return frame.select(
            _wire(pl.col(c), frame.schema[c], types[c]) for c in frame.columns
        ), params
    except pl.exceptions.PolarsError as exc:
        raise LoadError(f"{what}: a column does not fit its declared type: {exc}") from None


def _wire(col: pl.Expr, have: pl.DataType, type_: str) -> pl.Expr:
    """Cast a column to its declared type, then to what travels: epoch milliseconds for
    datetimes (naive ones taken as UTC), ISO text for dates."""
    name = col.meta.output_name()
    if type_ == "datetime":
        if isinstance(have, pl.Datetime):
            if have.time_zone is None:
                col = col.dt.replace_time_zone("UTC")
        else:
            col = col.cast(pl.Datetime("us", "UTC"), strict=True)
        return col.dt.epoch("ms").alias(name)
    if type_ == "date":
        return col.cast(pl.Date(), strict=True).dt.to_string("%Y-%m-%d").alias(name)
    return col.cast(_POLARS_TYPES[type_], strict=True).alias(name)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
