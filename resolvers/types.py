"""GraphQL types of the graph's entities.

Each type mirrors one node type of graph_schema: its fields are the declared
properties in camelCase (`tests/resolvers/test_types.py` checks that they agree), plus
provenance, and its links to other entities as connections whose edges carry the
relationship (`resolvers.links`). A declared property `kind` (of a phone, a place, a
case) is exposed as `category`: `kind` on every entity names its type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Annotated, Any, ClassVar, Self

import strawberry
from strawberry import relay

from graph_schema import schema
from hub.queries import temporal
from hub.queries.entities import LinkSpec
from resolvers.context import Info, Props
from resolvers.links import link
from resolvers.pages import LinkConnection, LinkEdge, cursor, page_info, window

First = Annotated[
    int | None, strawberry.argument(description="Items per page, at most HUB_MAX_PAGE_SIZE.")
]
After = Annotated[
    str | None, strawberry.argument(description="Cursor of the item the page starts after.")
]


def spec(label: str, types: str, direction: str, targets: str) -> LinkSpec:
    return LinkSpec(label, tuple(types.split("|")), direction, tuple(targets.split("|")))


async def linked(
    root: Entity, info: Info, spec: LinkSpec, first: int | None, after: str | None
) -> LinkConnection[Any]:
    """One page of `root`'s links along `spec`, through the request's DataLoader."""
    skip, take = window(first, after, info.context.settings.max_page_size)
    page = await info.context.links(spec).load((root.key_value(), skip, take + 1))
    rows = page.rows[:take]
    edges = [
        LinkEdge(
            cursor=cursor(skip + i),
            node=entity(row["label"], row["props"]),
            link=link(row["type"], row["rel"]),
        )
        for i, row in enumerate(rows)
    ]
    return LinkConnection(
        edges=edges,
        page_info=page_info(skip, len(rows), len(page.rows) > take),
        total_count=page.total,
    )


# The entities built while an operation executes, for its audit event (see
# `resolvers.guard`); None outside an operation.
BUILT: ContextVar[list[Entity] | None] = ContextVar("built", default=None)


@strawberry.interface(description="Any entity of the graph, with where it comes from.")
class Entity(relay.Node):
    """Global ids are the entity's label and key sealed by `hub.ids`: opaque and stable."""

    LABEL: ClassVar[str]
    # Properties that name the entity for a person reading a list, first present wins.
    DISPLAY: ClassVar[tuple[str, ...]] = ()
    # Declared property -> field name, where the declared name is taken by the interface.
    RENAMED: ClassVar[dict[str, str]] = {}

    sources: list[str] = strawberry.field(description="Sources that reported it.")
    first_seen: dt.datetime | None = strawberry.field(description="First reported.")
    last_seen: dt.datetime | None = strawberry.field(description="Last reported.")

    def __post_init__(self) -> None:
        built = BUILT.get()
        if built is not None:
            built.append(self)

    @strawberry.field(description="The entity's type: Person, Phone, BankAccount, ...")
    def kind(self) -> str:
        return self.LABEL

    @strawberry.field(description="A short human-readable name: a person's name, a number.")
    def label(self) -> str:
        for name in self.DISPLAY:
            value = getattr(self, self.RENAMED.get(name, name), None)
            if value:
                return str(value)
        return self.key_value()

    @strawberry.field(description="The source records that describe this entity.")
    async def records(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Record]:
        return await linked(self, info, spec(self.LABEL, "RECORD_OF", "in", "Record"), first, after)

    @classmethod
    def from_props(cls, props: Props) -> Self:
        fields = cls.__strawberry_definition__.fields  # type: ignore[attr-defined]
        wanted = {f.python_name for f in fields if f.base_resolver is None}
        values = {cls.RENAMED.get(k, k): temporal.value(k, v) for k, v in props.items()}
        values = {k: v for k, v in values.items() if k in wanted}
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


@strawberry.type(description="A human being, one node per person across every source.")
class Person(Entity):
    LABEL = "Person"
    DISPLAY = ("name", "name_pinyin")
    uid: str = strawberry.field(description="Canonical person id from identity resolution.")
    name: str | None
    name_pinyin: str | None
    id_number: str | None
    birth_date: dt.date | None
    sex: str | None
    address: str | None

    @strawberry.field(description="Phones the person uses or is registered to.")
    async def phones(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Phone]:
        return await linked(self, info, spec("Person", "HAS_PHONE", "out", "Phone"), first, after)

    @strawberry.field(description="Bank cards and accounts the person holds.")
    async def accounts(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[BankAccount]:
        return await linked(self, info, spec("Person", "HOLDS", "out", "BankAccount"), first, after)

    @strawberry.field(description="Vehicles registered to the person.")
    async def vehicles(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Vehicle]:
        return await linked(self, info, spec("Person", "OWNS", "out", "Vehicle"), first, after)

    @strawberry.field(description="Cases the person is a suspect, victim or witness in.")
    async def cases(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Case]:
        types = "SUSPECT_IN|VICTIM_IN|WITNESS_IN"
        return await linked(self, info, spec("Person", types, "out", "Case"), first, after)

    @strawberry.field(description="Warrants the person is wanted under.")
    async def warrants(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Warrant]:
        return await linked(self, info, spec("Person", "WANTED_BY", "out", "Warrant"), first, after)

    @strawberry.field(description="Hotel stays and internet-cafe sessions, newest first.")
    async def stays(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Place]:
        return await linked(self, info, spec("Person", "STAYED_AT", "out", "Place"), first, after)

    @strawberry.field(description="Rail journeys, from their departure station, newest first.")
    async def journeys(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Place]:
        return await linked(self, info, spec("Person", "TRAVELLED", "out", "Place"), first, after)


@strawberry.type(description="A telephone number (E.164).")
class Phone(Entity):
    LABEL = "Phone"
    DISPLAY = ("number",)
    RENAMED = {"kind": "category"}  # noqa: RUF012
    number: str
    category: str | None = strawberry.field(description="mobile, fixed_line or other.")

    @strawberry.field(description="People who use the phone or are registered to it.")
    async def users(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Person]:
        return await linked(self, info, spec("Phone", "HAS_PHONE", "in", "Person"), first, after)

    @strawberry.field(description="Phones this one called, with call counts and seconds.")
    async def called(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Phone]:
        return await linked(self, info, spec("Phone", "CALLED", "out", "Phone"), first, after)

    @strawberry.field(description="Phones that called this one.")
    async def called_by(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Phone]:
        return await linked(self, info, spec("Phone", "CALLED", "in", "Phone"), first, after)


@strawberry.type(description="A bank card or account.")
class BankAccount(Entity):
    LABEL = "BankAccount"
    DISPLAY = ("number",)
    number: str
    bank: str | None
    status: str | None

    @strawberry.field(description="People who hold the account.")
    async def holders(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Person]:
        return await linked(self, info, spec("BankAccount", "HOLDS", "in", "Person"), first, after)

    @strawberry.field(description="Transfers out of the account, newest first.")
    async def transfers_out(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[BankAccount]:
        s = spec("BankAccount", "TRANSFERRED", "out", "BankAccount")
        return await linked(self, info, s, first, after)

    @strawberry.field(description="Transfers into the account, newest first.")
    async def transfers_in(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[BankAccount]:
        s = spec("BankAccount", "TRANSFERRED", "in", "BankAccount")
        return await linked(self, info, s, first, after)


@strawberry.type(description="A motor vehicle, known by its licence plate.")
class Vehicle(Entity):
    LABEL = "Vehicle"
    DISPLAY = ("plate",)
    plate: str
    model: str | None
    colour: str | None

    @strawberry.field(description="The registered owners.")
    async def owners(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Person]:
        return await linked(self, info, spec("Vehicle", "OWNS", "in", "Person"), first, after)

    @strawberry.field(description="Checkpoint passes, newest first.")
    async def passes(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Place]:
        return await linked(self, info, spec("Vehicle", "PASSED", "out", "Place"), first, after)


@strawberry.type(description="A hotel, internet cafe, railway station, checkpoint or address.")
class Place(Entity):
    LABEL = "Place"
    DISPLAY = ("name", "address")
    RENAMED = {"kind": "category"}  # noqa: RUF012
    place_id: str
    category: str | None = strawberry.field(
        description="hotel, internet_cafe, station, checkpoint or address."
    )
    name: str | None
    address: str | None

    @strawberry.field(description="Who stayed here, newest first.")
    async def stays(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Person]:
        return await linked(self, info, spec("Place", "STAYED_AT", "in", "Person"), first, after)

    @strawberry.field(description="Who left from this station, newest first.")
    async def journeys(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Person]:
        return await linked(self, info, spec("Place", "TRAVELLED", "in", "Person"), first, after)

    @strawberry.field(description="Vehicles that passed this checkpoint, newest first.")
    async def passes(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Vehicle]:
        return await linked(self, info, spec("Place", "PASSED", "in", "Vehicle"), first, after)


@strawberry.type(description="A criminal or fraud case of the case-management system.")
class Case(Entity):
    LABEL = "Case"
    DISPLAY = ("title", "case_no")
    RENAMED = {"kind": "category"}  # noqa: RUF012
    case_no: str
    title: str | None
    category: str | None = strawberry.field(description="theft, robbery, telecom_fraud, ...")
    status: str | None
    accepted_at: dt.datetime | None
    filed_at: dt.datetime | None
    solved_at: dt.datetime | None
    loss: float | None

    @strawberry.field(description="Suspects, victims and witnesses; the link says which.")
    async def people(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Person]:
        types = "SUSPECT_IN|VICTIM_IN|WITNESS_IN"
        return await linked(self, info, spec("Case", types, "in", "Person"), first, after)

    @strawberry.field(description="The unit handling the case.")
    async def units(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Unit]:
        return await linked(self, info, spec("Case", "HANDLED_BY", "out", "Unit"), first, after)

    @strawberry.field(description="Joint operations that include the case.")
    async def operations(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Operation]:
        return await linked(self, info, spec("Case", "INCLUDES", "in", "Operation"), first, after)


@strawberry.type(description="An arrest warrant of the online fugitive list.")
class Warrant(Entity):
    LABEL = "Warrant"
    DISPLAY = ("warrant_no",)
    warrant_no: str
    offence: str | None
    issued_at: dt.datetime | None
    issuing_unit: str | None
    status: str | None

    @strawberry.field(description="The person wanted under the warrant.")
    async def wanted(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Person]:
        return await linked(self, info, spec("Warrant", "WANTED_BY", "in", "Person"), first, after)


@strawberry.type(description="A police unit.")
class Unit(Entity):
    LABEL = "Unit"
    DISPLAY = ("name", "code")
    code: str
    name: str | None

    @strawberry.field(description="Cases the unit handles (those the asker may see).")
    async def cases(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Case]:
        return await linked(self, info, spec("Unit", "HANDLED_BY", "in", "Case"), first, after)


ANY = "Case|Person|Phone|BankAccount|Vehicle|Place|Warrant|Unit"


@strawberry.type(description="A joint operation (合成作战) grouping cases for a cluster strike.")
class Operation(Entity):
    LABEL = "Operation"
    DISPLAY = ("name", "op_id")
    op_id: str
    name: str | None
    status: str | None
    created_at: dt.datetime | None
    closed_at: dt.datetime | None
    members: list[str] | None
    created_by: str | None

    @strawberry.field(description="Cases and entities taken into the operation.")
    async def includes(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Entity]:
        return await linked(self, info, spec("Operation", "INCLUDES", "out", ANY), first, after)


@strawberry.type(description="Something an investigator should look at, raised after a sync.")
class Alert(Entity):
    LABEL = "Alert"
    DISPLAY = ("summary", "alert_id")
    alert_id: str
    rule: str | None
    status: str | None
    raised_at: dt.datetime | None
    summary: str | None

    @strawberry.field(description="The entities the alert is about.")
    async def about(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Entity]:
        return await linked(self, info, spec("Alert", "ABOUT", "out", ANY), first, after)


@strawberry.type(description="A source record kept as it came.")
class Record(Entity):
    LABEL = "Record"
    DISPLAY = ("record_id",)
    record_id: str
    source: str | None
    stream: str | None
    source_id: str | None
    fetched_at: dt.datetime | None
    raw: str | None = strawberry.field(description="The record as the source sent it (JSON).")
    resolved: bool | None = strawberry.field(
        description="Identity resolution has compared it (unset: new since the last run)."
    )

    @strawberry.field(description="The entities the record describes.")
    async def describes(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Entity]:
        return await linked(self, info, spec("Record", "RECORD_OF", "out", ANY), first, after)


@strawberry.type(description="An emergency stop-payment (紧急止付) requested through the hub.")
class StopPayment(Entity):
    LABEL = "StopPayment"
    DISPLAY = ("request_id",)
    request_id: str
    amount: float | None
    reason: str | None
    status: str | None = strawberry.field(description="requested, frozen, failed or released.")
    requested_at: dt.datetime | None
    requested_by: str | None
    unit: str | None = strawberry.field(description="Unit that asked; its supervisor decides.")
    updated_at: dt.datetime | None
    updated_by: str | None

    @strawberry.field(description="The account to stop.")
    async def accounts(
        self, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[BankAccount]:
        s = spec("StopPayment", "STOPS", "out", "BankAccount")
        return await linked(self, info, s, first, after)


ENTITY_TYPES: tuple[type[Entity], ...] = (
    Person,
    Phone,
    BankAccount,
    Vehicle,
    Place,
    Case,
    Warrant,
    Unit,
    Operation,
    Alert,
    Record,
    StopPayment,
)
BY_LABEL: dict[str, type[Entity]] = {t.LABEL: t for t in ENTITY_TYPES}


def entity(label: str, props: Props) -> Entity:
    return BY_LABEL[label].from_props(props)
