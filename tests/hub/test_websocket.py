"""A WebSocket's operations are held to what an HTTP request is held to: each sees the
graph as it is when it runs (nothing an earlier operation of the socket loaded), each
is refused once the socket's credentials are no longer accepted, and each, a
subscription too, is audited."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from neo4j import Driver
from starlette.testclient import TestClient

from hub import auth, keys
from hub.access import Role
from hub.settings import Settings
from tests.conftest import bearer, gql, raise_alert
from tests.resolvers.county import global_id

# The demo graph's fraud case, handled by the anti-fraud centre (Y), and the theft
# handled by the criminal investigation brigade (X).
FRAUD, Y = "A4116230500002026030001", "411623060000"
THEFT, X = "A4116230500002025110042", "411623050000"
PERSON = '{ person(idNumber: "411623198503120014") { name } }'
CASE = """
query($id: ID!) {
  node(id: $id) { ... on Case { caseNo title people { edges { node { name idNumber } } } } }
}
"""
SHARE = """
mutation($ids: [ID!]) {
  createOperation(name: "Y-op2", members: ["xi"], ids: $ids) {
    ... on OperationPayload { size operation { id } }
  }
}
"""
CLOSE = "mutation($op: ID!) { closeOperation(operation: $op) { __typename } }"
ALERTS = "subscription Watch { alerts { id alertId summary } }"


class Socket:
    """A graphql-transport-ws connection of the test client, whose messages a thread
    reads, so that a test waits for the next one with a timeout: a text message as the
    JSON it holds, a close as {"closed": code, "reason": reason}."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        with contextlib.suppress(Exception):  # the socket closed
            while True:
                message = self.ws.receive()
                if message["type"] == "websocket.close":
                    self.messages.put({"closed": message["code"], "reason": message["reason"]})
                    return
                self.messages.put(json.loads(message["text"]))

    def next(self, timeout: float = 30) -> dict[str, Any]:
        return self.messages.get(timeout=timeout)

    def subscribe(self, id_: str, query: str, **variables: Any) -> None:
        payload = {"query": query, "variables": variables}
        self.ws.send_json({"id": id_, "type": "subscribe", "payload": payload})

    def ask(self, query: str, **variables: Any) -> dict[str, Any]:
        """The first message answering `query` (its `next`, an error, or the close)."""
        self.subscribe(f"q{time.monotonic_ns()}", query, **variables)
        answer = self.next()
        if answer.get("type") == "next":
            assert self.next()["type"] == "complete"
        return answer


@contextlib.contextmanager
def connected(client: TestClient, authorization: str, in_init: bool = False) -> Iterator[Socket]:
    """A socket acknowledged with `authorization` in its header, or (`in_init`) in the
    payload of connection_init, as a browser sends it."""
    headers = {} if in_init else {"authorization": authorization}
    with client.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"], headers=headers
    ) as ws:
        socket = Socket(ws)
        payload = {"authorization": authorization} if in_init else {}
        ws.send_json({"type": "connection_init", "payload": payload})
        assert socket.next()["type"] == "connection_ack"
        yield socket


def events(graph: Driver, client: TestClient, **match: Any) -> list[dict[str, Any]]:
    client.app.state.trail.flush()  # type: ignore[attr-defined]
    where = " AND ".join(f"e.{name} = ${name}" for name in match) or "true"
    records, _, _ = graph.execute_query(
        f"MATCH (e:AuditEvent) WHERE {where} RETURN properties(e) AS e ORDER BY e.seq", **match
    )
    return [r["e"] for r in records]


def test_a_socket_stops_showing_a_case_once_the_operation_that_shared_it_closes(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    """Y shares its case with X through an operation; X reads it over a socket; Y closes
    the operation: X's next read on the same socket finds nothing, as over HTTP."""
    client = serve()
    case = global_id(settings, "Case", FRAUD)
    yi = bearer(settings, Role.investigator, "yi", Y)
    xi = bearer(settings, Role.investigator, "xi", X)
    shared = gql(client, settings, SHARE, headers=yi, ids=[case])["data"]["createOperation"]
    assert shared["size"] == 1
    with connected(client, xi["authorization"]) as socket:
        seen = socket.ask(CASE, id=case)["payload"]["data"]["node"]
        assert seen["title"] == "李娜被冒充公检法诈骗案" and seen["people"]["edges"]
        closed = gql(client, settings, CLOSE, headers=yi, op=shared["operation"]["id"])
        assert closed["data"]["closeOperation"]["__typename"] == "OperationPayload"
        assert gql(client, settings, CASE, headers=xi, id=case)["data"]["node"] is None
        assert socket.ask(CASE, id=case)["payload"]["data"]["node"] is None


def _expiring(settings: Settings, ttl: int) -> tuple[str, float]:
    """A token of investigator xi valid for `ttl` seconds, and when it expires."""
    token = auth.issue(settings, "xi", Role.investigator, X, ttl=ttl)
    return f"Bearer {token}", float(jwt.decode(token, options={"verify_signature": False})["exp"])


def _wait_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()) + 0.2)


@pytest.mark.parametrize("in_init", [False, True], ids=["header", "connection_init"])
def test_a_socket_whose_token_expired_is_closed_at_its_next_operation_and_the_login_audited(
    serve: Callable[..., TestClient], settings: Settings, graph: Driver, in_init: bool
) -> None:
    client = serve()
    authorization, expires = _expiring(settings, 2)
    with connected(client, authorization, in_init) as socket:
        assert socket.ask(PERSON)["payload"]["data"]["person"]["name"] == "张伟"
        _wait_until(expires)
        assert socket.ask(PERSON) == {"closed": 4401, "reason": "the token has expired"}
    refused = events(graph, client, action="login")
    assert [(e["outcome"], e["reason"]) for e in refused] == [("denied", "the token has expired")]
    assert refused[0]["client"].startswith("websocket@")
    ran = events(graph, client, user="xi")  # the refused operation did not run
    assert [(e["action"], e["outcome"]) for e in ran] == [("query anonymous", "allowed")]


def test_a_socket_whose_api_key_is_revoked_is_closed_at_its_next_operation(
    serve: Callable[..., TestClient], graph: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key is remembered for `keys.CACHE_SECONDS` (a minute); here not at all, so that
    the revocation is seen at the socket's next operation, as at the next request."""
    monkeypatch.setattr(keys, "CACHE_SECONDS", 0.0)
    client = serve()
    made = keys.create(graph, "dashboard", Role.investigator, X)
    with connected(client, f"Bearer {made.key}") as socket:
        assert socket.ask(PERSON)["payload"]["data"]["person"]["name"] == "张伟"
        assert keys.revoke(graph, made.key_id)
        assert socket.ask(PERSON) == {"closed": 4401, "reason": keys.REFUSED}


def _first_alert(graph: Driver, socket: Socket) -> dict[str, Any]:
    """The first alert the subscription "1" is sent: it hears from the newest alert on,
    so one is raised about X's theft until one is heard."""
    for n in range(30):
        raise_alert(graph, "Case", "case_no", THEFT, f"ping {n}")
        with contextlib.suppress(queue.Empty):
            return socket.next(timeout=2)
    raise AssertionError("the subscription heard no alert")


def test_a_subscription_stops_when_its_token_expires(
    serve: Callable[..., TestClient], settings: Settings, graph: Driver
) -> None:
    client = serve(alert_poll=0.1)
    authorization, expires = _expiring(settings, 8)
    with connected(client, authorization) as socket:
        socket.subscribe("1", ALERTS)
        heard = _first_alert(graph, socket)
        assert heard["type"] == "next" and time.time() < expires, heard
        _wait_until(expires)
        raise_alert(graph, "Case", "case_no", THEFT, "after the token expired", minutes=5)
        after = socket.next()
        while after.get("type") == "next" and after["payload"]["data"]["alerts"][
            "summary"
        ].startswith("ping"):
            after = socket.next()  # pings the poll found before the token expired
        assert after == {"closed": 4401, "reason": "the token has expired"}


def test_a_subscription_is_audited_as_it_starts_and_with_what_it_sent_as_it_ends(
    serve: Callable[..., TestClient], settings: Settings, graph: Driver
) -> None:
    client = serve(alert_poll=0.1)
    xi = bearer(settings, Role.investigator, "xi", X)
    with connected(client, xi["authorization"]) as socket:
        socket.subscribe("1", ALERTS, idNumber="411623198503120014")
        heard = _first_alert(graph, socket)["payload"]["data"]["alerts"]
        (started,) = events(graph, client, user="xi")  # while it runs
        socket.ws.send_json({"id": "1", "type": "complete"})
    assert (started["action"], started["outcome"]) == ("subscription Watch", "allowed")
    assert (started["role"], started["unit"]) == ("investigator", X)
    assert json.loads(started["variables"]) == {"idNumber": "411623********0014"}
    assert started["entities"] == []
    ended = events(graph, client, user="xi")[1:]
    assert [(e["action"], e["outcome"]) for e in ended] == [("subscription Watch ended", "allowed")]
    assert heard["id"] in ended[0]["entities"]


def test_operations_a_socket_is_refused_are_audited_as_over_http(
    serve: Callable[..., TestClient], settings: Settings, graph: Driver
) -> None:
    client = serve()
    connector = bearer(settings, Role.connector, "job")
    with connected(client, connector["authorization"]) as socket:
        for query in (
            "subscription Denied { alerts { id } }",
            'query Forbidden { person(idNumber: "x") { id } }',
        ):
            refused = socket.ask(query)
            assert refused["type"] == "error", refused
            assert refused["payload"][0]["extensions"]["code"] == "FORBIDDEN"
    found = events(graph, client, user="job")
    assert [(e["action"], e["outcome"]) for e in found] == [
        ("subscription Denied", "denied"),
        ("query Forbidden", "denied"),
    ]


def test_only_graphql_transport_ws_is_spoken(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    """The legacy graphql-ws protocol is not: its handler would not check a socket's
    credentials again."""
    client = serve()
    with client.websocket_connect(
        "/graphql", subprotocols=["graphql-ws"], headers=bearer(settings)
    ) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        closed = ws.receive()
    assert (closed["type"], closed.get("code")) == ("websocket.close", 4406), closed


WATCHED = """
subscription { alerts { summary
  about(first: 3) { edges { node { ... on Person { cases { totalCount } } } } } } }
"""


def test_a_subscriptions_every_alert_reads_the_graph_afresh(
    serve: Callable[..., TestClient], settings: Settings, graph: Driver
) -> None:
    """One subscription is one operation for as long as it runs: an alert about Y's
    suspect, sent to X while an operation shares Y's case, counts that case; one sent
    after the operation closed does not (the first alert's loaders were reused)."""
    client = serve(alert_poll=0.1)
    yi = bearer(settings, Role.investigator, "yi", Y)
    xi = bearer(settings, Role.investigator, "xi", X)
    shared = gql(client, settings, SHARE, headers=yi, ids=[global_id(settings, "Case", FRAUD)])[
        "data"
    ]["createOperation"]

    def about_the_suspect(summary: str) -> int:
        raise_alert(graph, "Person", "id_number", "411623198503120014", summary, minutes=5)
        while True:
            heard = socket.next()["payload"]["data"]["alerts"]
            if heard["summary"] == summary:
                (edge,) = heard["about"]["edges"]
                return int(edge["node"]["cases"]["totalCount"])

    with connected(client, xi["authorization"]) as socket:
        socket.subscribe("1", WATCHED)
        _first_alert(graph, socket)
        assert about_the_suspect("while the case is shared") == 1
        gql(client, settings, CLOSE, headers=yi, op=shared["operation"]["id"])
        assert about_the_suspect("after the operation closed") == 0
