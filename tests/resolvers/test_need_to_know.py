"""Need-to-know through every field of the API, enumerated, not sampled.

Two units' worlds hold every label and relationship type of graph_schema
(`tests.resolvers.worlds`); every root field is asked every way they allow, every field
below it selected (`tests.resolvers.walk`). An investigator of the first unit gets, from
every field, an answer that shows their unit's restricted material and is exactly the
answer they get once the other unit's restricted material is deleted: absent from every
list and every count, and never a way through.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLType,
    GraphQLUnionType,
    get_named_type,
)
from neo4j import Driver

from graph_schema import schema
from hub import permissions
from hub.access import Principal
from hub.migrate import migrate
from hub.settings import Settings
from resolvers.schema import schema as api
from resolvers.types import BY_LABEL
from tests.conftest import wipe
from tests.resolvers import walk, worlds
from tests.resolvers.worlds import World


@dataclass
class Asked:
    worlds: dict[str, World]
    calls: list[walk.Call]
    full: dict[str, walk.Answer]  # as the own unit's investigator, both worlds in the graph
    pruned: dict[str, walk.Answer]  # the same, the other unit's restricted nodes deleted


def selectable(principal: Principal) -> walk.Selectable:
    table = permissions.table()
    return lambda type_, field: table.may_select(principal.role, type_, field)


@pytest.fixture(scope="module")
def asked(driver: Driver, settings: Settings) -> Iterator[Asked]:
    wipe(driver)
    migrate(driver)
    made = worlds.load(driver)
    own, other = made["own"], made["other"]
    calls = walk.calls(settings, list(made.values()), selectable(own.principal))
    driver.execute_query("CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()")
    full = walk.ask_all(settings, own.principal, calls)
    gs = schema()
    for label, key in other.restricted(gs):
        node = gs.node(label)
        driver.execute_query(
            f"MATCH (n:`{node.label}` {{`{node.key}`: $key}}) DETACH DELETE n", key=key
        )
    driver.execute_query("CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()")
    pruned = walk.ask_all(settings, own.principal, calls)
    yield Asked(made, calls, full, pruned)
    wipe(driver)


def test_every_label_is_an_entity_type_or_unreachable() -> None:
    """A label without a GraphQL type can only stay hidden if nothing leads to it: no
    relationship type touches it and the full-text index leaves it out. (One a field
    shows otherwise, like a judgement through `identity`, has rules that grant it and is
    in the worlds: `worlds.labels`.)"""
    gs = schema()
    searched, _ = gs.fulltext_fields()
    for label in gs.nodes:
        if label in BY_LABEL:
            continue
        touching = [r.type for r in gs.relationships.values() if label in (*r.sources, *r.targets)]
        assert not touching and label not in searched, label
        assert gs.node(label).restricted, f"{label} is public but has no type to show it"


def test_the_worlds_hold_every_label_and_relationship_type(driver: Driver, asked: Asked) -> None:
    gs = schema()
    for world in asked.worlds.values():
        assert set(world.keys) == set(worlds.labels(gs))
    found = {
        r["t"]
        for r in driver.execute_query("MATCH ()-[r]->() RETURN DISTINCT type(r) AS t").records
    }
    assert found == set(gs.relationships)


def test_every_root_query_field_is_walked(asked: Asked) -> None:
    fields = set(api._schema.query_type.fields)  # type: ignore[union-attr]
    may = selectable(asked.worlds["own"].principal)
    assert {c.field for c in asked.calls} == {f for f in fields if may("Query", f)}
    for call in asked.calls:
        answer = asked.full[call.field]
        assert answer.errors is None, (call.field, answer.errors[:3])


def _text(answer: walk.Answer) -> str:
    return json.dumps(answer.data, ensure_ascii=False)


def test_the_other_units_restricted_material_is_in_no_answer(asked: Asked) -> None:
    theirs = asked.worlds["other"].restricted(schema())
    for call in asked.calls:
        text = _text(asked.full[call.field])
        shown = [(label, key) for label, key in theirs if key in text]
        assert not shown, f"{call.field} shows {shown}"


def test_every_answer_is_the_one_without_the_other_units_restricted_material(
    asked: Asked,
) -> None:
    for call in asked.calls:
        full, pruned = asked.full[call.field], asked.pruned[call.field]
        assert pruned.errors is None, (call.field, pruned.errors[:3])
        assert walk.canonical(full.data) == walk.canonical(pruned.data), call.field


def _holds_nodes(type_: GraphQLType, seen: set[str] | None = None) -> bool:
    """Whether an answer of this type can hold an entity (else only figures or words)."""
    named = get_named_type(type_)
    seen = set() if seen is None else seen
    if named.name in seen:
        return False
    seen.add(named.name)
    if named.name in BY_LABEL or named.name == walk.ENTITY:
        return True
    if isinstance(named, GraphQLUnionType):
        return any(_holds_nodes(t, seen) for t in named.types)
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        return any(_holds_nodes(f.type, seen) for f in named.fields.values())
    return False


def test_every_answer_shows_the_askers_own_restricted_material(asked: Asked) -> None:
    mine = asked.worlds["own"].restricted(schema())
    fields = api._schema.query_type.fields  # type: ignore[union-attr]
    figures = {c.field for c in asked.calls if not _holds_nodes(fields[c.field].type)}
    assert figures >= {"stats", "viewer"}
    for call in asked.calls:
        text = _text(asked.full[call.field])
        if call.field in figures:
            continue
        assert any(key in text for _, key in mine), f"{call.field} shows none of {mine}"
    figures = asked.full["stats"].data["a0"]["Stats_figures"]
    counted = {f["Figure_name"]: f["Figure_value"] for f in figures}
    assert counted["casesAccepted"] == 2 and counted["fraudReports"] == 1  # own only
