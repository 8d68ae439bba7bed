"""Where people were seen: wanted persons in the big-data feeds, and who was at the same
place at about the same time as someone.

Events are hotel stays and internet-cafe sessions (STAYED_AT, at check-in), rail
journeys (TRAVELLED, at departure), checkpoint passes of a vehicle the person owns
(PASSED) and calls from or to their phones (CALLED, at the last call of the pair).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from neo4j import AsyncDriver

from hub.queries import temporal
from hub.queries.entities import read_list

# The relationships an event is one of.
EVENT_TYPES = ("STAYED_AT", "TRAVELLED", "PASSED", "CALLED")

EVENTS = """
CALL (p, w) {
  MATCH (p)-[e:STAYED_AT]->(place:Place) WHERE e.checkin >= w.issued_at
  RETURN e, e.checkin AS at, place
  UNION
  MATCH (p)-[e:TRAVELLED]->(place:Place) WHERE e.at >= w.issued_at
  RETURN e, e.at AS at, place
  UNION
  MATCH (p)-[:OWNS]->(:Vehicle)-[e:PASSED]->(place:Place) WHERE e.at >= w.issued_at
  RETURN e, e.at AS at, place
  UNION
  MATCH (p)-[:HAS_PHONE]->(:Phone)-[e:CALLED]-(:Phone) WHERE e.last_at >= w.issued_at
  RETURN e, e.last_at AS at, null AS place
}
"""


async def fugitive_hits(
    driver: AsyncDriver,
    since: datetime | None,
    take: int,
    timeout: float,
    database: str | None = None,
) -> list[dict[str, Any]]:
    """Events of wanted persons after their warrant was issued (and after `since`),
    newest first: {person, warrant, type, rel, at, place}."""
    return await read_list(
        driver,
        "MATCH (p:Person)-[:WANTED_BY]->(w:Warrant) WHERE w.issued_at IS NOT NULL "
        f"{EVENTS} "
        "WITH p, w, e, at, place WHERE $since IS NULL OR at >= $since "
        "ORDER BY at DESC, p.name, elementId(e) LIMIT $take "
        f"RETURN collect({{person: {temporal.node('p', ['Person'])}, "
        f"warrant: {temporal.node('w', ['Warrant'])}, type: type(e), "
        f"rel: {temporal.rel('e', EVENT_TYPES)}, at: at, "
        f"place: {temporal.node('place', ['Place'])}}}) AS rows",
        timeout,
        database,
        since=since,
        take=take,
    )


async def co_presence(
    driver: AsyncDriver,
    uid: str,
    within_minutes: int,
    kinds: Sequence[str],
    take: int,
    timeout: float,
    database: str | None = None,
) -> list[dict[str, Any]]:
    """Other people at the same place (a hotel, a departure station, a checkpoint) within
    `within_minutes` of the person, closest in time first:
    {person, place, type, at (theirs), other_at (the person's), rel}."""
    return await read_list(
        driver,
        "MATCH (me:Person {uid: $uid}) "
        "CALL (me) { "
        "  MATCH (me)-[e:STAYED_AT]->(place:Place) "
        "  RETURN e.checkin AS mine, place, 'STAYED_AT' AS t "
        "  UNION "
        "  MATCH (me)-[e:TRAVELLED]->(place:Place) RETURN e.at AS mine, place, 'TRAVELLED' AS t "
        "  UNION "
        "  MATCH (me)-[:OWNS]->(:Vehicle)-[e:PASSED]->(place:Place) "
        "  RETURN e.at AS mine, place, 'PASSED' AS t "
        "} "
        "WITH me, mine, place, t WHERE size($kinds) = 0 OR place.kind IN $kinds "
        "WITH me, mine, place, mine - duration({minutes: $within}) AS lo, "
        "     mine + duration({minutes: $within}) AS hi "
        "CALL (me, place, lo, hi) { "
        "  MATCH (place)<-[e:STAYED_AT]-(other:Person) WHERE other <> me "
        "    AND e.checkin >= lo AND e.checkin <= hi RETURN other, e, e.checkin AS at "
        "  UNION "
        "  MATCH (place)<-[e:TRAVELLED]-(other:Person) WHERE other <> me "
        "    AND e.at >= lo AND e.at <= hi RETURN other, e, e.at AS at "
        "  UNION "
        "  MATCH (place)<-[e:PASSED]-(:Vehicle)<-[:OWNS]-(other:Person) WHERE other <> me "
        "    AND e.at >= lo AND e.at <= hi RETURN other, e, e.at AS at "
        "} "
        "WITH other, place, e, at, mine "
        "ORDER BY abs(duration.inSeconds(mine, at).seconds), other.name, elementId(e) "
        "LIMIT $take "
        f"RETURN collect({{person: {temporal.node('other', ['Person'])}, "
        f"place: {temporal.node('place', ['Place'])}, "
        f"type: type(e), rel: {temporal.rel('e', EVENT_TYPES)}, at: at, other_at: mine}}) "
        "AS rows",
        timeout,
        database,
        uid=uid,
        within=within_minutes,
        kinds=list(kinds),
        take=take,
    )
