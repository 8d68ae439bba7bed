"""Who was where: lists of people at one time come in an order no personal value gives."""

from __future__ import annotations

import asyncio
from typing import Any

from neo4j import AsyncGraphDatabase, Driver

from hub import db
from hub.queries import presence
from hub.settings import Settings

# Three people whose uids (`P<ID number>`: within a region, by birth date) sort 1, 2, 3,
# created in that order, and whose names sort 3, 2, 1: seen at one place at one time.
PEOPLE = [
    {"uid": "P411623198001010011", "name": "王五"},
    {"uid": "P411623198502020022", "name": "李四"},
    {"uid": "P411623199003030033", "name": "孙七"},
]
GRAPH = """
CREATE (hotel:Place {place_id: 'H1', kind: 'hotel'}),
       (me:Person {uid: 'ME', name: '我'})-[:STAYED_AT {checkin: $at}]->(hotel)
WITH hotel UNWIND $people AS person
CREATE (p:Person)-[:STAYED_AT {checkin: $at}]->(hotel) SET p = person
CREATE (p)-[:WANTED_BY]->(:Warrant {warrant_no: 'W' + person.uid, issued_at: $issued})
"""


def run(settings: Settings, call: Any) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        uri, auth = db.credentials(settings)
        async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
            return list(await call(driver))

    return asyncio.run(go())


def test_people_seen_at_one_time_come_by_name_not_by_uid(graph: Driver, settings: Settings) -> None:
    """Ties in time (one train, one check-in) were broken by uid, so that the list told
    an analyst which of them was born first."""
    at = "2024-05-01T12:00:00Z"
    graph.execute_query(
        GRAPH.replace("$at", f"datetime('{at}')").replace(
            "$issued", "datetime('2024-01-01T00:00:00Z')"
        ),
        people=PEOPLE,
    )
    by_name = [PEOPLE[i]["uid"] for i in (2, 1, 0)]  # 孙 李 王: by code point
    assert sorted(p["name"] for p in PEOPLE) == [PEOPLE[i]["name"] for i in (2, 1, 0)]
    near = run(settings, lambda d: presence.co_presence(d, "ME", 10, [], 10, 10.0))
    assert [r["person"]["uid"] for r in near] == by_name
    hits = run(settings, lambda d: presence.fugitive_hits(d, None, 10, 10.0))
    assert [r["person"]["uid"] for r in hits] == by_name
