"""The root types: Query, Mutation and Subscription, each field a thin resolver that
parses, calls one query function and shapes the answer."""

from __future__ import annotations

import strawberry
from strawberry import relay

from hub import normalise
from resolvers import alerts as alerting
from resolvers import analysis, graph, money
from resolvers import operations as ops
from resolvers.context import Info
from resolvers.types import BankAccount, Case, Entity, Person, Phone, Vehicle, Warrant


async def _by(info: Info, cls: type[Entity], prop: str, value: str | None) -> Entity | None:
    if not value:
        return None
    props = await info.context.nodes_by(cls.LABEL, prop).load(value)
    return None if props is None else cls.from_props(props)


def _normal(kind: str, raw: str) -> str | None:
    parsed = normalise.normalise(kind, raw)
    return None if isinstance(parsed, normalise.Invalid) else parsed.value


@strawberry.type
class Query:
    node: relay.Node | None = relay.node(description="Any entity by its global id.")
    nodes: list[relay.Node | None] = relay.node(description="Entities by their global ids.")

    @strawberry.field(description="The person with this resident ID number, if known.")
    async def person(self, info: Info, id_number: str) -> Person | None:
        found = await _by(info, Person, "id_number", _normal("resident_id", id_number))
        return found if isinstance(found, Person) else None

    @strawberry.field(description="The bank card or account with this number, if known.")
    async def account(self, info: Info, number: str) -> BankAccount | None:
        found = await _by(info, BankAccount, "number", _normal("bank_card", number))
        return found if isinstance(found, BankAccount) else None

    @strawberry.field(description="The phone with this number (any common form), if known.")
    async def phone(self, info: Info, number: str) -> Phone | None:
        found = await _by(info, Phone, "number", _normal("phone", number))
        return found if isinstance(found, Phone) else None

    @strawberry.field(description="The vehicle with this licence plate, if known.")
    async def vehicle(self, info: Info, plate: str) -> Vehicle | None:
        found = await _by(info, Vehicle, "plate", _normal("plate", plate))
        return found if isinstance(found, Vehicle) else None

    @strawberry.field(description="The case with this case number, if known and visible.")
    async def case(self, info: Info, case_no: str) -> Case | None:
        found = await _by(info, Case, "case_no", case_no.strip())
        return found if isinstance(found, Case) else None

    @strawberry.field(description="The warrant with this number, if known.")
    async def warrant(self, info: Info, warrant_no: str) -> Warrant | None:
        found = await _by(info, Warrant, "warrant_no", warrant_no.strip())
        return found if isinstance(found, Warrant) else None

    search = strawberry.field(resolver=graph.resolve_search)
    neighbourhood = strawberry.field(resolver=graph.resolve_neighbourhood)
    paths = strawberry.field(resolver=graph.resolve_paths)
    common_links = strawberry.field(resolver=graph.resolve_common_links)
    money_flow = strawberry.field(resolver=money.resolve_money_flow)
    case_clusters = strawberry.field(resolver=analysis.resolve_case_clusters)
    fugitive_hits = strawberry.field(resolver=analysis.resolve_fugitive_hits)
    co_presence = strawberry.field(resolver=analysis.resolve_co_presence)
    stats = strawberry.field(resolver=analysis.resolve_stats)
    operations = strawberry.field(resolver=ops.resolve_operations)
    operation = strawberry.field(resolver=ops.resolve_operation)
    alerts = strawberry.field(resolver=alerting.resolve_alerts)


@strawberry.type
class Mutation:
    create_operation = strawberry.mutation(resolver=ops.create_operation)
    add_to_operation = strawberry.mutation(resolver=ops.add_to_operation)
    remove_from_operation = strawberry.mutation(resolver=ops.remove_from_operation)
    close_operation = strawberry.mutation(resolver=ops.close_operation)
    request_stop_payment = strawberry.mutation(resolver=ops.request_stop_payment)
    set_stop_payment_status = strawberry.mutation(resolver=ops.set_stop_payment_status)
    acknowledge_alert = strawberry.mutation(resolver=alerting.acknowledge_alert)
    resolve_alert = strawberry.mutation(resolver=alerting.resolve_alert)
    trigger_sync = strawberry.mutation(resolver=alerting.trigger_sync)


@strawberry.type
class Subscription:
    alerts = strawberry.subscription(resolver=alerting.subscribe_alerts)
