"""GraphQL types of the graph's entities.

Each type mirrors one node type of graph_schema: its fields are the declared
properties in camelCase (`tests/resolvers/test_types.py` checks that they agree), plus
provenance, and its links to other entities as connections whose edges carry the
relationship (`resolvers.links`). A declared property `kind` (of a phone, a place, a
case) is exposed as `category`: `kind` on every entity names its type.
"""

from __future__ import annotations

import datetime as dt
import functools
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


def follows(types: str, direction: str, targets: str, description: str) -> Any:
    """The connection field of an entity's links: relationships of `types` ("A|B") in
    `direction` ("out" or "in") to nodes of `targets`. The field keeps what it follows
    in its metadata, so a root field can fetch the first page ahead (`resolvers.ahead`)."""

    async def resolve(
        root: Entity, info: Info, first: First = None, after: After = None
    ) -> LinkConnection[Any]:
        return await linked(root, info, spec(root.LABEL, types, direction, targets), first, after)

    resolve.__annotations__["return"] = f"LinkConnection[{'Entity' if '|' in targets else targets}]"
    return strawberry.field(
        resolver=resolve,
        description=description,
        metadata={"follows": (types, direction, targets)},
    )


def link_fields(cls: type[Entity]) -> dict[str, tuple[str, str, str]]:
    """The link fields of an entity type, by field name: what each follows."""
    return {
        f.python_name: f.metadata["follows"]
        for f in cls.__strawberry_definition__.fields  # type: ignore[attr-defined]
        if "follows" in f.metadata
    }


class Shown:
    """The global ids of the entities an answer kept across requests shows, sealed once
    (`resolvers.cached`): the audit event of every request given it names them, as it
    names the entities built for the request itself."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids = tuple(dict.fromkeys(ids))


# The entities built while an operation executes, and those kept answers show, for its
# audit event (see `resolvers.guard`); None outside an operation.
BUILT: ContextVar[list[Entity | Shown] | None] = ContextVar("built", default=None)


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
        return self.display()

    def display(self) -> str:
        for name in self.DISPLAY:
            value = getattr(self, self.RENAMED.get(name, name), None)
            if value:
                return str(value)
        return self.key_value()

    @staticmethod
    def resolve_type(obj: Entity, *_: Any) -> str:
        """The GraphQL type of an entity: its label (strawberry's own resolution checks
        every possible type, at a cost in every list of entities)."""
        return obj.LABEL

    records = follows("RECORD_OF", "in", "Record", "The source records that describe this entity.")

    @classmethod
    def from_props(cls, props: Props) -> Self:
        values: dict[str, Any] = dict.fromkeys(_stored(cls.LABEL))
        values["sources"] = []
        for name, raw in props.items():
            field = cls.RENAMED.get(name, name)
            if field in values and raw is not None:
                values[field] = temporal.value(name, raw)
        return cls(**values)

    @classmethod
    def key(cls) -> str:
        return _key(cls.LABEL)

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
    ethnicity: str | None
    address: str | None

    phones = follows("HAS_PHONE", "out", "Phone", "Phones the person uses or is registered to.")
    accounts = follows("HOLDS", "out", "BankAccount", "Bank cards and accounts the person holds.")
    vehicles = follows("OWNS", "out", "Vehicle", "Vehicles registered to the person.")
    cases = follows(
        "SUSPECT_IN|VICTIM_IN|WITNESS_IN",
        "out",
        "Case",
        "Cases the person is a suspect, victim or witness in.",
    )
    warrants = follows("WANTED_BY", "out", "Warrant", "Warrants the person is wanted under.")
    stays = follows(
        "STAYED_AT", "out", "Place", "Hotel stays and internet-cafe sessions, newest first."
    )
    journeys = follows(
        "TRAVELLED", "out", "Place", "Rail journeys, from their departure station, newest first."
    )


@strawberry.type(description="A telephone number (E.164).")
class Phone(Entity):
    LABEL = "Phone"
    DISPLAY = ("number",)
    RENAMED = {"kind": "category"}  # noqa: RUF012
    number: str
    category: str | None = strawberry.field(description="mobile, fixed_line or other.")

    users = follows(
        "HAS_PHONE", "in", "Person", "People who use the phone or are registered to it."
    )
    called = follows(
        "CALLED", "out", "Phone", "Phones this one called, with call counts and seconds."
    )
    called_by = follows("CALLED", "in", "Phone", "Phones that called this one.")


@strawberry.type(description="A bank card or account.")
class BankAccount(Entity):
    LABEL = "BankAccount"
    DISPLAY = ("number",)
    number: str
    bank: str | None
    status: str | None

    holders = follows("HOLDS", "in", "Person", "People who hold the account.")
    transfers_out = follows(
        "TRANSFERRED", "out", "BankAccount", "Transfers out of the account, newest first."
    )
    transfers_in = follows(
        "TRANSFERRED", "in", "BankAccount", "Transfers into the account, newest first."
    )


@strawberry.type(description="A motor vehicle, known by its licence plate.")
class Vehicle(Entity):
    LABEL = "Vehicle"
    DISPLAY = ("plate",)
    plate: str
    model: str | None
    colour: str | None

    owners = follows("OWNS", "in", "Person", "The registered owners.")
    passes = follows("PASSED", "out", "Place", "Checkpoint passes, newest first.")


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

    stays = follows("STAYED_AT", "in", "Person", "Who stayed here, newest first.")
    journeys = follows("TRAVELLED", "in", "Person", "Who left from this station, newest first.")
    passes = follows(
        "PASSED", "in", "Vehicle", "Vehicles that passed this checkpoint, newest first."
    )


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

    people = follows(
        "SUSPECT_IN|VICTIM_IN|WITNESS_IN",
        "in",
        "Person",
        "Suspects, victims and witnesses; the link says which.",
    )
    units = follows("HANDLED_BY", "out", "Unit", "The unit handling the case.")
    operations = follows("INCLUDES", "in", "Operation", "Joint operations that include the case.")


@strawberry.type(description="An arrest warrant of the online fugitive list.")
class Warrant(Entity):
    LABEL = "Warrant"
    DISPLAY = ("warrant_no",)
    warrant_no: str
    offence: str | None
    issued_at: dt.datetime | None
    issuing_unit: str | None
    status: str | None

    wanted = follows("WANTED_BY", "in", "Person", "The person wanted under the warrant.")


@strawberry.type(description="A police unit.")
class Unit(Entity):
    LABEL = "Unit"
    DISPLAY = ("name", "code")
    code: str
    name: str | None

    cases = follows("HANDLED_BY", "in", "Case", "Cases the unit handles (those the asker may see).")


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

    includes = follows("INCLUDES", "out", ANY, "Cases and entities taken into the operation.")


@strawberry.type(description="Something an investigator should look at, raised after a sync.")
class Alert(Entity):
    LABEL = "Alert"
    DISPLAY = ("summary", "alert_id")
    alert_id: str
    rule: str | None
    status: str | None
    raised_at: dt.datetime | None
    summary: str | None

    about = follows("ABOUT", "out", ANY, "The entities the alert is about.")


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
    field_errors: str | None = strawberry.field(
        description="Fields identity resolution could not read, one a line; the record is kept."
    )
    resolved: bool | None = strawberry.field(
        description="Identity resolution has compared it (unset: new since the last run)."
    )
    describes = follows("RECORD_OF", "out", ANY, "The entities the record describes.")


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

    accounts = follows("STOPS", "out", "BankAccount", "The account to stop.")


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


@functools.cache
def _key(label: str) -> str:
    return schema().node(label).key


@functools.cache
def _stored(label: str) -> tuple[str, ...]:
    """The fields of the entity type of `label` that hold a property (not resolved)."""
    fields = BY_LABEL[label].__strawberry_definition__.fields  # type: ignore[attr-defined]
    return tuple(f.python_name for f in fields if f.base_resolver is None)


def entity(label: str, props: Props) -> Entity:
    return BY_LABEL[label].from_props(props)
