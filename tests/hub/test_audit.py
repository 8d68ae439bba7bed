"""The audit trail: every request leaves an event, and the chain shows any tampering."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver
from starlette.testclient import TestClient

from hub import audit
from hub.access import Principal, Role
from hub.settings import Settings
from tests.conftest import gql

HUB = str(Path(sys.executable).with_name("hub"))
PERSON = "query Look($idNumber: String!) { person(idNumber: $idNumber) { id name } }"


def events(driver: Driver) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(
        "MATCH (e:AuditEvent) RETURN properties(e) AS e ORDER BY e.seq"
    )
    return [r["e"] for r in records]


def flush(client: TestClient) -> None:
    client.app.state.trail.flush()  # type: ignore[attr-defined]


def test_every_request_leaves_one_event(
    serve: Callable[..., TestClient], settings: Settings, graph: Driver
) -> None:
    client = serve()
    person = gql(
        client,
        settings,
        PERSON,
        headers={"x-justification": "case A-17"},
        idNumber="411623198503120014",
    )["data"]["person"]
    gql(client, settings, "{ auditEvents { seq } }", Role.analyst)
    gql(client, settings, '{ person(idNumber: "nope") { nam } }')
    client.post("/graphql", json={"query": PERSON}, headers={"authorization": "Bearer bad"})
    flush(client)
    found = events(graph)
    assert [e["seq"] for e in found] == [1, 2, 3, 4]
    look, denied, invalid, login = found
    assert (look["user"], look["role"], look["unit"]) == ("tester", "investigator", "U1")
    assert look["client"].startswith("jwt@")
    assert look["action"] == "query Look"
    assert look["outcome"] == "allowed"
    assert look["query_hash"] == hashlib.sha256(PERSON.encode()).hexdigest()
    assert json.loads(look["variables"]) == {"idNumber": "411623********0014"}
    assert look["entities"] == [person["id"]]
    assert look["justification"] == "case A-17"
    assert look["duration_ms"] > 0
    assert (denied["role"], denied["outcome"]) == ("analyst", "denied")
    assert "may not query Query.auditEvents" in denied["reason"]
    assert invalid["outcome"] == "error" and "nam" in invalid["reason"]
    assert (login["action"], login["outcome"], login["user"]) == ("login", "denied", "")
    assert "not valid" in login["reason"]
    assert audit.verify(graph).ok


def test_admins_find_who_looked_at_a_person(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    client = serve()
    person = gql(client, settings, PERSON, idNumber="411623198503120014")["data"]["person"]
    gql(client, settings, PERSON, Role.analyst, idNumber="411623197801250066")
    flush(client)
    query = "query($e: ID, $u: String) { auditEvents(entity: $e, user: $u) { user role action entities } }"
    found = gql(client, settings, query, Role.admin, e=person["id"])["data"]["auditEvents"]
    assert found == [
        {
            "user": "tester",
            "role": "investigator",
            "action": "query Look",
            "entities": [person["id"]],
        }
    ]
    assert gql(client, settings, query, Role.admin, u="nobody")["data"]["auditEvents"] == []


def tamper_and_verify(graph: Driver, cypher: str) -> subprocess.CompletedProcess[str]:
    for _ in range(5):
        audit.append(graph, [audit.event(Principal("x", Role.admin), "test", audit.ALLOWED)])
    ok = subprocess.run([HUB, "audit", "verify"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "intact: 5 events" in ok.stdout
    graph.execute_query(cypher)
    return subprocess.run([HUB, "audit", "verify"], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("cypher", "message"),
    [
        (
            "MATCH (e:AuditEvent {seq: 3}) SET e.user = 'someone else'",
            "broken at event 3: it was changed after it was written",
        ),
        (
            "MATCH (e:AuditEvent {seq: 4}) SET e.entities = ['UGVyc29uOnNvbWVvbmU=']",
            "broken at event 4: it was changed after it was written",
        ),
        ("MATCH (e:AuditEvent {seq: 2}) DELETE e", "broken at event 2: event 2 is missing"),
        ("MATCH (e:AuditEvent {seq: 5}) DELETE e", "later events were deleted"),
    ],
)
def test_editing_or_deleting_an_event_breaks_the_chain_there(
    graph: Driver, cypher: str, message: str
) -> None:
    broken = tamper_and_verify(graph, cypher)
    assert broken.returncode == 1
    assert message in broken.stderr


def test_concurrent_writers_keep_one_chain(graph: Driver) -> None:
    def write(name: str) -> None:
        for i in range(20):
            audit.append(graph, [audit.event(Principal(name, Role.admin), f"w{i}", audit.ALLOWED)])

    threads = [threading.Thread(target=write, args=(f"t{n}",)) for n in range(3)]
    writer = audit.Writer(graph)
    for n in range(30):
        writer.record(audit.event(Principal("api", Role.admin), f"q{n}", audit.ALLOWED))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.flush()
    writer.close()
    verdict = audit.verify(graph)
    assert verdict.ok, verdict.why
    assert verdict.checked == 90
    api = [e["action"] for e in events(graph) if e["user"] == "api"]
    assert api == [f"q{n}" for n in range(30)]  # in the order recorded


def test_cli_actions_are_audited(graph: Driver) -> None:
    result = subprocess.run(
        [HUB, "token", "--user", "wang", "--role", "analyst"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(".") == 2  # a JWT
    (event,) = events(graph)
    assert event["action"] == "token" and event["user"].startswith("cli:")
    assert json.loads(event["variables"])["user"] == "wang"
