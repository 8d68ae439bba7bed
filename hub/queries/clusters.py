"""Case clusters: cases linked through shared persons, phones or accounts (集群打击).

A case's footprint is the people involved in it, their phones and accounts, the phones
and accounts its source records name (a fraud report names the fraudster's number and
the victim's card), and the accounts that exchanged money with those accounts (where a
victim's money went, where a mule's came from). Two cases are linked when their
footprints share at least `min_shared` entities; a cluster is a connected group of
linked cases. An entity in the footprints of more than `busy` cases (a bank's clearing
account, a switchboard) links nothing: it would join everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import Any

from neo4j import AsyncDriver

from hub.access import visible
from hub.queries import temporal
from hub.queries.entities import Scope, read

INVOLVED = "SUSPECT_IN|VICTIM_IN|WITNESS_IN"

FOOTPRINT = f"""
CALL (c) {{
  MATCH (c)<-[:{INVOLVED}]-(x:Person) RETURN x
  UNION
  MATCH (c)<-[:{INVOLVED}]-(:Person)-[:HAS_PHONE|HOLDS]->(x) RETURN x
  UNION
  MATCH (c)<-[:RECORD_OF]-(r:Record)-[:RECORD_OF]->(x:Phone|BankAccount)
  WHERE {visible("r", ["Record"])} RETURN x
  UNION
  MATCH (c)<-[:{INVOLVED}]-(:Person)-[:HOLDS]->(:BankAccount)-[:TRANSFERRED]-(x:BankAccount)
  RETURN x
  UNION
  MATCH (c)<-[:RECORD_OF]-(r:Record)-[:RECORD_OF]->(:BankAccount)-[:TRANSFERRED]-(x:BankAccount)
  WHERE {visible("r", ["Record"])} RETURN x
}}
"""


@dataclass(frozen=True)
class Shared:
    """What `shared` found: the linking entities, each {label, props, cases (case
    numbers)}, and the properties of every case they name, by case number."""

    links: list[dict[str, Any]]
    cases: dict[str, dict[str, Any]]


async def shared(
    driver: AsyncDriver,
    since: datetime | None,
    kinds: Sequence[str],
    busy: int,
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> Shared:
    """Each entity of `kinds` in the footprints of two to `busy` visible cases accepted
    since `since`, and those cases, in one statement (one record)."""
    rows = await read(
        driver,
        "MATCH (c:Case) WHERE ($since IS NULL OR c.accepted_at >= $since) "
        f"AND {visible('c', ['Case'])} "
        f"{FOOTPRINT} "
        "WITH x, c WHERE any(l IN labels(x) WHERE l IN $kinds) "
        "WITH x, collect(DISTINCT c) AS cs WHERE 2 <= size(cs) <= $busy "
        "WITH collect({label: [l IN labels(x) WHERE l IN $kinds][0], "
        f"  props: {temporal.node('x', ['Person', 'Phone', 'BankAccount'])}, cs: cs}}) AS links "
        "CALL (links) { UNWIND links AS l UNWIND l.cs AS c WITH DISTINCT c "
        f"  RETURN collect({temporal.node('c', ['Case'])}) AS cases }} "
        "RETURN [l IN links | {label: l.label, props: l.props, "
        "  cases: [c IN l.cs | c.case_no]}] AS links, cases",
        timeout,
        database,
        since=since,
        kinds=list(kinds),
        busy=busy,
        scope=scope,
    )
    (row,) = rows
    return Shared(row["links"], {case["case_no"]: case for case in row["cases"]})


def clusters(rows: list[dict[str, Any]], min_shared: int) -> list[tuple[list[str], list[int]]]:
    """Connected groups of cases sharing at least `min_shared` entities pairwise:
    (case numbers, indexes of the rows that link them), biggest first.

    With `min_shared` 1 every row links all its cases, a chain from its first case
    does: a row naming k cases is k - 1 unions, not k(k - 1)/2 pairs counted."""
    edges: list[tuple[str, str, int]]
    if min_shared == 1:
        edges = [(r["cases"][0], b, i) for i, r in enumerate(rows) for b in r["cases"][1:]]
    else:
        pairs: dict[tuple[str, str], list[int]] = {}
        for i, row in enumerate(rows):
            for a, b in combinations(sorted(row["cases"]), 2):
                pairs.setdefault((a, b), []).append(i)
        edges = [(a, b, i) for (a, b), idx in pairs.items() if len(idx) >= min_shared for i in idx]
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _ in edges:
        parent[root(a)] = root(b)
    groups: dict[str, tuple[set[str], set[int]]] = {}
    for a, b, i in edges:
        cases, links = groups.setdefault(root(a), (set(), set()))
        cases.update((a, b))
        links.add(i)
    out = [(sorted(cases), sorted(links)) for cases, links in groups.values()]
    return sorted(out, key=lambda g: (-len(g[0]), g[0]))
