"""Reading entities: by a key or indexed property, and their direct neighbours.

Labels, relationship types and property names come from graph_schema (they cannot be
parameters); every value travels as a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neo4j import AsyncDriver, Query, RoutingControl

from graph_schema import ident, schema
from hub.access import node_visible

Props = dict[str, Any]


async def read(
    driver: AsyncDriver, cypher: str, timeout: float, database: str | None = None, **params: Any
) -> list[dict[str, Any]]:
    """Run one read query with a transaction timeout; rows as dicts."""
    result = await driver.execute_query(
        Query(cypher, timeout=timeout),
        params,
        routing_=RoutingControl.READ,
        database_=database,
    )
    return [record.data() for record in result.records]


async def by_property(
    driver: AsyncDriver,
    label: str,
    prop: str,
    values: Sequence[str],
    scope: dict[str, Any],
    timeout: float,
    database: str | None = None,
) -> list[Props | None]:
    """The `label` node whose key or indexed `prop` equals each value, None if none or
    if `scope` may not see it."""
    node = schema().node(label)
    name = ident(node.properties[prop].name)
    rows = await read(
        driver,
        f"MATCH (n:{ident(node.label)}) WHERE n.{name} IN $values AND {node_visible('n')} "
        f"RETURN n.{name} AS value, properties(n) AS props",
        timeout,
        database,
        values=list(values),
        scope=scope,
    )
    found = {row["value"]: row["props"] for row in rows}
    return [found.get(value) for value in values]


async def neighbours(
    driver: AsyncDriver,
    label: str,
    rel_type: str,
    target: str,
    keys: Sequence[str],
    limit: int,
    scope: dict[str, Any],
    timeout: float,
    database: str | None = None,
) -> list[list[Props]]:
    """For each `label` node key, up to `limit` `target` nodes along outgoing `rel_type`
    that `scope` may see, ordered by their key."""
    gs = schema()
    start, end, rel = gs.node(label), gs.node(target), gs.relationship(rel_type)
    rows = await read(
        driver,
        f"UNWIND $keys AS key MATCH (n:{ident(start.label)}) WHERE n.{ident(start.key)} = key "
        f"AND {node_visible('n')} "
        f"CALL (n) {{ MATCH (n)-[:{ident(rel.type)}]->(m:{ident(end.label)}) "
        f"WHERE {node_visible('m')} "
        f"RETURN m ORDER BY m.{ident(end.key)} LIMIT $limit }} "
        "RETURN key, collect(properties(m)) AS found",
        timeout,
        database,
        keys=list(keys),
        limit=limit,
        scope=scope,
    )
    found = {row["key"]: row["found"] for row in rows}
    return [found.get(key, []) for key in keys]
