"""Shortest paths never pass through a node the asker may not see, over every relationship
type of graph_schema that can reach a restricted node."""

from __future__ import annotations

import asyncio

from neo4j import AsyncGraphDatabase, Driver

from graph_schema import ident, schema
from hub import db
from hub.access import Principal, Role
from hub.queries import graph
from hub.settings import Settings


def _hidden_middles() -> list[tuple[str, str, str, bool]]:
    """(type, label of the path's ends, restricted label between them, whether the
    middle is the relationships' source) for every restricted end of every type."""
    gs = schema()
    found = []
    for name, rel in sorted(gs.relationships.items()):
        for middle, other, outgoing in [
            *((t, rel.sources[0], False) for t in rel.targets),
            *((s, rel.targets[0], True) for s in rel.sources),
        ]:
            if gs.node(middle).restricted:
                found.append((name, other, middle, outgoing))
    return found


def _paths(settings: Settings, who: Principal, rel: str, label: str) -> list[int]:
    """The lengths of the paths `who` is given between the two ends over `rel`."""

    async def run() -> list[int]:
        uri, auth = db.credentials(settings)
        async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
            found = await graph.paths(
                driver, (label, f"{rel}-1"), (label, f"{rel}-2"), 2, [rel], 10, who.scope(), 10.0
            )
        return [len(p["rels"]) for p in found.paths]

    return asyncio.run(run())


def test_a_path_through_a_node_of_another_unit_is_not_found(
    graph: Driver, settings: Settings
) -> None:
    gs = schema()
    cases = _hidden_middles()
    assert {c[0] for c in cases} >= {"SUSPECT_IN", "STOPS", "HANDLED_BY"}  # can fail
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
        outsider = Principal("li", Role.investigator, "B")
        insider = Principal("wang", Role.investigator, "A")
        assert _paths(settings, insider, rel, label) == [2], (rel, middle)
        assert _paths(settings, outsider, rel, label) == [], (rel, middle)
