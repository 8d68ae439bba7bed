"""Look-ahead: what the rest of a query will read, known before its statement runs.

For the root fields that find one entity (`person`, `account`, `case`, ...), the entity
and the page of each of its links the query selects on it come back in one Cypher
statement, which primes the request's DataLoaders: the link fields then resolve from
the cache instead of another round trip each. It is only a cache: a selection it does
not read ahead (under a directive or a fragment on another type, or a page the field
will refuse) is fetched by the field's own resolver as before.

For the answers that draw many entities (paths, neighbourhoods, search hits),
`properties` and `link_properties` say which stored properties the selection reads,
so that the statement fetches only those (`hub.queries.graph.Wanted`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache

from strawberry.types.nodes import SelectedField, Selection
from strawberry.utils.str_converters import to_camel_case

from hub.errors import BadRequest
from hub.queries import entities
from hub.queries.entities import LinkSpec
from resolvers.context import Info, Props
from resolvers.links import LINK_TYPES
from resolvers.pages import window
from resolvers.types import ENTITY_TYPES, Entity, link_fields, spec


def _fields(selections: Iterable[Selection], type_names: set[str]) -> Iterator[SelectedField]:
    for selection in selections:
        if selection.directives:
            continue
        if isinstance(selection, SelectedField):
            yield selection
        elif selection.type_condition is None or selection.type_condition in type_names:
            yield from _fields(selection.selections, type_names)


def selected(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """The fields of a selection, through its fragments, whatever their type condition."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from selected(selection.selections)


def pages(info: Info, cls: type[Entity]) -> list[tuple[LinkSpec, int, int]]:
    """The (spec, skip, take) link pages the current field's selection asks of a `cls`."""
    follows = {to_camel_case(name): what for name, what in link_fields(cls).items()}
    cap = info.context.settings.max_page_size
    wanted: dict[tuple[LinkSpec, int, int], None] = {}
    for field in _fields(info.selected_fields[0].selections, {cls.__name__, "Entity", "Node"}):
        if field.name not in follows:
            continue
        first, after = field.arguments.get("first"), field.arguments.get("after")
        try:
            # a literal comes as its text, a variable as its value
            skip, take = window(None if first is None else int(first), after, cap)
        except BadRequest:
            continue  # the field itself says what is wrong
        wanted[(spec(cls.LABEL, *follows[field.name]), skip, take + 1)] = None
    return list(wanted)


async def find(info: Info, cls: type[Entity], prop: str, value: str) -> Props | None:
    """The `cls` entity whose `prop` is `value`, with the link pages the query selects on
    it read in the same statement (see the module's docstring)."""
    context = info.context
    found = context.nodes_by(cls.LABEL, prop)
    wanted = pages(info, cls)
    if not wanted:
        return await found.load(value)
    props, linked = await entities.with_links(
        context.driver, cls.LABEL, prop, value, wanted, context.scope, **context.read
    )
    found.prime(value, props)
    if props is not None:
        key = cls.key_value_of(props)
        for (link_spec, skip, take), page in zip(wanted, linked, strict=True):
            context.links(link_spec).prime((key, skip, take), page)
    return props


def _graphql_names(cls: type) -> dict[str, str]:
    """GraphQL field name -> Python name, of the fields that hold a value (no resolver)."""
    fields = cls.__strawberry_definition__.fields  # type: ignore[attr-defined]
    return {
        f.graphql_name or to_camel_case(f.python_name): f.python_name
        for f in fields
        if f.base_resolver is None
    }


@cache
def _entity_fields() -> tuple[dict[str, str], frozenset[str], frozenset[str], frozenset[str]]:
    """(field -> property it shows, for every entity type; every type's key; what a
    label shows; the link fields, which read only the key)."""
    shows: dict[str, str] = {}
    linked = {"records"}
    for cls in ENTITY_TYPES:
        renamed = {field: prop for prop, field in cls.RENAMED.items()}
        for name, python in _graphql_names(cls).items():
            prop = renamed.get(python, python)
            if shows.setdefault(name, prop) != prop:  # one name, two meanings: a mistake
                raise AssertionError(f"{name} shows {shows[name]} and {prop}")
        linked |= {to_camel_case(name) for name in link_fields(cls)}
    keys = frozenset(cls.key() for cls in ENTITY_TYPES)
    labels = frozenset(p for cls in ENTITY_TYPES for p in cls.DISPLAY)
    return shows, keys, labels, frozenset(linked)


def _at(selections: Iterable[Selection], path: tuple[str, ...]) -> list[SelectedField]:
    """The fields selected at `path` below `selections`, through every fragment."""
    found = list(_all(selections))
    for name in path:
        found = [f for field in found if field.name == name for f in _all(field.selections)]
    return found


def _all(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from _all(selection.selections)


def properties(info: Info, *path: str) -> frozenset[str] | None:
    """The stored properties the current field's selection reads of the entities at
    `path` (field names below it), whatever their type: the properties its fields
    show, every type's key (ids, links and the audit trail are made of it) and what a
    label shows. None if it selects a field this cannot map (then all are read)."""
    shows, keys, labels, linked = _entity_fields()
    wanted = set(keys)
    for field in _at(info.selected_fields[0].selections, path):
        if field.name in ("__typename", "id", "kind") or field.name in linked:
            continue
        if field.name == "label":
            wanted |= labels
        elif field.name in shows:
            wanted.add(shows[field.name])
        else:
            return None
    return frozenset(wanted)


@cache
def _link_fields() -> dict[str, str]:
    return {name: python for cls in LINK_TYPES for name, python in _graphql_names(cls).items()}


def link_properties(info: Info, *path: str) -> frozenset[str] | None:
    """The stored properties the current field's selection reads of the relationships
    at `path` (as `properties`)."""
    shows = _link_fields()
    wanted = set()
    for field in _at(info.selected_fields[0].selections, path):
        if field.name in ("__typename", "type"):
            continue
        if field.name not in shows:
            return None
        wanted.add(shows[field.name])
    return frozenset(wanted)
