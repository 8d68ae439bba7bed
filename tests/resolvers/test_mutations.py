"""Mutations: every one validates its input and answers with a typed error result."""

from __future__ import annotations

import asyncio
from typing import Any

from neo4j import AsyncGraphDatabase

from hub import db
from hub.access import Principal, Role
from hub.queries import alerts
from tests.resolvers.county import County, ask, data, global_id

ADMIN = Principal("boss", Role.admin)
RESULT = "__typename ... on MutationError { message } ... on InvalidInput { field } ... on Conflict { status }"

OPERATION = f"""
mutation($name: String!, $ids: [ID!]) {{
  createOperation(name: $name, members: ["x"], ids: $ids) {{
    {RESULT} ... on OperationPayload {{ size operation {{ id name status members createdBy }} }}
  }}
}}
"""
ADD = f"""
mutation($op: ID!, $ids: [ID!]!) {{
  addToOperation(operation: $op, ids: $ids) {{ {RESULT} ... on OperationPayload {{ size }} }}
}}
"""
REMOVE = ADD.replace("addToOperation", "removeFromOperation")
CLOSE = f"""
mutation($op: ID!) {{ closeOperation(operation: $op) {{ {RESULT} ... on OperationPayload {{ operation {{ status closedAt }} }} }} }}
"""
LIST = """
query($id: ID!) {
  operations(first: 100) { edges { node { id } } }
  operation(id: $id) { name includes { totalCount edges { node { kind } } } }
}
"""


def _ask(county: County, query: str, **variables: Any) -> dict[str, Any]:
    return data(county.settings, query, ADMIN, **variables)  # type: ignore[no-any-return]


def test_an_operation_from_creation_to_closing(synced: County) -> None:
    cases = synced.truth("ring_cases")["case_no"].to_list()[:2]
    ids = [global_id(synced.settings, "Case", c) for c in cases]
    made = _ask(synced, OPERATION, name=" 专案 ", ids=ids[:1])["createOperation"]
    assert made["__typename"] == "OperationPayload" and made["size"] == 1
    operation = made["operation"]
    assert (operation["name"], operation["status"], operation["createdBy"]) == (
        "专案",
        "open",
        "boss",
    )
    assert sorted(operation["members"]) == ["boss", "x"]
    op = operation["id"]
    assert _ask(synced, ADD, op=op, ids=ids)["addToOperation"]["size"] == 2
    assert _ask(synced, ADD, op=op, ids=ids)["addToOperation"]["size"] == 2  # idempotent
    listed = _ask(synced, LIST, id=op)
    assert op in [e["node"]["id"] for e in listed["operations"]["edges"]]
    assert listed["operation"]["includes"]["totalCount"] == 2
    assert _ask(synced, REMOVE, op=op, ids=ids[:1])["removeFromOperation"]["size"] == 1
    closed = _ask(synced, CLOSE, op=op)["closeOperation"]
    assert closed["operation"]["status"] == "closed" and closed["operation"]["closedAt"]
    again = _ask(synced, CLOSE, op=op)["closeOperation"]
    assert again == {
        "__typename": "Conflict",
        "message": "the operation is closed",
        "status": "closed",
    }
    late = _ask(synced, ADD, op=op, ids=ids)["addToOperation"]
    assert late["__typename"] == "Conflict"


def test_operation_mutations_refuse_bad_input(synced: County) -> None:
    empty = _ask(synced, OPERATION, name="  ", ids=None)["createOperation"]
    assert empty["__typename"] == "InvalidInput" and empty["field"] == "name"
    place = global_id(synced.settings, "Place", "hotel:1")  # places are not taken in
    wrong = _ask(synced, OPERATION, name="x", ids=[place])["createOperation"]
    assert wrong["__typename"] == "InvalidInput" and wrong["field"] == "ids"
    nobody = global_id(synced.settings, "Operation", "no-such-op")
    missing = _ask(synced, CLOSE, op=nobody)["closeOperation"]
    assert missing["__typename"] == "NotFound"
    garbage = _ask(synced, CLOSE, op="%%% not an id")["closeOperation"]
    assert garbage["__typename"] == "NotFound"
    someone_else = Principal("c", Role.investigator, unit="U1")
    made = _ask(synced, OPERATION, name="private", ids=None)["createOperation"]["operation"]["id"]
    hidden = data(synced.settings, CLOSE, someone_else, op=made)["closeOperation"]
    assert hidden["__typename"] == "NotFound"  # not a member: not even told it exists
    case_no = synced.truth("ring_cases")["case_no"][0]
    case = global_id(synced.settings, "Case", case_no)
    _ask(synced, ADD, op=made, ids=[case])
    through_case = "query($id: ID!) { node(id: $id) { ... on Case { operations { totalCount } } } }"
    assert _ask(synced, through_case, id=case)["node"]["operations"]["totalCount"] >= 1
    unit, _, _ = synced.driver.execute_query(
        "MATCH (:Case {case_no: $no})-[:HANDLED_BY]->(u:Unit) RETURN u.code AS code", no=case_no
    )
    of_the_unit = Principal("d", Role.investigator, unit=unit[0]["code"])  # sees the case
    seen = data(synced.settings, through_case, of_the_unit, id=case)["node"]
    assert seen["operations"]["totalCount"] == 0  # but not the operations it is not in
    _ask(synced, CLOSE, op=made)


STOP = f"""
mutation($account: String!, $amount: Float!, $reason: String!) {{
  requestStopPayment(account: $account, amount: $amount, reason: $reason) {{
    {RESULT} ... on StopPaymentPayload {{ stopPayment {{ id status amount requestedBy accounts {{ edges {{ node {{ number }} }} }} }} }}
  }}
}}
"""
STATUS = f"""
mutation($id: ID!, $status: StopPaymentStatus!) {{
  setStopPaymentStatus(request: $id, status: $status) {{ {RESULT} ... on StopPaymentPayload {{ stopPayment {{ status updatedBy }} }} }}
}}
"""


def test_a_stop_payment_request_and_its_status_changes(synced: County) -> None:
    account = synced.truth("money_path_hops")["to_account"].drop_nulls()[0]
    made = _ask(synced, STOP, account=account, amount=5000.0, reason="报案 BJ1")[
        "requestStopPayment"
    ]
    request = made["stopPayment"]
    assert (request["status"], request["amount"], request["requestedBy"]) == (
        "requested",
        5000.0,
        "boss",
    )
    assert request["accounts"]["edges"][0]["node"]["number"] == account
    frozen = _ask(synced, STATUS, id=request["id"], status="FROZEN")["setStopPaymentStatus"]
    assert frozen["stopPayment"] == {"status": "frozen", "updatedBy": "boss"}
    wrong = _ask(synced, STATUS, id=request["id"], status="FAILED")["setStopPaymentStatus"]
    assert wrong["__typename"] == "Conflict" and wrong["status"] == "frozen"
    released = _ask(synced, STATUS, id=request["id"], status="RELEASED")["setStopPaymentStatus"]
    assert released["stopPayment"]["status"] == "released"


def test_a_stop_payment_is_decided_by_a_supervisor_of_the_unit_that_asked(
    synced: County,
) -> None:
    account = synced.truth("money_path_hops")["to_account"].drop_nulls()[1]
    asker = Principal("wang", Role.investigator, unit="U1")
    made = data(synced.settings, STOP, asker, account=account, amount=800.0, reason="报案 BJ2")
    request = made["requestStopPayment"]["stopPayment"]["id"]
    refused = ask(synced.settings, STATUS, asker, id=request, status="FROZEN")
    assert refused.data is None and refused.statements == 0
    assert refused.errors and "setStopPaymentStatus" in refused.errors[0]
    elsewhere = Principal("zhao", Role.supervisor, unit="U2")
    other = data(synced.settings, STATUS, elsewhere, id=request, status="FROZEN")
    assert other["setStopPaymentStatus"]["__typename"] == "NotFound"
    own = Principal("li", Role.supervisor, unit="U1")
    decided = data(synced.settings, STATUS, own, id=request, status="FROZEN")
    assert decided["setStopPaymentStatus"]["stopPayment"] == {"status": "frozen", "updatedBy": "li"}


def test_stop_payment_requests_refuse_bad_input(synced: County) -> None:
    bad = _ask(synced, STOP, account="12", amount=1.0, reason="r")["requestStopPayment"]
    assert bad["__typename"] == "InvalidInput" and bad["field"] == "account"
    account = synced.truth("money_path_hops")["to_account"].drop_nulls()[0]
    zero = _ask(synced, STOP, account=account, amount=0.0, reason="r")["requestStopPayment"]
    assert zero["field"] == "amount"
    blank = _ask(synced, STOP, account=account, amount=1.0, reason=" ")["requestStopPayment"]
    assert blank["field"] == "reason"
    unknown = _ask(synced, STOP, account="6222020000000000000", amount=1.0, reason="r")
    assert unknown["requestStopPayment"]["__typename"] in ("NotFound", "InvalidInput")
    nothing = global_id(synced.settings, "StopPayment", "none")
    assert (
        _ask(synced, STATUS, id=nothing, status="FROZEN")["setStopPaymentStatus"]["__typename"]
        == "NotFound"
    )


ALERTS = """
query { alerts(status: "new", first: 100) { edges { node { id rule summary status about(first: 10) { edges { node { kind } } } } } } }
"""
ALERT_RESULT = "__typename ... on MutationError { message } ... on Conflict { status }"
ACK = f"""
mutation($id: ID!) {{ acknowledgeAlert(alert: $id) {{ {ALERT_RESULT} ... on AlertPayload {{ alert {{ status }} }} }} }}
"""
RESOLVE = ACK.replace("acknowledgeAlert", "resolveAlert")


def _evaluate(county: County) -> dict[str, int]:
    async def run() -> dict[str, int]:
        uri, auth = db.credentials(county.settings)
        async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
            return await alerts.evaluate(driver, 30.0)

    return asyncio.run(run())


def test_alert_rules_raise_each_finding_once_and_alerts_are_handled(synced: County) -> None:
    first = _evaluate(synced)
    assert first["fugitive_seen"] > 0
    count, _, _ = synced.driver.execute_query("MATCH (a:Alert) RETURN count(a) AS n")
    assert _evaluate(synced) == first  # deduplicated: nothing new
    again, _, _ = synced.driver.execute_query("MATCH (a:Alert) RETURN count(a) AS n")
    assert again[0]["n"] == count[0]["n"]
    new = _ask(synced, ALERTS)["alerts"]["edges"]
    fugitive = next(e["node"] for e in new if e["node"]["rule"] == "fugitive_seen")
    assert {e["node"]["kind"] for e in fugitive["about"]["edges"]} == {"Person", "Warrant", "Place"}
    assert (
        _ask(synced, ACK, id=fugitive["id"])["acknowledgeAlert"]["alert"]["status"]
        == "acknowledged"
    )
    twice = _ask(synced, ACK, id=fugitive["id"])["acknowledgeAlert"]
    assert twice["__typename"] == "Conflict" and twice["status"] == "acknowledged"
    assert _ask(synced, RESOLVE, id=fugitive["id"])["resolveAlert"]["alert"]["status"] == "resolved"
    unknown = global_id(synced.settings, "Alert", "nothing")
    assert _ask(synced, RESOLVE, id=unknown)["resolveAlert"]["__typename"] == "NotFound"


def test_trigger_sync_of_an_unknown_source_is_invalid_input(synced: County) -> None:
    answer = _ask(synced, f'mutation {{ triggerSync(source: "telepathy") {{ {RESULT} }} }}')
    assert answer["triggerSync"]["__typename"] == "InvalidInput"
    assert "unknown source" in answer["triggerSync"]["message"]
