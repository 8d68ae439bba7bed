"""A string that looks like Cypher is only ever a value: it changes nothing in the graph."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLNonNull,
    get_named_type,
)
from neo4j import Driver
from starlette.testclient import TestClient

from hub.access import Role
from hub.loader import Loader
from hub.settings import Settings
from resolvers.schema import schema
from tests import snapshot as snapshots
from tests.conftest import bearer, gql
from tests.snapshot import Snapshot

HOSTILE = [
    '"}) MATCH (n) DETACH DELETE n //',
    "') MATCH (n) DETACH DELETE n //",
    "x` MATCH (n) DETACH DELETE n //",
    "$scope}) SET n.name = 'owned' //",
    "\\u0027 OR 1=1 //",
]
SAMPLE = {"Int": "1", "Float": "1.0", "Boolean": "false", "DateTime": '"2026-01-01T00:00:00Z"'}


def snapshot(driver: Driver) -> Snapshot:
    """Every node and relationship of the graph but the audit trail, as text, with
    Neo4j's ids (a node deleted and made again is a change)."""
    return snapshots.snapshot(driver, leave_out={"AuditEvent", "AuditHead"}, element_ids=True)


def calls(hostile: str) -> list[str]:
    """A call of every root field, each string or ID argument set to `hostile`."""
    out = []
    quoted = '"' + hostile.replace("\\", "\\\\").replace('"', '\\"') + '"'
    fields: dict[str, GraphQLField] = schema._schema.query_type.fields  # type: ignore[union-attr]
    for name, field in fields.items():
        args = []
        for arg_name, arg in field.args.items():
            kind = get_named_type(arg.type)
            if kind.name in ("String", "ID"):
                args.append(f"{arg_name}: {quoted}")
            elif isinstance(kind, GraphQLEnumType):
                args.append(f"{arg_name}: {next(iter(kind.values))}")
            elif isinstance(kind, GraphQLInputObjectType):
                texts = [
                    f for f, v in kind.fields.items() if get_named_type(v.type).name == "String"
                ]
                if len(texts) != len(kind.fields):
                    pytest.fail(f"extend this test to fill input {kind.name} of {name}")
                args.append(f"{arg_name}: {{{', '.join(f'{f}: {quoted}' for f in texts)}}}")
            elif isinstance(arg.type, GraphQLNonNull) or kind.name in SAMPLE:
                args.append(f"{arg_name}: {SAMPLE[kind.name]}")
        composite = hasattr(get_named_type(field.type), "fields")  # object, interface
        selection = " { __typename }" if composite else ""
        out.append(f"{{ {name}{'(' + ', '.join(args) + ')' if args else ''}{selection} }}")
    return out


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_string_in_every_argument_changes_nothing(
    serve: Callable[..., TestClient], settings: Settings, graph: Driver, hostile: str
) -> None:
    client = serve()
    before = snapshot(graph)
    assert before[0]  # the demo graph
    for query in calls(hostile):
        response = client.post(
            "/graphql",
            json={"query": query, "operationName": None},
            headers={**bearer(settings, Role.admin, user=hostile), "x-justification": hostile},
        )
        assert response.status_code == 200, response.text
    client.app.state.trail.flush()  # type: ignore[attr-defined]
    assert snapshot(graph) == before
    users = graph.execute_query("MATCH (e:AuditEvent) RETURN DISTINCT e.user AS u").records
    assert [r["u"] for r in users] == [hostile]  # stored as the text it is


def test_a_hostile_value_from_a_source_is_stored_and_returned_as_text(
    serve: Callable[..., TestClient], settings: Settings, graph: Driver
) -> None:
    name = HOSTILE[0]
    Loader(graph).nodes(
        "Person",
        pl.DataFrame({"uid": ["p-hostile"], "name": [name], "id_number": ["110101199003071233"]}),
        source="test",
        seen_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    answer: dict[str, Any] = gql(
        serve(), settings, '{ person(idNumber: "110101199003071233") { name } }'
    )
    assert answer["data"]["person"]["name"] == name
    assert graph.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"] > 1
