"""The root types: Query, Mutation and Subscription, each field a thin resolver that
parses, calls one query function and shapes the answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry
from strawberry import relay

from hub import normalise
from hub.errors import BadRequest
from resolvers import ahead, analysis, graph, money, resolution, viewer
from resolvers import alerts as alerting
from resolvers import operations as ops
from resolvers.context import Info
from resolvers.ids import sealed
from resolvers.numbers import number_argument
from resolvers.pages import items_argument
from resolvers.types import BY_LABEL, BankAccount, Case, Entity, Person, Phone, Vehicle, Warrant


async def _by(info: Info, cls: type[Entity], prop: str, value: str | None) -> Entity | None:
    if not value:
        return None
    props = await ahead.find(info, cls, prop, value)
    return None if props is None else cls.from_props(props)


def _doc(resolver: Callable[..., Any]) -> str:
    """A resolver's docstring as the field's description, on one line."""
    return " ".join((resolver.__doc__ or "").split())


def field(resolver: Callable[..., Any]) -> Any:
    return strawberry.field(resolver=resolver, description=_doc(resolver))


def mutation(resolver: Callable[..., Any]) -> Any:
    return strawberry.mutation(resolver=resolver, description=_doc(resolver))


def _normal(kind: str, raw: str, argument: str) -> str:
    """The normal form of a look-up's value; a value that cannot be one (a wrong check
    digit, a card failing Luhn) is a clear error, not an unknown entity."""
    parsed = normalise.normalise(kind, raw)
    if isinstance(parsed, normalise.Invalid):
        raise BadRequest(f"{argument}: {parsed.reason}")
    return parsed.value


async def _nodes(info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
    """The entities of these global ids, in order; None for an id naming nothing the
    asker may see. An id this API never issued is refused (`resolvers.ids.sealed`)."""
    tokens = [
        found if (found := sealed(info, gid)) and found[0] in BY_LABEL else None for gid in ids
    ]
    by_label: dict[str, list[str]] = {}
    for found in tokens:
        if found is not None:
            by_label.setdefault(found[0], []).append(found[1])
    resolved = {
        (label, token): entity
        for label, group in by_label.items()
        for token, entity in zip(
            group, await BY_LABEL[label].resolve_nodes(info=info, node_ids=group), strict=True
        )
    }
    return [None if found is None else resolved[found] for found in tokens]


@strawberry.type
class Query:
    @strawberry.field(description="Any entity by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        (found,) = await _nodes(info, [id])
        return found

    @strawberry.field(description="Entities by their global ids.")
    async def nodes(
        self, info: Info, ids: Annotated[list[strawberry.ID], items_argument()]
    ) -> list[relay.Node | None]:
        return await _nodes(info, ids)

    @strawberry.field(description="The person with this resident ID number, if known.")
    async def person(
        self, info: Info, id_number: Annotated[str, number_argument("resident_id")]
    ) -> Person | None:
        found = await _by(info, Person, "id_number", _normal("resident_id", id_number, "idNumber"))
        return found if isinstance(found, Person) else None

    @strawberry.field(description="The bank card or account with this number, if known.")
    async def account(
        self, info: Info, number: Annotated[str, number_argument("bank_card")]
    ) -> BankAccount | None:
        found = await _by(info, BankAccount, "number", _normal("bank_card", number, "number"))
        return found if isinstance(found, BankAccount) else None

    @strawberry.field(description="The phone with this number (any common form), if known.")
    async def phone(
        self, info: Info, number: Annotated[str, number_argument("phone")]
    ) -> Phone | None:
        found = await _by(info, Phone, "number", _normal("phone", number, "number"))
        return found if isinstance(found, Phone) else None

    @strawberry.field(description="The vehicle with this licence plate, if known.")
    async def vehicle(self, info: Info, plate: str) -> Vehicle | None:
        found = await _by(info, Vehicle, "plate", _normal("plate", plate, "plate"))
        return found if isinstance(found, Vehicle) else None

    @strawberry.field(description="The case with this case number, if known and visible.")
    async def case(self, info: Info, case_no: str) -> Case | None:
        found = await _by(info, Case, "case_no", case_no.strip())
        return found if isinstance(found, Case) else None

    @strawberry.field(description="The warrant with this number, if known.")
    async def warrant(self, info: Info, warrant_no: str) -> Warrant | None:
        found = await _by(info, Warrant, "warrant_no", warrant_no.strip())
        return found if isinstance(found, Warrant) else None

    search = field(graph.resolve_search)
    neighbourhood = field(graph.resolve_neighbourhood)
    paths = field(graph.resolve_paths)
    common_links = field(graph.resolve_common_links)
    money_flow = field(money.resolve_money_flow)
    case_clusters = field(analysis.resolve_case_clusters)
    fugitive_hits = field(analysis.resolve_fugitive_hits)
    co_presence = field(analysis.resolve_co_presence)
    stats = field(analysis.resolve_stats)
    operations = field(ops.resolve_operations)
    operation = field(ops.resolve_operation)
    alerts = field(alerting.resolve_alerts)
    match_persons = field(resolution.match_persons)
    identity = field(resolution.resolve_identity)
    viewer = field(viewer.resolve_viewer)


@strawberry.type
class Mutation:
    create_operation = mutation(ops.create_operation)
    add_to_operation = mutation(ops.add_to_operation)
    remove_from_operation = mutation(ops.remove_from_operation)
    close_operation = mutation(ops.close_operation)
    request_stop_payment = mutation(ops.request_stop_payment)
    set_stop_payment_status = mutation(ops.set_stop_payment_status)
    acknowledge_alert = mutation(alerting.acknowledge_alert)
    resolve_alert = mutation(alerting.resolve_alert)
    trigger_sync = mutation(alerting.trigger_sync)
    decide_same_entity = mutation(resolution.decide_same_entity)


@strawberry.type
class Subscription:
    alerts = strawberry.subscription(
        resolver=alerting.subscribe_alerts, description=_doc(alerting.subscribe_alerts)
    )
