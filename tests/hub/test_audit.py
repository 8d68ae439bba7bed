"""The audit trail: every request leaves an event, and the chain shows any tampering."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from neo4j import Driver
from starlette.testclient import TestClient

from hub import audit, masking
from hub.access import Principal, Role
from hub.settings import Settings
from tests.conftest import bearer, gql

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
        (  # the last events deleted and the head moved back: the anchor remembers
            "MATCH (e:AuditEvent) WHERE e.seq >= 4 DETACH DELETE e "
            "WITH count(*) AS n MATCH (e:AuditEvent {seq: 3}), (h:AuditHead) "
            "SET h.seq = 3, h.hash = e.hash",
            "event 5 was anchored at",
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


def test_the_api_writer_appends_where_it_left_the_chain_or_after_whoever_appended_since(
    graph: Driver,
) -> None:
    """The API's writer appends in one statement while the chain ends where it left it;
    after a CLI action appended, it reads the chain's end again: one chain, in order."""
    writer = audit.Writer(graph)

    def api(action: str) -> None:
        writer.record(audit.event(Principal("api", Role.admin), action, audit.ALLOWED))
        writer.flush()

    api("first")  # nothing known of the chain yet
    api("second")  # after its own
    audit.append(graph, [audit.event(Principal("cli", Role.admin), "sync", audit.ALLOWED)])
    api("third")  # the chain moved on without it
    api("fourth")
    writer.close()
    verdict = audit.verify(graph)
    assert verdict.ok, verdict.why
    assert [(e["seq"], e["action"]) for e in events(graph)] == [
        (1, "first"), (2, "second"), (3, "sync"), (4, "third"), (5, "fourth"),
    ]  # fmt: skip


def test_an_event_with_text_that_is_not_unicode_is_written_and_so_is_every_one_after_it(
    graph: Driver,
) -> None:
    """A lone surrogate (a command line's undecodable bytes, say) in an event's text is
    stored as "?": the writer never retries an event it cannot store forever."""
    writer = audit.Writer(graph)
    who = Principal("cli:\udcff", Role.admin)
    writer.record(audit.event(who, "sync \ud800", audit.ALLOWED, variables={"x": "\ud800"}))
    writer.record(audit.event(Principal("api", Role.admin), "after", audit.ALLOWED))
    writer.flush()
    writer.close()
    first, after = events(graph)
    assert (first["user"], first["action"]) == ("cli:?", "sync ?")
    assert json.loads(first["variables"]) == {"x": "?"}
    assert after["action"] == "after"
    assert audit.verify(graph).ok


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"query": "{ __typename }", "variables": {"x": "\\ud800"}}', "not valid UTF-8"),
        (b'{"query": "{ __typename }", "operationName": "\\udfff"}', "not valid UTF-8"),
        (b'{"query": "{ __typename }", "variables": {"x": "\xff\xfe"}}', "not valid UTF-8"),
        (b'{"query": "{ __typename }", "variables": {"x": ' + b"[" * 20000 + b"]" * 20000 + b"}}",
         "nested too deep"),
        (b"1e999999", "JSON cannot hold"),
    ],
)  # fmt: skip
def test_a_request_body_the_hub_cannot_take_is_a_400_saying_why(
    serve: Callable[..., TestClient], settings: Settings, body: bytes, says: str
) -> None:
    client = serve()
    answer = client.post(
        "/graphql",
        content=body,
        headers={"content-type": "application/json", **bearer(settings)},
    )
    assert answer.status_code == 400, answer.text
    assert says in answer.text


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


def _sha256(fields: dict[str, Any]) -> str:
    body = {k: v for k, v in fields.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_chain_rewritten_without_the_key_is_found(graph: Driver, settings: Settings) -> None:
    """Someone who can write to the database changes an event and computes every later
    hash and the head again, as a plain hash chain would let them."""
    for n in range(4):
        audit.append(graph, [audit.event(Principal("x", Role.admin), f"a{n}", audit.ALLOWED)])
    assert audit.verify(graph).ok
    stored = events(graph)
    prev = stored[0]["hash"]
    for event in stored[1:]:
        fields = {**event, "prev_hash": prev}
        fields["at"] = audit._micros(event["at"].to_native())
        if event["seq"] == 2:
            fields["user"] = "someone else"
        fields["hash"] = prev = _sha256(fields)
        graph.execute_query(
            "MATCH (e:AuditEvent {seq: $seq}) SET e.user = $user, e.prev_hash = $prev_hash, "
            "e.hash = $hash",
            seq=event["seq"], user=fields["user"], prev_hash=fields["prev_hash"],
            hash=fields["hash"],
        )  # fmt: skip
    graph.execute_query("MATCH (h:AuditHead) SET h.hash = $hash", hash=prev)
    verdict = audit.verify(graph)
    assert (verdict.broken, verdict.checked) == (2, 1)
    assert "HUB_AUDIT_KEY" in verdict.why


def test_a_chain_anchored_before_is_checked_against_its_anchors(
    graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    seal = audit.Seal(b"k" * 32, tmp_path / "anchors.log")
    for n in range(3):
        audit.append(graph, [audit.event(None, f"a{n}", audit.ALLOWED)], seal=seal)
    assert [a[0] for a in seal.anchors()] == [1, 2, 3]
    assert audit.verify(graph, seal=seal).ok
    other = audit.Seal(b"x" * 32, tmp_path / "anchors.log")
    assert audit.verify(graph, seal=other).broken == 1  # sealed with another key


def test_the_writer_anchors_the_head_of_a_chain_that_fell_quiet(
    graph: Driver, tmp_path: Path
) -> None:
    """Every `every` seconds while events come, and the last head once it is due
    although no event follows it: deleting the latest events is found without waiting
    for the API to stop."""
    seal = audit.Seal(b"k" * 32, tmp_path / "anchors.log", every=0.5)
    writer = audit.Writer(graph, seal=seal)
    try:
        writer.record(audit.event(None, "first", audit.ALLOWED))
        writer.flush()
        deadline = time.monotonic() + 30
        while not list(seal.anchors()) and time.monotonic() < deadline:
            time.sleep(0.1)
        ((seq, _, _),) = seal.anchors()
        assert audit.verify(graph, seal=seal).ok
        graph.execute_query("MATCH (e:AuditEvent {seq: $seq}) DETACH DELETE e", seq=seq)
        assert not audit.verify(graph, seal=seal).ok
    finally:
        writer.close(wait=30)


def test_justifications_and_variables_are_redacted_and_capped() -> None:
    event = audit.event(
        Principal("li", Role.investigator),
        "query Look",
        audit.ALLOWED,
        variables={"q": "+86 130 7076 5659", "card": "6228 4850 3586 8024 796", "x": "9" * 9000},
        justification="suspect 411623 19960911 4709, case A-17",
    )
    assert event.justification == "suspect 411623********4709, case A-17"
    assert event.variables is not None and len(event.variables) < audit.MAX_VARIABLES + 100
    assert "+86130****5659" in event.variables and "622848*********4796" in event.variables
    assert "7076 5659" not in event.variables and "8024 796" not in event.variables


def test_events_queued_when_the_server_is_stopped_are_written(
    graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    """`hub serve` as a process: requests answered, SIGTERM at once, every event kept."""
    port = _free_port()
    env = {**os.environ, "HUB_PORT": str(port), "HUB_AUDIT_ANCHOR": str(tmp_path / "a.log")}
    server = subprocess.Popen(
        [HUB, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        url = f"http://127.0.0.1:{port}/graphql"
        _wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
        headers = bearer(settings)
        for n in range(20):
            answer = httpx.post(
                url, json={"query": f"query Q{n} {{ __typename }}"}, headers=headers
            )
            assert answer.status_code == 200
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode in (0, -signal.SIGTERM), output  # uvicorn raises it again
    assert "Application shutdown complete" in output
    assert "audit head 20 " in output  # the anchor, in the log as well
    actions = [e["action"] for e in events(graph)]
    assert actions == [f"query Q{n}" for n in range(20)]
    seal = audit.Seal.of(replace(settings, audit_anchor=tmp_path / "a.log"))
    assert [a[0] for a in seal.anchors()] == [20]  # the head, anchored as it stopped
    assert audit.verify(graph, seal=seal).ok
    assert "Traceback" not in output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read() if server.stdout else ""
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("hub serve did not come up")


def test_a_justification_in_chinese_is_stored_as_written_and_its_numbers_redacted(
    serve: Callable[..., TestClient], settings: Settings, graph: Driver
) -> None:
    client = serve()
    wide = "".join(chr(0xFF10 + int(c)) for c in "411623199609114709")  # full-width digits
    reason = f"案件 A-17，嫌疑人 {wide}"
    client.post(
        "/graphql",
        content=json.dumps({"query": PERSON, "variables": {"idNumber": "411623198503120014"}}),
        headers={
            **bearer(settings, Role.investigator),
            "content-type": "application/json",
            "x-justification": reason.encode(),  # UTF-8 bytes, as a client sends them
        },
    )
    flush(client)
    [look] = events(graph)
    assert look["justification"] == "案件 A-17，嫌疑人 411623********4709"


def test_an_event_is_built_whatever_its_variables_hold() -> None:
    """Variables nested far deeper than the API takes (built by a CLI action, say) are
    kept down to where redaction stops, and marked there; a value JSON cannot write
    leaves them out, and the event's reason says why: an event is never lost for what
    its request sent."""
    deep: Any = "411623198503120014"
    for _ in range(5000):
        deep = [deep]
    event = audit.event(Principal("li", Role.investigator), "mutation M", audit.ALLOWED,
                        variables={"junk": deep}, reason="fine")  # fmt: skip
    assert event.variables is not None and masking.TOO_DEEP in event.variables
    assert "411623198503120014" not in event.variables
    odd = audit.event(Principal("li", Role.investigator), "mutation M", audit.ALLOWED,
                      variables={"x": {1, 2}}, reason="fine")  # fmt: skip
    assert odd.variables is None
    assert odd.reason == "fine; the audit event lacks its variables: TypeError"


def test_an_operation_that_ran_is_audited_whatever_fails_while_its_event_is_built(
    serve: Callable[..., TestClient],
    settings: Settings,
    graph: Driver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fail closed: redaction failing on the variables (what a value nested too deep
    did) leaves an event with what could be recorded and the error, and the client its
    answer."""
    client = serve()
    redact = masking.redact

    def failing(value: Any) -> Any:
        if isinstance(value, dict):
            raise RecursionError("maximum recursion depth exceeded")
        return redact(value)

    monkeypatch.setattr(masking, "redact", failing)
    query = "mutation M($n: String!) { createOperation(name: $n) { __typename } }"
    answer = gql(client, settings, query, n="AUDITPROBE")
    assert answer == {"data": {"createOperation": {"__typename": "OperationPayload"}}}
    assert graph.execute_query("MATCH (o:Operation {name: 'AUDITPROBE'}) RETURN o").records
    flush(client)
    (event,) = events(graph)
    assert (event["action"], event["outcome"], event["user"]) == ("mutation M", "allowed", "tester")
    assert event.get("variables") is None
    assert event["reason"] == "the audit event lacks its variables: RecursionError"
    assert event["entities"], "what could be recorded is"
    assert audit.verify(graph).ok


def test_a_websocket_operation_refused_before_it_runs_is_audited(
    serve: Callable[..., TestClient], settings: Settings, graph: Driver
) -> None:
    """The socket's stream of a refused operation closes after its error: the event is
    written all the same, as over HTTP."""
    client = serve()
    with client.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"], headers=bearer(settings, Role.analyst)
    ) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe",
                      "payload": {"query": "query Peek { auditEvents { seq } }"}})  # fmt: skip
        assert ws.receive_json()["type"] == "error"
    flush(client)
    (event,) = events(graph)
    assert (event["action"], event["role"], event["outcome"]) == ("query Peek", "analyst", "denied")
    assert "may not query Query.auditEvents" in event["reason"]


def test_a_number_sent_as_a_float_is_stored_masked(
    serve: Callable[..., TestClient], settings: Settings, graph: Driver
) -> None:
    client = serve()
    gql(client, settings, "query Q { __typename }", v1=13803941001.5, v2=13803941001.0)
    flush(client)
    (event,) = events(graph)
    assert json.loads(event["variables"]) == {"v1": "138****1001.5", "v2": "138****1001"}
