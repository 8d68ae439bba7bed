"""Every root field of the API, asked every way the worlds allow, selecting every field
below it: documents generated from the GraphQL schema and graph_schema.

`calls` gives one document per root field: the field asked once per argument set (each
an alias), every field of its answer selected (entities through fragments on every
type, each link's first page, entities below links with their own fields only; the
nodes of a traversal with their own fields only, their links being walked through
`node` and `nodes`).
Arguments come from the worlds (`tests.resolvers.worlds`): every node's global id, every
look-up value, every relationship type at once. A root field whose arguments this
module cannot fill fails the test that walks it, naming the argument, so a new field is
walked as soon as its arguments are.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    GraphQLUnionType,
    get_named_type,
)
from graphql.pyutils import Undefined
from neo4j import AsyncGraphDatabase
from strawberry.utils.str_converters import to_snake_case

from graph_schema import schema as graph_schema
from hub import db, ids
from hub.access import Principal
from hub.settings import Settings
from resolvers.context import Context
from resolvers.numbers import sends_a_number
from resolvers.schema import schema
from resolvers.types import BY_LABEL
from tests.resolvers import worlds as made
from tests.resolvers.county import global_id
from tests.resolvers.worlds import AT, NAMES, WORD, World, labels

Selectable = Callable[[str, str], bool]  # (type name, field name) -> may the asker select it
ENTITY = "Entity"


@dataclass
class Call:
    """One root field asked with every argument set: a document and its variables."""

    field: str
    document: str
    variables: dict[str, Any]


def _entity_types(gql: GraphQLSchema) -> list[GraphQLObjectType]:
    entity = gql.get_type(ENTITY)
    assert isinstance(entity, GraphQLInterfaceType)
    return sorted(gql.get_implementations(entity).objects, key=lambda t: t.name)


class Selection:
    """Selection sets of every field a principal may select, entities `depth` deep, as
    named fragments (`fragments`), one per type and level, that the documents share."""

    def __init__(self, gql: GraphQLSchema, may: Selectable, depth: int = 1) -> None:
        self.gql = gql
        self.may = may
        self.depth = depth
        self._made: dict[str, str] = {}

    def fragments(self) -> str:
        return " ".join(self._made.values())

    def of(self, type_: GraphQLType, level: int) -> str:
        named = get_named_type(type_)
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            possible = sorted(self.gql.get_possible_types(named), key=lambda t: t.name)
            return "{ __typename " + " ".join(self._spread(t, level) for t in possible) + " }"
        if not isinstance(named, GraphQLObjectType):
            return ""
        return "{ " + self._spread(named, level) + " }"

    def _spread(self, type_: GraphQLObjectType, level: int) -> str:
        name = f"{type_.name}_{level}"
        if name not in self._made:
            self._made[name] = ""  # a type may lead back to itself
            self._made[name] = f"fragment {name} on {type_.name} {self._fields(type_, level)}"
        return f"...{name}"

    def _fields(self, named: GraphQLObjectType, level: int) -> str:
        entity = any(i.name == ENTITY for i in named.interfaces)
        fields = ["__typename"]
        for name, field in named.fields.items():
            if not self.may(named.name, name):
                continue
            inner = get_named_type(field.type)
            if isinstance(inner, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
                deeper = level + 1 if entity else level
                if entity and deeper > self.depth:
                    continue  # entities below the last level: their own fields only
                args = "(first: 100)" if "first" in field.args else ""
                fields.append(f"{named.name}_{name}: {name}{args} {self.of(field.type, deeper)}")
            else:  # aliased by type: fields of one name may differ in type (Link.at)
                fields.append(f"{named.name}_{name}: {name}")
        return "{ " + " ".join(fields) + " }"


def _type_text(type_: GraphQLType) -> str:
    return str(type_)


def _ids(
    settings: Settings, worlds: Iterable[World], only: Iterable[str] | None = None, each: int = 2
) -> list[str]:
    """Global ids of the first `each` nodes of every entity label (of `only`) in the
    worlds: the hub gives no other label an id."""
    chosen = set(only) if only is not None else None
    return [
        global_id(settings, label, key)
        for world in worlds
        for label, keys in world.keys.items()
        if (chosen is None or label in chosen) and label in BY_LABEL
        for key in keys[:each]
    ]


def _label_of(field: GraphQLField) -> str | None:
    named = get_named_type(field.type)
    return named.name if named.name in graph_schema().nodes else None


def _values(
    name: str,
    arg_type: GraphQLType,
    field: GraphQLField,
    settings: Settings,
    worlds: list[World],
    numbers: bool = True,
) -> list[Any] | None:
    """The values to try for one argument; None: leave it out."""
    named = get_named_type(arg_type)
    listed = isinstance(arg_type, GraphQLNonNull) and isinstance(arg_type.of_type, GraphQLList)
    listed = listed or isinstance(arg_type, GraphQLList)
    gs = graph_schema()
    if name == "relationshipTypes":
        return [sorted(gs.relationships)]
    if name == "first":  # a page: the largest allowed; a count with a default: that
        default = field.args[name].default_value
        return [min(100, settings.max_page_size) if default in (None, Undefined) else default]
    if name.startswith("min") and named.name == "Int":  # a threshold: the lowest, 1
        return [1]
    if name == "depth":
        return [settings.neighbourhood_depth]
    if name == "maxHops":
        return [min(settings.max_hops, settings.max_money_hops)]
    if named.name == "ID":  # ids of the label the field returns or the argument names
        named_label = name[:1].upper() + name[1:]
        label = named_label if named_label in gs.nodes else _label_of(field)
        only = [label] if label in gs.nodes else None
        if listed:  # all at once, and each label's nodes of both worlds together
            every = _ids(settings, worlds, only)
            return [every] + [_ids(settings, worlds, [e]) for e in labels(gs) if e in BY_LABEL]
        return _ids(settings, worlds, only, each=1)  # a node of every label of each world
    if named.name == "DateTime":
        day = {"from": AT.replace(hour=0), "to": AT.replace(hour=23)}
        return [day[name].isoformat()] if name in day else None
    if named.name == "String" and not listed:
        label = _label_of(field)
        prop = to_snake_case(name)
        if label is not None and prop in gs.node(label).properties:
            return _property_values(worlds, label, prop)
        if name == "text":
            return [WORD]
        if name == "account" and not numbers:
            return _ids(settings, worlds, ["BankAccount"], each=1)
        if name == "account":
            return [card for w in worlds for card in w.cards]
    if isinstance(named, GraphQLInputObjectType):  # an outside person record
        return [[{"name": NAMES[w.name][0], "idNumber": w.ids[0]} for w in worlds]]
    if not isinstance(arg_type, GraphQLNonNull) or field.args[name].default_value is not Undefined:
        return None
    raise LookupError(name)


def _property_values(worlds: list[World], label: str, prop: str) -> list[Any]:
    """The values the worlds gave a property of `label` nodes."""
    gs = graph_schema()
    node = gs.node(label)
    if prop == node.key:
        return [key for w in worlds for key in w.keys[label]]
    return [made.value(gs, w, node, node.properties[prop], i) for w in worlds for i in range(2)]


def calls(
    settings: Settings, worlds: list[World], may: Selectable, depth: int = 1, numbers: bool = True
) -> list[Call]:
    """A call of every root query field the principal may select; without `numbers`
    (a role that may not send a personal number), accounts named by id and no call of a
    field that can only be asked with a number (`resolvers.numbers`)."""
    gql = schema._schema
    assert gql.query_type is not None
    out = []
    for name, field in gql.query_type.fields.items():
        # A traversal answers with many nodes: their own fields; every node's links are
        # walked through `node` and `nodes`.
        select = Selection(gql, may, 0 if "relationshipTypes" in field.args else depth)
        if not may("Query", name):
            continue
        options: dict[str, list[Any]] = {}
        for arg, spec in field.args.items():
            try:
                values = _values(arg, spec.type, field, settings, worlds, numbers)
            except LookupError:
                raise LookupError(f"walk.py cannot fill {name}({arg}): teach _values") from None
            if values is not None:
                options[arg] = values
        if not numbers and sends_a_number(options):
            continue
        combos = _combos(options)
        variables: dict[str, Any] = {}
        declared, asked = [], []
        for n, combo in enumerate(combos):
            args = []
            for arg, value in combo.items():
                var = f"{arg}{n}"
                variables[var] = value
                declared.append(f"${var}: {_type_text(field.args[arg].type)}")
                args.append(f"{arg}: ${var}")
            call = f"{name}({', '.join(args)})" if args else name
            asked.append(f"a{n}: {call} {select.of(field.type, 0)}")
        head = f"query({', '.join(declared)})" if declared else "query"
        document = f"{head} {{ {' '.join(asked)} }} {select.fragments()}"
        out.append(Call(name, document, variables))
    return out


def _combos(options: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Argument sets: each argument's values in turn, the others at their first value
    (two ID arguments: the first one fixed at the first node)."""
    if not options:
        return [{}]
    longest = max(options, key=lambda k: len(options[k]))
    return [{k: (v if k == longest else options[k][0]) for k in options} for v in options[longest]]


@dataclass
class Answer:
    data: Any
    errors: list[dict[str, Any]] | None


def ask_all(settings: Settings, principal: Principal, asked: list[Call]) -> dict[str, Answer]:
    """Every call's answer as `principal`, through the schema, against the real Neo4j."""
    roomy = dataclasses.replace(
        settings,
        max_depth=64,
        max_aliases=10**9,
        max_tokens=10**9,
        max_cost=10**15,
        query_timeout=120.0,
    )

    async def run() -> dict[str, Answer]:
        uri, auth = db.credentials(roomy)
        out = {}
        async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
            for call in asked:
                context = Context(
                    settings=roomy, driver=driver, ids=ids.codec(roomy), principal=principal
                )
                result = await schema.execute(
                    call.document, variable_values=call.variables, context_value=context
                )
                errors = [e.formatted for e in result.errors] if result.errors else None
                out[call.field] = Answer(result.data, errors)
        return out

    return asyncio.run(run())


def canonical(value: Any) -> str:
    """An answer as text without what may differ between two graphs holding the same
    visible nodes: search scores (Lucene weighs a word by how many documents hold it),
    item cursors, when a kept answer was computed (`Freshness`), and the order of lists."""
    if isinstance(value, dict):
        kept = sorted(
            (json.dumps(k), canonical(v))
            for k, v in value.items()
            if k.rsplit("_", 1)[-1] not in ("score", "cursor") and not k.startswith("Freshness_")
        )
        return "{" + ",".join(f"{k}:{v}" for k, v in kept) + "}"
    if isinstance(value, list):
        return "[" + ",".join(sorted(canonical(v) for v in value)) + "]"
    return json.dumps(value, ensure_ascii=False)
