"""Reading entities: by a key or indexed property, and their links to other entities.

Labels, relationship types and property names come from graph_schema (they cannot be
parameters); every value travels as a parameter. A node is only ever returned, and a link
only ever counted, when it is visible under `$scope` (`hub.access`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import READ_ACCESS, AsyncDriver, AsyncManagedTransaction, Query, unit_of_work
from neo4j.exceptions import DriverError, Neo4jError

from graph_schema import ident, schema
from hub.access import visible
from hub.queries import generation, temporal

Props = dict[str, Any]
Scope = dict[str, Any]


READ_ATTEMPTS = 3


async def read(
    driver: AsyncDriver, cypher: str, timeout: float, database: str | None = None, **params: Any
) -> list[dict[str, Any]]:
    """Run one read query with a transaction timeout; rows as dicts.

    An auto-commit transaction: one round trip to Neo4j where a managed one takes two,
    which halves the latency of a look-up. Auto-commit is never retried by the driver,
    so a read failing with an error the driver calls retryable (a leader change, a
    connection lost) is retried here; reads are idempotent.

    Reads return maps, lists and values, never nodes or relationships (those are
    projected to maps in the Cypher), so rows are the records as they come: the driver's
    `data()` would walk every nested value looking for graph objects (a fifth of the
    Python time of a neighbourhood)."""
    for attempt in range(READ_ATTEMPTS):
        try:
            async with driver.session(
                database=database, default_access_mode=READ_ACCESS
            ) as session:
                result = await session.run(Query(cypher, timeout=timeout), params)
                return [dict(record) async for record in result]
        except (Neo4jError, DriverError) as exc:
            if attempt == READ_ATTEMPTS - 1 or not exc.is_retryable():
                raise
            await asyncio.sleep(0.1 * 2**attempt)
    raise AssertionError("unreachable")


async def read_list(
    driver: AsyncDriver, cypher: str, timeout: float, database: str | None = None, **params: Any
) -> list[dict[str, Any]]:
    """Run one read whose statement returns its rows as one list, `RETURN collect({...})
    AS rows`. The async driver spends ~0.15 ms on each record it reads (200 rows took
    35 ms as records, 2.8 ms as one list), so a statement of many rows hands them back
    in one record."""
    (record,) = await read(driver, cypher, timeout, database, **params)
    return list(record["rows"])


async def write(
    driver: AsyncDriver, cypher: str, timeout: float, database: str | None = None, **params: Any
) -> list[dict[str, Any]]:
    """Run one write query (a managed, retried transaction) with a timeout. If it changed
    anything, the data's version changes in the same transaction (`generation`), so no
    API process keeps an answer the change made stale."""

    @unit_of_work(timeout=timeout)
    async def work(tx: AsyncManagedTransaction) -> list[dict[str, Any]]:
        result = await tx.run(cypher, params)
        rows = [record.data() async for record in result]
        if (await result.consume()).counters.contains_updates:
            await generation.bump_in(tx, "api")
        return rows

    async with driver.session(database=database) as session:
        return await session.execute_write(work)


async def by_property(
    driver: AsyncDriver,
    label: str,
    prop: str,
    values: Sequence[str],
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> list[Props | None]:
    """The `label` node whose key or indexed `prop` equals each value, None if none (or
    if `scope` may not see it)."""
    node = schema().node(label)
    name = ident(node.properties[prop].name)
    rows = await read_list(
        driver,
        f"MATCH (n:{ident(node.label)}) WHERE n.{name} IN $values AND {visible('n', [label])} "
        f"RETURN collect({{value: n.{name}, props: {temporal.node('n', [label])}}}) AS rows",
        timeout,
        database,
        values=list(values),
        scope=scope,
    )
    found = {row["value"]: row["props"] for row in rows}
    return [found.get(value) for value in values]


@dataclass(frozen=True)
class LinkSpec:
    """Links of a node: relationships of `types` in `direction` ("out" or "in") to nodes
    of one of `targets`."""

    label: str
    types: tuple[str, ...]
    direction: str
    targets: tuple[str, ...]

    def pattern(self) -> str:
        gs = schema()
        types = "|".join(ident(gs.relationship(t).type) for t in self.types)
        targets = "|".join(ident(gs.node(t).label) for t in self.targets)
        left, right = ("-", "->") if self.direction == "out" else ("<-", "-")
        return f"(n){left}[r:{types}]{right}(m:{targets})"

    def order(self) -> str:
        """Newest first for timed links (transfers, stays, passes), else the link first
        seen first. Never by a value of the linked entity: a person's uid is
        `P<ID number>`, a phone's and an account's key their number, and a list in their
        order told a role that sees them masked the order of the hidden digits (within a
        region, the birth dates). The same for every role, so pages agree."""
        gs = schema()
        keys = {gs.relationship(t).key for t in self.types}
        if len(keys) == 1 and None not in keys:
            (key,) = keys
            assert key is not None
            return f"r.{ident(key)} DESC, elementId(r)"
        return "r.first_seen, elementId(r)"


@dataclass(frozen=True)
class LinkPage:
    total: int
    rows: list[dict[str, Any]]  # {label, props, type, rel}


def _page(spec: LinkSpec, item: str, suffix: str = "") -> str:
    """A subquery over the bound node `n`: `total{suffix}`, how many links along `spec` it
    has, and `page{suffix}`, the `item.skip`, `item.take` window of them."""
    return (
        f"CALL (n, {item}) {{ MATCH {spec.pattern()} WHERE {visible('m', spec.targets)} "
        f"  WITH r, m ORDER BY {spec.order()} "
        "   WITH collect([r, m]) AS found "
        f"  CALL (found, {item}) {{ "
        f"    UNWIND found[{item}.skip..{item}.skip + {item}.take] AS x "
        "     WITH x[0] AS r, x[1] AS m "
        f"    RETURN collect({{label: [l IN labels(m) WHERE l IN {item}.targets][0], "
        f"      props: {temporal.node('m', spec.targets)}, "
        f"      type: type(r), rel: {temporal.rel('r', spec.types)}}}) "
        "     AS page } "
        f"  RETURN size(found) AS total{suffix}, page AS page{suffix} }} "
    )


def _item(spec: LinkSpec, key: str, skip: int, take: int) -> dict[str, Any]:
    return {"key": key, "skip": skip, "take": take, "targets": list(spec.targets)}


async def links(
    driver: AsyncDriver,
    spec: LinkSpec,
    items: Sequence[tuple[str, int, int]],
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> list[LinkPage]:
    """For each (key of a `spec.label` node, skip, take): that page of its links, and how
    many links it has in all."""
    start = schema().node(spec.label)
    rows = await read_list(
        driver,
        "UNWIND range(0, size($items) - 1) AS i WITH i, $items[i] AS item "
        f"MATCH (n:{ident(start.label)}) WHERE n.{ident(start.key)} = item.key "
        f"{_page(spec, 'item')}"
        "RETURN collect({i: i, total: total, page: page}) AS rows",
        timeout,
        database,
        items=[_item(spec, k, s, t) for k, s, t in items],
        scope=scope,
    )
    found = {row["i"]: LinkPage(row["total"], row["page"]) for row in rows}
    return [found.get(i, LinkPage(0, [])) for i in range(len(items))]


async def with_links(
    driver: AsyncDriver,
    label: str,
    prop: str,
    value: str,
    pages: Sequence[tuple[LinkSpec, int, int]],
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> tuple[Props | None, list[LinkPage]]:
    """The `label` node whose key or indexed `prop` equals `value` (as `by_property`) and,
    in the same statement, each (spec, skip, take) page of its links (as `links`)."""
    node = schema().node(label)
    name = ident(node.properties[prop].name)
    calls = "".join(
        f"WITH {''.join(f'total{j}, page{j}, ' for j in range(i))}n, $items[{i}] AS item{i} "
        + _page(spec, f"item{i}", str(i))
        for i, (spec, _, _) in enumerate(pages)
    )
    rows = await read(
        driver,
        f"MATCH (n:{ident(node.label)}) WHERE n.{name} = $value AND {visible('n', [label])} "
        f"WITH n LIMIT 1 {calls}"
        f"RETURN {temporal.node('n', [label])} AS props, "
        f"[{', '.join(f'[total{i}, page{i}]' for i in range(len(pages)))}] AS pages",
        timeout,
        database,
        value=value,
        items=[_item(spec, value, skip, take) for spec, skip, take in pages],
        scope=scope,
    )
    if not rows:
        return None, [LinkPage(0, []) for _ in pages]
    return rows[0]["props"], [LinkPage(total, page) for total, page in rows[0]["pages"]]
