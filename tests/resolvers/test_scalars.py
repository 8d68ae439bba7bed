"""Every DateTime argument of the API refuses a time the hub cannot hold as the client's
mistake (BAD_USER_INPUT, saying what is accepted), never with Python's or the driver's
words. The arguments are enumerated from the GraphQL schema."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from graphql import GraphQLEnumType, GraphQLField, GraphQLNonNull, GraphQLObjectType, get_named_type
from starlette.testclient import TestClient

from hub.access import Role
from hub.settings import Settings
from resolvers.schema import schema
from tests.conftest import bearer

LITERAL = {"String": '"x"', "ID": '"x"', "Int": "1", "Float": "1.0", "Boolean": "false",
           "DateTime": '"2026-01-01T00:00:00+08:00"'}  # fmt: skip
BAD = ["0000-01-01T00:00:00Z", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00",
       "yesterday", "2026-13-01T00:00:00Z"]  # fmt: skip


def _literal(field: GraphQLField, name: str) -> str | None:
    kind = get_named_type(field.args[name].type)
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    return LITERAL.get(kind.name)


def date_calls() -> Iterator[tuple[str, str]]:
    """(root field.argument, an operation passing that DateTime argument as $t) for every
    DateTime argument of every query and mutation field."""
    roots = {"query": schema._schema.query_type, "mutation": schema._schema.mutation_type}
    for operation, root in roots.items():
        assert isinstance(root, GraphQLObjectType)
        for name, field in root.fields.items():
            for arg_name, arg in field.args.items():
                if get_named_type(arg.type).name != "DateTime":
                    continue
                args = [f"{arg_name}: $t"]
                for other, other_arg in field.args.items():
                    if other != arg_name and isinstance(other_arg.type, GraphQLNonNull):
                        value = _literal(field, other)
                        assert value is not None, f"extend this test to fill {name}({other})"
                        args.append(f"{other}: {value}")
                composite = hasattr(get_named_type(field.type), "fields")
                selection = " { __typename }" if composite else ""
                declared = "DateTime!" if isinstance(arg.type, GraphQLNonNull) else "DateTime"
                yield (
                    f"{name}.{arg_name}",
                    f"{operation}($t: {declared}) {{ {name}({', '.join(args)}){selection} }}",
                )


CALLS = dict(date_calls())


def test_the_enumeration_finds_the_date_arguments() -> None:
    assert {"stats.from", "stats.to", "caseClusters.since", "moneyFlow.until"} <= set(CALLS)


@pytest.mark.parametrize("where", sorted(CALLS))
def test_a_time_the_hub_cannot_hold_is_the_clients_mistake(
    serve: Callable[..., TestClient], settings: Settings, where: str
) -> None:
    client = serve()
    for value in BAD:
        answer = client.post(
            "/graphql",
            json={"query": CALLS[where], "variables": {"t": value}},
            headers=bearer(settings, Role.admin),
        ).json()
        assert answer.get("data") is None, (where, value, answer)
        [error] = answer["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (where, value, error)
        assert "between the years 1900 and 2199" in error["message"], (where, value, error)
