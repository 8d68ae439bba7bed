"""An investigator sees their unit's cases and those of open operations they are a member
of, through every query that can reach a case, and no others."""

from __future__ import annotations

from typing import Any

import pytest

from hub.access import SYSTEM, Principal, Role
from tests.resolvers.county import County, data, global_id

INVESTIGATOR = Principal("a", Role.investigator, unit="U1")
OUTSIDER = Principal("b", Role.investigator, unit="U1")
ADMIN = Principal("boss", Role.admin)

QUERIES = """
query($caseNo: String!, $title: String!, $victim: ID!, $suspect: ID!, $from: DateTime!, $to: DateTime!) {
  case(caseNo: $caseNo) { caseNo }
  search(text: $title, kinds: ["Case"], first: 100) { edges { node { ... on Case { caseNo } } } }
  neighbourhood(id: $victim, depth: 2, relationshipTypes: ["VICTIM_IN", "SUSPECT_IN"]) {
    nodes { node { ... on Case { caseNo } } }
  }
  paths(from: $victim, to: $suspect, maxHops: 2, relationshipTypes: ["VICTIM_IN", "SUSPECT_IN"]) {
    paths { nodes { ... on Case { caseNo } } }
  }
  commonLinks(ids: [$victim, $suspect], minShared: 2, relationshipTypes: ["VICTIM_IN", "SUSPECT_IN"]) {
    links { node { ... on Case { caseNo } } }
  }
  caseClusters { clusters { cases { caseNo } } }
  stats(from: $from, to: $to) { figures { name value } }
  person: node(id: $victim) { ... on Person { cases { totalCount edges { node { caseNo } } } } }
}
"""


def _seen(answer: dict[str, Any]) -> dict[str, set[str]]:
    """Case numbers each query shows."""

    def nos(items: list[Any]) -> set[str]:
        return {i["caseNo"] for i in items if i and "caseNo" in i}

    clusters = answer["caseClusters"]["clusters"]
    figures = {f["name"]: f["value"] for f in answer["stats"]["figures"]}
    return {
        "case": nos([answer["case"]]),
        "search": nos([e["node"] for e in answer["search"]["edges"]]),
        "neighbourhood": nos([n["node"] for n in answer["neighbourhood"]["nodes"]]),
        "paths": nos([n for p in answer["paths"]["paths"] for n in p["nodes"]]),
        "commonLinks": nos([link["node"] for link in answer["commonLinks"]["links"]]),
        "caseClusters": nos([c for cl in clusters for c in cl["cases"]]),
        "stats": {"counted"} if figures["casesAccepted"] else set(),
        "person.cases": nos([e["node"] for e in answer["person"]["cases"]["edges"]]),
    }


@pytest.fixture(scope="module")
def case(synced: County) -> dict[str, Any]:
    """A ring's victim report with a suspect, clustered with another case of the ring."""
    rows, _, _ = synced.driver.execute_query(
        "MATCH (v:Person)-[:VICTIM_IN]->(c:Case)<-[:SUSPECT_IN]-(s:Person) "
        "WHERE c.case_no IN $nos AND c.accepted_at IS NOT NULL "
        "RETURN c.case_no AS no, c.title AS title, v.uid AS victim, s.uid AS suspect, "
        "c.accepted_at AS at ORDER BY no LIMIT 1",
        nos=synced.truth("ring_cases")["case_no"].to_list(),
    )
    row = dict(rows[0])
    at = row.pop("at").to_native()
    rings = synced.truth("ring_cases")
    ring = rings.filter(rings["case_no"] == row["no"])["ring_id"][0]
    ring_cases = rings.filter(rings["ring_id"] == ring)["case_no"].to_list()
    return {
        "ring": [global_id(synced.settings, "Case", no) for no in ring_cases],
        "caseNo": row["no"],
        "title": row["title"],
        "victim": global_id(synced.settings, "Person", row["victim"]),
        "suspect": global_id(synced.settings, "Person", row["suspect"]),
        "from": at.replace(hour=0, minute=0, second=0).isoformat(),
        "to": at.replace(hour=23, minute=59, second=59).isoformat(),
    }


RECORDS = "query($id: ID!) { node(id: $id) { ... on Person { records { totalCount } } } }"


def _records(synced: County, who: Principal, case: dict[str, Any]) -> int:
    """How many of the victim's source records `who` sees (a case's records are scoped as
    the case is)."""
    found = data(synced.settings, RECORDS, who, id=case["victim"])
    return int(found["node"]["records"]["totalCount"])


def _ask(synced: County, who: Principal, case: dict[str, Any]) -> dict[str, set[str]]:
    variables = {k: v for k, v in case.items() if k != "ring"}
    return _seen(data(synced.settings, QUERIES, who, **variables))


CREATE = """
mutation($name: String!, $members: [String!], $ids: [ID!]) {
  createOperation(name: $name, members: $members, ids: $ids) {
    __typename
    ... on OperationPayload { size operation { id status } }
    ... on MutationError { message }
  }
}
"""
CLOSE = """
mutation($op: ID!) { closeOperation(operation: $op) { __typename ... on OperationPayload { operation { status } } } }
"""


def test_cases_of_other_units_are_seen_only_through_an_open_operation(
    synced: County, case: dict[str, Any]
) -> None:
    everything = _ask(synced, SYSTEM, case)
    for query, shown in everything.items():
        assert shown, f"{query} shows the case to the system"  # the test can fail
    hidden = _ask(synced, INVESTIGATOR, case)
    assert hidden == {query: set() for query in everything}
    records = _records(synced, INVESTIGATOR, case)
    assert records < _records(synced, SYSTEM, case)

    ring = case["ring"]  # the whole ring, so that its cases cluster
    created = data(synced.settings, CREATE, ADMIN, name="集群打击 1号", members=["a"], ids=ring)
    payload = created["createOperation"]
    assert payload["__typename"] == "OperationPayload" and payload["size"] == len(ring)
    op = payload["operation"]["id"]
    try:
        member = _ask(synced, INVESTIGATOR, case)
        for query, shown in member.items():
            assert case["caseNo"] in shown or shown == {"counted"}, query
        assert _ask(synced, OUTSIDER, case) == hidden  # not a member
        assert _records(synced, INVESTIGATOR, case) > records  # the case's records with it
        # a member may not share onward what the operation shared with them
        onward = data(synced.settings, CREATE, INVESTIGATOR, name="转交", members=["b"], ids=ring)[
            "createOperation"
        ]
        assert onward["__typename"] == "OperationPayload" and onward["size"] == 0
        assert _ask(synced, OUTSIDER, case) == hidden
        data(synced.settings, CLOSE, INVESTIGATOR, op=onward["operation"]["id"])
    finally:
        closed = data(synced.settings, CLOSE, ADMIN, op=op)["closeOperation"]
    assert closed["operation"]["status"] == "closed"
    assert _ask(synced, INVESTIGATOR, case) == hidden
    assert _records(synced, INVESTIGATOR, case) == records


def test_an_investigator_cannot_take_an_invisible_case_into_an_operation(
    synced: County, case: dict[str, Any]
) -> None:
    case_id = global_id(synced.settings, "Case", case["caseNo"])
    created = data(synced.settings, CREATE, INVESTIGATOR, name="mine", members=[], ids=[case_id])
    assert created["createOperation"]["size"] == 0
    op = created["createOperation"]["operation"]["id"]
    assert _ask(synced, INVESTIGATOR, case)["case"] == set()
    data(synced.settings, CLOSE, INVESTIGATOR, op=op)


DEGREE = """
query($id: ID!) {
  neighbourhood(id: $id, depth: 1, relationshipTypes: ["VICTIM_IN", "SUSPECT_IN"]) {
    nodes { degree node { id } }
  }
}
"""


def test_a_degree_counts_only_the_cases_the_asker_may_see(
    synced: County, case: dict[str, Any]
) -> None:
    def degree(who: Principal) -> int:
        nodes = data(synced.settings, DEGREE, who, id=case["victim"])["neighbourhood"]["nodes"]
        return int(next(n["degree"] for n in nodes if n["node"]["id"] == case["victim"]))

    rows, _, _ = synced.driver.execute_query(
        "MATCH (v:Person {uid: $uid}) RETURN COUNT { (v)-[:VICTIM_IN|SUSPECT_IN]-() } AS all, "
        "COUNT { (v)-[:VICTIM_IN|SUSPECT_IN]-(:Case)-[:HANDLED_BY]->(:Unit {code: 'U1'}) } AS u1",
        uid=synced.driver.execute_query(
            "MATCH (v:Person)-[:VICTIM_IN]->(:Case {case_no: $no}) RETURN v.uid AS uid LIMIT 1",
            no=case["caseNo"],
        ).records[0]["uid"],
    )
    everything, own = rows[0]["all"], rows[0]["u1"]
    assert everything > own  # the victim's case is another unit's
    assert degree(SYSTEM) == degree(ADMIN) == everything
    assert degree(INVESTIGATOR) == own
