"""GraphQL types of the graph's entities.

Each type mirrors one node type of graph_schema: its fields are the declared
properties in camelCase (`tests/resolvers/test_types.py` checks that they agree), plus
provenance and the relationships investigators follow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, ClassVar, Self

import strawberry
from neo4j.time import Date, DateTime
from strawberry import relay

from graph_schema import schema
from resolvers.context import Info, Props


def _native(value: Any) -> Any:
    if isinstance(value, DateTime | Date):
        return value.to_native()
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@strawberry.interface(description="Any entity of the graph, with where it comes from.")
class Entity(relay.Node):
    """Global ids are the entity's label and key sealed by `hub.ids`: opaque and stable."""

    LABEL: ClassVar[str]

    sources: list[str] = strawberry.field(description="Sources that reported it.")
    first_seen: dt.datetime | None = strawberry.field(description="First reported.")
    last_seen: dt.datetime | None = strawberry.field(description="Last reported.")

    @classmethod
    def from_props(cls, props: Props) -> Self:
        fields = cls.__strawberry_definition__.fields  # type: ignore[attr-defined]
        wanted = {f.python_name for f in fields if f.base_resolver is None}
        values = {k: _native(v) for k, v in props.items() if k in wanted}
        values.setdefault("sources", [])
        for name in wanted - values.keys():
            values[name] = None
        return cls(**values)

    @classmethod
    def key(cls) -> str:
        return schema().node(cls.LABEL).key

    def key_value(self) -> str:
        return str(getattr(self, self.key()))

    @classmethod
    def resolve_id(cls, root: Self, *, info: Info) -> str:
        return info.context.ids.encode(cls.LABEL, root.key_value())

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        keys = [info.context.ids.decode(cls.LABEL, token) for token in node_ids]
        loader = info.context.nodes_by(cls.LABEL, cls.key())
        found = await loader.load_many([k for k in keys if k is not None])
        by_key = {cls.key_value_of(props): props for props in found if props is not None}
        return [cls.from_props(by_key[k]) if k is not None and k in by_key else None for k in keys]

    @classmethod
    def key_value_of(cls, props: Props) -> str:
        return str(props[cls.key()])


@strawberry.type(description="A telephone number (E.164).")
class Phone(Entity):
    LABEL = "Phone"
    number: str
    kind: str | None


@strawberry.type(description="A bank card or account.")
class BankAccount(Entity):
    LABEL = "BankAccount"
    number: str
    bank: str | None
    status: str | None


@strawberry.type(description="A human being, one node per person across every source.")
class Person(Entity):
    LABEL = "Person"
    uid: str = strawberry.field(description="Canonical person id from identity resolution.")
    name: str | None
    name_pinyin: str | None
    id_number: str | None
    birth_date: dt.date | None
    sex: str | None
    address: str | None

    @strawberry.field(description="Phones the person uses or is registered to.")
    async def phones(self, info: Info) -> list[Phone]:
        found = await info.context.neighbours("Person", "HAS_PHONE", "Phone").load(self.key_value())
        return [Phone.from_props(p) for p in found]

    @strawberry.field(description="Bank cards and accounts the person holds.")
    async def accounts(self, info: Info) -> list[BankAccount]:
        found = await info.context.neighbours("Person", "HOLDS", "BankAccount").load(
            self.key_value()
        )
        return [BankAccount.from_props(p) for p in found]


ENTITY_TYPES: tuple[type[Entity], ...] = (Person, Phone, BankAccount)
