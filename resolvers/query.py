"""The root Query type: thin resolvers that parse, look up and shape."""

from __future__ import annotations

import strawberry
from strawberry import relay

from hub import normalise
from resolvers.context import Info
from resolvers.types import Person


@strawberry.type
class Query:
    node: relay.Node | None = relay.node(description="Any entity by its global id.")

    @strawberry.field(description="The person with this resident ID number, if known.")
    async def person(self, info: Info, id_number: str) -> Person | None:
        parsed = normalise.resident_id(id_number)
        if isinstance(parsed, normalise.Invalid):
            return None
        props = await info.context.nodes_by("Person", "id_number").load(parsed.value)
        return None if props is None else Person.from_props(props)
