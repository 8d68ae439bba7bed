"""The alert list's order reads no personal value."""

from __future__ import annotations

import asyncio
from typing import Any

from neo4j import AsyncGraphDatabase, Driver

from hub import db
from hub.access import Principal, Role
from hub.queries import alerts
from hub.settings import Settings

ANALYST = Principal("zhou", Role.analyst)


def test_alerts_raised_at_one_time_are_not_listed_in_the_order_of_their_ids(
    graph: Driver, settings: Settings
) -> None:
    """An alert's id holds the phone or account it is about, so alerts of one rule run
    (one raising time) listed by id gave an analyst the order of the hidden digits."""
    made, _, _ = graph.execute_query(
        "UNWIND range(1, 3) AS i CREATE (a:Alert {summary: 'shared', status: 'new', "
        "raised_at: datetime('2026-09-03T08:00:00Z'), scope: ['any']}) "
        "RETURN elementId(a) AS element ORDER BY element"
    )
    # the ids in the opposite order to the one the hub lists them in
    numbers = [f"shared_across_units:+861390000000{n}" for n in (3, 2, 1)]
    for record, alert_id in zip(made, numbers, strict=True):
        graph.execute_query(
            "MATCH (a:Alert) WHERE elementId(a) = $e SET a.alert_id = $id",
            e=record["element"],
            id=alert_id,
        )

    async def listed() -> list[dict[str, Any]]:
        uri, auth = db.credentials(settings)
        async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
            return await alerts.listed(driver, None, 0, 10, ANALYST.scope(), 10.0)

    shown = [a["alert_id"] for a in asyncio.run(listed())]
    assert shown == numbers and shown != sorted(numbers)
