"""`/metrics`: what the API counted and what the graph says of every stream's sync,
scraped as Prometheus would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from neo4j import Driver
from starlette.testclient import TestClient

from connectors import state
from hub.access import Role
from hub.settings import Settings
from tests.conftest import bearer, gql
from tests.hub.test_outage import PERSON, sample


def test_metrics_show_requests_by_field_and_each_streams_sync_from_the_graph(
    serve: Callable[..., TestClient], graph: Driver, settings: Settings
) -> None:
    client = serve()
    before = client.get("/metrics", headers=bearer(settings, Role.admin)).text
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    state.save_cursor(graph, "fugitives", "warrants", an_hour_ago, rows=42, quarantined=2)
    state.save_cursor(graph, "bigdata", "rail", "rail/2026-11-03.csv", rows=7, quarantined=0)
    graph.execute_query(
        "UNWIND range(1, 2) AS i CREATE (:Quarantine {source: 'fugitives', stream: 'warrants', "
        "reason: 'test ' + i})"
    )
    graph.execute_query("CREATE (:Alert {rule: 'fugitive_stay', status: 'open'})")
    assert gql(client, settings, PERSON)["data"]["person"]["name"] == "张伟"

    response = client.get("/metrics", headers=bearer(settings, Role.admin))
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    ok = {"field": "Query.person", "outcome": "ok"}
    assert (
        sample(after, "hub_graphql_requests_total", **ok)
        - sample(before, "hub_graphql_requests_total", **ok)
        == 1
    )
    assert sample(after, "hub_database_up") == 1
    warrants = {"stream": "fugitives/warrants"}
    assert sample(after, "hub_sync_rows", **warrants) == 42
    assert sample(after, "hub_sync_quarantined", **warrants) == 2
    assert 3500 < sample(after, "hub_sync_cursor_lag_seconds", **warrants) < 3700
    assert sample(after, "hub_sync_rows", stream="bigdata/rail") == 7
    assert 'hub_sync_cursor_lag_seconds{stream="bigdata/rail"}' not in after  # a file name
    assert sample(after, "hub_sync_last_run_timestamp_seconds", **warrants) > 0
    assert sample(after, "hub_alerts", rule="fugitive_stay", status="open") == 1


def test_metrics_are_read_by_the_scraper_and_admins_only(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    client = serve(metrics_token="scrape-" + "x" * 40)

    def status(headers: dict[str, str]) -> int:
        return client.get("/metrics", headers=headers).status_code

    assert status({}) == 401
    assert status({"authorization": "Bearer scrape-" + "y" * 40}) == 401
    assert status(bearer(settings, Role.supervisor)) == 403
    assert status(bearer(settings, Role.admin)) == 200
    assert status({"authorization": "Bearer scrape-" + "x" * 40}) == 200
