"""Shortest paths and neighbourhoods never show, count or pass through a node the asker
may not see, over every relationship type of graph_schema that can reach a restricted
node (shared links: tests/resolvers/test_visibility.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from neo4j import AsyncGraphDatabase, Driver

from graph_schema import ident, schema
from hub import db
from hub.access import Principal, Role
from hub.queries import graph
from hub.settings import Settings


def _hidden_middles() -> list[tuple[str, str, str, bool]]:
    """(type, label of the path's ends, restricted label between them, whether the
    middle is the relationships' source): for each restricted label a relationship can
    reach, the first type that reaches it (the statements are planned per end label, and
    planning is most of this test's time)."""
    gs = schema()
    found: dict[str, tuple[str, str, str, bool]] = {}
    for name, rel in sorted(gs.relationships.items()):
        for middle, other, outgoing in [
            *((t, rel.sources[0], False) for t in rel.targets),
            *((s, rel.targets[0], True) for s in rel.sources),
        ]:
            if gs.node(middle).restricted:
                found.setdefault(middle, (name, other, middle, outgoing))
    return list(found.values())


def _seen(
    settings: Settings, who: Principal, rel: str, label: str, types: list[str]
) -> tuple[Any, ...]:
    """What `who` is given between the two ends made for `rel`, over `types`: the lengths
    of the paths, and the degrees of the nodes of the first end's neighbourhood (the same
    two statements for every type, planned once; no property read)."""

    async def run() -> tuple[Any, ...]:
        uri, auth = db.credentials(settings)
        scope, ends = who.scope(), [(label, f"{rel}-1"), (label, f"{rel}-2")]
        none = graph.Wanted(frozenset(), frozenset())
        async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
            found = await graph.paths(driver, *ends, 2, types, 10, scope, 10.0, wanted=none)
            near = await graph.neighbourhood(
                driver, *ends[0], 2, types, 10, 100, scope, 10.0, wanted=none
            )  # fmt: skip
        assert near is not None
        return [len(p["rels"]) for p in found.paths], sorted(n["degree"] for n in near.nodes)

    return asyncio.run(run())


def test_a_node_of_another_unit_is_neither_shown_nor_counted_nor_passed_through(
    graph: Driver, settings: Settings
) -> None:
    gs = schema()
    cases = _hidden_middles()
    assert {c[2] for c in cases} >= {"Case", "StopPayment"}  # can fail
    for rel, label, middle, outgoing in cases:
        end, inner = gs.node(label), gs.node(middle)
        arrow = "(m)-[:{t}]->(e)" if outgoing else "(e)-[:{t}]->(m)"
        both = arrow.format(t=ident(gs.relationship(rel).type))
        graph.execute_query(
            f"CREATE (m:{ident(inner.label)} {{{ident(inner.key)}: $key, scope: ['unit:A']}}) "
            f"WITH m UNWIND [$key + '-1', $key + '-2'] AS k "
            f"CREATE (e:{ident(end.label)} {{{ident(end.key)}: k}}) "
            # an end of a restricted label too is seen by everybody here
            f"SET e.scope = CASE WHEN $restricted THEN ['any'] END CREATE {both}",
            key=rel,
            restricted=end.restricted,
        )
    types = sorted({c[0] for c in cases})
    outsider = Principal("li", Role.investigator, "B")
    insider = Principal("wang", Role.investigator, "A")
    for rel, label, middle, _ in cases:
        # the path through it; the three nodes and their links, or the start alone
        assert _seen(settings, insider, rel, label, types) == ([2], [1, 1, 2]), (rel, middle)
        assert _seen(settings, outsider, rel, label, types) == ([], [0]), (rel, middle)
