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
from datetime import datetime
from itertools import combinations
from typing import Any

from neo4j import AsyncDriver

from hub.access import case_visible
from hub.queries import temporal
from hub.queries.entities import Scope, read

INVOLVED = "SUSPECT_IN|VICTIM_IN|WITNESS_IN"

FOOTPRINT = f"""
CALL (c) {{
  MATCH (c)<-[:{INVOLVED}]-(x:Person) RETURN x
  UNION
  MATCH (c)<-[:{INVOLVED}]-(:Person)-[:HAS_PHONE|HOLDS]->(x) RETURN x
  UNION
  MATCH (c)<-[:RECORD_OF]-(:Record)-[:RECORD_OF]->(x:Phone|BankAccount) RETURN x
  UNION
  MATCH (c)<-[:{INVOLVED}]-(:Person)-[:HOLDS]->(:BankAccount)-[:TRANSFERRED]-(x:BankAccount)
  RETURN x
  UNION
  MATCH (c)<-[:RECORD_OF]-(:Record)-[:RECORD_OF]->(:BankAccount)-[:TRANSFERRED]-(x:BankAccount)
  RETURN x
}}
"""


async def shared(
    driver: AsyncDriver,
    since: datetime | None,
    kinds: Sequence[str],
    busy: int,
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> list[dict[str, Any]]:
    """Each entity of `kinds` in the footprints of two to `busy` visible cases accepted
    since `since`: {label, props, cases (case numbers)}."""
    return await read(
        driver,
        "MATCH (c:Case) WHERE ($since IS NULL OR c.accepted_at >= $since) "
        f"AND {case_visible('c')} "
        f"{FOOTPRINT} "
        "WITH x, c WHERE any(l IN labels(x) WHERE l IN $kinds) "
        "WITH x, collect(DISTINCT c.case_no) AS cases WHERE 2 <= size(cases) <= $busy "
        "RETURN [l IN labels(x) WHERE l IN $kinds][0] AS label, "
        f"{temporal.node('x', ['Person', 'Phone', 'BankAccount'])} AS props, cases",
        timeout,
        database,
        since=since,
        kinds=list(kinds),
        busy=busy,
        scope=scope,
    )


def clusters(rows: list[dict[str, Any]], min_shared: int) -> list[tuple[list[str], list[int]]]:
    """Connected groups of cases sharing at least `min_shared` entities pairwise:
    (case numbers, indexes of the rows that link them), biggest first."""
    pairs: dict[tuple[str, str], list[int]] = {}
    for i, row in enumerate(rows):
        for a, b in combinations(sorted(row["cases"]), 2):
            pairs.setdefault((a, b), []).append(i)
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    linked = {pair: idx for pair, idx in pairs.items() if len(idx) >= min_shared}
    for a, b in linked:
        parent[root(a)] = root(b)
    groups: dict[str, tuple[set[str], set[int]]] = {}
    for (a, b), idx in linked.items():
        cases, links = groups.setdefault(root(a), (set(), set()))
        cases.update((a, b))
        links.update(idx)
    out = [(sorted(cases), sorted(links)) for cases, links in groups.values()]
    return sorted(out, key=lambda g: (-len(g[0]), g[0]))


async def cases(
    driver: AsyncDriver, numbers: Sequence[str], timeout: float, database: str | None = None
) -> dict[str, dict[str, Any]]:
    rows = await read(
        driver,
        "MATCH (c:Case) WHERE c.case_no IN $numbers "
        f"RETURN c.case_no AS no, {temporal.node('c', ['Case'])} AS p",
        timeout,
        database,
        numbers=list(numbers),
    )
    return {row["no"]: row["p"] for row in rows}
