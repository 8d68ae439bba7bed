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
   among them (what identity resolution's first run writes);
3. what the graph holds besides (the schema's marker, cursors, manifests, audit trail,
   keys) is read; Neo4j is stopped, the importer writes the store, Neo4j is started,
   that is written back and the constraints and indexes are made (`hub.migrate`);
   meanwhile identity resolution's model is trained on those person records;
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

import os
import pickle
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from neo4j import Driver

from graph_schema import claim_name, ident
from hub import backup, embedded, migrate
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
from hub.queries import resolution as resolution_queries
from hub.resolution import records as person_records
from hub.resolution import run as resolution
from hub.resolution.model import train
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
    with per-row provenance, instead of writing them."""

    def __init__(self, driver: Driver, settings: Settings) -> None:
        super().__init__(driver, database=settings.neo4j_database)
        self.settings = settings
        self.node_frames: dict[str, list[pl.DataFrame]] = defaultdict(list)
        self.rel_frames: dict[tuple[str, str, str], list[pl.DataFrame]] = defaultdict(list)

    def parts(self, count: int) -> list[Collector]:
        """Collectors of their own for `count` sources synced at once (`absorb`)."""
        return [Collector(self.driver, self.settings) for _ in range(count)]

    def absorb(self, parts: list[Collector]) -> None:
        """Keep the frames of `parts` after this one's, in the order of `parts`: the order
        the sources would have given them synced one after another."""
        for part in parts:
            for label, frames in part.node_frames.items():
                self.node_frames[label] += frames
            for key, rels in part.rel_frames.items():
                self.rel_frames[key] += rels

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
        self.node_frames[label].append(_per_row(frame, params))
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
        for side, node in zip(ENDPOINTS, ends, strict=True):
            self.node_frames[node.label].append(
                frame.select(pl.col(side).alias(node.key), *PROVENANCE)
            )
        self.rel_frames[(type_, ends[0].label, ends[1].label)].append(frame)
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
    # (source, stream, record id, raw) of the records of a person, in the input's order
    persons: list[tuple[str, str, str, str]]


def write_input(collector: Collector, out: Path) -> Input:
    """Each label's and type's frames as one row per element, as CSV files in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    graph = collector.graph
    nodes: list[tuple[str, Path]] = []
    rels: list[tuple[str, Path]] = []
    rows = 0
    persons: list[tuple[str, str, str, str]] = []
    for label, parts in sorted(collector.node_frames.items()):
        node = graph.node(label)
        frame, columns, _ = _collapse(_concat(parts), (node.key,), node.properties, {})
        if label == RECORD:
            persons = _persons(frame, collector.rel_frames.get((RECORD_OF, RECORD, PERSON)))
        body = [pl.col(node.key).cast(pl.String).alias(f":ID({label})")]
        body += _properties(frame, {node.key: node.properties[node.key].type, **columns.types})
        path = out / f"nodes-{label}.csv"
        _write(frame, [*body, *_provenance(frame)], path)
        nodes.append((label, path))
        rows += frame.height
    for (type_, start, end), parts in sorted(collector.rel_frames.items()):
        rel = graph.relationship(type_)
        required = (*ENDPOINTS, *((rel.key,) if rel.key else ()))
        declared = {**rel.properties, **rel.statements}
        frame, columns, _ = _collapse(_concat(parts), required, declared, {})
        body = [
            pl.col("start").cast(pl.String).alias(f":START_ID({start})"),
            pl.col("end").cast(pl.String).alias(f":END_ID({end})"),
        ]
        types = {**({rel.key: rel.properties[rel.key].type} if rel.key else {}), **columns.types}
        body += _properties(frame, types)
        path = out / f"rels-{type_}-{start}-{end}.csv"
        _write(frame, [*body, *_provenance(frame)], path)
        rels.append((type_, path))
        rows += frame.height
    return Input(nodes, rels, rows, persons)


def _persons(
    records: pl.DataFrame, links: list[pl.DataFrame] | None
) -> list[tuple[str, str, str, str]]:
    """The records among `records` that are a person's (`RECORD_OF` one)."""
    if not links:
        return []
    ids = _concat([f.select("start") for f in links]).get_column("start")
    chosen = records.filter(pl.col("record_id").is_in(ids.implode()))
    return list(chosen.select("source", "stream", "record_id", "raw").iter_rows())


def write_blocks(features: pl.DataFrame, cap: int, out: Path) -> tuple[str, Path]:
    """The blocking keys of person records' `features` (as `resolution.run` writes them
    with the loader: each key's count, its records while at most `cap`) as CSV input."""
    keyed = resolution_queries.members(resolution.block_rows(features))
    frame = pl.DataFrame(
        {
            "key": list(keyed),
            "count": [len(ids) for ids in keyed.values()],
            "records": [ids if len(ids) <= cap else None for ids in keyed.values()],
        },
        schema={"key": pl.String, "count": pl.Int64, "records": pl.List(pl.String)},
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


def land(
    driver: Driver, settings: Settings, collector: Collector, say: Say | None = None
) -> resolution.Ahead:
    """Write the collected frames into the graph through the importer (Neo4j stopped
    and started again), with the blocking keys of their person records; meanwhile train
    identity resolution's model on those records. What the first resolution run needs
    of them (`resolution.Ahead`). Input the importer cannot take leaves the graph as it
    was before the load, and says so."""
    where = folder(settings)
    clock = time.perf_counter()
    if say:
        say("writing the importer's input")
    with ThreadPoolExecutor(1, thread_name_prefix="train") as pool:
        try:
            given = write_input(collector, where / "input")
            features = person_records.features(given.persons)
            given.nodes.append(write_blocks(features, settings.resolve_block_cap, where / "input"))
            training = pool.submit(train, features)  # the importer is another process
            nodes = held(driver, settings)
            (where / IMPORTING).touch()
            if say:
                say(f"importing {given.rows:,} nodes and relationships (Neo4j stopped meanwhile)")
            embedded.stop(settings)
            importer = time.perf_counter()
            run_import(settings, given, where)
            importer = time.perf_counter() - importer
        except (LoadError, EmbeddedNeo4jError) as exc:
            (where / IMPORTING).unlink(missing_ok=True)
            undo(driver, settings)
            finish(settings)
            raise LoadError(f"{exc}; the graph is as it was before this sync") from None
        (where / IMPORTING).unlink()  # the store is whole
        embedded.start(settings)
        _wait(driver, settings)
        restore(driver, settings, nodes)
        migrate.migrate(driver, database=settings.neo4j_database)
        shutil.rmtree(where / "input", ignore_errors=True)
        waited = time.perf_counter()
        model = training.result()
        waited = time.perf_counter() - waited
        if say:
            took = time.perf_counter() - clock
            say(
                f"imported {given.rows:,} nodes and relationships in {took:.0f}s (the importer "
                f"{importer:.0f}s, then {waited:.0f}s waiting for the resolution model trained "
                "meanwhile, the rest writing its input, stopping and starting Neo4j)"
            )
        return resolution.Ahead(features, model)


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
