"""moneyFlow: a thin resolver over `hub.queries.money`."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry

from hub import normalise
from hub.errors import BadRequest
from hub.queries import money
from resolvers.context import Info
from resolvers.ids import sealed
from resolvers.links import native
from resolvers.numbers import number_argument
from resolvers.types import BankAccount


@strawberry.enum(description="Which way to follow the money.")
class Direction(Enum):
    FORWARD = "forward"
    BACKWARD = "backward"


@strawberry.type(description="One transfer of the tree.")
class FlowTransfer:
    txn_id: str
    from_account: str
    to_account: str
    amount: float | None
    at: dt.datetime
    hop: int = strawberry.field(description="1 for a transfer out of (into) the start account.")


@strawberry.type(description="An account the money reached.")
class FlowAccount:
    account: BankAccount
    hop: int
    amount: float = strawberry.field(
        description="The sum of the tree's transfers into it (out of it, backward)."
    )
    reached_at: dt.datetime | None = strawberry.field(
        description="When money first reached it along the tree (last left it, backward)."
    )


@strawberry.type(description="An account where the money stopped.")
class EndAccount:
    account: BankAccount
    amount: float
    outcome: str = strawberry.field(
        description="cash_out (withdrawn), frozen (held by a stop-payment) or unknown."
    )


@strawberry.type(description="The time-respecting tree of transfers from (or into) an account.")
class MoneyFlow:
    start: BankAccount
    transfers: list[FlowTransfer]
    accounts: list[FlowAccount]
    end_accounts: list[EndAccount]
    truncated: bool = strawberry.field(
        description="Hops (maxHops) or transfers (HUB_MAX_RESULTS) ran out before the money "
        "stopped."
    )


def _number(info: Info, account: str) -> str:
    """The account's number: `account` is a card or account number, or an account's id
    (how a role that sees numbers masked names one)."""
    named = sealed(info, account, strict=False)
    if named is not None and named[0] == "BankAccount":
        key = info.context.ids.decode(*named)
        if key is None:
            raise BadRequest("account: the id is not one of this hub's accounts")
        return key
    parsed = normalise.bank_card(account)
    if isinstance(parsed, normalise.Invalid):
        raise BadRequest(f"account: {parsed.reason}")
    return parsed.value


async def resolve_money_flow(
    info: Info,
    account: Annotated[
        str, number_argument("bank_card", "A card or account number, or the account's id.")
    ],
    direction: Direction = Direction.FORWARD,
    max_hops: int = 6,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    min_amount: float = 0.0,
) -> MoneyFlow | None:
    """Follow transfers forward (or backward) in time from an account: each hop after the
    one before it and within [since, until]."""
    settings = info.context.settings
    if not 1 <= max_hops <= settings.max_money_hops:
        raise BadRequest(
            f"maxHops must be between 1 and {settings.max_money_hops} (HUB_MAX_MONEY_HOPS), "
            f"not {max_hops}"
        )
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise BadRequest(f"{name} needs a time zone offset, e.g. 2026-10-01T00:00:00+08:00")
    if since and until and since > until:
        raise BadRequest("since is after until")
    forward = direction is Direction.FORWARD
    found = await money.flow(
        info.context.driver, _number(info, account), forward, max_hops, since, until, min_amount,
        settings.max_results, info.context.scope, **info.context.read,
    )  # fmt: skip
    if found.start is None:
        return None
    transfers = list(found.transfers.values())
    amounts: dict[str, float] = {}
    for t in transfers:
        reached = t["to"] if forward else t["from_"]
        amounts[reached] = amounts.get(reached, 0.0) + (t["amount"] or 0.0)
    # the most money first, never in the order of the accounts' numbers (an analyst
    # would read the hidden digits from it)
    ends = sorted(money.ends(found, forward), key=lambda n: -amounts.get(n, 0.0))
    return MoneyFlow(
        start=BankAccount.from_props(found.start),
        transfers=[
            FlowTransfer(
                txn_id=t["txn_id"],
                from_account=t["from_"],
                to_account=t["to"],
                amount=t["amount"],
                at=native(t["at"]),
                hop=t["hop"],
            )
            for t in transfers
        ],
        accounts=[
            FlowAccount(
                account=BankAccount.from_props(props),
                hop=found.hops[number],
                amount=round(amounts.get(number, 0.0), 2),
                reached_at=native(found.reached_at.get(number)),
            )
            for number, props in found.accounts.items()
        ],
        end_accounts=[
            EndAccount(
                account=BankAccount.from_props(found.accounts[n]),
                amount=round(amounts.get(n, 0.0), 2),
                outcome=found.outcomes.get(n, "unknown"),
            )
            for n in ends
        ],
        truncated=found.truncated,
    )
