"""The graph around entities: neighbourhoods, shortest paths and shared links.

Nodes come back as {id (element id, for joining within one answer), label, props}, and
relationships as {type, rel, src, dst} with element ids of their ends. Invisible cases
(`hub.access`) are neither returned nor passed through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from neo4j import AsyncDriver

from graph_schema import ident, schema
from hub.access import node_visible
from hub.queries import temporal
from hub.queries.entities import Scope, read

Row = dict[str, Any]

# Relationship types a neighbourhood or a path follows unless told otherwise: the
# bookkeeping ones (source records, alerts, operations) would drown the answer.
DEFAULT_EXCLUDED = frozenset({"RECORD_OF", "ABOUT", "INCLUDES"})


def default_types() -> tuple[str, ...]:
    return tuple(sorted(set(schema().relationships) - DEFAULT_EXCLUDED))


def _degree(var: str, types: Sequence[str], scope: Scope) -> str:
    """A Cypher expression: the links of `var` of these types to visible nodes. Links of
    types that never touch a case, and every link when `scope` sees every case, are
    counted from the degree store without visiting them (a hotel's ten thousand stays,
    a unit's cases, cost nothing); the rest are checked."""
    gs = schema()
    touching = [
        t
        for t in types
        if not scope.get("all_units")
        and "Case" in (*gs.relationship(t).sources, *gs.relationship(t).targets)
    ]
    plain = [t for t in types if t not in touching]
    parts = []
    if plain:
        parts.append(f"COUNT {{ ({var})-[:{_types(plain)}]-() }}")
    if touching:
        parts.append(f"COUNT {{ ({var})-[:{_types(touching)}]-(x) WHERE {node_visible('x')} }}")
    return " + ".join(parts) or "0"


def _types(types: Sequence[str]) -> str:
    gs = schema()
    return "|".join(ident(gs.relationship(t).type) for t in types)


def _node(var: str) -> str:
    return (
        f"{{id: elementId({var}), label: [l IN labels({var}) WHERE l IN $labels][0], "
        f"props: {temporal.props(var)}}}"
    )


def _rel(var: str) -> str:
    return (
        f"{{type: type({var}), rel: {temporal.props(var)}, "
        f"src: elementId(startNode({var})), dst: elementId(endNode({var}))}}"
    )


def _match_key(var: str, label: str) -> str:
    node = schema().node(label)
    return f"MATCH ({var}:{ident(node.label)}) WHERE {var}.{ident(node.key)} = ${var}_key"


@dataclass
class Subgraph:
    nodes: dict[str, Row] = field(default_factory=dict)  # element id -> node, with degree
    edges: dict[tuple[str, str, str, str], Row] = field(default_factory=dict)
    collapsed: set[str] = field(default_factory=set)
    truncated: bool = False


async def neighbourhood(
    driver: AsyncDriver,
    label: str,
    key: str,
    depth: int,
    types: Sequence[str],
    limit: int,
    busy: int,
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> Subgraph | None:
    """Nodes within `depth` links of the start, at most `limit` of them, breadth first.
    A node with more than `busy` links is kept but not expanded (it is `collapsed`)."""
    rel_types = _types(types)
    common = {"labels": list(schema().nodes), "scope": scope, "busy": busy}
    start = await read(
        driver,
        f"{_match_key('s', label)} AND {node_visible('s')} "
        f"RETURN {_node('s')} AS node, {_degree('s', types, scope)} AS degree",
        timeout,
        database,
        s_key=key,
        **common,
    )
    if not start:
        return None
    graph = Subgraph()
    first = start[0]
    graph.nodes[first["node"]["id"]] = {**first["node"], "degree": first["degree"]}
    frontier = [first["node"]["id"]]
    for _ in range(depth):
        if not frontier:
            break
        rows = await read(
            driver,
            "UNWIND $frontier AS id MATCH (a) WHERE elementId(a) = id "
            f"MATCH (a)-[r:{rel_types}]-(b) WHERE {node_visible('b')} "
            f"WITH r, b LIMIT $rows "
            f"RETURN {_rel('r')} AS rel, {_node('b')} AS node, "
            f"{_degree('b', types, scope)} AS degree",
            timeout,
            database,
            frontier=frontier,
            rows=limit * 4 + 1,
            **common,
        )
        if len(rows) > limit * 4:
            graph.truncated = True
        frontier = []
        for row in rows:
            node = row["node"]
            if node["id"] not in graph.nodes:
                if len(graph.nodes) >= limit:
                    graph.truncated = True
                    continue
                graph.nodes[node["id"]] = {**node, "degree": row["degree"]}
                if row["degree"] > busy:
                    graph.collapsed.add(node["id"])
                else:
                    frontier.append(node["id"])
            rel = row["rel"]
            if rel["src"] in graph.nodes and rel["dst"] in graph.nodes:
                ident_ = (rel["src"], rel["dst"], rel["type"], str(sorted(rel["rel"].items())))
                graph.edges[ident_] = rel
    return graph


async def paths(
    driver: AsyncDriver,
    start: tuple[str, str],
    end: tuple[str, str],
    max_hops: int,
    types: Sequence[str],
    take: int,
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> list[Row]:
    """Up to `take` shortest paths from `start` to `end` (label, key): {nodes, rels}."""
    hops = int(max_hops)  # a bound of the pattern: it cannot be a parameter
    rows = await read(
        driver,
        f"{_match_key('a', start[0])} {_match_key('b', end[0])} "
        f"WITH a, b WHERE a <> b AND {node_visible('a')} AND {node_visible('b')} "
        f"MATCH p = ALL SHORTEST (a) (()-[:{_types(types)}]-(x) WHERE {node_visible('x')})"
        f"{{1,{hops}}} (b) "
        f"WITH p LIMIT $take "
        f"RETURN [n IN nodes(p) | {_node('n')}] AS nodes, "
        f"[r IN relationships(p) | {_rel('r')}] AS rels",
        timeout,
        database,
        a_key=start[1],
        b_key=end[1],
        take=take,
        labels=list(schema().nodes),
        scope=scope,
    )
    return rows


async def common_links(
    driver: AsyncDriver,
    given: Sequence[tuple[str, str]],
    min_shared: int,
    types: Sequence[str],
    take: int,
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> list[Row]:
    """Entities linked to at least `min_shared` of the `given` (label, key) entities, most
    shared first: {node, shared, linked (the given ones it links to)}."""
    gs = schema()
    by_label: dict[str, list[str]] = {}
    for label, key in given:
        by_label.setdefault(label, []).append(key)
    parts = [
        f"MATCH (n:{ident(gs.node(label).label)}) "
        f"WHERE n.{ident(gs.node(label).key)} IN $keys[{i}] RETURN n"
        for i, label in enumerate(by_label)
    ]
    if not parts:
        return []
    return await read(
        driver,
        f"CALL () {{ {' UNION '.join(parts)} }} "
        f"WITH n WHERE {node_visible('n')} "
        "WITH collect(n) AS given UNWIND given AS n "
        f"MATCH (n)-[:{_types(types)}]-(m) WHERE NOT m IN given AND {node_visible('m')} "
        "WITH m, collect(DISTINCT n) AS linked WHERE size(linked) >= $min "
        f"RETURN {_node('m')} AS node, size(linked) AS shared, "
        f"[x IN linked | {_node('x')}] AS linked "
        "ORDER BY shared DESC, node.label, elementId(m) LIMIT $take",
        timeout,
        database,
        keys=list(by_label.values()),
        min=min_shared,
        take=take,
        labels=list(gs.nodes),
        scope=scope,
    )
