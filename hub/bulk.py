"""The first load of an empty graph through Neo4j's own importer (`hub sync --bulk`).

The loader writes rows with Cypher, a transaction per batch; into an empty graph Neo4j's
offline importer (`neo4j-admin database import full`, `org.neo4j.cli.AdminTool` among
the jars of the project-run Neo4j) builds the store directly. A bulk load is a sync in
which:

1. the connectors run as in every sync, from the start (`--full`), but the loader they
   are given keeps their frames instead of writing them (`Collector`), so the sources
   are fetched and normalised at once, each into a collector of its own, kept in the
   sources' order; cursors and manifests are saved as usual;
2. each label's and type's frames are made into one row per element, as the loader
   would have left them after writing them one after another (its own `_prepare` and
   `_collapse`: values cast as declared, statements with their claims, provenance), and
   written as the importer's CSV input, with the blocking keys of the person records
   among them (what identity resolution's first run writes); a label or type is read
   in parts of its keys (`_parts`), so that what is held at once does not grow with
   the county; two processes of their own work out the person records' features and
   blocking keys meanwhile, in parts;
3. what the graph holds besides (the schema's marker, cursors, manifests, audit trail,
   keys) is read; Neo4j is stopped, the importer writes the store, Neo4j is started,
   that is written back and the constraints and indexes are made (`hub.migrate`, in
   one transaction); meanwhile identity resolution's model is trained on those person
   records, and the full-text index is filled until the end of the sync;
4. scoping, identity resolution (with that model and those records' features, `Ahead`),
   alerts and the data's version follow as in every sync.

Only the project-run Neo4j can be loaded so (the importer writes its files): against
NEO4J_URI, and into a graph that holds data, the sync goes through the loader.

Killed anywhere and run again, it ends as an uninterrupted load: from its start to its
end the instance folder holds `bulk-load/`, with what the graph held before the load
(`before.pickle`). A Neo4j started while `bulk-load/importing` exists discards the
store the importer may have half written (`hub.embedded`); the next `hub sync`, with or
without `--bulk`, finds `bulk-load/`, discards the store, writes back what the graph held
before and loads everything again.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import pickle
import resource
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from neo4j import Driver

from graph_schema import claim_name, ident, schema
from hub import backup, embedded, migrate, scope
from hub.access import ANY
from hub.errors import EmbeddedNeo4jError, LoadError
from hub.loader import (
    ENDPOINTS,
    PROVENANCE,
    Loader,
    LoadReport,
    _collapse,
    _endpoint,
    _prepare,
)
from hub.resolution import blocking
from hub.resolution import records as person_records
from hub.resolution import run as resolution
from hub.resolution.engine import Outcome, Thresholds, resolve
from hub.resolution.model import Model, train
from hub.settings import Settings

Say = Callable[[str], None]

FOLDER = "bulk-load"
IMPORTING = "importing"  # in FOLDER while Neo4j is stopped for the importer
# What an empty graph may hold: the hub's own bookkeeping, kept across the import.
AT_REST = frozenset(
    {
        "HubSchema", "ApiKey", "AuditEvent", "AuditHead", "DataVersion",
        "SyncState", "SourceFile", "SyncLock", "LoadStripe",
    }
)  # fmt: skip
# Between the items of a list in the importer's input: a control character no text the
# hub loads is expected to hold (one that does is refused, see `_text`).
ARRAY = "\x1f"
RECORD, RECORD_OF, PERSON, BLOCK_KEY = "Record", "RECORD_OF", "Person", "BlockKey"
SCOPE = "_scope"  # a restricted node's scope, as `hub.scope` derives it (`scopes`)
_CSV_TYPES = {
    "string": "string",
    "integer": "long",
    "float": "double",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
    "string[]": "string[]",
}

Held = list[tuple[list[str], dict[str, Any]]]  # nodes as (labels, properties)
# (source, stream, record id, raw) of the records of a person, in the input's order
Persons = pl.DataFrame


def folder(settings: Settings) -> Path:
    return embedded.Instance(settings).folder / FOLDER


def interrupted(settings: Settings) -> bool:
    """A bulk load began in this data folder and did not end."""
    return settings.embedded and folder(settings).exists()


def why_not(driver: Driver, settings: Settings) -> str | None:
    """Why a sync cannot load through the importer (None: it can)."""
    if not settings.embedded:
        return (
            f"NEO4J_URI is set ({settings.neo4j_uri}): the importer writes the files of "
            "the Neo4j the hub runs itself, so this sync goes through the loader"
        )
    if interrupted(settings):
        return None
    records, _, _ = driver.execute_query(
        "MATCH (n) WHERE none(l IN labels(n) WHERE l IN $rest) RETURN count(n) AS n",
        rest=sorted(AT_REST),
        database_=settings.neo4j_database,
    )
    if records[0]["n"]:
        return "the graph holds data already: this sync goes through the loader"
    return None


class Collector(Loader):
    """A loader that keeps the frames it is given, cast as the loader casts them and
    with per-row provenance, instead of writing them: each frame goes to a file of its
    own in `spill` as it arrives (Arrow IPC), so that what a sync holds in memory while
    it fetches is a step's rows, not the county's."""

    def __init__(self, driver: Driver, settings: Settings, spill: Path | None = None) -> None:
        super().__init__(driver, database=settings.neo4j_database)
        self.settings = settings
        self.spill = spill or folder(settings) / "collected"
        shutil.rmtree(self.spill, ignore_errors=True)  # a load killed and run again
        self.spill.mkdir(parents=True)
        self.node_files: dict[str, list[Path]] = defaultdict(list)
        self.rel_files: dict[tuple[str, str, str], list[Path]] = defaultdict(list)
        self._numbers = itertools.count()
        self._lock = threading.Lock()

    def parts(self, count: int) -> list[Collector]:
        """Collectors of their own for `count` sources synced at once (`absorb`)."""
        return [
            Collector(self.driver, self.settings, self.spill / f"part-{i}") for i in range(count)
        ]

    def absorb(self, parts: list[Collector]) -> None:
        """Keep the frames of `parts` after this one's, in the order of `parts`: the order
        the sources would have given them synced one after another."""
        for part in parts:
            for label, files in part.node_files.items():
                self.node_files[label] += files
            for key, rels in part.rel_files.items():
                self.rel_files[key] += rels

    def _keep(self, frame: pl.DataFrame) -> Path:
        path = self.spill / f"{next(self._numbers):07d}.arrow"
        frame.write_ipc(path)
        return path

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
        kept = self._keep(_per_row(frame, params))
        with self._lock:
            self.node_files[label].append(kept)
        return LoadReport(what, frame.height, 0, 0.0)

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
        ends = (
            self.graph.node(_endpoint(rel, "start", start, rel.sources)),
            self.graph.node(_endpoint(rel, "end", end, rel.targets)),
        )
        what = f"{type_} relationships"
        required = (*ENDPOINTS, *((rel.key,) if rel.key else ()))
        declared = {
            **rel.properties,
            **rel.statements,
            **{side: n.properties[n.key] for side, n in zip(ENDPOINTS, ends, strict=True)},
        }
        frame, params = _prepare(frame, declared, required, what, source, seen_at)
        frame = _per_row(frame, params)
        kept = [
            self._keep(frame.select(pl.col(side).alias(node.key), *PROVENANCE))
            for side, node in zip(ENDPOINTS, ends, strict=True)
        ]
        rels = self._keep(frame)
        with self._lock:
            for node, path in zip(ends, kept, strict=True):
                self.node_files[node.label].append(path)
            self.rel_files[(type_, ends[0].label, ends[1].label)].append(rels)
        return LoadReport(what, frame.height, 0, 0.0)


def _per_row(frame: pl.DataFrame, params: dict[str, Any]) -> pl.DataFrame:
    """Provenance given once for a frame, as columns (in the loader's wire types)."""
    if not params:
        return frame
    seen = int(params["seen_at"].timestamp() * 1000)
    return frame.with_columns(_source=pl.lit(params["source"]), _seen_at=pl.lit(seen))


@dataclass(frozen=True)
class Input:
    """The importer's input: CSV files (header first) per label and per type."""

    nodes: list[tuple[str, Path]]
    relationships: list[tuple[str, Path]]
    rows: int
    persons: Persons
    scoped: bool  # every restricted node has its scope in the input or `unscoped`
    # keys by label of the restricted nodes whose scope grants nobody (an empty list, which
    # the importer cannot be given): written by `unscope` after the import
    unscoped: dict[str, list[str]]


def write_input(
    collector: Collector, out: Path, persons_found: Callable[[Persons], None] | None = None
) -> Input:
    """Each label's and type's frames as one row per element, as CSV files in `out`,
    restricted nodes with the scope `hub.scope` would give them (`scopes`). A label or
    type is read in parts of its keys (`_parts`), one part in memory at a time, each
    written as a CSV file of its own. The records of persons are found first, and given
    to `persons_found` while the rest is written."""
    out.mkdir(parents=True, exist_ok=True)
    graph = collector.graph
    scoped, complete = scopes(collector)
    unscoped: dict[str, list[str]] = {}
    nodes: list[tuple[str, Path]] = []
    rels: list[tuple[str, Path]] = []
    rows = 0
    persons: Persons = _no_persons()
    linked = _linked(collector.rel_files.get((RECORD_OF, RECORD, PERSON)))
    for label, files in sorted(collector.node_files.items(), key=lambda i: i[0] != RECORD):
        node = graph.node(label)
        found: list[pl.DataFrame] = []
        for number, part in enumerate(_parts(files, (node.key,), out / "parts")):
            frame, columns, _ = _collapse(part.drop(ROW), (node.key,), node.properties, {})
            if label == RECORD and linked is not None:
                first = part.group_by(node.key, maintain_order=True).agg(pl.col(ROW).first())
                chosen = frame.filter(pl.col(node.key).is_in(linked.implode()))
                found.append(chosen.join(first, on=node.key).select(ROW, *PERSON_COLUMNS))
            del part
            body = [pl.col(node.key).cast(pl.String).alias(f":ID({label})")]
            body += _properties(frame, {node.key: node.properties[node.key].type, **columns.types})
            if label in scoped:
                frame = frame.join(scoped[label], on=node.key, how="left", maintain_order="left")
                nobody = pl.col(SCOPE).list.len() == 0
                nobody_keys = frame.filter(nobody).get_column(node.key).cast(pl.String)
                unscoped.setdefault(label, []).extend(nobody_keys.to_list())
                grants = pl.when(~nobody).then(_text(SCOPE, "string[]"))
                body.append(grants.alias(f"{graph.scope_property}:string[]"))
            path = out / f"nodes-{label}-{number}.csv"
            _write(frame, [*body, *_provenance(frame)], path)
            nodes.append((label, path))
            rows += frame.height
            del frame
        if label == RECORD:  # in the order of the records' first rows, as one frame gives
            if found:
                persons = _concat(found).sort(ROW).drop(ROW)
            if persons_found:
                persons_found(persons)
    for (type_, start, end), files in sorted(collector.rel_files.items()):
        rel = graph.relationship(type_)
        required = (*ENDPOINTS, *((rel.key,) if rel.key else ()))
        declared = {**rel.properties, **rel.statements}
        for number, part in enumerate(_parts(files, required, out / "parts")):
            frame, columns, _ = _collapse(part.drop(ROW), required, declared, {})
            del part
            body = [
                pl.col("start").cast(pl.String).alias(f":START_ID({start})"),
                pl.col("end").cast(pl.String).alias(f":END_ID({end})"),
            ]
            key = {rel.key: rel.properties[rel.key].type} if rel.key else {}
            body += _properties(frame, {**key, **columns.types})
            path = out / f"rels-{type_}-{start}-{end}-{number}.csv"
            _write(frame, [*body, *_provenance(frame)], path)
            rels.append((type_, path))
            rows += frame.height
            del frame
    shutil.rmtree(out / "parts", ignore_errors=True)
    return Input(nodes, rels, rows, persons, complete, unscoped)


# The Arrow bytes of a part of a label's or type's rows (`_parts`): what the input's
# writing holds in memory at once, whatever the county's size.
PART_BYTES = 96 * 2**20
ROW = "_row"  # a row's place among all the rows of its label or type
PERSON_COLUMNS = ("source", "stream", "record_id", "raw")


def _parts(files: list[Path], keys: tuple[str, ...], spill: Path) -> Iterator[pl.DataFrame]:
    """The rows kept in `files`, in parts that hold every row of their keys, in the
    files' order within each, with their place among all the rows (`ROW`). One part
    when the files hold less than PART_BYTES; else the rows are split by a hash of their
    keys into parts of about that size, written to `spill` a chunk of files at a time."""
    total = sum(f.stat().st_size for f in files)
    count = math.ceil(total / PART_BYTES)
    if count <= 1:
        yield _read(files).with_row_index(ROW)
        return
    # every part with every column, typed as all the rows together would have them
    columns = _concat([pl.DataFrame(schema=pl.read_ipc_schema(f)) for f in files])
    spill.mkdir(parents=True, exist_ok=True)
    parts: list[list[Path]] = [[] for _ in range(count)]
    hashed = (pl.struct(*keys).hash(seed=0) % count).alias("_part")
    offset, held = 0, 0
    chunk: list[Path] = []
    for index, path in enumerate(files):
        chunk.append(path)
        held += path.stat().st_size
        if held < PART_BYTES and index + 1 < len(files):
            continue
        frame = _read(chunk).with_row_index(ROW, offset).with_columns(hashed)
        offset += frame.height
        for (number,), rows in frame.partition_by("_part", as_dict=True).items():
            kept = spill / f"{next(_spilled):08d}.arrow"
            rows.drop("_part").write_ipc(kept)
            parts[int(number)].append(kept)
        chunk, held = [], 0
        del frame
    for files_of_part in parts:
        if files_of_part:
            yield _concat([columns.with_row_index(ROW), _read(files_of_part)])
            for kept in files_of_part:
                kept.unlink()


_spilled = itertools.count()


def _read(files: list[Path], columns: list[str] | None = None) -> pl.DataFrame:
    """The frames kept in `files`, one after another (their columns, or `columns`)."""
    return _concat([pl.read_ipc(f, columns=columns) for f in files])


def _linked(links: list[Path] | None) -> pl.Series | None:
    """The records that are a person's (the start of a `RECORD_OF` one), if any."""
    if not links:
        return None
    return _read(links, ["start"]).get_column("start").unique()


def _no_persons() -> Persons:
    return pl.DataFrame(schema=dict.fromkeys(PERSON_COLUMNS, pl.String))


def scopes(collector: Collector) -> tuple[dict[str, pl.DataFrame], bool]:
    """The scope `hub.scope.refresh` gives each collected restricted node, by label: a
    frame of its key and `SCOPE`, a sorted list of grants (empty: granted to nobody).
    Worked out, in derivation order, for the rules a first load's rows decide alone:
    `units` (the units a relationship reaches) and `inherit` (the meet of the scopes of
    the restricted nodes described; `any` where none). A label whose rule takes more
    (grants from its properties, shared scopes, citations) is left to the refresh after
    the import, and so is every label deriving from it. And whether every collected
    restricted node has its scope so (then that refresh would change nothing)."""
    gs = collector.graph
    known: dict[str, pl.DataFrame] = {}  # label -> key, SCOPE
    complete = True  # a label without rules (internal) has no scope, refreshed or not
    for label in scope._plan():
        node = gs.node(label)
        rule = node.visibility
        files = collector.node_files.get(label)
        if not files:
            continue
        columns = {c for f in files for c in pl.read_ipc_schema(f)}
        if (
            rule.cites
            or any(_links(collector, label, t) for t in rule.share)
            or any(prop in columns for prop in (*rule.users, *rule.unit))
        ):
            complete = False
            continue
        keys = _read(files, [node.key]).unique().rename({node.key: "key"})
        found = (
            _inherited(collector, label, keys, known)
            if rule.inherit
            else _granted(collector, label, keys)
        )
        if found is None:
            complete = False
        else:
            known[label] = found
    return {label: f.rename({"key": gs.node(label).key}) for label, f in known.items()}, complete


def _links(collector: Collector, label: str, type_: str) -> list[tuple[str, pl.DataFrame]]:
    """The `type_` relationships of `label` nodes, as `hub.scope`'s patterns follow them
    (from the start if the label is among the type's sources): per label at the other
    end, (key, far) pairs."""
    rel = collector.graph.relationship(type_)
    near = "start" if label in rel.sources else "end"
    far = "end" if near == "start" else "start"
    side = 1 if near == "start" else 2
    return [
        (key[3 - side], _read(paths, [near, far]).rename({near: "key", far: "far"}))
        for key, paths in sorted(collector.rel_files.items())
        if key[0] == type_ and key[side] == label
    ]


_GRANTS = pl.List(pl.String)


def _granted(collector: Collector, label: str, keys: pl.DataFrame) -> pl.DataFrame:
    """`unit:<code>` for each unit a `units` relationship reaches, sorted, per key."""
    rule = collector.graph.node(label).visibility
    reached = [
        pairs
        for type_ in rule.units
        for far, pairs in _links(collector, label, type_)
        if far == "Unit"
    ]
    grants = (
        _concat(reached)
        .select("key", ("unit:" + pl.col("far")).alias(SCOPE))
        .unique()
        .group_by("key")
        .agg(pl.col(SCOPE).sort())
        if reached
        else pl.DataFrame(schema={"key": pl.String, SCOPE: _GRANTS})
    )
    return keys.join(grants, on="key", how="left").with_columns(
        pl.col(SCOPE).fill_null(pl.lit([], dtype=_GRANTS))
    )


def _inherited(
    collector: Collector, label: str, keys: pl.DataFrame, known: dict[str, pl.DataFrame]
) -> pl.DataFrame | None:
    """The meet of the scopes of the restricted nodes each key's `inherit` relationships
    reach: the grants all of them hold, ignoring those granted to anyone; `any` where
    there are none. None if a scope it needs is not known."""
    gs = collector.graph
    parts = []
    for type_ in gs.node(label).visibility.inherit:
        for far, pairs in _links(collector, label, type_):
            if not gs.node(far).restricted:
                continue
            if far not in known:
                return None
            parts.append(pairs.join(known[far].rename({"key": "far"}), on="far"))
    if not parts:
        return keys.with_columns(pl.lit([ANY], dtype=_GRANTS).alias(SCOPE))
    scoped = _concat(parts).filter(~pl.col(SCOPE).list.contains(ANY))
    counted = scoped.group_by("key").agg(pl.len().alias("n"))
    common = (
        scoped.explode(SCOPE)
        .drop_nulls(SCOPE)
        .group_by("key", SCOPE)
        .agg(pl.len().alias("m"))
        .join(counted, on="key")
        .filter(pl.col("m") == pl.col("n"))
        .group_by("key")
        .agg(pl.col(SCOPE).sort())
    )
    return (
        keys.join(counted, on="key", how="left")
        .join(common, on="key", how="left")
        .select(
            "key",
            pl.when(pl.col("n").is_null())
            .then(pl.lit([ANY], dtype=_GRANTS))
            .otherwise(pl.col(SCOPE).fill_null(pl.lit([], dtype=_GRANTS)))
            .alias(SCOPE),
        )
    )


def write_blocks(keyed: pl.DataFrame, cap: int, out: Path) -> tuple[str, Path]:
    """The blocking keys of person records, (record_id, key) rows (as `resolution.run`
    writes them with the loader: each key's count, its records, sorted, while at most
    `cap`), as CSV input."""
    frame = (
        keyed.group_by("key")
        .agg(pl.col("record_id").unique().sort().alias("records"))
        .with_columns(count=pl.col("records").list.len().cast(pl.Int64))
        .with_columns(records=pl.when(pl.col("count") <= cap).then(pl.col("records")))
        .sort("key")
    )
    body = [
        pl.col("key").alias(f":ID({BLOCK_KEY})"),
        pl.col("key").alias("key:string"),
        pl.col("count").alias("count:long"),
        _text("records", "string[]").alias("records:string[]"),
    ]
    path = out / f"nodes-{BLOCK_KEY}.csv"
    _write(frame, body, path)
    return BLOCK_KEY, path


def _concat(parts: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(parts, how="diagonal_relaxed") if len(parts) > 1 else parts[0]


def _properties(frame: pl.DataFrame, types: dict[str, str]) -> list[pl.Expr]:
    """The CSV columns of the declared properties and, beside each statement, its claim
    (`_k_<column>` after `_collapse`, `<column>__claim` in the graph)."""
    out = []
    for column, type_ in types.items():
        out.append(_text(column, type_).alias(f"{column}:{_CSV_TYPES[type_]}"))
        if f"_k_{column}" in frame.columns:  # a claim only beside a value, as the loader
            claim = pl.when(pl.col(column).is_not_null()).then(pl.col(f"_k_{column}"))
            out.append(claim.alias(f"{claim_name(column)}:long"))
    return out


def _provenance(frame: pl.DataFrame) -> list[pl.Expr]:
    return [
        _text("_first", "datetime").alias("first_seen:datetime"),
        _text("_last", "datetime").alias("last_seen:datetime"),
        _text("_sources", "string[]").alias("sources:string[]"),
    ]


def _text(column: str, type_: str) -> pl.Expr:
    """A wire-typed column as the importer reads it: datetimes (epoch ms) as ISO 8601 in
    UTC, lists joined by ARRAY."""
    col = pl.col(column)
    if type_ == "datetime":
        return pl.from_epoch(col, "ms").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
    if type_ == "string[]":
        return col.list.join(ARRAY)
    return col


def _write(frame: pl.DataFrame, body: list[pl.Expr], path: Path) -> None:
    """The CSV columns `body` of `frame` as `path` (refused if a text holds ARRAY)."""
    clash = [
        pl.col(c).str.contains(ARRAY, literal=True).any()
        if t == pl.String
        else pl.col(c).list.eval(pl.element().str.contains(ARRAY, literal=True)).list.any().any()
        for c, t in frame.schema.items()
        if t == pl.String or t == pl.List(pl.String)
    ]
    if clash and any(frame.select(clash).row(0)):
        raise LoadError(
            f"{path.stem}: a value holds the control character U+001F, which the importer "
            "reads as a list separator; load this graph without --bulk"
        )
    # every text quoted, so that an empty text stays one; an absent value is unquoted,
    # which the importer leaves unset
    frame.select(body).write_csv(path, quote_style="non_numeric")


def held(driver: Driver, settings: Settings) -> Held:
    """Every node of the graph, as labels and properties (the graph holds bookkeeping
    only, and no relationships: `why_not`)."""
    records, _, _ = driver.execute_query(
        "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props",
        database_=settings.neo4j_database,
    )
    linked, _, _ = driver.execute_query(
        "MATCH ()-[r]->() RETURN count(r) AS n", database_=settings.neo4j_database
    )
    if linked[0]["n"]:
        raise LoadError("the graph's bookkeeping has relationships: load it without --bulk")
    return [(list(r["labels"]), dict(r["props"])) for r in records]


def restore(driver: Driver, settings: Settings, nodes: Held) -> None:
    """Write `nodes` (from `held`) into the graph."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for labels, props in nodes:
        groups[tuple(sorted(labels))].append(props)
    for group, rows in groups.items():
        names = "".join(f":{ident(label)}" for label in group)
        driver.execute_query(
            f"UNWIND $rows AS p CREATE (n{names}) SET n = p",
            rows=rows,
            database_=settings.neo4j_database,
        )


def begin(driver: Driver, settings: Settings, say: Say | None = None) -> None:
    """Start a bulk load: redo an interrupted one from the graph it began on, or keep
    what the graph holds now (`before.pickle`) for a load killed before it ends."""
    where = folder(settings)
    if (where / "before.pickle").exists():
        if say:
            say("a bulk load was interrupted: discarding what it wrote, loading again")
        undo(driver, settings)
        return
    shutil.rmtree(where, ignore_errors=True)
    building = where.with_name(f"{FOLDER}.{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    (building / "before.pickle").write_bytes(pickle.dumps(held(driver, settings)))
    building.rename(where)


def undo(driver: Driver, settings: Settings) -> None:
    """Put the graph back as it was before the bulk load began: Neo4j stopped, its
    database discarded, started empty, what the graph held written back."""
    nodes: Held = pickle.loads((folder(settings) / "before.pickle").read_bytes())
    embedded.stop(settings)
    discard(settings)
    embedded.start(settings)
    _wait(driver, settings)
    restore(driver, settings, nodes)
    migrate.migrate(driver, database=settings.neo4j_database)


@dataclass
class Landed:
    """The collected rows are in the graph; identity resolution's model is being trained
    on their person records (`ahead` waits for it)."""

    features: pl.DataFrame
    training: Future[tuple[str, Outcome]]
    pool: ProcessPoolExecutor
    scoped: bool  # every restricted node was given its scope by the importer

    def ahead(self) -> resolution.Ahead:
        """What the first resolution run needs: the features, the trained model and
        the judgements made with it."""
        try:
            model, outcome = self.training.result()
            return resolution.Ahead(self.features, Model.from_json(model), outcome)
        finally:
            self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def _trainer() -> None:
    """The process that works out the person records' features and trains the model:
    quiet (DuckDB's progress bars)."""
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.close(quiet)


# The person records' features are worked out in this many parts, two processes at once.
FEATURE_PARTS = 8
WORKERS = 2


def _featured(persons: Persons) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The features of `persons` and their blocking keys, (record_id, key) rows (in a
    process of the bulk load's own, `land`)."""
    features = person_records.features(persons.iter_rows())
    return features, blocking.keys(features)


# The priority of training and judging beside the importer: below it, which is what the
# load waits for, using what the importer leaves of the machine.
NICE = 10


def _trained(features: pl.DataFrame, limits: Thresholds) -> tuple[str, Outcome]:
    """The model trained on `features`, as JSON, and the judgements of their candidate
    pairs (in a process of the bulk load's own, `land`: the graph was empty, so no
    judgement was made before)."""
    os.nice(NICE)
    model = train(features)
    outcome = resolve(features, limits, model=model)
    return model.to_json(), replace(outcome, scored=pl.DataFrame())


def land(
    driver: Driver, settings: Settings, collector: Collector, say: Say | None = None
) -> Landed:
    """Write the collected frames into the graph through the importer (Neo4j stopped
    and started again), with the blocking keys of their person records. Two processes
    of its own work out those records' features and blocking keys, in parts, while the
    rest of the input is written; one then trains identity resolution's model on them
    (on a sample of a large county's persons, `model.SAMPLE`) while the importer runs
    and Neo4j starts again. Input the importer cannot
    take leaves the graph as it was before the load, and says so. Neo4j stops while the
    input is written."""
    where = folder(settings)
    phases: dict[str, float] = {}
    peaks: dict[str, float] = {}  # this process's peak memory (MiB) at a phase's end
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - clock
        peaks[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        clock = time.perf_counter()

    nodes = held(driver, settings)
    if say:
        say("writing the importer's input (Neo4j stopped meanwhile)")
    trainer = ProcessPoolExecutor(
        WORKERS, mp_context=multiprocessing.get_context("spawn"), initializer=_trainer
    )
    with ThreadPoolExecutor(2, thread_name_prefix="bulk") as pool:
        stopping = pool.submit(embedded.stop, settings)
        featured: list[Future[tuple[pl.DataFrame, pl.DataFrame]]] = []
        cap, out = settings.resolve_block_cap, where / "input"

        def found(persons: Persons) -> None:
            size = max(1, math.ceil(persons.height / FEATURE_PARTS))
            featured.extend(trainer.submit(_featured, part) for part in persons.iter_slices(size))

        try:  # the features of the person records worked out while the rest is written
            given = write_input(collector, out, found)
            shutil.rmtree(collector.spill, ignore_errors=True)
            lap("input")
            done = [f.result() for f in featured] or [_featured(_no_persons())]
            features = _concat([f for f, _ in done])
            given.nodes.append(write_blocks(_concat([k for _, k in done]), cap, out))
            del done
            training = trainer.submit(_trained, features, resolution.thresholds(settings))
            lap("blocking keys")
            stopping.result()
            lap("stopping Neo4j")
            (where / IMPORTING).touch()
            if say:
                say(f"importing {given.rows:,} nodes and relationships")
            run_import(settings, given, where)
            lap("importer")
        except (LoadError, EmbeddedNeo4jError) as exc:
            trainer.shutdown(wait=False, cancel_futures=True)
            stopping.exception()  # stopped (or failing to) before the graph is put back
            (where / IMPORTING).unlink(missing_ok=True)
            undo(driver, settings)
            finish(settings)
            raise LoadError(f"{exc}; the graph is as it was before this sync") from None
    (where / IMPORTING).unlink()  # the store is whole
    landed = Landed(features, training, trainer, given.scoped)
    try:
        embedded.start(settings)
        _wait(driver, settings)
        lap("starting Neo4j")
        restore(driver, settings, nodes)
        # the full-text index is filled while identity resolution runs (`hub.syncing`)
        migrate.migrate(driver, database=settings.neo4j_database, fulltext_awaited=False)
        unscope(driver, settings, given.unscoped)
    except BaseException:
        landed.close()  # the next sync redoes the load (`bulk-load/` is there)
        raise
    shutil.rmtree(where / "input", ignore_errors=True)
    lap("indexes")
    if say:
        took = sum(phases.values())
        said = ", ".join(
            f"{name} {seconds:.1f}s (peak {peaks[name]:,.0f} MiB)"
            for name, seconds in phases.items()
        )
        say(f"imported {given.rows:,} nodes and relationships in {took:.0f}s: {said}")
    return landed


def unscope(driver: Driver, settings: Settings, keys: dict[str, list[str]]) -> None:
    """Give the nodes of `keys` (by label) the empty scope: granted to nobody."""
    gs = schema()
    for label, chosen in keys.items():
        if chosen:
            node = gs.node(label)
            driver.execute_query(
                f"UNWIND $keys AS k MATCH (n:{ident(label)} {{{ident(node.key)}: k}}) "
                f"SET n.{ident(gs.scope_property)} = []",
                keys=chosen,
                database_=settings.neo4j_database,
            )


def run_import(settings: Settings, given: Input, where: Path) -> None:
    """`neo4j-admin database import full` of `given` into the instance's database."""
    inst = embedded.Instance(settings)
    args = [
        "database", "import", "full",
        *(f"--nodes={label}={path}" for label, path in given.nodes),
        *(f"--relationships={type_}={path}" for type_, path in given.relationships),
        "--array-delimiter=U+001F",
        "--multiline-fields=true",
        "--overwrite-destination=true",
        "--bad-tolerance=0",
        "--strict=true",
        f"--report-file={where / 'import.report'}",
        settings.neo4j_database or "neo4j",
    ]  # fmt: skip
    backup._admin(settings, inst, *args, heap=settings.neo4j_heap)


def finish(settings: Settings) -> None:
    """The load ended: nothing to redo."""
    shutil.rmtree(folder(settings), ignore_errors=True)


def discard(settings: Settings) -> None:
    """Remove the instance's database files (Neo4j stopped): it starts with an empty one."""
    data = embedded.Instance(settings).folder / "data"
    name = settings.neo4j_database or "neo4j"
    for part in ("databases", "transactions"):
        shutil.rmtree(data / part / name, ignore_errors=True)


def _wait(driver: Driver, settings: Settings) -> None:
    forget_bookmarks(driver, settings.neo4j_database)


def forget_bookmarks(driver: Driver, database: str | None = None) -> None:
    """Neo4j started again on a new store: the transactions `driver` remembers for
    `execute_query` (its bookmarks) are not in it, and would be waited for in vain. They
    are replaced by the new store's own (a read's bookmark)."""
    with driver.session(database=database) as session:
        session.execute_read(lambda tx: tx.run("RETURN 1").consume())
        fresh = session.last_bookmarks().raw_values
    bookmarks = driver.execute_query_bookmark_manager
    bookmarks.update_bookmarks(bookmarks.get_bookmarks(), fresh)
