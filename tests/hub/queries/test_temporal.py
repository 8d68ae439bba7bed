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
        "CREATE (:Person {uid: 'p1', name: '张伟', birth_date: $born, last_seen: $b, "
        "first_seen: datetime({year: 2026, month: 3, day: 1, hour: 9, minute: 30, "
        "second: 15, microsecond: 123456, timezone: 'Asia/Shanghai'})})",
        born=born,
        b=utc,
    )
    records, _, _ = graph.execute_query(
        f"MATCH (n:Person {{uid: 'p1'}}) RETURN {temporal.props('n')} AS props"
    )
    props = {k: temporal.value(k, v) for k, v in records[0]["props"].items()}
    assert props["first_seen"] == shanghai and props["first_seen"].utcoffset() is not None
    assert props["last_seen"] == utc
    assert props["birth_date"] == born
    assert props["name"] == "张伟"
    assert props["checkin"] is None  # declared elsewhere, absent here: null, not text


def test_only_declared_temporal_names_are_parsed() -> None:
    assert temporal.value("name", "2026-03-01") == "2026-03-01"
    assert temporal.value("at", "2026-03-01T09:30:00+08:00[Asia/Shanghai]") == dt.datetime(
        2026, 3, 1, 1, 30, tzinfo=dt.UTC
    )
    assert temporal.value("birth_date", "1985-03-12") == dt.date(1985, 3, 12)
    assert "at" in temporal.of_types(["TRANSFERRED"]) and "at" not in temporal.of_labels(["Unit"])
