"""Look-ahead for the root fields that find one entity (`person`, `account`, `case`, ...).

The entity and the page of each of its links the query selects on it come back in one
Cypher statement, which primes the request's DataLoaders: the link fields then resolve
from the cache instead of another round trip each. It is only a cache: a selection it
does not read ahead (under a directive or a fragment on another type, or a page the
field will refuse) is fetched by the field's own resolver as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from strawberry.types.nodes import SelectedField, Selection
from strawberry.utils.str_converters import to_camel_case

from hub.errors import BadRequest
from hub.queries import entities
from hub.queries.entities import LinkSpec
from resolvers.context import Info, Props
from resolvers.pages import window
from resolvers.types import Entity, link_fields, spec


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
