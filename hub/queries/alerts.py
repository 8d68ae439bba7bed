"""Alerts: the rules evaluated after each sync, and reading and handling what they raised.

Each rule is one statement that MERGEs an Alert per finding, keyed by an id built from
what it found (the warrant and the event, the transfer, the shared number), so running a
rule again raises nothing twice. Rules run after every sync (`hub sync`, `triggerSync`)
once its writes have committed; subscribers poll for alerts newer than the last they saw,
so an alert reaches every API process behind a load balancer, whichever ran the sync.

An alert is visible to someone who may see every case it is about: its scope, written when
it is raised (`hub.scope`).
"""

from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver, Driver, Query

from hub import scope as scoping
from hub.access import visible
from hub.queries.entities import Scope, read, read_list, write

FRAUD_KINDS = ["telecom_fraud", "aiding_fraud", "fraud"]
# A warrant still to be served: graph_schema's word, and the fugitive list's (在逃: at large),
# which the connector keeps as the source wrote it.
ACTIVE_WARRANT = ["active", "在逃"]

# An alert is raised with its scope (`hub.scope`): who may see every case it is about.
_RAISE = (
    "MERGE (a:Alert {alert_id: id}) ON CREATE SET a.rule = $rule, a.status = 'new', "
    "a.raised_at = datetime(), a.summary = summary, a.sources = ['hub'], "
    "a.first_seen = datetime(), a.last_seen = datetime() "
    "WITH a, about UNWIND about AS x MERGE (a)-[:ABOUT]->(x) "
    f"WITH DISTINCT a {scoping.assign('a', 'Alert').cypher}"
    "RETURN count(DISTINCT a) AS alerts"
)

RULES: dict[str, str] = {
    # A wanted person (active warrant) checks in, travels or passes a checkpoint.
    "fugitive_seen": (
        "MATCH (p:Person)-[:WANTED_BY]->(w:Warrant) "
        "WHERE coalesce(w.status, 'active') IN $active AND w.issued_at IS NOT NULL "
        "CALL (p, w) { "
        "  MATCH (p)-[e:STAYED_AT]->(place:Place) WHERE e.checkin >= w.issued_at "
        "  RETURN e.checkin AS at, place, type(e) AS t "
        "  UNION MATCH (p)-[e:TRAVELLED]->(place:Place) WHERE e.at >= w.issued_at "
        "  RETURN e.at AS at, place, type(e) AS t "
        "  UNION MATCH (p)-[:OWNS]->(:Vehicle)-[e:PASSED]->(place:Place) "
        "  WHERE e.at >= w.issued_at RETURN e.at AS at, place, type(e) AS t } "
        "WITH 'fugitive_seen:' + w.warrant_no + ':' + t + ':' + toString(at) AS id, "
        "  coalesce(p.name, p.uid) + ' (warrant ' + w.warrant_no + ') seen at ' "
        "  + coalesce(place.name, place.place_id) + ' at ' + toString(at) AS summary, "
        "  [p, w, place] AS about " + _RAISE
    ),
    # Money reaches an account held by a suspect of a fraud case after the case was opened.
    "transfer_to_fraud_account": (
        "MATCH (c:Case)<-[:SUSPECT_IN]-(:Person)-[:HOLDS]->(acc:BankAccount) "
        "WHERE c.kind IN $fraud "
        "MATCH (src:BankAccount)-[t:TRANSFERRED]->(acc) WHERE t.at >= c.accepted_at "
        "WITH t, src, acc, collect(DISTINCT c) AS cases "
        "WITH 'transfer_to_fraud_account:' + t.txn_id AS id, "
        "  toString(t.amount) + ' yuan reached ' + acc.number + ', linked to fraud case ' "
        "  + cases[0].case_no + ', at ' + toString(t.at) AS summary, "
        "  [src, acc] + cases AS about " + _RAISE
    ),
    # A phone or account appears in cases of two different units.
    "shared_across_units": (
        "MATCH (u:Unit)<-[:HANDLED_BY]-(c:Case)<-[:SUSPECT_IN|VICTIM_IN|WITNESS_IN]-(:Person)"
        "-[:HAS_PHONE|HOLDS]->(x) "
        "WITH x, u, c ORDER BY u.code "
        "WITH x, collect(DISTINCT u.code) AS units, collect(DISTINCT c) AS cases "
        "WHERE size(units) >= 2 "
        "WITH 'shared_across_units:' + [l IN labels(x) WHERE l IN ['Phone', 'BankAccount']][0] "
        "  + ':' + coalesce(x.number, '') + ':' + reduce(s = '', u IN units | s + u + ',') AS id, "
        "  coalesce(x.number, '') + ' appears in cases of ' + toString(size(units)) "
        "  + ' units' AS summary, [x] + cases AS about " + _RAISE
    ),
}


def _params(rule: str) -> dict[str, Any]:
    return {"rule": rule, "fraud": FRAUD_KINDS, "active": ACTIVE_WARRANT}


async def evaluate(
    driver: AsyncDriver, timeout: float, database: str | None = None
) -> dict[str, int]:
    """Run every rule; how many alerts each now stands behind (new or not)."""
    out = {}
    for rule, cypher in RULES.items():
        rows = await write(driver, cypher, timeout, database, **_params(rule))
        out[rule] = rows[0]["alerts"] if rows else 0
    return out


def evaluate_blocking(driver: Driver, timeout: float, database: str | None = None) -> None:
    """`evaluate` for the command line's synchronous driver."""
    for rule, cypher in RULES.items():
        driver.execute_query(Query(cypher, timeout=timeout), _params(rule), database_=database)


VISIBLE = visible("a", ["Alert"])


async def listed(
    driver: AsyncDriver,
    status: str | None,
    skip: int,
    take: int,
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> list[dict[str, Any]]:
    return await read_list(
        driver,
        f"MATCH (a:Alert) WHERE ($status IS NULL OR a.status = $status) AND {VISIBLE} "
        "WITH a ORDER BY a.raised_at DESC, elementId(a) SKIP $skip LIMIT $take "
        "RETURN collect(properties(a)) AS rows",
        timeout,
        database,
        status=status,
        skip=skip,
        take=take,
        scope=scope,
    )


async def counted(
    driver: AsyncDriver,
    status: str | None,
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> int:
    """How many visible alerts there are (of `status`, if given): a client's badge."""
    rows = await read(
        driver,
        f"MATCH (a:Alert) WHERE ($status IS NULL OR a.status = $status) AND {VISIBLE} "
        "RETURN count(a) AS n",
        timeout,
        database,
        status=status,
        scope=scope,
    )
    return int(rows[0]["n"])


async def newer(
    driver: AsyncDriver,
    after: Any,
    after_id: str,
    take: int,
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> list[dict[str, Any]]:
    """Visible alerts raised after (`after`, `after_id`), oldest first, each with its
    `_cursor` (the `after_id` of the next call). Alerts raised at one time come in the
    order of their element ids, never of their alert ids, which hold a phone's or an
    account's number (its hidden digits would show in the order)."""
    return await read_list(
        driver,
        "MATCH (a:Alert) WHERE (a.raised_at > $after "
        "  OR a.raised_at = $after AND elementId(a) > $after_id) "
        f"AND {VISIBLE} "
        "WITH a ORDER BY a.raised_at, elementId(a) LIMIT $take "
        "RETURN collect(a {.*, _cursor: elementId(a)}) AS rows",
        timeout,
        database,
        after=after,
        after_id=after_id,
        take=take,
        scope=scope,
    )


async def latest(
    driver: AsyncDriver, timeout: float, database: str | None = None
) -> tuple[Any, str]:
    """(raised_at, element id) of the newest alert, or now when there is none."""
    rows = await read(
        driver,
        "OPTIONAL MATCH (a:Alert) WITH a ORDER BY a.raised_at DESC, elementId(a) DESC LIMIT 1 "
        "RETURN coalesce(a.raised_at, datetime()) AS at, coalesce(elementId(a), '') AS id",
        timeout,
        database,
    )
    return rows[0]["at"], rows[0]["id"]


# status -> the statuses it may change to
TRANSITIONS = {
    "new": frozenset({"acknowledged", "resolved"}),
    "acknowledged": frozenset({"resolved"}),
    "resolved": frozenset(),
}


async def get(
    driver: AsyncDriver, alert_id: str, scope: Scope, timeout: float, database: str | None = None
) -> dict[str, Any] | None:
    rows = await read(
        driver,
        f"MATCH (a:Alert {{alert_id: $id}}) WHERE {VISIBLE} RETURN properties(a) AS props",
        timeout,
        database,
        id=alert_id,
        scope=scope,
    )
    return rows[0]["props"] if rows else None


async def change(
    driver: AsyncDriver,
    alert_id: str,
    expected: str,
    status: str,
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> dict[str, Any] | None:
    rows = await write(
        driver,
        f"MATCH (a:Alert {{alert_id: $id}}) WHERE a.status = $expected AND {VISIBLE} "
        "SET a.status = $status, a.last_seen = datetime() RETURN properties(a) AS props",
        timeout,
        database,
        id=alert_id,
        expected=expected,
        status=status,
        scope=scope,
    )
    return rows[0]["props"] if rows else None
