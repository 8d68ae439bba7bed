"""GraphQL over HTTP on the demo graph, against the real Neo4j."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from neo4j import Driver
from starlette.testclient import TestClient

from hub import demo
from hub.app import create_app
from hub.loader import Loader
from hub.settings import Settings
from tests.conftest import bearer

PERSON = """
query Person($idNumber: String!) {
  person(idNumber: $idNumber) {
    id name namePinyin idNumber birthDate sex sources firstSeen
    phones { totalCount edges { node { number category } link { type sources } } }
    accounts { totalCount edges { node { number bank status } } }
  }
}
"""


@pytest.fixture
def client(graph: Driver, settings: Settings) -> Iterator[TestClient]:
    demo.load(Loader(graph))
    with TestClient(create_app(settings), headers=bearer(settings)) as client:
        yield client


def ask(client: TestClient, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]  # type: ignore[no-any-return]


def test_person_by_id_number_has_their_phones_and_accounts(client: TestClient) -> None:
    person = ask(client, PERSON, idNumber="411623198503120014")["person"]
    assert person["name"] == "张伟"  # stored simplified; the source wrote 張偉
    assert person["namePinyin"] == "zhangwei"
    assert (person["birthDate"], person["sex"]) == ("1985-03-12", "M")
    assert person["sources"] == ["demo"]
    assert person["firstSeen"].startswith("2026-03-01T09:00:00")
    phones = [e["node"]["number"] for e in person["phones"]["edges"]]
    assert person["phones"]["totalCount"] == 2
    assert sorted(phones) == ["+8613803941001", "+8613903941002"]
    assert {e["link"]["type"] for e in person["phones"]["edges"]} == {"HAS_PHONE"}
    assert person["phones"]["edges"][0]["link"]["sources"] == ["demo"]
    assert [e["node"] for e in person["accounts"]["edges"]] == [
        {"number": "622202160000123454", "bank": "工商银行", "status": None}
    ]


def test_the_id_number_is_normalised_before_the_look_up(client: TestClient) -> None:
    person = ask(client, PERSON, idNumber=" 41162319920708026x ")["person"]
    assert person["name"] == "李娜"
    assert [e["node"] for e in person["phones"]["edges"]] == [
        {"number": "+863945421003", "category": "fixed_line"}
    ]


def test_an_unknown_id_number_finds_nobody(client: TestClient) -> None:
    assert ask(client, PERSON, idNumber="110101199003071233")["person"] is None


@pytest.mark.parametrize(
    ("id_number", "reason"),
    [
        ("411623198503120019", "check digit is 9, expected 4"),
        ("not a number", "has 12 characters, expected 18"),
        ("' OR 1=1 //", "has 11 characters, expected 18"),
        ("", "value is empty"),
    ],
)
def test_an_invalid_id_number_says_what_is_wrong(
    client: TestClient, id_number: str, reason: str
) -> None:
    response = client.post("/graphql", json={"query": PERSON, "variables": {"idNumber": id_number}})
    (error,) = response.json()["errors"]
    assert error["message"] == f"idNumber: {reason}"
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_node_resolves_a_global_id(client: TestClient) -> None:
    person = ask(client, PERSON, idNumber="411623197801250066")["person"]
    found = ask(
        client,
        "query($id: ID!) { node(id: $id) { id ... on Person { name accounts { edges { node { number } } } } } }",
        id=person["id"],
    )["node"]
    assert found["id"] == person["id"]
    assert found["name"] == "王芳"
    assert sorted(e["node"]["number"] for e in found["accounts"]["edges"]) == [
        "622848001234567894",
        "623668000000000077",
    ]


def test_node_with_an_unknown_or_malformed_id(client: TestClient) -> None:
    import base64

    missing = base64.b64encode(b"Person:no-such-token").decode()
    assert ask(client, "query($id: ID!) { node(id: $id) { id } }", id=missing)["node"] is None
    response = client.post("/graphql", json={"query": '{ node(id: "%%%") { id } }'})
    (error,) = response.json()["errors"]
    assert error["message"] == "'%%%' is not an id of this API"
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_readyz_names_a_missing_migration(client: TestClient, graph: Driver) -> None:
    assert client.get("/readyz").status_code == 200
    graph.execute_query("MATCH (m:HubSchema) DELETE m")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "hub db migrate" in response.json()["reason"]


def test_a_body_that_is_no_json_is_refused_saying_where(client: TestClient) -> None:
    response = client.post(
        "/graphql",
        content=b'{"query": "{ __typename }',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert "Unterminated string starting at: line 1 column 11" in response.text, response.text
