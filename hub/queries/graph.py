"""The graph around entities: neighbourhoods, shortest paths and shared links.

Nodes come back as {id (element id, for joining within one answer), label, props}, and
relationships as {type, rel, src, dst} with element ids of their ends. Nodes the asker
may not see (`hub.access`) are neither returned, nor counted, nor passed through. A node
reached over a relationship is tested for the restricted labels graph_schema lets that
relationship's type join (`ends`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import AsyncDriver

from graph_schema import ident, schema
from hub.access import visible
from hub.queries import temporal
from hub.queries.entities import Scope, read, read_list

Row = dict[str, Any]

# Relationship types a neighbourhood or a path follows unless told otherwise: the
# bookkeeping ones (source records, alerts, operations) would drown the answer.
DEFAULT_EXCLUDED = frozenset({"RECORD_OF", "ABOUT", "INCLUDES"})


def default_types() -> tuple[str, ...]:
    return tuple(sorted(set(schema().relationships) - DEFAULT_EXCLUDED))


def _degree(var: str, types: Sequence[str]) -> str:
    """A Cypher expression: the links of `var` of these types to visible nodes. Links of
    types between public labels are counted from the degree store without visiting them
    (a hotel's ten thousand stays cost nothing); those that may reach a restricted node
    are checked."""
    gs = schema()
    touching = [t for t in types if gs.touches_restricted(t)]
    plain = [t for t in types if t not in touching]
    parts = []
    if plain:
        parts.append(f"COUNT {{ ({var})-[:{_types(plain)}]-() }}")
    if touching:
        test = visible("x", ends(touching))
        parts.append(f"COUNT {{ ({var})-[:{_types(touching)}]-(x) WHERE {test} }}")
    return " + ".join(parts) or "0"


def _types(types: Sequence[str]) -> str:
    gs = schema()
    return "|".join(ident(gs.relationship(t).type) for t in types)


def ends(types: Sequence[str]) -> list[str]:
    """The labels a relationship of these types joins (graph_schema's sources and
    targets): what a node reached over one of them can be, so that its visibility test
    names only the restricted ones among them (over phones, accounts and people: a Case
    or a StopPayment), not every restricted label of the schema."""
    gs = schema()
    found: dict[str, None] = {}
    for t in types:
        rel = gs.relationship(t)
        found.update(dict.fromkeys((*rel.sources, *rel.targets)))
    return sorted(found)


@dataclass(frozen=True)
class Wanted:
    """The properties an answer reads of the nodes and of the relationships it draws;
    None: all of them."""

    nodes: frozenset[str] | None = None
    rels: frozenset[str] | None = None


ALL = Wanted()


def _node(var: str, wanted: Wanted = ALL) -> str:
    return (
        f"{{id: elementId({var}), label: [l IN labels({var}) WHERE l IN $labels][0], "
        f"props: {temporal.node(var, only=wanted.nodes)}}}"
    )


def _rel(var: str, types: Sequence[str] | None = None, wanted: Wanted = ALL) -> str:
    return (
        f"{{type: type({var}), rel: {temporal.rel(var, types, only=wanted.rels)}, "
        f"src: elementId(startNode({var})), dst: elementId(endNode({var}))}}"
    )


def _match_key(var: str, label: str) -> str:
    node = schema().node(label)
    return f"MATCH ({var}:{ident(node.label)}) WHERE {var}.{ident(node.key)} = ${var}_key"


@dataclass
class Subgraph:
    nodes: list[Row]  # {node: {id (element id), label, props}, degree, collapsed}
    edges: list[Row]
    truncated: bool


def _level(types: Sequence[str]) -> str:
    """One breadth-first step of `neighbourhood`, over `nodes` ({node, degree}, all found so
    far), `frontier` (those to expand), `rels`, `cut` (a cap was hit) and `dropped` (the
    node cap left out a node, so some found relationships have an end outside)."""
    return (
        "CALL (frontier) { "
        "  UNWIND frontier AS a "
        f"  MATCH (a)-[r:{_types(types)}]-(b) WHERE {visible('b', ends(types))} "
        "  WITH r, b LIMIT $rows "
        "  RETURN collect(r) AS found, collect(DISTINCT b) AS ends, count(*) = $rows AS over } "
        "WITH rels + found AS rels, cut OR over AS cut, dropped, nodes, ends, "
        "  [x IN nodes | x.node] AS seen "
        "WITH rels, cut, dropped, nodes, [b IN ends WHERE NOT b IN seen] AS fresh "
        "WITH rels, cut, dropped OR size(nodes) + size(fresh) > $limit AS dropped, "
        "  size(nodes) AS before, nodes + [b IN fresh[..$limit - size(nodes)] | "
        f"    {{node: b, degree: {_degree('b', types)}}}] AS nodes "
        "WITH rels, cut OR dropped AS cut, dropped, nodes, "
        "  [x IN nodes[before..] WHERE x.degree <= $busy | x.node] AS frontier "
    )


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
    wanted: Wanted = ALL,
) -> Subgraph | None:
    """Nodes within `depth` links of the start, at most `limit` of them, breadth first,
    in one statement. A node with more than `busy` links is kept but not expanded (it is
    `collapsed`); each node and relationship is projected once."""
    rows = await read(
        driver,
        f"{_match_key('s', label)} AND {visible('s', [label])} "
        f"WITH [{{node: s, degree: {_degree('s', types)}}}] AS nodes, [s] AS frontier, "
        "  [] AS rels, false AS cut, false AS dropped "
        f"{_level(types) * int(depth)}"
        "CALL (rels) { UNWIND rels AS r RETURN collect(DISTINCT r) AS distinct } "
        "WITH nodes, cut, dropped, distinct, [x IN nodes | x.node] AS kept "
        "WITH nodes, cut, [r IN distinct WHERE CASE WHEN dropped "
        "  THEN startNode(r) IN kept AND endNode(r) IN kept ELSE true END "
        f"  | {_rel('r', types, wanted)}] AS edges "
        "CALL (nodes) { "
        "  UNWIND range(0, size(nodes) - 1) AS i WITH i, nodes[i].node AS n, nodes[i].degree AS d "
        f"  RETURN collect({{node: {_node('n', wanted)}, degree: d, "
        "    collapsed: i > 0 AND d > $busy}) AS drawn } "
        "RETURN drawn, edges, cut",
        timeout,
        database,
        s_key=key,
        rows=limit * 4 + 1,
        limit=limit,
        busy=busy,
        labels=list(schema().nodes),
        scope=scope,
    )
    if not rows:
        return None
    return Subgraph(nodes=rows[0]["drawn"], edges=rows[0]["edges"], truncated=rows[0]["cut"])


@dataclass
class Paths:
    nodes: list[Row]  # {label, props}: each node of every path once
    paths: list[Row]  # {nodes: indexes into `nodes` in order, rels: {type, rel, start}}


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
    wanted: Wanted = ALL,
) -> Paths:
    """Up to `take` shortest paths from `start` to `end` (label, key). Shortest paths
    share most of their nodes (parallel transfers make paths of the same accounts), so
    each node comes back once and a path names its nodes, and each relationship its
    start node, by their index in that list. Every node of a path is tested for the
    asker, inner ones for the restricted labels the relationship types can reach."""
    hops = int(max_hops)  # a bound of the pattern: it cannot be a parameter
    index = "[i IN range(0, size(seen) - 1) WHERE seen[i] = {}][0]"
    rows = await read(
        driver,
        f"{_match_key('a', start[0])} {_match_key('b', end[0])} "
        f"WITH a, b WHERE a <> b AND {visible('a', [start[0]])} AND {visible('b', [end[0]])} "
        f"MATCH p = ALL SHORTEST (a) (()-[:{_types(types)}]-(x) WHERE {visible('x', ends(types))})"
        f"{{1,{hops}}} (b) "
        "WITH p LIMIT $take WITH collect(p) AS found "
        "CALL (found) { UNWIND found AS p UNWIND nodes(p) AS n "
        "  RETURN collect(DISTINCT n) AS seen } "
        "RETURN [n IN seen | {label: [l IN labels(n) WHERE l IN $labels][0], "
        f"  props: {temporal.node('n', only=wanted.nodes)}}}] AS nodes, "
        f"[p IN found | {{nodes: [n IN nodes(p) | {index.format('n')}], "
        f"  rels: [r IN relationships(p) | {{type: type(r), "
        f"rel: {temporal.rel('r', only=wanted.rels)}, "
        f"start: {index.format('startNode(r)')}}}]}}] AS paths",
        timeout,
        database,
        a_key=start[1],
        b_key=end[1],
        take=take,
        labels=list(schema().nodes),
        scope=scope,
    )
    if not rows:
        return Paths([], [])
    return Paths(rows[0]["nodes"], rows[0]["paths"])


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
    return await read_list(
        driver,
        f"CALL () {{ {' UNION '.join(parts)} }} "
        f"WITH n WHERE {visible('n')} "
        "WITH collect(n) AS given UNWIND given AS n "
        f"MATCH (n)-[:{_types(types)}]-(m) WHERE NOT m IN given AND {visible('m', ends(types))} "
        "WITH m, collect(DISTINCT n) AS linked WHERE size(linked) >= $min "
        f"WITH m, linked, {_node('m')} AS node "
        "ORDER BY size(linked) DESC, node.label, elementId(m) LIMIT $take "
        "RETURN collect({node: node, shared: size(linked), "
        f"linked: [x IN linked | {_node('x')}]}}) AS rows",
        timeout,
        database,
        keys=list(by_label.values()),
        min=min_shared,
        take=take,
        labels=list(gs.nodes),
        scope=scope,
    )
