"""Oversized queries are refused with a clear message before any database query."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    build_schema,
    parse,
    validate,
)
from starlette.testclient import TestClient

from hub import limits
from hub.access import Role
from hub.app import client_address, create_app, trusted
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
        (deep(20), "the query nests fields 22 deep, more than the limit of 7 (HUB_MAX_DEPTH)"),
        (deep(6), "the query nests fields 8 deep, more than the limit of 7"),
        (aliases(100), "the query uses 100 aliases, more than the limit of 15"),
        (aliases_in_fragments(100), "the query uses 100 aliases, more than the limit of 15"),
        (tokens(5000), "more than 1000 tokens"),
        (costly(), "the query costs 6,004, more than the limit of 5,000"),
        ("{ auditEvents(first: 1000) { seq } }", "a page of 1000 is not allowed"),
        ("{ auditEvents(first: -1) { seq } }", "a page of -1 is not allowed"),
    ],
    ids=[
        "depth",
        "depth-by-one",
        "aliases",
        "aliases-in-fragments",
        "tokens",
        "cost",
        "page",
        "negative-page",
    ],
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


def test_failed_logins_are_throttled_by_address_without_locking_out_its_users(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    client = serve(rate_limit=3)
    bad = {"authorization": "Bearer hub_0123456789ab_" + "x" * 43}
    statuses = [
        client.post("/graphql", json={"query": "{ __typename }"}, headers=bad).status_code
        for _ in range(6)
    ]
    assert statuses == [401, 401, 401, 429, 429, 429]
    # A colleague behind the same address, with a token never seen before, gets in.
    good = client.post("/graphql", json={"query": "{ __typename }"}, headers=bearer(settings))
    assert good.status_code == 200


def test_an_address_may_fail_far_fewer_logins_than_a_user_may_make_requests(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    from hub.app import FAILED_LOGINS_PER_MINUTE

    client = serve()
    assert settings.rate_limit > 2 * FAILED_LOGINS_PER_MINUTE
    bad = {"authorization": "Bearer not.a.token"}
    statuses = [
        client.post("/graphql", json={"query": "{ __typename }"}, headers=bad).status_code
        for _ in range(FAILED_LOGINS_PER_MINUTE + 2)
    ]
    assert statuses[:FAILED_LOGINS_PER_MINUTE] == [401] * FAILED_LOGINS_PER_MINUTE
    assert statuses[-1] == 429


def test_a_forwarded_for_header_counts_only_from_a_trusted_proxy(
    graph: Any, settings: Settings
) -> None:
    bad = {"authorization": "Bearer not.a.token"}
    untrusted = TestClient(create_app(replace(settings, rate_limit=2)), client=("10.9.9.9", 1))
    with untrusted:
        rotating = [
            untrusted.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={**bad, "x-forwarded-for": f"192.0.2.{n}"},
            ).status_code
            for n in range(4)
        ]
    assert rotating == [401, 401, 429, 429]  # one peer, whatever it claims
    proxied = replace(settings, rate_limit=2, trusted_proxies="10.0.0.0/8")
    with TestClient(create_app(proxied), client=("10.0.0.1", 1)) as proxy:

        def status(client_address: str) -> int:
            return proxy.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={**bad, "x-forwarded-for": f"198.51.100.7, {client_address}"},
            ).status_code

        assert [status("192.0.2.1") for _ in range(3)] == [401, 401, 429]
        assert status("192.0.2.2") == 401  # another client behind the proxy


@pytest.mark.parametrize(
    ("peer", "forwarded", "proxies", "client"),
    [
        ("192.0.2.1", "203.0.113.5", "", "192.0.2.1"),  # no proxy trusted
        ("192.0.2.1", "203.0.113.5", "10.0.0.0/8", "192.0.2.1"),  # the peer is no proxy
        ("10.0.0.1", "203.0.113.5", "10.0.0.0/8", "203.0.113.5"),
        ("10.0.0.1", "6.6.6.6, 203.0.113.5, 10.0.0.2", "10.0.0.0/8", "203.0.113.5"),
        ("10.0.0.1", "not an address", "10.0.0.0/8", "10.0.0.1"),
        ("10.0.0.1", "", "10.0.0.0/8", "10.0.0.1"),
    ],
)
def test_the_client_address(peer: str, forwarded: str, proxies: str, client: str) -> None:
    scope = {"client": (peer, 1), "headers": [(b"x-forwarded-for", forwarded.encode())]}
    assert client_address(scope, trusted(proxies)) == client


def test_only_the_hubs_rule_believes_x_forwarded_for_under_hub_serve(settings: Settings) -> None:
    """uvicorn as `hub serve` runs it hands the hub the peer's address, whatever the
    X-Forwarded-For a client on loopback (uvicorn's default trusted proxy) sends."""
    import asyncio

    import uvicorn

    from hub.cli.serve import uvicorn_options

    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope)

    options = {k: v for k, v in uvicorn_options(settings).items() if k != "factory"}
    config = uvicorn.Config(app, **options)
    config.load()
    scope = {
        "type": "http",
        "client": ("127.0.0.1", 1),
        "headers": [(b"x-forwarded-for", b"203.0.113.5")],
    }
    asyncio.run(config.loaded_app(scope, None, None))
    assert seen[0]["client"][0] == "127.0.0.1"
    assert client_address(seen[0], trusted(settings.trusted_proxies)) == "127.0.0.1"


def test_a_page_left_out_costs_the_page_it_returns() -> None:
    schema = build_schema(SDL)
    left_out = "{ people { edges { node { id } } } }"  # 1 + 20 pages of edge, node, id

    def cost(max_cost: int) -> list[str]:
        return [
            e.message for e in validate(schema, parse(left_out), [limits.rule(max_cost, 100, {})])
        ]

    assert cost(61) == []
    assert "the query costs 61," in cost(60)[0]
    assert limits.DEFAULT_PAGE == 20


def test_every_operation_type_is_held_to_the_depth_limit() -> None:
    schema = build_schema(SDL + "type Subscription { people(first: Int): PersonConnection! }")
    deep = (
        "subscription { people { edges { node { links { links { links { links { id } } } } } } } }"
    )
    errors = validate(schema, parse(deep), [limits.depth_rule(6)])
    assert [e.message for e in errors] == [
        "the query nests fields 8 deep, more than the limit of 6 (HUB_MAX_DEPTH)"
    ]


def ws_connect(client: TestClient, settings: Settings) -> Any:
    ws = client.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"], headers=bearer(settings)
    )
    return ws


def test_websocket_operations_count_against_the_rate_limit(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    client = serve(rate_limit=3)
    with ws_connect(client, settings) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        answers = []
        for n in range(4):
            ws.send_json(
                {"id": str(n), "type": "subscribe", "payload": {"query": "{ __typename }"}}
            )
            answers.append(ws.receive_json())
            if answers[-1]["type"] == "next":
                assert ws.receive_json()["type"] == "complete"
    assert [a["type"] for a in answers] == ["next", "next", "next", "error"]
    assert answers[-1]["payload"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_a_websocket_message_over_the_body_limit_closes_the_connection(
    serve: Callable[..., TestClient], settings: Settings, graph: Any
) -> None:
    client = serve(max_body=2000)
    with ws_connect(client, settings) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        big = {"query": "query($x: String) { __typename }", "variables": {"x": "9" * 5000}}
        ws.send_json({"id": "1", "type": "subscribe", "payload": big})
        closed = ws.receive()
    assert closed == {"type": "websocket.close", "code": 1009, "reason": closed["reason"]}
    assert "HUB_MAX_BODY" in closed["reason"]
    client.app.state.trail.flush()  # type: ignore[attr-defined]
    stored = graph.execute_query("MATCH (e:AuditEvent) RETURN e.variables AS v").records
    assert all(r["v"] is None or len(r["v"]) < 5000 for r in stored)


def test_a_websocket_operation_is_held_to_the_query_limits(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    client = serve()
    with ws_connect(client, settings) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": deep(6)}})
        answer = ws.receive_json()
    assert answer["type"] == "error"
    assert answer["payload"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


def test_failed_logins_over_a_websocket_are_throttled(
    serve: Callable[..., TestClient], settings: Settings, graph: Any
) -> None:
    client = serve(rate_limit=2)

    def connect(authorization: str) -> Any:
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init", "payload": {"authorization": authorization}})
            return ws.receive()

    refused = [connect("Bearer x.y.z") for _ in range(4)]
    assert {r["code"] for r in refused} == {4403}
    client.app.state.trail.flush()  # type: ignore[attr-defined]
    logins = graph.execute_query("MATCH (e:AuditEvent {action: 'login'}) RETURN e").records
    assert len(logins) == 2  # past the limit, a failure is refused without an event of its own
    accepted = connect(bearer(settings)["authorization"])
    assert json.loads(accepted["text"])["type"] == "connection_ack"


def _list(type_: Any) -> bool:
    return isinstance(type_.of_type if isinstance(type_, GraphQLNonNull) else type_, GraphQLList)


def test_every_list_answering_one_item_per_item_of_a_list_argument_says_so() -> None:
    """A list field with a list argument and no page argument answers as many items as
    that argument holds: each such field declares it, so the cost counts it."""
    from resolvers.schema import schema

    declared = []
    for type_ in schema._schema.type_map.values():
        if type_.name.startswith("__") or not isinstance(type_, GraphQLObjectType):
            continue
        for name, field in type_.fields.items():
            lists = [a for a, arg in field.args.items() if _list(arg.type)]
            sizing = [a for a, arg in field.args.items() if limits.sizes_answer(arg)]
            assert set(sizing) <= set(lists), (type_.name, name)
            if _list(field.type) and lists and not set(field.args) & set(limits.PAGE_ARGS):
                assert len(sizing) == 1, f"{type_.name}.{name}: which of {lists} sets its length?"
            declared += [(type_.name, name, a) for a in sizing]
    assert ("Query", "nodes", "ids") in declared


@pytest.mark.parametrize("n", [1, 40, 100])
def test_a_list_answering_one_item_per_id_costs_the_number_of_ids(n: int) -> None:
    from resolvers.schema import schema

    roots = {"Query": "query", "Mutation": "mutation"}
    fields = [
        (roots[type_.name], name, arg)
        for type_ in map(schema._schema.get_type, roots)
        if isinstance(type_, GraphQLObjectType)
        for name, field in type_.fields.items()
        for arg, definition in field.args.items()
        if limits.sizes_answer(definition)
    ]
    assert fields
    for operation, name, arg in fields:
        document = parse(f"{operation}($v: [ID!]!) {{ {name}({arg}: $v) {{ __typename }} }}")
        variables = {"v": [str(i) for i in range(n)]}
        cost = 1 + n  # the field, and its one field for each item
        assert limits.check(schema._schema, document, cost, 100, variables) == []
        refused = limits.check(schema._schema, document, cost - 1, 100, variables)
        assert [e.message for e in refused] == [
            f"the query costs {cost:,}, more than the limit of {cost - 1:,}: "
            "ask for smaller pages (first, limit) or fewer hops (depth, maxHops)"
        ], name


def test_nodes_costs_its_ids_and_their_pages_and_refuses_more_ids_than_a_page() -> None:
    from resolvers.schema import schema

    people = "...on Person { name records(first: 10) { edges { node { raw } } } }"
    literal = parse(
        "{ nodes(ids: [" + ", ".join(f'"{i}"' for i in range(30)) + f"]) {{ {people} }} }}"
    )
    # the field, then for each of 30 ids: name, records, and 10 edges, nodes and raws
    assert limits.check(schema._schema, literal, 1 + 30 * 32, 100, {}) == []
    assert limits.check(schema._schema, literal, 30 * 32, 100, {})
    aliased = parse(
        "query($i: [ID!]!) { "
        + " ".join(f"a{k}: nodes(ids: $i) {{ {people} }}" for k in range(3))
        + " }"
    )
    errors = limits.check(schema._schema, aliased, 100_000, 100, {"i": ["x"] * 700})
    assert [e.message for e in errors] == [
        "nodes: ids holds 700 items, more than the limit of 100 (HUB_MAX_PAGE_SIZE); "
        "ask in smaller lists"
    ] * 3


def nested(levels: int) -> Any:
    """A JSON value `levels` deep: lists in lists around an empty one."""
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


CREATE = "mutation M($n: String!) { createOperation(name: $n) { __typename } }"


def ask_over(client: TestClient, settings: Settings, transport: str, body: dict[str, Any]) -> Any:
    """The errors (or None) of one operation asked over HTTP or a WebSocket."""
    if transport == "http":
        answer = client.post("/graphql", json=body, headers=bearer(settings))
        assert answer.status_code == 200, answer.text
        return answer.json().get("errors")
    with ws_connect(client, settings) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": body})
        answer = ws.receive_json()
    return answer["payload"] if answer["type"] == "error" else answer["payload"].get("errors")


@pytest.mark.parametrize("transport", ["http", "websocket"])
@pytest.mark.parametrize("levels", [limits.MAX_NESTING + 1, 700])
def test_variables_nested_deeper_than_the_limit_are_refused_before_anything_runs(
    serve: Callable[..., TestClient], settings: Settings, graph: Any, transport: str, levels: int
) -> None:
    """Unused variables too: a value nested this deep is refused whole, as a limit, and
    the refusal is audited; nothing of the operation ran."""
    client = serve()
    name = f"AUDITPROBE-{levels}"
    errors = ask_over(
        client,
        settings,
        transport,
        {"query": CREATE, "variables": {"n": name, "junk": nested(levels)}},
    )
    assert [e["extensions"]["code"] for e in errors] == ["LIMIT_EXCEEDED"], errors
    message = errors[0]["message"]
    assert message == (
        f"the request's variables nest {levels} deep, more than the limit of "
        f"{limits.MAX_NESTING} (MAX_NESTING)"
    )
    created = graph.execute_query("MATCH (o:Operation {name: $n}) RETURN o", n=name).records
    assert created == []
    client.app.state.trail.flush()  # type: ignore[attr-defined]
    (event,) = graph.execute_query(
        "MATCH (e:AuditEvent {action: 'mutation M'}) RETURN properties(e) AS e"
    ).records
    assert (event["e"]["outcome"], event["e"]["reason"]) == ("error", message)


@pytest.mark.parametrize("transport", ["http", "websocket"])
def test_variables_nested_as_deep_as_the_limit_are_taken(
    serve: Callable[..., TestClient], settings: Settings, graph: Any, transport: str
) -> None:
    client = serve()
    variables = {"n": "nested", "junk": nested(limits.MAX_NESTING)}
    assert ask_over(client, settings, transport, {"query": CREATE, "variables": variables}) is None
    assert graph.execute_query("MATCH (o:Operation {name: 'nested'}) RETURN o").records


def _input_nesting(type_: Any, seen: tuple[str, ...] = ()) -> int:
    """How deep a value of the input type `type_` nests lists and objects at most."""
    if isinstance(type_, GraphQLNonNull):
        return _input_nesting(type_.of_type, seen)
    if isinstance(type_, GraphQLList):
        return 1 + _input_nesting(type_.of_type, seen)
    if isinstance(type_, GraphQLInputObjectType):
        assert type_.name not in seen, f"{type_.name} holds itself: its values nest without end"
        fields = [_input_nesting(f.type, (*seen, type_.name)) for f in type_.fields.values()]
        return 1 + max(fields, default=0)
    return 0


def test_the_nesting_limit_takes_every_value_the_schemas_arguments_take() -> None:
    """The deepest value any argument of the schema takes (a list of input objects, each
    nested as deep as its fields go) nests no deeper than MAX_NESTING."""
    from resolvers.schema import schema

    deepest = max(
        _input_nesting(arg.type)
        for type_ in schema._schema.type_map.values()
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__")
        for field in type_.fields.values()
        for arg in field.args.values()
    )
    assert 1 <= deepest <= limits.MAX_NESTING
    assert limits.nesting({"a": [1, {"b": [[]]}], "c": 2}) == 5
    assert limits.nesting("text") == limits.nesting(5) == 0
    assert limits.nesting(nested(100_000)) == 100_000  # counted without recursion


# Every way JSON may spell the integers 101 and 6 that graphql-core's Int takes as them.
SPELLINGS = {
    101: ["101", "101.0", "101.000", "1.01e2", "1.01E+2", "10100e-2", "101.0e0"],
    6: ["6", "6.0", "6e0", "60e-1", "0.6E1", "6.000000"],
}


def _spelt(text: str, expected: int) -> Any:
    value = json.loads(text)
    assert GraphQLInt.parse_value(value) == expected, text  # graphql-core runs with it
    return value


@pytest.mark.parametrize(("number", "text"), [(n, t) for n, ts in SPELLINGS.items() for t in ts])
def test_the_limits_read_an_int_variable_however_json_spells_it(number: int, text: str) -> None:
    """Page sizes and hops from variables are what graphql-core runs the query with: a
    page of 101.0 is refused as 101 is, 6.0 hops cost what 6 do."""
    schema = build_schema(SDL)
    query = parse(
        "query($d: Int!, $f: Int) { neighbourhood(id: 1, depth: $d) { id } "
        "people(first: $f) { edges { node { id links { id } } } } }"
    )
    value = _spelt(text, number)
    for name in ("d", "f"):
        # a cost limit of 1: every answer is a refusal that says what the query costs
        as_int = limits.check(schema, query, 1, 100, {"d": 2, "f": 10, name: number})
        as_spelt = limits.check(schema, query, 1, 100, {"d": 2, "f": 10, name: value})
        assert [e.message for e in as_spelt] == [e.message for e in as_int], (name, text)


def test_a_variables_default_is_held_to_the_limits() -> None:
    schema = build_schema(SDL)
    query = parse("query($f: Int = 101) { people(first: $f) { edges { node { id } } } }")
    (error,) = limits.check(schema, query, 10**9, 100, {})
    assert "people: a page of 101 is not allowed" in error.message


NEIGHBOURHOOD = (
    'query($d: Int!, $l: Int) { neighbourhood(id: "x", depth: $d, limit: $l) { nodes { degree } } }'
)
PATHS = (
    "query($a: ID!, $b: ID!, $h: Int!, $f: Int!) { "
    + " ".join(
        f"p{i}: paths(from: $a, to: $b, maxHops: $h, first: $f) {{ paths {{ length nodes {{ id }} }} }}"
        for i in range(15)
    )
    + " }"
)


@pytest.mark.parametrize(
    ("query", "variables", "refusal"),
    [
        (NEIGHBOURHOOD, '"d": 3.0, "l": 500.0', "neighbourhood: a page of 500 is not allowed"),
        (NEIGHBOURHOOD, '"d": 3, "l": 5e2', "neighbourhood: a page of 500 is not allowed"),
        (PATHS, '"a": "x", "b": "y", "h": 6.0, "f": 100.0', "the query costs 47,460"),
        (PATHS, '"a": "x", "b": "y", "h": 60e-1, "f": 1e2', "the query costs 47,460"),
    ],
)
def test_page_size_and_cost_hold_for_int_variables_sent_as_floats(
    counted: tuple[TestClient, list[str]],
    settings: Settings,
    query: str,
    variables: str,
    refusal: str,
) -> None:
    client, sent = counted
    answer = client.post(
        "/graphql",
        content=f'{{"query": {json.dumps(query)}, "variables": {{{variables}}}}}',
        headers={**bearer(settings), "content-type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"] is None
    assert [e["extensions"]["code"] for e in answer.json()["errors"]] == ["LIMIT_EXCEEDED"]
    assert refusal in answer.json()["errors"][0]["message"]
    assert sent == []
