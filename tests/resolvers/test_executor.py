"""The executor's one-pass completion, the direct fields and the statements that read
only the properties a selection shows (`resolvers.ahead`) answer exactly what
strawberry and graphql-core answer alone from every property, for every documented
query and role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import strawberry
from graphql import GraphQLObjectType, OperationType, parse
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from hub.access import Principal, Role
from resolvers import ahead
from resolvers.executor import Executor
from resolvers.schema import schema
from tests.resolvers.county import County, ask
from tests.resolvers.test_docs import DOCS, _variables


@contextmanager
def alone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The schema as strawberry and graphql-core complete it: their own executor, the
    resolvers `executor.direct` replaced, every property of what a statement finds."""
    replaced = [
        (field, field.resolve)
        for type_ in schema._schema.type_map.values()
        if isinstance(type_, GraphQLObjectType)
        for field in type_.fields.values()
        if hasattr(field.resolve, "_replaced")
    ]
    assert replaced
    schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    for field, direct in replaced:
        field.resolve = direct._replaced
    with monkeypatch.context() as patched:
        patched.setattr(ahead, "properties", lambda *_: None)
        patched.setattr(ahead, "link_properties", lambda *_: None)
        try:
            yield
        finally:
            schema.execution_context_class = Executor
            for field, direct in replaced:
                field.resolve = direct


ASKERS = [
    Principal("admin", Role.admin),
    Principal("analyst", Role.analyst),  # personal numbers masked
    Principal("a", Role.investigator, unit="U1"),  # one unit's cases
]
QUERIES = sorted(
    p.stem
    for p in DOCS.glob("*.graphql")
    if parse(p.read_text()).definitions[0].operation == OperationType.QUERY  # type: ignore[attr-defined]
)
# What a drawing client asks of paths and neighbourhoods, with aliases, fragments and
# the directives graphql-core evaluates.
EXTRA = {
    "drawn": (
        "query($id: ID!, $to: ID!) { neighbourhood(id: $id, depth: 2) { truncated "
        "nodes { degree collapsed node { __typename id kind label ... on Person { name idNumber "
        "firstSeen sources } ... on Case { caseNo acceptedAt } } } "
        "edges { source target link { __typename type sources firstSeen "
        "... on Transfer { amount at } ... on Victim { loss } } } } "
        "paths(from: $id, to: $to, maxHops: 4) { truncated paths { length "
        "nodes { id kind label __typename } edges { source target link { type } } } } }"
    ),
    "aliases": (
        "query($id: ID!, $to: ID!) { a: paths(from: $id, to: $to, maxHops: 4) { "
        "paths { nodes { x: id y: id kind } } } "
        "b: paths(from: $id, to: $to, maxHops: 4) { paths { nodes { id } ...on Path { length } } } }"
    ),
    "fragments": (
        'query($id: ID!, $to: ID!) { search(text: "诈骗", first: 20) { edges { score '
        "node { label ...named ... on Case { title category status } } } } "
        "neighbourhood(id: $id, depth: 1) { nodes { node { id ...named "
        "... on Person { phones(first: 2) { totalCount edges { node { number } } } } } } } "
        "paths(from: $id, to: $to, maxHops: 4) { paths { nodes { ...named } } } } "
        "fragment named on Entity { kind lastSeen ... on Person { name birthDate sex } }"
    ),
    "skipped": (
        "query($id: ID!, $to: ID!, $no: Boolean = false) { paths(from: $id, to: $to, maxHops: 4) { "
        "paths { nodes { id kind @include(if: $no) } edges @skip(if: $no) { source } } } }"
    ),
}


def _steady(answer: Any) -> Any:
    """The answer without what changes from one asking to the next (its freshness)."""
    if isinstance(answer, dict):
        return {k: _steady(v) for k, v in answer.items() if k != "freshness"}
    if isinstance(answer, list):
        return [_steady(v) for v in answer]
    return answer


@pytest.mark.parametrize("name", QUERIES)
def test_every_documented_query_answers_the_same(
    synced: County, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = (Path(DOCS) / f"{name}.graphql").read_text()
    variables = _variables(synced)[name]
    for principal in ASKERS:
        fast = ask(synced.settings, query, principal, **variables)
        with alone(monkeypatch):
            slow = ask(synced.settings, query, principal, **variables)
        assert _steady(fast.data) == _steady(slow.data), (name, principal.role)
        assert fast.errors == slow.errors, (name, principal.role)


@pytest.mark.parametrize("name", sorted(EXTRA))
def test_drawn_graphs_answer_the_same(
    synced: County, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ends = _variables(synced)["paths"]
    for principal in ASKERS:
        fast = ask(synced.settings, EXTRA[name], principal, id=ends["from"], to=ends["to"])
        with alone(monkeypatch):
            slow = ask(synced.settings, EXTRA[name], principal, id=ends["from"], to=ends["to"])
        assert fast.errors is None, fast.errors
        assert fast.data == slow.data, (name, principal.role)


@strawberry.type
class Leaf:
    name: str
    note: str | None


@strawberry.type
class Tree:
    leaves: list[Leaf] | None
    kept: list[Leaf | None]


@strawberry.type
class Root:
    @strawberry.field
    def tree(self) -> Tree:
        # `name` is declared non-null: a leaf without one is an error of that field
        broken = Leaf(name=None, note="x")  # type: ignore[arg-type]
        return Tree(
            leaves=[Leaf(name="a", note=None), broken], kept=[broken, Leaf(name="b", note="c")]
        )


def test_an_answer_that_breaks_the_schema_is_reported_as_graphql_core_reports_it() -> None:
    query = "{ tree { leaves { name note } kept { name } } }"
    fast = strawberry.Schema(query=Root, execution_context_class=Executor).execute_sync(query)
    slow = strawberry.Schema(query=Root).execute_sync(query)
    assert fast.data == slow.data == {"tree": {"leaves": None, "kept": [None, {"name": "b"}]}}
    assert [(e.message, e.path) for e in fast.errors or []] == [
        (e.message, e.path) for e in slow.errors or []
    ]
    assert len(slow.errors or []) == 2
