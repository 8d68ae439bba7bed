"""Oversized queries are refused with a clear message before any database query."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from graphql import build_schema, parse, validate
from starlette.testclient import TestClient

from hub import limits
from hub.access import Role
from hub.settings import Settings
from tests.conftest import bearer, gql

EVENT_FIELDS = "seq at user role unit client action outcome reason queryHash variables entities durationMs justification hash"


@pytest.fixture
def counted(serve: Callable[..., TestClient]) -> Iterator[tuple[TestClient, list[str]]]:
    """A client and the list of queries its API process sent to Neo4j (the API's driver;
    the audit trail writes with a driver of its own)."""
    client = serve()
    driver = client.app.state.driver  # type: ignore[attr-defined]
    sent: list[str] = []
    execute_query, session = driver.execute_query, driver.session

    def count_query(query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(getattr(query, "text", query)))
        return execute_query(query, *args, **kwargs)

    def count_session(*args: Any, **kwargs: Any) -> Any:
        sent.append("session")
        return session(*args, **kwargs)

    driver.execute_query, driver.session = count_query, count_session
    yield client, sent


def deep(levels: int) -> str:
    return '{ person(idNumber: "1") { ' + "phones { " * levels + "number" + " }" * levels + " } }"


def aliases(n: int) -> str:
    return '{ person(idNumber: "1") { ' + " ".join(f"a{i}: name" for i in range(n)) + " } }"


def aliases_in_fragments(n: int) -> str:
    half = n // 2
    first = " ".join(f"n{i}: name" for i in range(half))
    second = " ".join(f"m{i}: sex" for i in range(n - half))
    return (
        '{ person(idNumber: "1") { ...A } } '
        f"fragment A on Person {{ {first} ...B }} fragment B on Person {{ {second} }}"
    )


def tokens(n: int) -> str:
    return '{ person(idNumber: "1") { ' + "name " * n + "} }"


def costly() -> str:
    return (
        "{ "
        + " ".join(f"e{i}: auditEvents(first: 100) {{ {EVENT_FIELDS} }}" for i in range(4))
        + " }"
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (deep(20), "exceeds maximum operation depth of 6"),
        (aliases(100), "100 aliases found. Allowed: 15"),
        (aliases_in_fragments(100), "100 aliases found. Allowed: 15"),
        (tokens(5000), "more than 1000 tokens"),
        (costly(), "the query costs 6,004, more than the limit of 5,000"),
        ("{ auditEvents(first: 1000) { seq } }", "a page of 1000 is not allowed"),
        ("{ auditEvents(first: -1) { seq } }", "a page of -1 is not allowed"),
    ],
    ids=["depth", "aliases", "aliases-in-fragments", "tokens", "cost", "page", "negative-page"],
)
def test_an_oversized_query_is_refused_before_any_database_query(
    counted: tuple[TestClient, list[str]], settings: Settings, query: str, message: str
) -> None:
    client, sent = counted
    body = gql(client, settings, query, Role.admin)
    assert body["data"] is None
    assert any(message in e["message"] for e in body["errors"]), body["errors"]
    assert sent == []


def test_the_page_size_may_come_from_a_variable(
    counted: tuple[TestClient, list[str]], settings: Settings
) -> None:
    client, sent = counted
    query = "query($n: Int!) { auditEvents(first: $n) { seq } }"
    refused = gql(client, settings, query, Role.admin, n=500)
    assert "a page of 500 is not allowed" in refused["errors"][0]["message"]
    assert sent == []
    assert "errors" not in gql(client, settings, query, Role.admin, n=5)
    assert len(sent) == 1  # the counter does see the queries that run


def test_a_small_query_reaches_the_database(
    counted: tuple[TestClient, list[str]], settings: Settings
) -> None:
    client, sent = counted
    body = gql(
        client,
        settings,
        '{ person(idNumber: "411623198503120014") { name phones { totalCount } } }',
    )
    assert body["data"]["person"]["name"] == "张伟"
    assert body["data"]["person"]["phones"]["totalCount"] >= 1
    assert len(sent) == 1  # the person and the phones it selects, in one statement


def test_a_large_body_gets_413(serve: Callable[..., TestClient], settings: Settings) -> None:
    client = serve(max_body=1000)
    response = client.post("/graphql", json={"query": tokens(300)}, headers=bearer(settings))
    assert response.status_code == 413
    assert "larger than 1000 bytes" in response.json()["errors"][0]["message"]


def test_batches_are_refused(serve: Callable[..., TestClient], settings: Settings) -> None:
    response = serve().post(
        "/graphql", json=[{"query": "{ __typename }"}] * 2, headers=bearer(settings)
    )
    assert response.status_code == 400
    assert "Batching is not enabled" in response.text


def test_too_many_requests_get_429_with_retry_after(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    client = serve(rate_limit=3)
    statuses = [
        client.post("/graphql", json={"query": "{ __typename }"}, headers=bearer(settings))
        for _ in range(4)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert int(statuses[-1].headers["retry-after"]) >= 1
    other = client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=bearer(settings, user="another")
    )
    assert other.status_code == 200  # the limit is per user


SDL = """
type Query { neighbourhood(id: ID!, depth: Int!): [Node!]!  people(first: Int): PersonConnection! }
type Node { id: ID! name: String links: [Node!]! }
type PersonConnection { edges: [Edge!]! }
type Edge { node: Node! }
"""


@pytest.mark.parametrize(
    ("query", "cost"),
    [
        ("{ neighbourhood(id: 1, depth: 2) { id } }", 4 + 10),
        ("{ neighbourhood(id: 1, depth: 5) { id } }", 32 + 10),
        ("{ people(first: 50) { edges { node { id name } } } }", 1 + 50 + 50 + 100),
        ("{ people(first: 50) { edges { node { links { id } } } } }", 1 + 50 + 50 + 50 + 500),
    ],
)
def test_cost_counts_pages_and_hops(query: str, cost: int) -> None:
    schema = build_schema(SDL)
    rule = limits.rule(max_cost=cost - 1, max_page=100, variables={})
    errors = validate(schema, parse(query), [rule])
    assert [e.message for e in errors] == [
        f"the query costs {cost:,}, more than the limit of {cost - 1:,}: "
        "ask for smaller pages (first, limit) or fewer hops (depth, maxHops)"
    ]
    assert validate(schema, parse(query), [limits.rule(cost, 100, {})]) == []


def test_failed_logins_are_rate_limited_by_address(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    client = serve(rate_limit=3)
    bad = {"authorization": "Bearer hub_0123456789ab_" + "x" * 43}
    statuses = [
        client.post("/graphql", json={"query": "{ __typename }"}, headers=bad).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    good = client.post("/graphql", json={"query": "{ __typename }"}, headers=bearer(settings))
    assert good.status_code == 429  # the same address, until its bucket refills
