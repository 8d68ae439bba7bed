"""Production mode: no introspection, no suggestions, no internal error text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from graphql import located_error
from starlette.testclient import TestClient

from hub.access import Role
from hub.errors import Forbidden
from hub.queries import entities
from hub.settings import Settings
from resolvers.guard import readable
from tests.conftest import bearer, gql

SECRET_TEXT = "bolt://10.0.0.7 refused user neo4j"


def test_introspection_is_refused_in_production_only(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    query = "{ __schema { queryType { name } } }"
    refused = gql(serve(env="production"), settings, query, Role.admin)
    assert "introspection has been disabled" in refused["errors"][0]["message"]
    allowed = gql(serve(), settings, query, Role.admin)
    assert allowed["data"] == {"__schema": {"queryType": {"name": "Query"}}}


@pytest.mark.parametrize(
    "query",
    [
        '{ person(idNumber: "1") { nam } }',
        '{ person(idNumbr: "1") { name } }',
        "{ persn { name } }",
    ],
)
def test_no_suggestions_in_production(
    serve: Callable[..., TestClient], settings: Settings, query: str
) -> None:
    development = gql(serve(), settings, query)
    assert "Did you mean" in development["errors"][0]["message"]
    production = gql(serve(env="production"), settings, query)
    assert production["errors"]
    assert not any("Did you mean" in e["message"] for e in production["errors"])


def test_a_resolvers_internal_error_never_reaches_the_client_in_production(
    serve: Callable[..., TestClient], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(SECRET_TEXT)

    monkeypatch.setattr(entities, "read", broken)
    query = '{ person(idNumber: "411623198503120014") { name } }'
    assert SECRET_TEXT in str(gql(serve(), settings, query)["errors"])
    production = serve(env="production")
    response = production.post("/graphql", json={"query": query}, headers=bearer(settings))
    assert SECRET_TEXT not in response.text
    assert response.json()["errors"][0]["message"] == "Unexpected error."
    # The hub's own refusals stay readable.
    forbidden = gql(production, settings, "{ auditEvents { seq } }", Role.analyst)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "may not query Query.auditEvents" in forbidden["errors"][0]["message"]


def test_production_serves_no_graphiql_and_sets_security_headers(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    production = serve(env="production")
    assert production.get("/graphql", headers={"accept": "text/html"}).status_code in (401, 404)
    response = production.post(
        "/graphql", json={"query": "{ __typename }"}, headers=bearer(settings)
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" in response.headers


def test_an_access_error_raised_in_a_resolver_keeps_its_code() -> None:
    error = located_error(Forbidden("only the unit's supervisor approves this"), None, ["x"])
    assert error.extensions == {"code": "FORBIDDEN"}
    assert readable(error)
    assert not readable(located_error(RuntimeError(SECRET_TEXT), None, ["x"]))


def test_a_remembered_verdict_is_per_role_and_cost_per_request(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    client = serve()
    query = '{ case(caseNo: "A4116230500002026030001") { title } }'
    codes = [
        [e["extensions"]["code"] for e in gql(client, settings, query, role).get("errors", [])]
        for role in (Role.investigator, Role.connector, Role.investigator, Role.connector)
    ]
    assert codes == [[], ["FORBIDDEN"], [], ["FORBIDDEN"]]
    paged = 'query($n: Int) { search(text: "Zhang", first: $n) { edges { score } } }'
    sizes = [settings.max_page_size + 1, 1, settings.max_page_size + 1]
    answers = [gql(client, settings, paged, n=n).get("errors", []) for n in sizes]
    assert [[e["extensions"]["code"] for e in a] for a in answers] == [
        ["LIMIT_EXCEEDED"],
        [],
        ["LIMIT_EXCEEDED"],
    ]
