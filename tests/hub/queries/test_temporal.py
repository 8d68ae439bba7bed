"""Temporal properties travel as text and come back as the same instants and dates."""

from __future__ import annotations

import datetime as dt

from neo4j import Driver

from hub.queries import temporal


def test_every_temporal_property_comes_back_as_the_same_value(graph: Driver) -> None:
    # A named zone, as another writer might store it, next to the UTC the hub writes.
    shanghai = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    utc = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    born = dt.date(1985, 3, 12)
    graph.execute_query(
        "CREATE (p:Person {uid: 'p1', name: '张伟', birth_date: $born, last_seen: $b, "
        "first_seen: datetime({year: 2026, month: 3, day: 1, hour: 9, minute: 30, "
        "second: 15, microsecond: 123456, timezone: 'Asia/Shanghai'})}) "
        "CREATE (p)-[:STAYED_AT {checkin: $b}]->(:Place {place_id: 'h1', name: 'Hotel'})",
        born=born,
        b=utc,
    )
    # Each way of naming what the variables can be: any label or type, several, one.
    for labels, types in ((None, None), (["Person", "Place"], ["STAYED_AT", "CALLED"]),
                          (["Person"], ["STAYED_AT"])):  # fmt: skip
        records, _, _ = graph.execute_query(
            f"MATCH (n:Person {{uid: 'p1'}})-[r]->(m) RETURN {temporal.node('n', labels)} AS n, "
            f"{temporal.rel('r', types)} AS r, {temporal.node('m', labels and ['Place'])} AS m"
        )
        props = {k: temporal.value(k, v) for k, v in records[0]["n"].items()}
        assert props["first_seen"] == shanghai and props["first_seen"].utcoffset() is not None
        assert props["last_seen"] == utc
        assert props["birth_date"] == born
        assert props["name"] == "张伟"
        assert "checkin" not in props  # declared for stays, not for persons
        assert temporal.value("checkin", records[0]["r"]["checkin"]) == utc
        assert records[0]["m"] == {"place_id": "h1", "name": "Hotel", "first_seen": None,
                                   "last_seen": None}  # fmt: skip


def test_only_declared_temporal_names_are_parsed() -> None:
    assert temporal.value("name", "2026-03-01") == "2026-03-01"
    assert temporal.value("at", "2026-03-01T09:30:00+08:00[Asia/Shanghai]") == dt.datetime(
        2026, 3, 1, 1, 30, tzinfo=dt.UTC
    )
    assert temporal.value("birth_date", "1985-03-12") == dt.date(1985, 3, 12)
    assert "at" in temporal.of_types(["TRANSFERRED"]) and "at" not in temporal.of_labels(["Unit"])
