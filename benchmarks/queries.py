"""Query benchmark: the GraphQL API over HTTP against the same questions asked as
hand-written Cypher through the plain driver, in the same run, on the same Neo4j.

    python benchmarks/queries.py [--people 2000] [--rounds 50] [--world DIR] [--keep]

Generates a county (unless --world names one), starts its source simulators, empties
the Neo4j of HUB_NEO4J_PORT (with NEO4J_URI it refuses unless --wipe is given) and syncs
every source into it (--keep reuses a graph a previous run loaded), then serves the API
with `hub serve` on loopback and, for person, search, neighbourhood (depth 2), paths
(maxHops 6), moneyFlow (maxHops 6) and caseClusters, prints p50 and p99 over HTTP (one
request per round, keep-alive, as an administrator), p50 and p99 of the hand-written
Cypher, and the ratio of the p50s; the two take turns round by round. A first row, the
empty query `{ __typename }` against `RETURN 1`, shows what every answer pays before it
asks anything. The issue's size is 1,000,000 people (`--people 1000000`, with
HUB_NEO4J_PAGECACHE=6g HUB_NEO4J_HEAP=4g); the default is small enough for a laptop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import httpx
import polars as pl
from neo4j import READ_ACCESS, Driver, Query
from strawberry import relay

import connectors
from hub import auth, db, ids, migrate, syncing
from hub.access import Principal, Role
from hub.queries.clusters import FOOTPRINT
from hub.queries.graph import default_types
from hub.settings import Settings
from hub.simulate import process as simulators
from hub.world import WorldConfig, generate

MARK = "benchmarks/queries"


def load(settings: Settings, world: Path, port_base: int, keep: bool) -> Driver:
    driver = db.connect(settings)
    marked, _, _ = driver.execute_query(
        "MATCH (s:SyncState {stream_id: $mark}) RETURN s.cursor AS world", mark=MARK
    )
    if keep and marked and marked[0]["world"] == str(world):
        return driver
    with simulators.running(world, port_base) as sources:
        os.environ["HUB_SOURCES"] = str(sources)
        local = Settings.from_env()
        with driver.session() as session:
            session.run(
                "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS"
            ).consume()
        migrate.migrate(driver)
        chosen = [connectors.build(name, local) for name in connectors.names()]
        began = time.perf_counter()
        asyncio.run(syncing.sync(driver, local, chosen, full=True))
        print(f"synced in {time.perf_counter() - began:,.0f}s")
    driver.execute_query("CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()")
    driver.execute_query(
        "CREATE (:SyncState {stream_id: $mark, cursor: $world})", mark=MARK, world=str(world)
    )
    return driver


def inputs(driver: Driver, world: Path, settings: Settings) -> dict[str, Any]:
    """The entities the questions are about, from the county's ground truth."""
    paths = pl.read_parquet(world / "truth" / "money_paths.parquet")
    path = max(paths.iter_rows(named=True), key=lambda p: p["mule_layers"])
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person)-[:HAS_PHONE]->() WHERE p.id_number IS NOT NULL AND p.name IS NOT NULL "
        "AND EXISTS { (p)-[:HOLDS]->() } RETURN p.id_number AS id, p.name AS name, p.uid AS uid "
        "ORDER BY p.uid LIMIT 1"
    )
    codec = ids.codec(settings)
    end = next(a for a in path["end_accounts"] if a != path["victim_account"])
    return {
        "id_number": rows[0]["id"],
        "name": rows[0]["name"],
        "uid": rows[0]["uid"],
        "person": relay.to_base64("Person", codec.encode("Person", rows[0]["uid"])),
        "victim": path["victim_account"],
        "end": end,
        "from": relay.to_base64("BankAccount", codec.encode("BankAccount", path["victim_account"])),
        "to": relay.to_base64("BankAccount", codec.encode("BankAccount", end)),
        "since": (path["started_at"] - timedelta(hours=8)).replace(tzinfo=UTC),
    }


def questions(
    x: dict[str, Any], settings: Settings
) -> list[tuple[str, str, dict[str, Any], str, dict[str, Any]]]:
    """(name, GraphQL, variables, hand-written Cypher, parameters)."""
    types = list(default_types())
    rel = "|".join(types)
    return [
        # What every answer pays before it asks anything: HTTP, the token, validation,
        # the audit event; against one round trip of the driver.
        ("floor ({ __typename })", "{ __typename }", {}, "RETURN 1 AS one", {}),
        (
            "person",
            "query($id: String!) { person(idNumber: $id) { name idNumber "
            "phones(first: 20) { totalCount edges { node { number } } } "
            "accounts(first: 20) { totalCount edges { node { number bank } } } } }",
            {"id": x["id_number"]},
            "MATCH (p:Person {id_number: $id}) RETURN p {.name, .id_number, "
            "phones: COLLECT { MATCH (p)-[:HAS_PHONE]->(ph) RETURN ph.number "
            "  ORDER BY ph.number LIMIT 20 }, "
            "accounts: COLLECT { MATCH (p)-[:HOLDS]->(a) RETURN a {.number, .bank} "
            "  ORDER BY a.number LIMIT 20 }}",
            {"id": x["id_number"]},
        ),
        (
            "search",
            "query($t: String!) { search(text: $t, first: 20) { "
            "edges { score node { id kind label } } } }",
            {"t": x["name"]},
            "CALL db.index.fulltext.queryNodes('entity_text', $t) YIELD node, score "
            "RETURN labels(node)[0] AS label, properties(node) AS props, score LIMIT 20",
            {"t": x["name"]},
        ),
        (
            "neighbourhood(depth 2)",
            "query($id: ID!) { neighbourhood(id: $id, depth: 2) { truncated "
            "nodes { degree collapsed node { id kind label } } "
            "edges { source target link { type } } } }",
            {"id": x["person"]},
            f"MATCH (s:Person {{uid: $uid}})-[r1:{rel}]-(a) "
            f"OPTIONAL MATCH (a)-[r2:{rel}]-(b) WHERE COUNT {{ (a)--() }} <= $busy "
            "RETURN elementId(a) AS a, properties(a) AS ap, type(r1) AS t1, elementId(b) AS b, "
            "properties(b) AS bp, type(r2) AS t2 LIMIT 2000",
            {"uid": x["uid"], "busy": settings.busy_degree},
        ),
        (
            "paths(maxHops 6)",
            "query($a: ID!, $b: ID!) { paths(from: $a, to: $b, maxHops: 6) { truncated "
            "paths { length nodes { id kind label } edges { source target link { type } } } } }",
            {"a": x["from"], "b": x["to"]},
            "MATCH (a:BankAccount {number: $a}) MATCH (b:BankAccount {number: $b}) "
            f"MATCH p = ALL SHORTEST (a)-[:{rel}]-{{1,6}}(b) WITH p LIMIT 11 "
            "RETURN [n IN nodes(p) | properties(n)] AS nodes, "
            "[r IN relationships(p) | type(r)] AS rels",
            {"a": x["victim"], "b": x["end"]},
        ),
        (
            "moneyFlow(maxHops 6)",
            "query($n: String!, $s: DateTime) { "
            "moneyFlow(account: $n, maxHops: 6, since: $s) { truncated "
            "transfers { txnId fromAccount toAccount amount at hop } "
            "endAccounts { account { number } amount outcome } } }",
            {"n": x["victim"], "s": x["since"].isoformat()},
            raw_flow(6),
            {"n": x["victim"], "s": x["since"]},
        ),
        (
            "caseClusters",
            "{ caseClusters { truncated "
            "clusters { size cases { caseNo } links { kind label } } } }",
            {},
            f"MATCH (c:Case) {FOOTPRINT} "
            "WITH x, collect(DISTINCT c.case_no) AS cases WHERE 2 <= size(cases) <= $busy "
            "RETURN labels(x)[0] AS label, properties(x) AS props, cases",
            {"busy": settings.busy_degree, "scope": Principal("bench", Role.admin).scope()},
        ),
    ]


def raw_flow(hops: int) -> str:
    """Transfers after $s from the account $n, each after the one before it, hop by hop
    over a frontier. (Every walk of up to six transfers, filtered for time afterwards,
    is the obvious Cypher, but it ran past a minute on a 100,000-person county.)"""
    hop = (
        "CALL (frontier, seen) { UNWIND frontier AS f WITH f.account AS x, f.at AS at "
        "  MATCH (x)-[t:TRANSFERRED]->() WHERE t.at > at AND NOT t IN seen "
        "  RETURN collect(DISTINCT t) AS found } "
        "WITH seen + found AS seen, [t IN found | {account: endNode(t), at: t.at}] AS frontier "
    )
    return (
        "MATCH (a:BankAccount {number: $n}) "
        "WITH [{account: a, at: $s - duration({milliseconds: 1})}] AS frontier, [] AS seen "
        + hop
        * hops
        + "UNWIND seen AS t RETURN t.txn_id AS txn, startNode(t).number AS a, "
        "endNode(t).number AS b, t.amount AS amount, t.at AS at"
    )


def timed(calls: tuple[Callable[[int], None], ...], rounds: int) -> list[list[float]]:
    """Milliseconds of each call per round; a call is given the round's number (a warm-up
    round is -1). The calls take turns, in an order that swaps each round, so a busy
    spell of the shared machine weighs on each of them alike rather than on whichever
    ran during it."""
    for _ in range(5):
        for call in calls:
            call(-1)
    out: list[list[float]] = [[] for _ in calls]
    for n in range(rounds):
        for i in range(len(calls))[:: -1 if n % 2 else 1]:
            began = time.perf_counter()
            calls[i](n)
            out[i].append((time.perf_counter() - began) * 1000)
    return out


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@contextmanager
def serving() -> Iterator[str]:
    """`hub serve` in a process of its own, as it runs for investigators (a server thread
    in this process would share the interpreter lock with the client and the raw driver)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HUB_HOST": "127.0.0.1", "HUB_PORT": str(port)}
    hub = Path(sys.executable).with_name("hub")
    server = subprocess.Popen([hub, "serve"], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if server.poll() is not None:
                raise SystemExit(f"hub serve exited with {server.returncode}")
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield f"{base}/graphql"
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--world", type=Path)
    parser.add_argument("--port-base", type=int, default=8780)
    parser.add_argument("--keep", action="store_true", help="reuse the graph a run loaded")
    parser.add_argument("--wipe", action="store_true", help="allow wiping NEO4J_URI's database")
    args = parser.parse_args()
    settings = Settings.from_env()
    if not settings.embedded and not args.wipe:
        raise SystemExit("NEO4J_URI is set: this benchmark empties the database; add --wipe")
    # The raw Cypher names every relationship type, some absent from a small county.
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
    scratch = tempfile.TemporaryDirectory(prefix="hub-queries-")
    world = args.world or Path(scratch.name) / "world"
    if args.world is not None and not (world / "sources").is_dir():
        raise SystemExit(
            f"{world} holds no county: make one with `hub world generate --out {world}`"
        )
    if args.world is None:
        generate(WorldConfig(people=args.people, seed=1, out=world))
    driver = load(settings, world.resolve(), args.port_base, args.keep)
    x = inputs(driver, world, settings)
    people = json.loads((world / "manifest.json").read_text())["people"]
    print(f"\n{people:,} people, {args.rounds} rounds per query (after 5 to warm up)\n")
    heads = ("http p50", "http p99", "raw p50", "raw p99", "ratio")
    print(f"{'query':24s} " + " ".join(f"{h:>9s}" for h in heads))
    # An administrator sees every unit's cases and personal numbers, as the raw Cypher does.
    token = auth.issue(settings, "benchmark", Role.admin)
    with (
        serving() as url,
        httpx.Client(timeout=60, headers={"authorization": f"Bearer {token}"}) as client,
    ):
        for name, query, variables, cypher, params in questions(x, settings):

            def http(
                _: int, query: str = query, variables: dict[str, Any] = variables, name: str = name
            ) -> None:
                body = client.post(url, json={"query": query, "variables": variables}).json()
                if body.get("errors"):
                    raise SystemExit(f"{name}: {body['errors']}")

            def raw(_: int, cypher: str = cypher, params: dict[str, Any] = params) -> None:
                # an auto-commit read, as the API's reads are (`hub.queries.entities.read`)
                with driver.session(default_access_mode=READ_ACCESS) as session:
                    session.run(Query(cypher, timeout=settings.query_timeout), params).data()

            h, r = timed((http, raw), args.rounds)
            print(
                f"{name:24s} {p(h, 50):7.1f}ms {p(h, 99):7.1f}ms {p(r, 50):7.1f}ms "
                f"{p(r, 99):7.1f}ms {p(h, 50) / p(r, 50):9.2f}"
            )
    driver.close()
    scratch.cleanup()


if __name__ == "__main__":
    main()
