"""The hub's API against the Neo4j GraphQL Library on the same graph and questions.

    python benchmarks/peer/run.py [--people 20000] [--rounds 100] [--sample 20]
                                  [--world DIR] [--keep] [--cache-rounds 50] [--kept-only]
                                  [--only paths ...]

What a team would otherwise deploy is the Neo4j GraphQL Library (`@neo4j/graphql`) on
Apollo Server. This benchmark sets it up itself (`npm ci` in benchmarks/peer, pinned by
its package-lock.json; Node.js 20+ and npm are needed), with type definitions generated
from graph_schema (`typedefs.py`), over the same Neo4j as the hub. Like
`benchmarks/queries.py` it generates a county (unless --world names one), empties the
Neo4j of HUB_NEO4J_PORT and syncs the county into it (--keep reuses a graph either
benchmark loaded), then serves the hub with `hub serve` and the reference with
`benchmarks/peer/server.js`, each in its own process on loopback.

The questions, asked of both for the same sample of inputs:
  - person: a person by resident ID number, with their phones, accounts and cases;
  - neighbourhood: everything within two links of a person (the hub's `neighbourhood`,
    the reference's nearest equivalent: every relationship field, nested twice);
  - search: a full-text search of persons by name;
  - paths: the shortest paths of up to 6 hops between two accounts of a victim's money
    trail (the hub's `paths`, the reference's `@cypher` field `accountPaths`).
First every answer of the sample is compared, reduced to what both say (keys, kinds,
relationship types; search hits as sets, each side ranking them its own way), and the
run stops at the first that differs. Then the two
servers take turns round by round (the order swaps each round), one keep-alive client
each, and it prints p50 and p99 of each side and the ratio hub / reference of the p50s.
The hub is asked as an administrator (every unit's cases, personal numbers in full), so
that both answers are the same; it still checks the token, the permission table, the
limits and writes the audit event, which the reference does not do at all.

Then the answers cached per data change: `caseClusters`, `stats` and the count of new
alerts, for an investigator of one unit. Each is first computed after the data version
changed (as after a sync; median of 3), then asked again --cache-rounds times, in
turns with the empty query (`{ __typename }`, the floor of any request). --kept-only
measures only these, without the reference; --only QUESTION (person, neighbourhood,
search, paths; repeatable) measures only those questions beside the empty query.

The issue's size is 1,000,000 people:
    HUB_NEO4J_PAGECACHE=6g HUB_NEO4J_HEAP=4g python benchmarks/peer/run.py --people 1000000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import polars as pl
from neo4j import Driver
from strawberry import relay

HERE = Path(__file__).resolve().parent
# typedefs.py beside it; benchmarks/queries.py: load, serving, timed
sys.path[:0] = [str(HERE), str(HERE.parent)]

import queries  # noqa: E402
import typedefs  # noqa: E402

from graph_schema import schema  # noqa: E402
from hub import auth, db, ids  # noqa: E402
from hub.access import Role  # noqa: E402
from hub.queries import generation  # noqa: E402
from hub.queries.graph import default_types  # noqa: E402
from hub.queries.search import lucene  # noqa: E402
from hub.settings import Settings  # noqa: E402
from hub.world import WorldConfig, generate  # noqa: E402

Answer = Any  # an answer reduced to what both sides say, compared with ==
Ask = Callable[[dict[str, Any]], Answer]


@dataclass
class Question:
    name: str
    hub: str  # the hub's document
    hub_vars: Callable[[dict[str, Any]], dict[str, Any]]
    hub_answer: Callable[[Any, dict[str, Any]], Answer]
    ref: str  # the reference's document
    ref_vars: Callable[[dict[str, Any]], dict[str, Any]]
    ref_answer: Callable[[Any, dict[str, Any]], Answer]
    inputs: str  # which sample: "persons" or "paths"


# --- setting up the reference ---------------------------------------------------------


def install() -> str:
    """`npm ci` in benchmarks/peer when package.json or the lock changed; node's path."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise SystemExit("the reference needs Node.js 20 or newer and npm on the PATH")
    stamp = HERE / "node_modules" / ".hub-installed"
    want = hashlib.sha256(
        (HERE / "package.json").read_bytes() + (HERE / "package-lock.json").read_bytes()
    ).hexdigest()
    if not stamp.exists() or stamp.read_text() != want:
        print("installing the reference (npm ci in benchmarks/peer)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)
        stamp.write_text(want)
    return node


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def reference(node: str, settings: Settings, scratch: Path) -> Iterator[str]:
    """The Neo4j GraphQL Library on Apollo Server, over the hub's database."""
    sdl = scratch / "typedefs.graphql"
    sdl.write_text(typedefs.sdl(), encoding="utf-8")
    uri, (user, password) = db.credentials(settings)
    env = {
        **os.environ,
        "NEO4J_URI": uri,
        "NEO4J_USER": user,
        "NEO4J_PASSWORD": password,
        "PEER_TYPEDEFS": str(sdl),
        "PEER_PORT": str(free_port()),
        "NODE_ENV": "production",
    }
    if settings.neo4j_database:
        env["NEO4J_DATABASE"] = settings.neo4j_database
    server = subprocess.Popen(
        [node, "server.js"], cwd=HERE, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("ready "):
            raise SystemExit(f"the reference did not start (exit {server.wait(30)})")
        yield line.split()[1]
    finally:
        server.terminate()
        server.wait(30)


# --- the sample ---------------------------------------------------------------------------


def persons(driver: Driver, settings: Settings, size: int) -> list[dict[str, Any]]:
    """Persons with an ID number, phones, accounts and cases, whose neighbours within one
    link all have at most HUB_BUSY_DEGREE links: the hub draws a busier node collapsed,
    where nested selections cannot tell, so only there are the answers the same."""
    rel = "|".join(default_types())
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person) WHERE p.id_number IS NOT NULL AND p.name IS NOT NULL "
        "AND EXISTS { (p)-[:HAS_PHONE]->() } AND EXISTS { (p)-[:HOLDS]->() } "
        "AND EXISTS { (p)-[:SUSPECT_IN|VICTIM_IN|WITNESS_IN]->() } "
        f"AND NOT EXISTS {{ MATCH (p)-[:{rel}]-(n) WHERE COUNT {{ (n)-[:{rel}]-() }} > $busy }} "
        "RETURN p.uid AS uid, p.id_number AS id_number, p.name AS name "
        "ORDER BY p.uid LIMIT $size",
        busy=settings.busy_degree,
        size=size,
    )
    codec = ids.codec(settings)
    return [
        {**row.data(), "id": relay.to_base64("Person", codec.encode("Person", row["uid"]))}
        for row in rows
    ]


def trails(driver: Driver, world: Path, settings: Settings, size: int) -> list[dict[str, Any]]:
    """(victim's account, an account the money ended in) of the county's money trails,
    both in the graph: `size` of them spread evenly over the trails ordered by their
    number of mule layers (two to six)."""
    paths = pl.read_parquet(world / "truth" / "money_paths.parquet")
    pairs = sorted(
        {
            (p["mule_layers"], p["victim_account"], end)
            for p in paths.iter_rows(named=True)
            for end in p["end_accounts"]
            if end != p["victim_account"]
        }
    )
    rows, _, _ = driver.execute_query(
        "UNWIND $pairs AS pair MATCH (:BankAccount {number: pair[0]}) "
        "MATCH (:BankAccount {number: pair[1]}) RETURN pair",
        pairs=[[a, b] for _, a, b in pairs],
    )
    found = [row["pair"] for row in rows]
    chosen = found[:: max(1, len(found) // size)][:size]
    codec = ids.codec(settings)

    def gid(number: str) -> str:
        return relay.to_base64("BankAccount", codec.encode("BankAccount", number))

    return [{"from": a, "to": b, "from_id": gid(a), "to_id": gid(b)} for a, b in chosen]


# --- the questions ------------------------------------------------------------------------


def _key(codec: ids.IdCodec, gid: str) -> tuple[str, str]:
    label, token = relay.from_base64(gid)
    key = codec.decode(label, token)
    assert key is not None, gid
    return label, key


def _nested(label: str, depth: int) -> str:
    """Every relationship field of `label` with its other end's key, `depth` levels deep."""
    gs = schema()
    parts = []
    for name, _, _, other in typedefs.links(label):
        inner = _nested(other, depth - 1) if depth > 1 else ""
        parts.append(f"{name} {{ {gs.node(other).key} {inner}}}")
    return " ".join(parts)


def _walk(label: str, item: dict[str, Any], depth: int, nodes: set[Any], edges: set[Any]) -> None:
    """The nodes and relationships of a nested answer of the reference."""
    gs = schema()
    here = (label, item[gs.node(label).key])
    nodes.add(here)
    if depth == 0:
        return
    for name, rel, direction, other in typedefs.links(label):
        for child in item[name]:
            there = (other, child[gs.node(other).key])
            edges.add((rel, *((here, there) if direction == "OUT" else (there, here))))
            _walk(other, child, depth - 1, nodes, edges)


SEARCH_PAGE = 20


def _hits(edges: list[tuple[float, str]]) -> Answer:
    """Search hits as both find them: the entities of a page that is not full, else how
    many. Both sides ask the same index; the hub ranks its hits by a score of its own
    (one that no hidden document weighs, `hub.queries.search`), the reference by the
    index's, so of more hits than a page each may return other ones."""
    if len(edges) >= SEARCH_PAGE:
        return len(edges), None
    return len(edges), sorted(uid for _, uid in edges)


def questions(settings: Settings) -> list[Question]:
    codec = ids.codec(settings)
    hub_person = (
        "query($id: String!) { person(idNumber: $id) { uid name idNumber "
        "phones(first: 20) { edges { node { number } } } "
        "accounts(first: 20) { edges { node { number bank } } } "
        "cases(first: 20) { edges { node { caseNo title } } } } }"
    )
    ref_person = (
        "query($id: String!) { people(where: {id_number: {eq: $id}}) { uid name id_number "
        "hasPhone(limit: 20, sort: [{number: ASC}]) { number } "
        "holds(limit: 20, sort: [{number: ASC}]) { number bank } "
        + " ".join(
            f"{f}(limit: 20, sort: [{{case_no: ASC}}]) {{ case_no title }}"
            for f in ("suspectIn", "victimIn", "witnessIn")
        )
        + " } }"
    )

    # The hub lists each relationship (a person merged from two records may hold the same
    # phone twice, once from each), the reference each linked node once.
    def person_hub(data: Any, _: dict[str, Any]) -> Answer:
        p = data["person"]
        return (
            p["uid"],
            p["name"],
            p["idNumber"],
            sorted({e["node"]["number"] for e in p["phones"]["edges"]}),
            sorted({(e["node"]["number"], e["node"]["bank"]) for e in p["accounts"]["edges"]}),
            sorted({(e["node"]["caseNo"], e["node"]["title"]) for e in p["cases"]["edges"]}),
        )

    def person_ref(data: Any, _: dict[str, Any]) -> Answer:
        (p,) = data["people"]
        cases = [c for f in ("suspectIn", "victimIn", "witnessIn") for c in p[f]]
        return (
            p["uid"],
            p["name"],
            p["id_number"],
            sorted({x["number"] for x in p["hasPhone"]}),
            sorted({(x["number"], x["bank"]) for x in p["holds"]}),
            sorted({(c["case_no"], c["title"]) for c in cases}),
        )

    hub_near = (
        "query($id: ID!) { neighbourhood(id: $id, depth: 2) { truncated "
        "nodes { node { id kind } } edges { source target link { type } } } }"
    )
    ref_near = (
        "query($uid: String!) { people(where: {uid: {eq: $uid}}) { uid "
        + _nested("Person", 2)
        + " } }"
    )

    def near_hub(data: Any, _: dict[str, Any]) -> Answer:
        sub = data["neighbourhood"]
        assert not sub["truncated"]
        nodes = {_key(codec, n["node"]["id"]) for n in sub["nodes"]}
        edges = {
            (e["link"]["type"], _key(codec, e["source"]), _key(codec, e["target"]))
            for e in sub["edges"]
        }
        return sorted(nodes), sorted(edges)

    def near_ref(data: Any, _: dict[str, Any]) -> Answer:
        nodes: set[Any] = set()
        edges: set[Any] = set()
        (p,) = data["people"]
        _walk("Person", p, 2, nodes, edges)
        return sorted(nodes), sorted(edges)

    hub_search = (
        'query($t: String!) { search(text: $t, kinds: ["Person"], first: 20) { '
        "edges { score node { ... on Person { uid name } } } } }"
    )
    ref_search = (
        "query($t: String!) { searchPeople(phrase: $t, first: 20) { "
        "edges { score node { uid name } } } }"
    )

    hub_paths = (
        "query($a: ID!, $b: ID!) { paths(from: $a, to: $b, maxHops: 6) { truncated "
        "paths { length nodes { id kind } edges { source target link { type } } } } }"
    )
    ref_paths = (
        "query($a: String!, $b: String!) { accountPaths(from: $a, to: $b) { "
        "length nodes { kind key } rels { type source target } } }"
    )

    def paths_hub(data: Any, _: dict[str, Any]) -> Answer:
        found = data["paths"]
        out = [
            (
                tuple(_key(codec, n["id"]) for n in p["nodes"]),
                tuple(
                    (e["link"]["type"], _key(codec, e["source"])[1], _key(codec, e["target"])[1])
                    for e in p["edges"]
                ),
            )
            for p in found["paths"]
        ]
        # more shortest paths than asked for: which ten each side returns may differ
        return (len(out), out[0][0][0]) if found["truncated"] else sorted(out)

    def paths_ref(data: Any, _: dict[str, Any]) -> Answer:
        found = data["accountPaths"]
        out = [
            (
                tuple((n["kind"], n["key"]) for n in p["nodes"]),
                tuple((r["type"], r["source"], r["target"]) for r in p["rels"]),
            )
            for p in found
        ]
        return (len(out) - 1, out[0][0][0]) if len(out) > 10 else sorted(out)

    return [
        Question(
            "person",
            hub_person,
            lambda x: {"id": x["id_number"]},
            person_hub,
            ref_person,
            lambda x: {"id": x["id_number"]},
            person_ref,
            "persons",
        ),
        Question(
            "neighbourhood (depth 2)",
            hub_near,
            lambda x: {"id": x["id"]},
            near_hub,
            ref_near,
            lambda x: {"uid": x["uid"]},
            near_ref,
            "persons",
        ),
        Question(
            "search (persons)",
            hub_search,
            lambda x: {"t": x["name"]},
            lambda d, _: _hits([(e["score"], e["node"]["uid"]) for e in d["search"]["edges"]]),
            ref_search,
            lambda x: {"t": lucene(x["name"])},
            lambda d, _: _hits(
                [(e["score"], e["node"]["uid"]) for e in d["searchPeople"]["edges"]]
            ),
            "persons",
        ),
        Question(
            "paths (maxHops 6)",
            hub_paths,
            lambda x: {"a": x["from_id"], "b": x["to_id"]},
            paths_hub,
            ref_paths,
            lambda x: {"a": x["from"], "b": x["to"]},
            paths_ref,
            "paths",
        ),
    ]


# --- asking -------------------------------------------------------------------------------


def asker(client: httpx.Client, url: str, document: str) -> Callable[[dict[str, Any]], Any]:
    def ask(variables: dict[str, Any]) -> Any:
        response = client.post(url, json={"query": document, "variables": variables})
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise SystemExit(f"{url}: {response.status_code} {body.get('errors')}")
        return body["data"]

    return ask


def compare(question: Question, sample: list[dict[str, Any]], hub: Ask, ref: Ask) -> None:
    for x in sample:
        mine = question.hub_answer(hub(question.hub_vars(x)), x)
        theirs = question.ref_answer(ref(question.ref_vars(x)), x)
        if mine != theirs:
            raise SystemExit(
                f"{question.name}: the answers differ for {x}\n"
                f"  hub:       {json.dumps(mine, ensure_ascii=False)[:2000]}\n"
                f"  reference: {json.dumps(theirs, ensure_ascii=False)[:2000]}"
            )


def row(name: str, a: list[float], b: list[float] | None = None) -> str:
    p = queries.p
    text = f"{name:26s} {p(a, 50):8.1f}ms {p(a, 99):8.1f}ms"
    if b is not None:
        text += f" {p(b, 50):8.1f}ms {p(b, 99):8.1f}ms {p(a, 50) / p(b, 50):9.2f}"
    return text


def side_by_side(
    settings: Settings,
    hub_url: str,
    ref_url: str,
    samples: dict[str, list[dict[str, Any]]],
    rounds: int,
    only: list[str],
) -> None:
    token = auth.issue(settings, "benchmark", Role.admin)
    with (
        httpx.Client(timeout=60, headers={"authorization": f"Bearer {token}"}) as hub_client,
        httpx.Client(timeout=60) as ref_client,
    ):
        heads = ("hub p50", "hub p99", "ref p50", "ref p99", "hub/ref")
        print(f"{'question':26s} " + " ".join(f"{h:>10s}" for h in heads))
        floor_hub = asker(hub_client, hub_url, "{ __typename }")
        floor_ref = asker(ref_client, ref_url, "{ __typename }")
        h, r = queries.timed((lambda _: floor_hub({}), lambda _: floor_ref({})), rounds)
        print(row("floor ({ __typename })", h, r))
        for q in questions(settings):
            if only and q.name.split()[0] not in only:
                continue
            sample = samples[q.inputs]
            hub, ref = asker(hub_client, hub_url, q.hub), asker(ref_client, ref_url, q.ref)
            compare(q, sample, hub, ref)

            def on_hub(n: int, q: Question = q, hub: Ask = hub, s: list[Any] = sample) -> None:
                hub(q.hub_vars(s[n % len(s)]))

            def on_ref(n: int, q: Question = q, ref: Ask = ref, s: list[Any] = sample) -> None:
                ref(q.ref_vars(s[n % len(s)]))

            h, r = queries.timed((on_hub, on_ref), rounds)
            print(row(q.name, h, r))
    print("\nanswers compared on the sample first: equal for every input of every question")


# --- answers cached per data change -----------------------------------------------------


def cached(settings: Settings, driver: Driver, url: str, rounds: int) -> None:
    """caseClusters, stats and the new alerts' count, for an investigator of the unit with
    the most cases and for an analyst (every unit): each computed after the data changed
    (median of 3), then asked again and again, beside the empty query."""
    rows, _, _ = driver.execute_query(
        "MATCH (c:Case)-[:HANDLED_BY]->(u:Unit) WITH u, count(c) AS n ORDER BY n DESC LIMIT 1 "
        "MATCH (c:Case) RETURN u.code AS unit, min(c.accepted_at) AS first, "
        "max(c.accepted_at) AS last"
    )
    unit, first, last = rows[0]["unit"], rows[0]["first"], rows[0]["last"]
    period = {
        "from": first.to_native().replace(month=1, day=1, hour=0, minute=0).isoformat(),
        "to": last.to_native().isoformat(),
    }
    freshness = "freshness { computedAt ageSeconds cached }"
    asks = [
        (
            "caseClusters",
            "{ caseClusters { truncated clusters { size cases { caseNo } "
            f"links {{ kind label }} }} {freshness} }} }}",
            {},
        ),
        (
            "stats",
            "query($from: DateTime!, $to: DateTime!) { stats(from: $from, to: $to) { "
            f"figures {{ name value previous }} {freshness} }} }}",
            period,
        ),
        (
            "alerts (new, count)",
            f'{{ alerts(status: "new", first: 0) {{ totalCount {freshness} }} }}',
            {},
        ),
    ]
    askers = [
        (f"an investigator of unit {unit}", Role.investigator, unit),
        ("an analyst (every unit)", Role.analyst, None),
    ]
    for who, role, of in askers:
        token = auth.issue(settings, f"benchmark-{role}", role, of)
        print(f"\nanswers kept per data change, asked by {who}:")
        print(f"{'question':26s} {'computed':>10s} {'kept p50':>10s} {'kept p99':>10s}")
        with httpx.Client(timeout=600, headers={"authorization": f"Bearer {token}"}) as client:
            floor = asker(client, url, "{ __typename }")
            for name, document, variables in asks:
                ask = asker(client, url, document)
                computed = []
                for _ in range(3):
                    generation.bump(driver, settings, "benchmark")
                    began = time.perf_counter()
                    fresh = next(iter(ask(variables).values()))
                    computed.append((time.perf_counter() - began) * 1000)
                    assert not fresh["freshness"]["cached"], fresh["freshness"]

                def again(_: int, ask: Ask = ask, variables: dict[str, Any] = variables) -> None:
                    ask(variables)

                def empty_query(_: int, floor: Ask = floor) -> None:
                    floor({})

                times, empty = queries.timed((again, empty_query), rounds)
                kept = next(iter(ask(variables).values()))
                assert kept["freshness"]["cached"], kept["freshness"]
                print(
                    f"{name:26s} {statistics.median(computed):8.1f}ms "
                    f"{queries.p(times, 50):8.1f}ms {queries.p(times, 99):8.1f}ms"
                    f"   (empty query {queries.p(empty, 50):.1f}ms in the same rounds)"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--sample", type=int, default=20, help="inputs per question")
    parser.add_argument("--cache-rounds", type=int, default=50)
    parser.add_argument("--world", type=Path)
    parser.add_argument("--port-base", type=int, default=8780)
    parser.add_argument("--keep", action="store_true", help="reuse the graph a run loaded")
    parser.add_argument(
        "--kept-only", action="store_true", help="only the answers kept per data change"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=["person", "neighbourhood", "search", "paths"],
        help="only this question (repeatable), without the answers kept per data change",
    )
    parser.add_argument("--wipe", action="store_true", help="allow wiping NEO4J_URI's database")
    args = parser.parse_args()
    # One client asks the served hub thousands of times a minute: past the default rate
    # limit a run with --rounds 300 would end in 429s; the limiter still counts each.
    os.environ.setdefault("HUB_RATE_LIMIT", "1000000")
    settings = Settings.from_env()
    if not settings.embedded and not args.wipe:
        raise SystemExit("NEO4J_URI is set: this benchmark empties the database; add --wipe")
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
    node = None if args.kept_only else install()
    with tempfile.TemporaryDirectory(prefix="hub-peer-") as scratch:
        world = args.world or Path(scratch) / "world"
        if args.world is not None and not (world / "sources").is_dir():
            raise SystemExit(
                f"{world} holds no county: make one with `hub world generate --out {world}`"
            )
        if args.world is None:
            generate(WorldConfig(people=args.people, seed=1, out=world))
        driver = queries.load(settings, world.resolve(), args.port_base, args.keep)
        people = json.loads((world / "manifest.json").read_text())["people"]
        print(f"\n{people:,} people")
        with queries.serving() as hub_url:
            if node is not None:
                samples = {
                    "persons": persons(driver, settings, args.sample),
                    "paths": trails(driver, world, settings, args.sample),
                }
                print(
                    f"{args.rounds} rounds per question after 5 to warm up, each round on "
                    f"the next of {len(samples['persons'])} persons "
                    f"and {len(samples['paths'])} account pairs\n"
                )
                with reference(node, settings, Path(scratch)) as ref_url:
                    side_by_side(settings, hub_url, ref_url, samples, args.rounds, args.only)
            if not args.only:
                cached(settings, driver, hub_url, args.cache_rounds)
        driver.close()


if __name__ == "__main__":
    main()
