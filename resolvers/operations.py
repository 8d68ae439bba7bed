"""Joint operations and stop-payment requests: queries and mutations."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from hub import normalise
from hub.queries import operations, stop_payments
from resolvers.context import Info
from resolvers.errors import Conflict, InvalidInput, NotFound
from resolvers.ids import parse
from resolvers.numbers import number_argument
from resolvers.pages import Connection, Edge, cursor, page_info, window
from resolvers.types import Operation, StopPayment


@strawberry.type(description="An operation after a change, with how many items it includes.")
class OperationPayload:
    operation: Operation
    size: int


@strawberry.type(description="A stop-payment request after a change.")
class StopPaymentPayload:
    stop_payment: StopPayment


@strawberry.enum(description="Where a stop-payment request can move.")
class StopPaymentStatus(Enum):
    FROZEN = "frozen"
    FAILED = "failed"
    RELEASED = "released"


OperationResult = Annotated[
    OperationPayload | InvalidInput | NotFound | Conflict, strawberry.union("OperationResult")
]
StopPaymentResult = Annotated[
    StopPaymentPayload | InvalidInput | NotFound | Conflict, strawberry.union("StopPaymentResult")
]


async def resolve_operations(
    info: Info, status: str | None = None, first: int | None = None, after: str | None = None
) -> Connection[Operation]:
    """Joint operations the asker is a member of (all, for analysts), newest first."""
    skip, take = window(first, after, info.context.settings.max_page_size)
    rows = await operations.listed(
        info.context.driver, status, skip, take + 1, info.context.scope, **info.context.read
    )
    edges = [
        Edge(cursor=cursor(skip + i), node=Operation.from_props(p))
        for i, p in enumerate(rows[:take])
    ]
    return Connection(
        edges=edges, page_info=page_info(skip, len(edges), len(rows) > take), total_count=None
    )


async def resolve_operation(info: Info, id: strawberry.ID) -> Operation | None:
    """One joint operation by its id."""
    found = parse(info, id, frozenset({"Operation"}))
    if found is None:
        return None
    props = await operations.get(
        info.context.driver, found[1], info.context.scope, **info.context.read
    )
    return None if props is None else Operation.from_props(props)


def _items(info: Info, ids: list[strawberry.ID]) -> list[tuple[str, str]] | InvalidInput:
    allowed = operations.includable()
    items, bad = [], []
    for gid in ids:
        found = parse(info, gid, allowed, strict=False)
        if found is None:
            bad.append(gid)
        else:
            items.append(found)
    if bad:
        return InvalidInput(
            message=f"not ids of {', '.join(sorted(allowed))} this hub knows: {bad}", field="ids"
        )
    return items


async def _missing(info: Info, op_id: str, gid: str) -> NotFound | Conflict:
    """Why an operation could not be changed: it is closed, or not there for the asker."""
    props = await operations.get(
        info.context.driver, op_id, info.context.scope, **info.context.read
    )
    if props is None:
        return NotFound(message="no such operation", id=gid)
    return Conflict(message=f"the operation is {props['status']}", status=props["status"])


async def create_operation(
    info: Info, name: str, members: list[str] | None = None, ids: list[strawberry.ID] | None = None
) -> OperationResult:
    """Open a joint operation; the asker is a member. `ids`: cases and entities to include."""
    if not name.strip():
        return InvalidInput(message="an operation needs a name", field="name")
    items = _items(info, ids or [])
    if isinstance(items, InvalidInput):
        return items
    ctx = info.context
    props = await operations.create(
        ctx.driver, name.strip(), members or [], ctx.principal.user, **ctx.read
    )
    if items:
        changed, size = await operations.include(
            ctx.driver, props["op_id"], items, True, ctx.scope, **ctx.read
        )
        props = changed or props
    else:
        size = 0
    return OperationPayload(operation=Operation.from_props(props), size=size)


async def _include(
    info: Info, operation: strawberry.ID, ids: list[strawberry.ID], add: bool
) -> OperationResult:
    found = parse(info, operation, frozenset({"Operation"}), strict=False)
    if found is None:
        return NotFound(message="no such operation", id=operation)
    items = _items(info, ids)
    if isinstance(items, InvalidInput):
        return items
    ctx = info.context
    props, size = await operations.include(ctx.driver, found[1], items, add, ctx.scope, **ctx.read)
    if props is None:
        return await _missing(info, found[1], operation)
    return OperationPayload(operation=Operation.from_props(props), size=size)


async def add_to_operation(
    info: Info, operation: strawberry.ID, ids: list[strawberry.ID]
) -> OperationResult:
    """Take cases and entities (those the asker may see) into an open operation."""
    return await _include(info, operation, ids, True)


async def remove_from_operation(
    info: Info, operation: strawberry.ID, ids: list[strawberry.ID]
) -> OperationResult:
    """Take cases and entities out of an open operation."""
    return await _include(info, operation, ids, False)


async def close_operation(info: Info, operation: strawberry.ID) -> OperationResult:
    """Close an operation: its members no longer see its cases through it."""
    found = parse(info, operation, frozenset({"Operation"}), strict=False)
    if found is None:
        return NotFound(message="no such operation", id=operation)
    ctx = info.context
    props = await operations.close(ctx.driver, found[1], ctx.scope, **ctx.read)
    if props is None:
        return await _missing(info, found[1], operation)
    return OperationPayload(operation=Operation.from_props(props), size=0)


async def request_stop_payment(
    info: Info,
    account: Annotated[str, number_argument("bank_card")],
    amount: float,
    reason: str,
) -> StopPaymentResult:
    """Request an emergency stop-payment on an account."""
    parsed = normalise.bank_card(account)
    if isinstance(parsed, normalise.Invalid):
        return InvalidInput(message=f"account: {parsed.reason}", field="account")
    if not amount > 0:
        return InvalidInput(message="amount must be more than zero", field="amount")
    if not reason.strip():
        return InvalidInput(message="a stop-payment needs a reason", field="reason")
    ctx = info.context
    props = await stop_payments.request(
        ctx.driver,
        parsed.value,
        amount,
        reason.strip(),
        ctx.principal.user,
        ctx.principal.unit,
        **ctx.read,
    )
    if props is None:
        return NotFound(message="no such account", id=account)
    return StopPaymentPayload(stop_payment=StopPayment.from_props(props))


async def set_stop_payment_status(
    info: Info, request: strawberry.ID, status: StopPaymentStatus
) -> StopPaymentResult:
    """Record what became of a request: frozen or failed, and a frozen one released."""
    found = parse(info, request, frozenset({"StopPayment"}), strict=False)
    ctx = info.context
    props = (
        None
        if found is None
        else await stop_payments.get(ctx.driver, found[1], ctx.scope, **ctx.read)
    )
    if found is None or props is None:
        return NotFound(message="no such stop-payment request", id=request)
    current = props["status"]
    if status.value not in stop_payments.TRANSITIONS.get(current, frozenset()):
        return Conflict(message=f"a {current} request cannot become {status.value}", status=current)
    changed = await stop_payments.change(
        ctx.driver, found[1], current, status.value, ctx.principal.user, ctx.scope, **ctx.read
    )
    if changed is None:
        return Conflict(message="the request changed meanwhile; look again", status=None)
    return StopPaymentPayload(stop_payment=StopPayment.from_props(changed))
