"""The one writer to the graph.

Takes polars frames of nodes or relationships typed by the graph schema and writes them
in batches, each batch in a managed write transaction (the driver retries transient
errors such as deadlocks). Rows of one key are first collapsed into one, as if written
one after another. Each batch's first statement looks up, row by row, whether its node
or relationship exists and CREATEs the new ones in the same pass (far cheaper than
MERGE); a second updates the rows it found (a keyed relationship through the same
lookup, everything else with `UNWIND $rows ... MERGE`). Every write is idempotent:
properties are set to the row's value (a null leaves the stored value), `first_seen` /
`last_seen` only move outwards and `sources` only gains names, each written only when it
changes. Loading the same frames twice leaves the graph unchanged.

Concurrent loads stay correct: a node CREATE that loses a race fails on the key's
uniqueness constraint and its batch is written again with MERGE; relationships have no
such constraint, so a relationship batch first locks the stripes (LoadStripe nodes) of
its start keys, and the workers of one load own disjoint stripes.

Frames:
- nodes: the type's key column, any declared property columns, and `_source` /
  `_seen_at` columns unless given once for the whole frame;
- relationships: `start` and `end` (the key values of the two endpoints), the type's
  key column if it has one, declared property columns, `_source` / `_seen_at` as above.
Endpoints are written first: missing ones with just their key and provenance, existing
ones widened by the rows' provenance."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
from neo4j import Driver, ManagedTransaction, Session
from neo4j.exceptions import ConstraintError

from graph_schema import (
    MOVED,
    GraphSchema,
    NodeType,
    Property,
    RelationshipType,
    claim_name,
    ident,
    schema,
)
from hub import survivorship
from hub.errors import LoadError
from hub.settings import Settings

# Per-row provenance columns; underscored so they never clash with a declared property
# (a Record has a `source` property of its own).
PROVENANCE = ("_source", "_seen_at")
# Relationship batches lock the stripes of their start keys (see graph_schema LoadStripe).
# A stripe is polars' hash of the key, which is stable for one polars version: processes
# writing one graph run from the same lock file.
STRIPES = 64
ENDPOINTS = ("start", "end")
# Frames of at least this many rows are written by all the loader's workers at once.
PARALLEL_ROWS = 1_000

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
        f"FOREACH (_ IN CASE WHEN {var}.first_seen IS NULL OR first < {var}.first_seen "
        f"THEN [1] ELSE [] END | SET {var}.first_seen = first) "
        f"FOREACH (_ IN CASE WHEN {var}.last_seen IS NULL OR last > {var}.last_seen "
        f"THEN [1] ELSE [] END | SET {var}.last_seen = last) "
        f"FOREACH (_ IN CASE WHEN {var}.sources IS NULL "
        f"OR any(s IN sources WHERE NOT s IN {var}.sources) THEN [1] ELSE [] END | "
        f"SET {var}.sources = COLLECT {{ UNWIND coalesce({var}.sources, []) + sources AS s "
        "RETURN DISTINCT s ORDER BY s }) "
    )


def _value(column: str, type_: str, var: str = "row") -> str:
    """The Cypher value of a row's column; dates and times travel as numbers and text
    (the driver packs those far faster than Python date and datetime objects)."""
    if type_ == "datetime":
        return f"datetime({{epochMillis: {var}.{ident(column)}}})"
    if type_ == "date":
        return f"date({var}.{ident(column)})"
    return f"{var}.{ident(column)}"


def _provenance(per_row: bool, carry: str = "row") -> str:
    """WITH the `carry` variables and the row's provenance as `sources`, `first`, `last`."""
    if per_row:
        first, last = _value("_first", "datetime"), _value("_last", "datetime")
        return f"WITH {carry}, row._sources AS sources, {first} AS first, {last} AS last "
    return f"WITH {carry}, [$source] AS sources, $seen_at AS first, $seen_at AS last "


def _key(node: NodeType, column: str, var: str = "row") -> str:
    key = node.properties[node.key]
    return f"{{{ident(node.key)}: {_value(column, key.type, var)}}}"


@dataclass(frozen=True)
class Columns:
    """The property columns a batch writes, with their declared types; for those whose
    values are statements (hub.survivorship), the Cypher of each row's claim."""

    types: dict[str, str]
    claims: dict[str, str]


def _set(var: str, columns: Columns) -> str:
    """Update the columns of an existing `var`: a statement where it wins (survivorship),
    a recomputed value where it is not null."""
    plain = [c for c in columns.types if c not in columns.claims]
    out = ""
    if plain:
        out = "SET " + ", ".join(
            f"{var}.{ident(c)} = CASE WHEN row.{ident(c)} IS NULL THEN {var}.{ident(c)} "
            f"ELSE {_value(c, columns.types[c])} END "
            for c in plain
        )
    for c, claim in columns.claims.items():
        value = _value(c, columns.types[c])
        wins = survivorship.wins(var, c, value, claim)
        out += (
            f"FOREACH (_ IN CASE WHEN row.{ident(c)} IS NULL THEN [] WHEN {wins} THEN [1] "
            f"ELSE [] END | SET {var}.{ident(c)} = {value}, "
            f"{var}.{ident(claim_name(c))} = {claim}) "
        )
    return out


@dataclass(frozen=True)
class Statements:
    """The statements that write one batch of a frame, in one transaction: `lock` (for
    relationships) takes the batch's stripe locks; `create` CREATEs the rows whose node
    or relationship is new and returns how many it wrote (`written`), which rows exist
    already (`found`, indexes into the batch) and how many of those need no write at all
    (`covered`); `merge` writes the found ones and returns how many it wrote."""

    create: str
    merge: str
    lock: str | None = None


WRITTEN = " RETURN count(*) AS written"
# Each plan is index seeks on the keys and Expand(Into) between bound ends, cheap however
# the graph grew since it was made: a sync, whose loads change the graph's statistics
# from one batch to the next, need not make it again (that took Neo4j more time than the
# writes when the tests filled emptied graphs).
PLANNED = "CYPHER replan=skip "
# Each row with its index in the batch, for `create` to name the found ones.
INDEXED = PLANNED + "UNWIND range(0, size($rows) - 1) AS i WITH i, $rows[i] AS row "


def _create(
    per_row: bool, lookup: str, found: str, create: str, carry: str = "", covered: str = "false"
) -> str:
    """A `create` statement: `lookup` binds what each row names, `found` tells whether its
    node or relationship exists, `covered` whether that needs no write; `create` writes
    a new one."""
    return (
        INDEXED
        + _provenance(per_row, "i, row")
        + lookup
        + f"WITH i, row, first, last, sources{carry}, {found} AS found, "
        f"coalesce({covered}, false) AS covered "
        f"FOREACH (_ IN CASE WHEN found THEN [] ELSE [1] END | {create}) "
        "RETURN count(CASE WHEN NOT found THEN 1 END) AS written, "
        "collect(CASE WHEN found AND NOT covered THEN i END) AS found, "
        "count(CASE WHEN covered THEN 1 END) AS covered"
    )


def _merge(per_row: bool, ends: str, bind: str, var: str, columns: Columns) -> str:
    """A `merge` statement: `bind` each row's node or relationship to `var` (after `ends`
    binds what it joins), widen its provenance and set the columns."""
    return (
        PLANNED
        + "UNWIND $rows AS row "
        + _provenance(per_row)
        + ends
        + bind
        + _touch(var)
        + _set(var, columns)
        + WRITTEN
    )


def _assign(var: str, columns: Columns) -> str:
    """SET the provenance and the columns (with their claims) of a newly created `var`."""
    sets = ""
    for c, t in columns.types.items():
        value = _value(c, t)
        if t == "datetime":  # datetime({epochMillis: null}) is an error, not a null
            value = f"CASE WHEN row.{ident(c)} IS NULL THEN null ELSE {value} END"
        sets += f", {var}.{ident(c)} = {value}"
        if c in columns.claims:
            sets += (
                f", {var}.{ident(claim_name(c))} = "
                f"CASE WHEN row.{ident(c)} IS NULL THEN null ELSE {columns.claims[c]} END"
            )
    return f"SET {var}.first_seen = first, {var}.last_seen = last, {var}.sources = sources{sets}"


def node_statements(node: NodeType, columns: Columns, per_row: bool) -> Statements:
    """The batch statements for a frame of `node` with these property columns."""
    n = f"(n:{ident(node.label)} {_key(node, node.key)})"
    covered = "false"
    if not columns.types:
        covered = (
            "n IS NOT NULL AND n.first_seen <= first AND n.last_seen >= last "
            "AND all(s IN sources WHERE s IN n.sources)"
        )
    return Statements(
        create=_create(
            per_row,
            f"OPTIONAL MATCH {n} ",
            "n IS NOT NULL",
            f"CREATE {n} " + _assign("n", columns),
            covered=covered,
        ),
        merge=_merge(per_row, "", f"MERGE {n} ", "n", columns),
    )


def relationship_statements(
    rel: RelationshipType, start: NodeType, end: NodeType, columns: Columns, per_row: bool
) -> Statements:
    """The batch statements for a frame of `rel` between existing `start` and `end` nodes.

    Whether a row's relationship exists is found by walking from its two bound ends
    (Expand(Into)), never through the index on a keyed type's key: planned on an empty
    graph (the plans are kept, see PLANNED) that index looks cheaper, and on Neo4j 5.26 a
    seek on it cost ~3 ms a row once the graph had been emptied and filled again (a
    bigdata sync of 28 steps spent 12 of its 26 s on 3,649 checkpoint passes). So a keyed
    type's found rows are updated through the same walk rather than MERGEd (MERGE would
    plan that seek too); the batch's stripe locks keep other loads from its start keys."""
    a = f"(a:{ident(start.label)} {_key(start, 'start')})"
    b = f"(b:{ident(end.label)} {_key(end, 'end')})"
    ends = f"MATCH {a} MATCH {b} "
    # A row's relationship is the one its ends hold of their own: not one that identity
    # resolution moved to a person from a person merged into it (marked MOVED), which
    # goes back with a split.
    own = f"x.{MOVED} IS NULL"
    if rel.key:
        key = _value(rel.key, rel.properties[rel.key].type)
        own += f" AND x.{ident(rel.key)} = {key}"
        r = f"[r:{ident(rel.type)} {{{ident(rel.key)}: {key}}}]"
    else:
        r = f"[r:{ident(rel.type)}]"
    same = f"[x IN [(a)-[x:{ident(rel.type)}]->(b) | x] WHERE {own}]"
    found = f"size({same}) > 0"
    bind = f"WITH row, first, last, sources, head({same}) AS r WHERE r IS NOT NULL "
    return Statements(
        lock=PLANNED + "UNWIND $stripes AS s MERGE (l:LoadStripe {stripe: s}) "
        "SET l.held = true REMOVE l.held",
        create=_create(
            per_row,
            ends,
            found,
            f"CREATE (a)-{r}->(b) " + _assign("r", columns),
            carry=", a, b",
        ),
        merge=_merge(per_row, ends, bind, "r", columns),
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
        began = time.perf_counter()
        node = self.graph.node(label)
        what = f"{label} nodes"
        frame, params = _prepare(frame, node.properties, (node.key,), what, source, seen_at)
        batches = self._upsert(node, frame, params)
        return LoadReport(what, frame.height, batches, time.perf_counter() - began)

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
        """Write the endpoints first (missing ones as nodes with just their key and
        provenance, existing ones widened by the rows' provenance), then the
        relationships between them."""
        began = time.perf_counter()
        rel = self.graph.relationship(type_)
        start_node = self.graph.node(_endpoint(rel, "start", start, rel.sources))
        end_node = self.graph.node(_endpoint(rel, "end", end, rel.targets))
        what = f"{type_} relationships"
        required = (*ENDPOINTS, *((rel.key,) if rel.key else ()))
        endpoint_types = {
            "start": start_node.properties[start_node.key],
            "end": end_node.properties[end_node.key],
        }
        declared = {**rel.properties, **rel.statements}
        frame, params = _prepare(
            frame, {**declared, **endpoint_types}, required, what, source, seen_at
        )
        ends: dict[str, list[pl.DataFrame]] = {}
        provenance = [c for c in PROVENANCE if c in frame.columns]
        for side, node in (("start", start_node), ("end", end_node)):
            ends.setdefault(node.label, []).append(
                frame.select(pl.col(side).alias(node.key), *provenance)
            )
        batches = sum(
            self._upsert(self.graph.node(label), pl.concat(parts), params)
            for label, parts in ends.items()
        )
        frame, columns, params = _collapse(frame, required, declared, params)
        statements = relationship_statements(rel, start_node, end_node, columns, not params)
        frame = frame.with_columns(_stripe=pl.col("start").hash(seed=0) % STRIPES)

        def write(session: Session, rows: list[dict[str, Any]]) -> None:
            stripes = sorted({row.pop("_stripe") for row in rows})
            written = session.execute_write(_write_batch, statements, rows, params, True, stripes)
            if written != len(rows):
                raise LoadError(
                    f"{what}: {len(rows) - written} of {len(rows)} rows lost an endpoint or "
                    "their relationship while they were written (deleted by another transaction)"
                )

        batches += self._run(write, frame, "_stripe")
        return LoadReport(what, frame.height, batches, time.perf_counter() - began)

    def _upsert(self, node: NodeType, frame: pl.DataFrame, params: dict[str, Any]) -> int:
        """Write wire-typed rows of `node`; returns the number of batches.

        Two loads that both find a key new race to CREATE it; the loser's batch fails on
        the uniqueness constraint and is written again with MERGE alone."""
        frame, columns, params = _collapse(frame, (node.key,), node.properties, params)
        statements = node_statements(node, columns, per_row=not params)

        def write(session: Session, rows: list[dict[str, Any]]) -> None:
            try:
                session.execute_write(_write_batch, statements, rows, params, True)
            except ConstraintError:
                session.execute_write(_write_batch, statements, rows, params, False)

        return self._run(write, frame, node.key)

    def _run(
        self,
        write: Callable[[Session, list[dict[str, Any]]], None],
        frame: pl.DataFrame,
        partition_key: str,
    ) -> int:
        """Write the frame in batches with concurrent workers; returns the batch count.

        Rows are partitioned by a hash of `partition_key`, so every row of one key goes to
        the same worker: the result does not depend on how the workers interleave."""
        # a small frame is one transaction, not one per worker; a sync's step (a batch's
        # worth of records, spread over labels and types) still keeps every worker busy
        workers = self.workers if frame.height >= PARALLEL_ROWS else 1
        parts = _partitions(frame, partition_key, workers)

        def work(part: pl.DataFrame) -> int:
            batches = 0
            with self.driver.session(database=self.database) as session:
                for rows in _batches(part, self.batch_size):
                    write(session, rows)
                    batches += 1
            return batches

        if len(parts) == 1:
            return work(parts[0])
        with ThreadPoolExecutor(len(parts), thread_name_prefix="loader") as pool:
            return sum(pool.map(work, parts))


def _write_batch(
    tx: ManagedTransaction,
    statements: Statements,
    rows: list[dict[str, Any]],
    params: dict[str, Any],
    create: bool,
    stripes: list[int] | None = None,
) -> int:
    """Write one batch: CREATE the rows whose node or relationship is new and MERGE the
    others, or (`create` false) MERGE them all. Returns how many rows were written."""
    if statements.lock:
        tx.run(statements.lock, stripes=stripes).consume()
    if not create:
        return _merged(tx, statements, rows, params)
    record = tx.run(statements.create, params, rows=rows).single()
    if record is None:
        return 0
    found = [rows[i] for i in record["found"]]
    return int(record["written"] + record["covered"]) + _merged(tx, statements, found, params)


def _merged(
    tx: ManagedTransaction,
    statements: Statements,
    rows: list[dict[str, Any]],
    params: dict[str, Any],
) -> int:
    if not rows:
        return 0
    record = tx.run(statements.merge, params, rows=rows).single()
    return int(record["written"]) if record else 0


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


def _collapse(
    frame: pl.DataFrame,
    keys: tuple[str, ...],
    declared: Mapping[str, Property],
    params: dict[str, Any],
) -> tuple[pl.DataFrame, Columns, dict[str, Any]]:
    """One row per key, the columns it writes and the statement parameters.

    Each statement's claim is worked out from its provenance (per row, or the frame's
    `$source` and `$seen_at`), one claim per priority the columns declare. Rows of one key
    become one: each statement's property takes the value with the best claim
    (hub.survivorship) and keeps that claim (`_k_<column>`), each recomputed property its
    last non-null value; with per-row provenance the rows' earliest and latest sighting
    become `_first` and `_last`, and their sources, sorted, `_sources`."""
    per_row = not params
    props = [c for c in frame.columns if c not in keys and c not in PROVENANCE]
    types = {c: declared[c].type for c in props}
    groups: dict[tuple[str, ...], str] = {}  # a priority -> its claim column or parameter
    for c in survivorship.claimed(declared, props):
        groups.setdefault(declared[c].priority, f"_k{len(groups)}")
    group = {c: groups[declared[c].priority] for c in survivorship.claimed(declared, props)}
    params = dict(params)
    if per_row:
        frame = frame.with_columns(
            survivorship.claim_expr(priority, pl.col("_source"), pl.col("_seen_at")).alias(name)
            for priority, name in groups.items()
        )
    else:
        observed = int(params["seen_at"].timestamp() * 1000)
        for priority, name in groups.items():
            params[name] = survivorship.claim(priority, params["source"], observed)
    # with per-row provenance each column carries its claim as `_k_<column>`, whether rows
    # were collapsed or not: a statement's text does not depend on the data in the batch
    claim = {c: f"row.{ident(f'_k_{c}')}" if per_row else f"${k}" for c, k in group.items()}
    duplicated = frame.select(keys).is_duplicated().any()
    if not duplicated:
        if per_row:
            frame = frame.select(
                pl.exclude(*PROVENANCE, *groups.values()),
                *(pl.col(k).alias(f"_k_{c}") for c, k in group.items()),
                pl.col("_seen_at").alias("_first"),
                pl.col("_seen_at").alias("_last"),
                pl.concat_list("_source").alias("_sources"),
            )
        return frame, Columns(types, claim), params
    aggregates = []
    for c in props:
        if c not in group:
            aggregates.append(pl.col(c).drop_nulls().last())
        elif per_row:
            aggregates += survivorship.best(c, group[c], frame.schema[c], f"_k_{c}")
        else:
            aggregates.append(survivorship.greatest(c, frame.schema[c]))
    if per_row:
        aggregates += [
            pl.col("_seen_at").min().alias("_first"),
            pl.col("_seen_at").max().alias("_last"),
            pl.col("_source").unique().sort().alias("_sources"),
        ]
    return frame.group_by(keys, maintain_order=True).agg(aggregates), Columns(types, claim), params


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
