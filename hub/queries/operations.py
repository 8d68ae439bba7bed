"""Joint operations (合成作战): created, filled with cases and entities, closed.

Members of an open operation see its cases (`hub.access`). An operation is visible to
its members (its creator is one) and the roles that see every unit. Only what the asker
may see by their own unit or role can be taken into an operation: a case seen through an
operation is not the member's to share onward. Each change writes, in its own transaction, the
scope of the operation and of everything whose scope derives from it (`hub.scope`): the
cases it includes or drops, their records and alerts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction, unit_of_work

from graph_schema import ident, schema
from hub import scope as scoping
from hub.access import user_grant, visible
from hub.queries import generation
from hub.queries.entities import Scope, read, read_list


# What an operation can include, from graph_schema's INCLUDES declaration.
def includable() -> frozenset[str]:
    return frozenset(schema().relationship("INCLUDES").targets)


VISIBLE = visible("o", ["Operation"])


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
        f"MATCH (o:Operation) WHERE ($status IS NULL OR o.status = $status) AND {VISIBLE} "
        "WITH o ORDER BY o.created_at DESC, o.op_id SKIP $skip LIMIT $take "
        "RETURN collect(properties(o)) AS rows",
        timeout,
        database,
        status=status,
        skip=skip,
        take=take,
        scope=scope,
    )


async def get(
    driver: AsyncDriver, op_id: str, scope: Scope, timeout: float, database: str | None = None
) -> dict[str, Any] | None:
    rows = await read(
        driver,
        f"MATCH (o:Operation {{op_id: $op_id}}) WHERE {VISIBLE} RETURN properties(o) AS props",
        timeout,
        database,
        op_id=op_id,
        scope=scope,
    )
    return rows[0]["props"] if rows else None


async def create(
    driver: AsyncDriver,
    name: str,
    members: Sequence[str],
    created_by: str,
    timeout: float,
    database: str | None = None,
) -> dict[str, Any]:
    scoped = scoping.assign("o", "Operation")
    rows = await _changed(
        driver,
        "CREATE (o:Operation {op_id: $op_id, name: $name, status: 'open', members: $members, "
        "created_by: $by, created_at: datetime(), sources: ['hub'], first_seen: datetime(), "
        f"last_seen: datetime()}}) {scoped.cypher}RETURN properties(o) AS props",
        {
            "op_id": uuid.uuid4().hex,
            "name": name,
            "members": sorted(set(members) | {created_by}),
            "by": created_by,
            **scoped.params,
        },
        {},
        timeout,
        database,
    )
    return dict(rows[0]["props"])


async def _changed(
    driver: AsyncDriver,
    cypher: str,
    params: dict[str, Any],
    seeds: dict[str, list[str]],
    timeout: float,
    database: str | None,
) -> list[dict[str, Any]]:
    """Run a write and, in the same transaction, recompute the scope of the `seeds` (keys
    by label) and of what derives from them: nobody sees a case through an operation a
    moment after it closed."""

    @unit_of_work(timeout=timeout)
    async def work(tx: AsyncManagedTransaction) -> list[dict[str, Any]]:
        result = await tx.run(cypher, params)
        rows = [record.data() async for record in result]
        wrote = (await result.consume()).counters.contains_updates
        if rows and seeds:
            await scoping.seeded_async(tx, seeds)
        # what an operation's members see changed: answers kept per version are stale
        if wrote or (rows and seeds):
            await generation.bump_in(tx, "api")
        return rows

    async with driver.session(database=database) as session:
        return await session.execute_write(work)


def _seeds(op_id: str, items: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """The operation and the restricted items whose scope a change of it touches."""
    seeds: dict[str, list[str]] = {"Operation": [op_id]}
    for label, key in items:
        if schema().node(label).restricted:
            seeds.setdefault(label, []).append(key)
    return seeds


def _match(items: Sequence[tuple[str, str]]) -> tuple[str, dict[str, list[str]]]:
    """A subquery yielding node `x` for each (label, key), and its parameters."""
    gs = schema()
    by_label: dict[str, list[str]] = {}
    for label, key in items:
        by_label.setdefault(label, []).append(key)
    parts = [
        f"MATCH (x:{ident(gs.node(label).label)}) WHERE x.{ident(gs.node(label).key)} "
        f"IN $keys.{ident(label)} RETURN x"
        for label in by_label
    ]
    return " UNION ".join(parts), by_label


def owned(scope: Scope) -> Scope:
    """The asker's scope without what operations shared with them (`user:` grants): what
    they may take into an operation."""
    mine = user_grant("")
    return {**scope, "grants": [g for g in scope["grants"] if not g.startswith(mine)]}


async def _shareable(
    driver: AsyncDriver,
    items: Sequence[tuple[str, str]],
    scope: Scope,
    timeout: float,
    database: str | None,
) -> list[tuple[str, str]]:
    """The items the asker sees by their own unit or role (`owned`)."""
    gs = schema()
    found, keys = _match(items)
    rows = await read(
        driver,
        f"CALL () {{ {found} }} WITH x WHERE {visible('x')} RETURN collect(elementId(x)) AS ids",
        timeout,
        database,
        keys=keys,
        scope=owned(scope),
    )
    seen = set(rows[0]["ids"]) if rows else set()
    if not seen:
        return []
    keyed = await read(
        driver,
        "UNWIND $ids AS id MATCH (x) WHERE elementId(x) = id "
        "RETURN collect([labels(x), properties(x)]) AS rows",
        timeout,
        database,
        ids=sorted(seen),
    )
    shareable = set()
    for labels, props in keyed[0]["rows"] if keyed else []:
        for label in labels:
            if label in gs.nodes:
                shareable.add((label, str(props.get(gs.node(label).key))))
    return [item for item in items if item in shareable]


async def include(
    driver: AsyncDriver,
    op_id: str,
    items: Sequence[tuple[str, str]],
    add: bool,
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> tuple[dict[str, Any] | None, int]:
    """Add (or remove) the visible items to an open operation the asker may see:
    (the operation, how many items it now has), or (None, 0) when there is none such."""
    change = (
        "MERGE (o)-[r:INCLUDES]->(x) ON CREATE SET r.sources = ['hub'], "
        "r.first_seen = datetime() SET r.last_seen = datetime()"
        if add
        else "MATCH (o)-[r:INCLUDES]->(x) DELETE r"
    )
    if add and items:  # what the asker may share; removing is open to every member
        items = await _shareable(driver, items, scope, timeout, database)
    found, keys = _match(items)
    subquery = (
        f"CALL (o) {{ CALL () {{ {found} }} WITH x WHERE {visible('x')} {change} }} "
        if items
        else ""
    )
    rows = await _changed(
        driver,
        f"MATCH (o:Operation {{op_id: $op_id}}) WHERE o.status = 'open' AND {VISIBLE} "
        f"{subquery}"
        "WITH DISTINCT o RETURN properties(o) AS props, COUNT { (o)-[:INCLUDES]->() } AS size",
        {"op_id": op_id, "keys": keys, "scope": scope},
        _seeds(op_id, items),
        timeout,
        database,
    )
    return (rows[0]["props"], rows[0]["size"]) if rows else (None, 0)


async def close(
    driver: AsyncDriver, op_id: str, scope: Scope, timeout: float, database: str | None = None
) -> dict[str, Any] | None:
    rows = await _changed(
        driver,
        f"MATCH (o:Operation {{op_id: $op_id}}) WHERE o.status = 'open' AND {VISIBLE} "
        "SET o.status = 'closed', o.closed_at = datetime(), o.last_seen = datetime() "
        "RETURN properties(o) AS props",
        {"op_id": op_id, "scope": scope},
        _seeds(op_id, []),
        timeout,
        database,
    )
    return rows[0]["props"] if rows else None
