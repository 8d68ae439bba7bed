"""Personal numbers partly masked for roles without the personal-data permission.

Driven by graph_schema: every field of an entity type whose property is declared
`personal: true` gets `MaskPersonal` when the schema is built (`apply`), so a new type
is masked without a line of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any

from graph_schema import Property
from hub import masking
from hub.permissions import table
from resolvers.executor import Plain
from resolvers.types import Entity


class MaskPersonal(Plain):
    """What it shows depends on the value and on whether the asker's role sees personal
    data: nothing else of the request (`Plain`, applied by the executor's one pass)."""

    def __init__(self, prop: Property) -> None:
        self.prop = prop

    def _shown(self, value: Any, source: Any, info: Any) -> Any:
        if value is None or table().sees_personal_data(info.context.principal.role):
            return value
        if self.prop.source_record:
            mappings = info.context.settings.mappings_dir
            return masking.shown_record(value, source.key_value(), mappings)
        return masking.mask_value(value, self.prop)

    def depends_on(self, context: Any) -> Hashable:
        sees = table().sees_personal_data(context.principal.role)
        if self.prop.source_record and not sees:  # and on the mappings in use
            return sees, id(masking.stream_columns(context.settings.mappings_dir))
        return sees

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        return self._shown(next_(source, info, **kwargs), source, info)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        return self._shown(await next_(source, info, **kwargs), source, info)


def _subclasses(base: type[Entity]) -> Iterable[type[Entity]]:
    for sub in base.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def apply() -> None:
    """Add MaskPersonal to every personal field of every entity type (once)."""
    for type_ in _subclasses(Entity):
        label = getattr(type_, "LABEL", None)
        definition = getattr(type_, "__strawberry_definition__", None)
        if label is None or definition is None:
            continue
        for field in definition.fields:
            prop = masking.personal(label, field.python_name)
            if prop is None or any(isinstance(e, MaskPersonal) for e in field.extensions):
                continue
            field.extensions.append(MaskPersonal(prop))
