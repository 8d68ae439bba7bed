"""Ingest benchmark: the loader against a raw UNWIND ... MERGE and against one MERGE per row.

    python benchmarks/ingest.py [--nodes 200000] [--relationships 500000] [--repeat 3]

Generates a synthetic graph (persons, phones, accounts; HAS_PHONE, HOLDS, CALLED and
TRANSFERRED), then in the same run, on the same Neo4j, alternately
  - loads it through `hub.loader.Loader` (provenance, null-preserving SETs, typed casts);
  - loads the same rows with a minimal hand-written `UNWIND $rows ... MERGE` that writes
    the same graph, through the plain driver, at the same batch size and with the same
    managed write transactions;
  - the same with a "bare" statement that writes keys and properties only (no
    provenance), to show what provenance costs;
  - a "ceiling": CREATE only (no MERGE, no provenance; relationships between the nodes
    already there) with two workers as the loader has, which is right only for a first
    load into an empty graph, and is about the fastest this Neo4j writes these rows;
and finally loads a 5,000-row sample with one `MERGE` statement per row.
The database is emptied before each load. It prints the medians over `--repeat` rounds
of node rows/s and relationship rows/s, and the ratios loader / raw and loader / per-row.

It runs on its own project-run Neo4j (Bolt port 7689 unless HUB_NEO4J_PORT says
otherwise), whose contents it deletes; with NEO4J_URI it refuses unless --wipe is given.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from neo4j import Driver, ManagedTransaction

os.environ.setdefault("HUB_NEO4J_PORT", "7689")

from graph_schema import ident, schema
from hub import db
from hub.loader import Loader
from hub.migrate import migrate
from hub.settings import Settings

SOURCE = "benchmark"
SEEN = datetime(2026, 1, 1, tzinfo=UTC)
Frames = dict[str, pl.DataFrame]


def generate(n_nodes: int, n_rels: int, seed: int = 7) -> tuple[Frames, Frames]:
    """Node frames by label and relationship frames by type, with unique keys."""
    rng = random.Random(seed)
    n_person = n_nodes // 4
    n_phone = (n_nodes - n_person) // 2
    n_account = n_nodes - n_person - n_phone
    persons = [f"P{i:08d}" for i in range(n_person)]
    phones = [f"+86138{i:08d}" for i in range(n_phone)]
    accounts = [f"622202{i:013d}" for i in range(n_account)]
    nodes = {
        "Person": pl.DataFrame(
            {
                "uid": persons,
                "name": [f"姓名{i}" for i in range(n_person)],
                "name_pinyin": [f"xingming{i}" for i in range(n_person)],
            }
        ),
        "Phone": pl.DataFrame({"number": phones, "kind": ["mobile"] * n_phone}),
        "BankAccount": pl.DataFrame({"number": accounts, "bank": ["ICBC"] * n_account}),
    }

    n_has = min(n_phone, n_rels // 6)
    n_holds = min(n_account, n_rels // 6)
    n_called = (n_rels - n_has - n_holds) // 2
    n_transfer = n_rels - n_has - n_holds - n_called
    # Distinct caller/callee pairs in random order: pair i links phone i mod n to the
    # phone (i div n) + 1 places onwards.
    order = list(range(n_called))
    rng.shuffle(order)
    pairs = pl.DataFrame(
        {
            "a": [i % n_phone for i in order],
            "b": [(i % n_phone + i // n_phone + 1) % n_phone for i in order],
        }
    )
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rels = {
        "HAS_PHONE": pl.DataFrame(
            {
                "start": [persons[i % n_person] for i in range(n_has)],
                "end": phones[:n_has],
            }
        ),
        "HOLDS": pl.DataFrame(
            {
                "start": [persons[i % n_person] for i in range(n_holds)],
                "end": accounts[:n_holds],
            }
        ),
        "CALLED": pl.DataFrame(
            {
                "start": [phones[i] for i in pairs["a"]],
                "end": [phones[i] for i in pairs["b"]],
                "count": [rng.randint(1, 50) for _ in range(pairs.height)],
                "seconds": [rng.randint(10, 5000) for _ in range(pairs.height)],
            }
        ),
        "TRANSFERRED": pl.DataFrame(
            {
                "start": [accounts[rng.randrange(n_account)] for _ in range(n_transfer)],
                "end": [accounts[rng.randrange(n_account)] for _ in range(n_transfer)],
                "txn_id": [f"T{i:010d}" for i in range(n_transfer)],
                "amount": [round(rng.uniform(10, 50_000), 2) for _ in range(n_transfer)],
                "at": [
                    start + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(n_transfer)
                ],
            }
        ),
    }
    return nodes, rels


def _node(var: str, label: str, value: str) -> str:
    """`(var:Label {key: value})` for a node type of graph_schema, names quoted."""
    return f"({var}:{ident(label)} {{{ident(schema().node(label).key)}: {value}}})"


def _endpoints(type_: str) -> tuple[str, str]:
    rel = schema().relationship(type_)
    return rel.sources[0], rel.targets[0]


# The hand-written baselines write what a developer would for a one-off load into an
# empty graph. `raw` writes the same graph as the loader (key, properties, and
# provenance as plain SETs, which is only right on a first load); `bare` writes keys and
# properties only. Datetimes travel as epoch milliseconds in both, as in the loader.
PROVENANCE = "n.first_seen = $seen, n.last_seen = $seen, n.sources = [$source]"


def raw_node_statement(label: str, bare: bool) -> str:
    key = ident(schema().node(label).key)
    merge = f"UNWIND $rows AS row MERGE {_node('n', label, 'row.' + key)} "
    if bare:
        return merge + "SET n += row"
    return merge + f"SET n += row, {PROVENANCE}"


def raw_rel_statement(type_: str, bare: bool) -> str:
    start, end = _endpoints(type_)
    keyed = " {txn_id: row.txn_id}" if type_ == "TRANSFERRED" else ""
    ends = (
        f"UNWIND $rows AS row MERGE {_node('a', start, 'row.start')} "
        f"MERGE {_node('b', end, 'row.end')} MERGE (a)-[r:{ident(type_)}{keyed}]->(b) "
    )
    props = (
        "r.amount = row.amount, r.at = datetime({epochMillis: row.at})"
        if keyed
        else ("r.count = row.count, r.seconds = row.seconds" if type_ == "CALLED" else "")
    )
    if bare:
        return ends + (f"SET {props}" if props else "")
    both = ", ".join(p.replace("n.", v + ".") for v in ("a", "b", "r") for p in [PROVENANCE])
    return ends + f"SET {both}" + (f", {props}" if props else "")


def _run(tx: ManagedTransaction, statement: str, rows: list[dict[str, Any]]) -> None:
    tx.run(statement, rows=rows, seen=SEEN, source=SOURCE).consume()


def raw_load(
    driver: Driver, nodes: Frames, rels: Frames, batch: int, bare: bool
) -> tuple[float, float]:
    """Seconds for nodes and for relationships with a hand-written UNWIND ... MERGE."""
    with driver.session() as session:
        began = time.perf_counter()
        for label, frame in nodes.items():
            statement = raw_node_statement(label, bare)
            for offset in range(0, frame.height, batch):
                session.execute_write(_run, statement, frame.slice(offset, batch).to_dicts())
        node_seconds = time.perf_counter() - began
        began = time.perf_counter()
        for type_, frame in rels.items():
            statement = raw_rel_statement(type_, bare)
            if "at" in frame.columns:
                frame = frame.with_columns(pl.col("at").dt.epoch("ms"))
            for offset in range(0, frame.height, batch):
                session.execute_write(_run, statement, frame.slice(offset, batch).to_dicts())
        return node_seconds, time.perf_counter() - began


def ceiling_statements(label_or_type: str, relationship: bool) -> str:
    if not relationship:
        return f"UNWIND $rows AS row CREATE (n:{ident(label_or_type)}) SET n = row"
    start, end = _endpoints(label_or_type)
    return (
        f"UNWIND $rows AS row MATCH {_node('a', start, 'row.start')} "
        f"MATCH {_node('b', end, 'row.end')} CREATE (a)-[r:{ident(label_or_type)}]->(b) "
        "SET r = row {.*, start: null, end: null}"
    )


def ceiling_load(driver: Driver, nodes: Frames, rels: Frames, batch: int) -> tuple[float, float]:
    """Seconds for nodes and for relationships written with CREATE by two workers, each
    taking the rows of half the keys (as the loader's workers do)."""

    def load(frames: Frames, relationship: bool) -> float:
        began = time.perf_counter()
        for name, frame in frames.items():
            statement = ceiling_statements(name, relationship)
            if "at" in frame.columns:
                frame = frame.with_columns(pl.col("at").dt.epoch("ms"))
            key = "start" if relationship else frame.columns[0]
            halves = frame.with_columns(_h=pl.col(key).hash(seed=0) % 2).partition_by(
                "_h", include_key=False
            )

            def work(part: pl.DataFrame, statement: str = statement) -> None:
                with driver.session() as session:
                    for offset in range(0, part.height, batch):
                        rows = part.slice(offset, batch).to_dicts()
                        session.execute_write(_run, statement, rows)

            with ThreadPoolExecutor(2) as pool:
                list(pool.map(work, halves))
        return time.perf_counter() - began

    return load(nodes, False), load(rels, True)


def loader_load(loader: Loader, nodes: Frames, rels: Frames) -> tuple[float, float]:
    began = time.perf_counter()
    for label, frame in nodes.items():
        loader.nodes(label, frame, source=SOURCE, seen_at=SEEN)
    node_seconds = time.perf_counter() - began
    began = time.perf_counter()
    for type_, frame in rels.items():
        loader.relationships(type_, frame, source=SOURCE, seen_at=SEEN)
    return node_seconds, time.perf_counter() - began


def per_row_load(driver: Driver, frame: pl.DataFrame) -> float:
    """Seconds for one MERGE statement (and transaction) per Phone row."""
    statement = "MERGE (n:Phone {number: $number}) SET n.kind = $kind"
    began = time.perf_counter()
    with driver.session() as session:
        for row in frame.iter_rows(named=True):
            session.execute_write(lambda tx, r=row: tx.run(statement, **r).consume())
    return time.perf_counter() - began


def wipe(driver: Driver) -> None:
    """An empty graph with new indexes: after every node was deleted, an equality seek
    on the old relationship index on TRANSFERRED(txn_id) cost ~800 page hits (a raw
    MERGE batch ran for minutes), which would measure the index rather than the writer."""
    with driver.session() as session:
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS"
        ).consume()
        for kind, kinds in (("CONSTRAINT", "CONSTRAINTS"), ("INDEX", "INDEXES")):
            found = session.run(f"SHOW {kinds} YIELD name, type WHERE type <> 'LOOKUP' RETURN name")
            for name in [record["name"] for record in found]:
                session.run(f"DROP {kind} {ident(name)} IF EXISTS").consume()
    migrate(driver)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--relationships", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--wipe", action="store_true", help="allow wiping NEO4J_URI's database")
    args = parser.parse_args()

    settings = Settings.from_env()
    if not settings.embedded and not args.wipe:
        raise SystemExit("NEO4J_URI is set: this benchmark empties the database; add --wipe")
    nodes, rels = generate(args.nodes, args.relationships)
    n_nodes = sum(f.height for f in nodes.values())
    n_rels = sum(f.height for f in rels.values())
    print(
        f"graph: {n_nodes:,} node rows, {n_rels:,} relationship rows, batch {settings.batch_size:,}"
    )

    with db.connected(settings) as driver:
        migrate(driver)
        loader = Loader.from_settings(driver, settings)
        single = Loader(driver, batch_size=settings.batch_size, workers=1)
        batch = settings.batch_size
        contenders: dict[str, Callable[[], tuple[float, float]]] = {
            "loader": lambda: loader_load(loader, nodes, rels),
            "loader-1": lambda: loader_load(single, nodes, rels),
            "raw": lambda: raw_load(driver, nodes, rels, batch, bare=False),
            "bare": lambda: raw_load(driver, nodes, rels, batch, bare=True),
            "ceiling": lambda: ceiling_load(driver, nodes, rels, batch),
        }
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
        # A fresh JVM runs the first loads several times slower: warm it up unmeasured.
        wipe(driver)
        print("  warm-up round (not measured)")
        loader_load(loader, nodes, rels)
        for round_ in range(args.repeat):
            shift = round_ % len(contenders)
            order = list(contenders)[shift:] + list(contenders)[:shift]
            for name in order:
                wipe(driver)
                node_s, rel_s = contenders[name]()
                runs[name].append((node_s, rel_s))
                print(
                    f"  round {round_ + 1} {name:8s}: nodes {n_nodes / node_s:9,.0f} rows/s, "
                    f"relationships {n_rels / rel_s:9,.0f} rows/s"
                )
        wipe(driver)
        sample = nodes["Phone"].head(args.sample)
        per_row = sample.height / per_row_load(driver, sample)
        wipe(driver)
        sample_loader = Loader(driver, batch_size=settings.batch_size, workers=1)
        began = time.perf_counter()
        sample_loader.nodes("Phone", sample, source=SOURCE, seen_at=SEEN)
        loader_sample = sample.height / (time.perf_counter() - began)
        wipe(driver)

    def median(name: str, i: int, rows: int) -> float:
        return statistics.median(rows / r[i] for r in runs[name])

    ln, lr = median("loader", 0, n_nodes), median("loader", 1, n_rels)
    sn, sr = median("loader-1", 0, n_nodes), median("loader-1", 1, n_rels)
    rn, rr = median("raw", 0, n_nodes), median("raw", 1, n_rels)
    bn, br = median("bare", 0, n_nodes), median("bare", 1, n_rels)
    cn, cr = median("ceiling", 0, n_nodes), median("ceiling", 1, n_rels)
    print(f"\nmedians over {args.repeat} rounds")
    print(
        f"  loader ({loader.workers} workers): {ln:9,.0f} node rows/s   "
        f"{lr:9,.0f} relationship rows/s"
    )
    print(f"  loader (1 worker) : {sn:9,.0f} node rows/s   {sr:9,.0f} relationship rows/s")
    print(f"  raw UNWIND      : {rn:9,.0f} node rows/s   {rr:9,.0f} relationship rows/s")
    print(f"  bare UNWIND     : {bn:9,.0f} node rows/s   {br:9,.0f} relationship rows/s")
    print(f"  ceiling CREATE  : {cn:9,.0f} node rows/s   {cr:9,.0f} relationship rows/s")
    print(f"  per-row MERGE   : {per_row:9,.0f} node rows/s   (sample of {sample.height:,})")
    print(f"  loader / raw UNWIND  : nodes {ln / rn:.2f}   relationships {lr / rr:.2f}")
    print(f"  loader / bare UNWIND : nodes {ln / bn:.2f}   relationships {lr / br:.2f}")
    print(f"  loader / ceiling     : nodes {ln / cn:.2f}   relationships {lr / cr:.2f}")
    print(f"  loader (1 worker) / raw UNWIND : nodes {sn / rn:.2f}   relationships {sr / rr:.2f}")
    print(
        f"  loader / per-row    : {loader_sample / per_row:.1f} (same {sample.height:,}-row sample)"
    )
    print("targets: loader >= 0.9 x raw; >= 30,000 node rows/s; >= 15,000 relationship rows/s")


if __name__ == "__main__":
    main()
