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
