"""Entity look-ups and links leave out the cases a principal may not see: those whose
scope (`hub.scope`) does not grant them, and those not scoped yet."""

from __future__ import annotations

import asyncio
from typing import Any

from neo4j import AsyncGraphDatabase, Driver

from hub import db, scope
from hub.access import Principal, Role
from hub.queries import entities
from hub.settings import Settings

GRAPH = """
CREATE (a:Unit {code: 'A'}), (b:Unit {code: 'B'})
CREATE (ca:Case {case_no: 'A-1'})-[:HANDLED_BY]->(a)
CREATE (cb:Case {case_no: 'B-1'})-[:HANDLED_BY]->(b)
CREATE (p:Person {uid: 'p1'})
CREATE (p)-[:SUSPECT_IN]->(ca), (p)-[:SUSPECT_IN]->(cb)
CREATE (:Operation {op_id: 'op', status: 'open', members: ['li']})-[:INCLUDES]->(cb)
"""


def look(settings: Settings, principal: Principal) -> tuple[list[Any], list[Any]]:
    async def run() -> tuple[list[Any], list[Any]]:
        uri, auth = db.credentials(settings)
        async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
            scope, read = principal.scope(), {"timeout": 10.0}
            cases = await entities.by_property(
                driver, "Case", "case_no", ["A-1", "B-1"], scope, **read
            )
            spec = entities.LinkSpec("Person", ("SUSPECT_IN",), "out", ("Case",))
            (linked,) = await entities.links(driver, spec, [("p1", 0, 10)], scope, **read)
        return [c and c["case_no"] for c in cases], sorted(
            row["props"]["case_no"] for row in linked.rows
        )

    return asyncio.run(run())


def test_cases_not_scoped_yet_are_seen_by_nobody(graph: Driver, settings: Settings) -> None:
    graph.execute_query(GRAPH)
    for who in (Principal("wang", Role.investigator, "A"), Principal("chen", Role.admin)):
        assert look(settings, who) == ([None, None], [])
    scope.refresh(graph)
    assert look(settings, Principal("chen", Role.admin)) == (["A-1", "B-1"], ["A-1", "B-1"])


def test_cases_of_other_units_are_left_out(graph: Driver, settings: Settings) -> None:
    graph.execute_query(GRAPH)
    scope.refresh(graph)
    assert look(settings, Principal("wang", Role.investigator, "A")) == (["A-1", None], ["A-1"])
    assert look(settings, Principal("zhao", Role.supervisor, "B")) == ([None, "B-1"], ["B-1"])
    assert look(settings, Principal("chen", Role.analyst)) == (["A-1", "B-1"], ["A-1", "B-1"])


def test_an_open_operation_opens_its_cases_to_its_members_until_it_closes(
    graph: Driver, settings: Settings
) -> None:
    graph.execute_query(GRAPH)
    scope.refresh(graph)
    member = Principal("li", Role.investigator, "A")
    assert look(settings, member) == (["A-1", "B-1"], ["A-1", "B-1"])
    graph.execute_query("MATCH (o:Operation) SET o.status = 'closed'")
    assert scope.refresh(graph)["Case"] == 1  # B-1 no longer shared with the members
    assert look(settings, member) == (["A-1", None], ["A-1"])


def link_lists() -> list[tuple[str, str, str]]:
    """Every link field of the API (entity type, field, target label), each label it
    may reach apart."""
    from resolvers.types import BY_LABEL, link_fields

    return [
        (label, name, target)
        for label, cls in BY_LABEL.items()
        for name, (_, _, targets) in link_fields(cls).items()
        for target in targets.split("|")
    ]


def test_no_link_list_follows_the_linked_entitys_key(graph: Driver, settings: Settings) -> None:
    """A case's people came in the order of their uids, `P<ID number>`: within a region,
    of their birth dates, which a role that sees them masked may not know; a phone's
    users, an account's holders, a person's phones and accounts so too. Every link list
    comes in an order no value of the linked entity gives: here three entities whose
    keys sort 1, 2, 3 are linked so that the list must read 2, 3, 1 (newest first for
    timed links, else the link first seen first)."""
    from resolvers.types import BY_LABEL, link_fields

    gs = entities.schema()
    wrong: list[str] = []
    for label, name, target in link_lists():
        types, direction, _ = link_fields(BY_LABEL[label])[name]
        spec = entities.LinkSpec(label, tuple(types.split("|")), direction, (target,))
        rel = gs.relationship(spec.types[0])
        start, end = gs.node(label), gs.node(target)
        keys = [f"{target}-{i}" for i in (1, 2, 3)]
        ranks = {keys[1]: 0, keys[2]: 1, keys[0]: 2}  # the order the list must give
        arrow = "(n)-[r:{t}]->(m)" if direction == "out" else "(n)<-[r:{t}]-(m)"
        graph.execute_query("MATCH (x) DETACH DELETE x")
        graph.execute_query(
            f"CREATE (n:{start.label} {{{start.key}: 'S', scope: ['any']}}) "
            f"WITH n UNWIND $keys AS k CREATE (m:{end.label} {{{end.key}: k, scope: ['any']}}) "
            f"CREATE {arrow.format(t=rel.type)} "
            "SET r.first_seen = datetime('2024-01-01T00:00:00Z') + duration({days: $ranks[k]})"
            + (
                f", r.{rel.key} = datetime('2024-06-01T00:00:00Z') - duration({{days: $ranks[k]}})"
                if rel.key
                else ""
            ),
            keys=keys,
            ranks=ranks,
        )

        async def run(spec: entities.LinkSpec = spec, key: str = end.key) -> list[str]:
            uri, auth = db.credentials(settings)
            async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
                (page,) = await entities.links(
                    driver, spec, [("S", 0, 10)], Principal("chen", Role.admin).scope(), 10.0
                )
            return [row["props"][key] for row in page.rows]

        if asyncio.run(run()) != [keys[1], keys[2], keys[0]]:
            wrong.append(f"{label}.{name} → {target}: {asyncio.run(run())}")
    assert wrong == []
