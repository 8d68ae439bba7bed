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
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.permission import BasePermission
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from graph_schema import ident
from graph_schema import schema as graph_schema
from hub.access import Principal, Role
from hub.permissions import table
from resolvers import ahead
from resolvers.executor import Executor, Plain
from resolvers.schema import schema
from resolvers.types import BY_LABEL
from tests.resolvers.county import County, ask, global_id
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


# --- the rules on guarded fields hold on both paths -------------------------------------

ROOTS = ("Query", "Mutation", "Subscription")


def _guarded() -> list[tuple[str, str]]:
    """Every (type, field) below the root that a rule guards: a field extension or
    permission classes on its strawberry field, or a line of the permission table."""
    found = set()
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name in ROOTS:
            continue
        for name, field in type_.fields.items():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if isinstance(definition, StrawberryField) and (
                definition.extensions or definition.permission_classes
            ):
                found.add((type_.name, name))
    restricted = {tuple(n.split(".")) for n in [*table().fields, *table().justification]}
    found |= {(t, f) for t, f in restricted if t not in ROOTS}
    return sorted(found)


GUARDED = _guarded()


def _unit_cases(synced: County) -> list[str]:
    rows, _, _ = synced.driver.execute_query(
        "MATCH (c:Case)-[:HANDLED_BY]->(u:Unit) WITH u, count(c) AS n "
        "RETURN u.code AS unit ORDER BY n DESC, unit LIMIT 2"
    )
    return [r["unit"] for r in rows]


def test_the_guarded_fields_include_masking_and_the_permission_table() -> None:
    # (Record.raw is open to every role, masked column by column as its stream's mapping says)
    masked = {("Person", "idNumber"), ("Phone", "number"), ("BankAccount", "number")}
    assert masked | {("Record", "raw")} <= set(GUARDED)


@pytest.mark.parametrize(("type_name", "field"), GUARDED)
def test_every_guarded_field_answers_the_same_on_both_paths(
    synced: County, type_name: str, field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each guarded field, reached as one entity (`node`), in a list (`nodes`) and among
    the entities around it (`neighbourhood`), answers the same through the one pass and
    through graphql-core alone, for an analyst (personal numbers masked) and for investigators of two units; and the one pass did complete the
    field's object wherever the request was allowed."""
    entity = BY_LABEL.get(type_name)
    assert entity is not None, f"{type_name}.{field} is guarded: add a way to reach a {type_name}"
    scope = ident(graph_schema().scope_property)
    rows, _, _ = synced.driver.execute_query(  # first those every asker may see
        f"MATCH (n:{ident(type_name)}) RETURN properties(n) AS props "
        f"ORDER BY coalesce('any' IN n.{scope}, true) DESC, elementId(n) LIMIT 3"
    )
    assert rows, f"the county has no {type_name}"
    ids = [
        global_id(synced.settings, type_name, entity.from_props(r["props"]).key_value())
        for r in rows
    ]
    pick = f"... on {type_name} {{ __typename id {field} }}"
    query = (
        f"query($id: ID!, $ids: [ID!]!) {{ node(id: $id) {{ {pick} }} nodes(ids: $ids) {{ {pick} }} "
        f"neighbourhood(id: $id, depth: 1) {{ nodes {{ node {{ {pick} }} }} }} }}"
    )
    units = _unit_cases(synced)
    askers = [
        Principal("analyst", Role.analyst),
        *(Principal(f"inv-{u}", Role.investigator, unit=u) for u in units),
    ]
    completed: list[str] = []
    made = Executor._object

    def spied(self: Executor, type_: GraphQLObjectType, *args: Any, **kwargs: Any) -> Any:
        done = made(self, type_, *args, **kwargs)
        completed.append(type_.name)
        return done

    monkeypatch.setattr(Executor, "_object", spied)
    for principal in askers:
        completed.clear()
        fast = ask(synced.settings, query, principal, id=ids[0], ids=ids)
        one_pass = type_name in completed
        with alone(monkeypatch):
            slow = ask(synced.settings, query, principal, id=ids[0], ids=ids)
        assert fast.data == slow.data, (type_name, field, principal)
        assert fast.errors == slow.errors, (type_name, field, principal)
        if fast.errors is None:
            assert fast.data["node"] is not None  # (the field itself may be masked to null)
            assert one_pass, f"{type_name} was not completed in one pass"


def _messages(errors: list[Any] | None) -> list[tuple[str, Any]]:
    return [(e.message, e.path) for e in errors or []]


# --- what the one pass cannot apply identically, it leaves to graphql-core -----------------

calls: list[str] = []


class Counted(SchemaExtension):
    """A schema extension that hooks into resolving every field (graphql-core middleware)."""

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(f"middleware {info.field_name}")
        found = _next(root, info, *args, **kwargs)
        return found.upper() if isinstance(found, str) else found


class Denied(BasePermission):
    message = "not for you"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        calls.append(f"permission {info.field_name}")
        return False


class Where(FieldExtension):
    """An extension that reads more of the request than the context: its own field's path."""

    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        calls.append(f"where {info.path.as_list()}")
        return f"{next_(source, info, **kwargs)}@{'.'.join(map(str, info.path.as_list()))}"


class Shouted(Plain):
    def depends_on(self, context: Any) -> Any:
        return None

    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        calls.append("shouted")
        return str(next_(source, info, **kwargs)).upper()


@strawberry.type
class Item:
    name: str
    secret: str | None = strawberry.field(permission_classes=[Denied])
    placed: str = strawberry.field(extensions=[Where()])
    loud: str = strawberry.field(extensions=[Shouted()])


@strawberry.type
class Items:
    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(name=n, secret="s", placed=n, loud=n) for n in "ab"]


def _both(query: str, **extra: Any) -> tuple[Any, Any, list[str], list[str]]:
    calls.clear()
    fast = strawberry.Schema(query=Items, execution_context_class=Executor, **extra)
    fast_answer = fast.execute_sync(query)
    fast_calls = list(calls)
    calls.clear()
    slow_answer = strawberry.Schema(query=Items, **extra).execute_sync(query)
    return fast_answer, slow_answer, fast_calls, list(calls)


@pytest.mark.parametrize(
    "query",
    [
        "{ items { name loud } }",
        "{ items { name secret } }",
        "{ items { name placed } }",
        "{ items { name loud secret placed } }",
    ],
)
def test_middleware_permissions_and_extensions_apply_as_graphql_core_applies_them(
    query: str,
) -> None:
    for extra in ({}, {"extensions": [Counted]}):
        fast, slow, fast_calls, slow_calls = _both(query, **extra)
        assert fast.data == slow.data, (query, extra)
        assert _messages(fast.errors) == _messages(slow.errors), (query, extra)
        assert fast_calls == slow_calls, (query, extra)
    # the middleware ran on every field, the extension saw its own field's path
    fast, _, _, _ = _both("{ items { name placed } }", extensions=[Counted])
    assert fast.data == {
        "items": [
            {"name": "A", "placed": "A@ITEMS.0.PLACED"},
            {"name": "B", "placed": "B@ITEMS.1.PLACED"},
        ]
    }


def test_only_plain_fields_are_completed_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """A declared `Plain` extension is applied by the one pass; a permission class, an
    undeclared extension or a middleware sends the selection to graphql-core."""
    completed: list[str] = []
    made = Executor._object

    def spied(self: Executor, type_: GraphQLObjectType, *args: Any, **kwargs: Any) -> Any:
        done = made(self, type_, *args, **kwargs)
        completed.append(type_.name)
        return done

    monkeypatch.setattr(Executor, "_object", spied)
    for query, extra, one_pass in [
        ("{ items { name loud } }", {}, True),
        ("{ items { name secret } }", {}, False),
        ("{ items { name placed } }", {}, False),
        ("{ items { name loud } }", {"extensions": [Counted]}, False),
    ]:
        completed.clear()
        _both(query, **extra)
        assert ("Item" in completed) is one_pass, (query, extra)
