"""Emergency stop-payment requests (紧急止付) and their status changes."""

from __future__ import annotations

import uuid
from typing import Any

from neo4j import AsyncDriver

from hub import scope as scoping
from hub.access import visible
from hub.queries.entities import Scope, read, write

# status -> the statuses it may change to
TRANSITIONS = {
    "requested": frozenset({"frozen", "failed"}),
    "frozen": frozenset({"released"}),
    "failed": frozenset(),
    "released": frozenset(),
}


async def request(
    driver: AsyncDriver,
    number: str,
    amount: float,
    reason: str,
    by: str,
    unit: str | None,
    timeout: float,
    database: str | None = None,
) -> dict[str, Any] | None:
    """A new request for the account, belonging to the requester's unit (its scope, written
    as it is created); None if the account is unknown."""
    scoped = scoping.assign("s", "StopPayment")
    rows = await write(
        driver,
        "MATCH (a:BankAccount {number: $number}) "
        "CREATE (s:StopPayment {request_id: $id, amount: $amount, reason: $reason, "
        "status: 'requested', requested_at: datetime(), requested_by: $by, unit: $unit, "
        "updated_at: datetime(), updated_by: $by, sources: ['hub'], first_seen: datetime(), "
        "last_seen: datetime()})-[:STOPS {sources: ['hub'], first_seen: datetime(), "
        f"last_seen: datetime()}}]->(a) {scoped.cypher}RETURN properties(s) AS props",
        timeout,
        database,
        number=number,
        id=uuid.uuid4().hex,
        amount=amount,
        reason=reason,
        by=by,
        unit=unit,
        **scoped.params,
    )
    return rows[0]["props"] if rows else None


# A request is seen, and decided, within its unit (and by whoever asked); roles that see
# every unit see every request.
_OWN_UNIT = visible("s", ["StopPayment"])


async def get(
    driver: AsyncDriver,
    request_id: str,
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> dict[str, Any] | None:
    """The request, if `scope` may see it."""
    rows = await read(
        driver,
        f"MATCH (s:StopPayment {{request_id: $id}}) WHERE {_OWN_UNIT} "
        "RETURN properties(s) AS props",
        timeout,
        database,
        id=request_id,
        scope=scope,
    )
    return rows[0]["props"] if rows else None


async def change(
    driver: AsyncDriver,
    request_id: str,
    expected: str,
    status: str,
    by: str,
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> dict[str, Any] | None:
    """Move the request from `expected` to `status`; None if it was no longer `expected`
    (someone else changed it first)."""
    rows = await write(
        driver,
        f"MATCH (s:StopPayment {{request_id: $id}}) WHERE s.status = $expected AND {_OWN_UNIT} "
        "SET s.status = $status, s.updated_at = datetime(), s.updated_by = $by, "
        "s.last_seen = datetime() RETURN properties(s) AS props",
        timeout,
        database,
        id=request_id,
        expected=expected,
        status=status,
        by=by,
        scope=scope,
    )
    return rows[0]["props"] if rows else None
