"""Need-to-know written into the graph (`hub.scope`) and read by one predicate
(`hub.access.visible`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from neo4j import Driver

from graph_schema import schema
from hub import scope
from hub.access import Principal, Role, visible

GRAPH = """
CREATE (u1:Unit {code: 'U1'}), (u2:Unit {code: 'U2'})
CREATE (c:Case {case_no: 'C1'})-[:HANDLED_BY]->(u1)
CREATE (r:Record {record_id: 'cases:cases:C1'})-[:RECORD_OF]->(c)
CREATE (h:Record {record_id: 'bigdata:hotel:1'})-[:RECORD_OF]->(:Person {uid: 'p'})
CREATE (both:Record {record_id: 'fraud:reports:9'})-[:RECORD_OF]->(c)
CREATE (both)-[:RECORD_OF]->(:Case {case_no: 'C2'})-[:HANDLED_BY]->(u2)
CREATE (:Alert {alert_id: 'a'})-[:ABOUT]->(c)
CREATE (:StopPayment {request_id: 's', unit: 'U1', requested_by: 'li'})
CREATE (:Operation {op_id: 'o', status: 'open', members: ['zhao'], created_by: 'zhao'})
CREATE (:Judgement {judgement_id: 'j', comparisons: $cites})
"""


def scopes(driver: Driver) -> dict[str, list[str] | None]:
    records, _, _ = driver.execute_query(
        "MATCH (n) WHERE NOT n:Unit AND NOT n:Person RETURN coalesce(n.case_no, n.record_id, "
        "n.alert_id, n.request_id, n.op_id, n.judgement_id) AS key, n.scope AS scope"
    )
    return {r["key"]: r["scope"] for r in records if r["key"]}


def test_the_rules_of_graph_schema_give_every_restricted_node_its_scope(graph: Driver) -> None:
    graph.execute_query(GRAPH, cites=json.dumps({"records": ["cases:cases:C1"]}))
    assert set(scopes(graph).values()) == {None}  # loaded, not scoped yet: seen by nobody
    changed = scope.refresh(graph)
    assert scopes(graph) == {
        "C1": ["unit:U1"],
        "C2": ["unit:U2"],
        "cases:cases:C1": ["unit:U1"],
        "bigdata:hotel:1": ["any"],  # it describes nothing restricted
        "fraud:reports:9": [],  # two units' cases: only roles that see every unit
        "a": ["unit:U1"],
        "s": ["unit:U1", "user:li"],
        "o": ["user:zhao"],
        "j": ["unit:U1"],  # it cites the case's record
    }
    assert sum(changed.values()) == 9
    assert set(scope.refresh(graph).values()) == {0}  # nothing changed, nothing written


def test_a_case_that_changes_hands_takes_its_records_and_alerts_along(graph: Driver) -> None:
    graph.execute_query(GRAPH, cites=json.dumps({"records": ["cases:cases:C1"]}))
    scope.refresh(graph)
    graph.execute_query(
        "MATCH (c:Case {case_no: 'C1'})-[h:HANDLED_BY]->() DELETE h "
        "WITH c MATCH (u:Unit {code: 'U2'}) CREATE (c)-[:HANDLED_BY]->(u)"
    )
    scope.refresh(graph)
    after = scopes(graph)
    assert after["C1"] == after["cases:cases:C1"] == after["a"] == after["j"] == ["unit:U2"]
    assert after["fraud:reports:9"] == ["unit:U2"]  # both its cases are now U2's


def test_a_mutation_rescopes_what_derives_from_what_it_changed(graph: Driver) -> None:
    graph.execute_query(GRAPH, cites=json.dumps({"records": ["cases:cases:C1"]}))
    scope.refresh(graph)
    graph.execute_query(
        "MATCH (o:Operation {op_id: 'o'}), (c:Case {case_no: 'C1'}) CREATE (o)-[:INCLUDES]->(c)"
    )
    with graph.session() as session:
        session.execute_write(scope.seeded, {"Operation": ["o"]})
    shared = scopes(graph)
    for key in ("C1", "cases:cases:C1", "a", "j"):
        assert shared[key] == ["unit:U1", "user:zhao"], key
    graph.execute_query("MATCH (o:Operation {op_id: 'o'}) SET o.status = 'closed'")
    with graph.session() as session:
        session.execute_write(scope.seeded, {"Operation": ["o"]})
    assert scopes(graph)["cases:cases:C1"] == ["unit:U1"]


def test_every_label_not_declared_public_is_restricted() -> None:
    gs = schema()
    public = {label for label, node in gs.nodes.items() if node.visibility.public}
    assert public == {"Person", "Phone", "BankAccount", "Vehicle", "Place", "Warrant", "Unit"}
    assert set(gs.restricted()) == set(gs.nodes) - public
    test = visible("n")
    for label in gs.restricted():
        assert f"`{label}`" in test
    assert visible("n", ["Person", "Phone"]) == "true"  # public: no test at all


def test_the_grants_of_a_principal() -> None:
    assert Principal("li", Role.investigator, "U1").scope() == {
        "all_units": False,
        "grants": ["any", "user:li", "unit:U1"],
    }
    assert Principal("chen", Role.analyst).scope()["all_units"] is True


def test_no_query_module_writes_its_own_visibility_test() -> None:
    """Every read filters through `hub.access.visible`; none spells out a rule of its own."""
    folder = Path(__file__).parents[2] / "hub" / "queries"
    own_rule = re.compile(r"\$scope\.|\.members\b|\bscope IS\b|\.all_units")
    for path in sorted(folder.glob("*.py")):
        found = own_rule.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path.name}: {found}"
