"""GraphQL types of the graph's relationships: each exposes its declared properties
(`tests/resolvers/test_links.py` checks that they agree with graph_schema) and its
provenance."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import strawberry
from neo4j.time import Date, DateTime

from hub.queries import temporal


def native(value: Any) -> Any:
    if isinstance(value, DateTime | Date):
        return value.to_native()
    return value


@strawberry.interface(description="A relationship between two entities, with its provenance.")
class Link:
    TYPES: ClassVar[tuple[str, ...]] = ()

    type: str = strawberry.field(description="The relationship type, e.g. TRANSFERRED.")
    sources: list[str] = strawberry.field(description="Sources that reported it.")
    first_seen: dt.datetime | None = strawberry.field(description="First reported.")
    last_seen: dt.datetime | None = strawberry.field(description="Last reported.")

    @staticmethod
    def resolve_type(obj: Link, *_: Any) -> str:
        """The GraphQL type of a link: its class's (as `Entity.resolve_type`)."""
        return obj.__strawberry_definition__.name  # type: ignore[attr-defined,no-any-return]


@strawberry.type(description="A relationship that carries nothing but its provenance.")
class Plain(Link):
    TYPES = (
        "ABOUT",
        "HANDLED_BY",
        "HAS_PHONE",
        "HOLDS",
        "INCLUDES",
        "OWNS",
        "RECORD_OF",
        "STOPS",
        "WANTED_BY",
        "WITNESS_IN",
    )


@strawberry.type(description="One transfer of money between two accounts.")
class Transfer(Link):
    TYPES = ("TRANSFERRED",)
    txn_id: str
    amount: float | None
    at: dt.datetime | None


@strawberry.type(description="Calls from one phone to another, aggregated.")
class Calls(Link):
    TYPES = ("CALLED",)
    count: int | None
    seconds: int | None
    first_at: dt.datetime | None
    last_at: dt.datetime | None


@strawberry.type(description="A hotel stay or internet-cafe session.")
class Stay(Link):
    TYPES = ("STAYED_AT",)
    checkin: dt.datetime
    checkout: dt.datetime | None
    room: str | None


@strawberry.type(description="A rail journey from a station.")
class Journey(Link):
    TYPES = ("TRAVELLED",)
    at: dt.datetime
    train_no: str | None
    to_station: str | None
    seat: str | None


@strawberry.type(description="A vehicle passing a checkpoint.")
class Pass(Link):
    TYPES = ("PASSED",)
    at: dt.datetime
    direction: str | None


@strawberry.type(description="A person suspected in a case, with their role.")
class Suspect(Link):
    TYPES = ("SUSPECT_IN",)
    role: str | None


@strawberry.type(description="A victim of a case, with their loss in yuan.")
class Victim(Link):
    TYPES = ("VICTIM_IN",)
    loss: float | None


LINK_TYPES: tuple[type[Link], ...] = (Plain, Transfer, Calls, Stay, Journey, Pass, Suspect, Victim)
_BY_TYPE = {t: cls for cls in LINK_TYPES for t in cls.TYPES}
_FIELDS = {
    cls: tuple(f.python_name for f in cls.__strawberry_definition__.fields)  # type: ignore[attr-defined]
    for cls in LINK_TYPES
}


def link(type_: str, props: dict[str, Any]) -> Link:
    """The Link of a relationship of `type_` with these properties."""
    cls = _BY_TYPE[type_]
    values: dict[str, Any] = dict.fromkeys(_FIELDS[cls])  # drawn links often carry none
    for name, raw in props.items():
        if name in values:
            values[name] = temporal.value(name, raw)
    values["type"] = type_
    values["sources"] = props.get("sources") or []
    return cls(**values)
