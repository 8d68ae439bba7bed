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

from starlette.testclient import TestClient

from hub.access import Role
from hub.settings import Settings
from tests.conftest import bearer, gql
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
