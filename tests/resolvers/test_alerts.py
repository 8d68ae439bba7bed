"""The `alerts` subscription over WebSocket (graphql-transport-ws): a client hears of the
alert a sync raised that another client started."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import queue
import threading
from pathlib import Path
from typing import Any

import polars as pl
from neo4j import Driver
from starlette.testclient import TestClient

from hub import scope
from hub.access import Role
from hub.app import create_app
from hub.resolution import run
from hub.settings import Settings
from tests.conftest import bearer, raise_alert
from tests.resolvers.county import County, data
from tests.resolvers.test_mutations import _evaluate

SUBSCRIBE = (
    "subscription { alerts { rule status summary about { edges { node { kind label } } } } }"
)


def _wanted(county: County) -> dict[str, Any]:
    rows, _, _ = county.driver.execute_query(
        "MATCH (p:Person)-[:WANTED_BY]->(w:Warrant {status: '在逃'}) "
        "WHERE p.id_number IS NOT NULL AND p.name IS NOT NULL "
        "RETURN p.name AS name, p.id_number AS id, w.warrant_no AS warrant LIMIT 1"
    )
    return dict(rows[0])


def _drop_a_check_in(county: County, drop: Path, person: dict[str, Any]) -> None:
    """A hotel file dated after every file the county's sync loaded, holding one
    check-in of the wanted person."""
    hotel = county.world / "sources" / "bigdata" / "hotel"
    last = sorted(hotel.glob("*.parquet"))[-1]
    row = (
        pl.read_parquet(last)
        .head(1)
        .with_columns(
            lsh=pl.lit("LG9999999999"),
            xm=pl.lit(person["name"]),
            zjhm=pl.lit(person["id"]),
            rzsj=pl.lit("202611020930"),
            tfsj=pl.lit(None, pl.String),
        )
    )
    (drop / "hotel").mkdir(parents=True)
    row.write_parquet(drop / "hotel" / "2026-11-02.parquet")


def _receive(ws: Any, seconds: float) -> dict[str, Any] | None:
    got: dict[str, Any] = {}

    def run() -> None:
        got["message"] = ws.receive_json()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return got.get("message")


def test_a_subscriber_hears_of_the_alert_a_sync_raised(synced: County, tmp_path: Path) -> None:
    # what the county already holds, its records resolved (a sighting without a valid ID
    # number joins its wanted person), is raised before anyone listens
    run.run(synced.driver, synced.settings)
    _evaluate(synced)
    person = _wanted(synced)
    drop = tmp_path / "drop"
    _drop_a_check_in(synced, drop, person)
    sources = tmp_path / "sources.json"
    sources.write_text(json.dumps({"bigdata": {"drop": str(drop)}}))
    settings = dataclasses.replace(synced.settings, sources_file=sources, alert_poll=0.2)
    with (
        TestClient(create_app(settings)) as client,
        client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"], headers=bearer(settings)
        ) as ws,
    ):
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
        # another client, a connector job, starts the sync
        started = client.post(
            "/graphql",
            headers=bearer(settings, Role.connector, user="sync-job"),
            json={
                "query": 'mutation { triggerSync(source: "bigdata") { __typename ... on SyncStarted { streams } } }'
            },
        ).json()["data"]["triggerSync"]
        assert started["__typename"] == "SyncStarted" and "hotel" in started["streams"]
        message = _receive(ws, 180)  # the machine may be busy
        assert message is not None, "no alert within three minutes"
        assert message["type"] == "next", message
        alert = message["payload"]["data"]["alerts"]
        assert alert["rule"] == "fugitive_seen" and alert["status"] == "new"
        assert person["warrant"] in alert["summary"]
        about = {(e["node"]["kind"], e["node"]["label"]) for e in alert["about"]["edges"]}
        assert ("Person", person["name"]) in about
        ws.send_json({"id": "1", "type": "complete"})


def test_the_alert_list_counts_what_the_asker_may_see(synced: County) -> None:
    _evaluate(synced)
    query = "query($s: String) { alerts(status: $s, first: 100) { totalCount edges { node { status } } } }"
    for status in ("new", None):
        listed = data(synced.settings, query, s=status)["alerts"]
        shown, _, _ = synced.driver.execute_query(
            "MATCH (a:Alert) WHERE $s IS NULL OR a.status = $s RETURN count(a) AS n", s=status
        )
        assert listed["totalCount"] == shown[0]["n"] > 0
        assert listed["totalCount"] == len(listed["edges"])  # fewer than a page here
    no_count = data(synced.settings, "{ alerts(first: 1) { edges { node { status } } } }")
    assert "totalCount" not in no_count["alerts"]


def test_a_subscriber_is_sent_only_the_alerts_its_scope_may_see(
    graph: Driver, settings: Settings
) -> None:
    """Two units' cases, an alert about each raised after the subscription began, the
    other unit's first: the investigator of U1 is sent U1's alone."""
    graph.execute_query(
        "CREATE (u1:Unit {code: 'U1'}), (u2:Unit {code: 'U2'}) "
        "CREATE (:Case {case_no: 'C1'})-[:HANDLED_BY]->(u1) "
        "CREATE (:Case {case_no: 'C2'})-[:HANDLED_BY]->(u2)"
    )
    scope.refresh(graph)
    settings = dataclasses.replace(settings, alert_poll=0.1)
    query = "subscription { alerts { summary } }"
    with (
        TestClient(create_app(settings)) as client,
        client.websocket_connect(
            "/graphql",
            subprotocols=["graphql-transport-ws"],
            headers=bearer(settings, Role.investigator, "li", "U1"),
        ) as ws,
    ):
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})
        sent: queue.Queue[dict[str, Any]] = queue.Queue()

        def listen() -> None:
            with contextlib.suppress(Exception):  # the socket closed at the end
                while True:
                    sent.put(ws.receive_json())

        threading.Thread(target=listen, daemon=True).start()
        # The subscription hears from the newest alert on: ping U1 until it is heard.
        heard = None
        for n in range(60):
            raise_alert(graph, "Case", "case_no", "C1", f"ping {n}", 0)
            with contextlib.suppress(queue.Empty):
                heard = sent.get(timeout=2)
                break
        assert heard is not None, "the subscription heard no alert"
        raise_alert(
            graph, "Case", "case_no", "C2", "about C2", 1
        )  # raised first: sent first, were it seen
        raise_alert(graph, "Case", "case_no", "C1", "about C1", 2)
        summaries = [heard["payload"]["data"]["alerts"]["summary"]]
        while summaries[-1].startswith("ping"):
            message = sent.get(timeout=60)
            assert message["type"] == "next", message
            summaries.append(message["payload"]["data"]["alerts"]["summary"])
        assert summaries[-1] == "about C1", summaries
        ws.send_json({"id": "1", "type": "complete"})
