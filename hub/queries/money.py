"""Following money: the time-respecting tree of transfers from (or into) an account.

Forward, a transfer out of an account is followed only if it happened after money
reached that account along the tree (the start account: at or after `since`); backward,
only transfers into an account before the money left it. Each hop is one query over the
whole frontier; an account reached again earlier than before is expanded again, so the
tree holds every transfer that could carry the money, however it branched and merged.

Where the money stopped: the connectors keep cash withdrawals (a transfer with no
receiving account, 取现) and stop-payment outcomes (已冻结: frozen) only in the source
records, so an end account's outcome is read from the records that describe it, and from
the stop-payments requested through the hub.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from neo4j import AsyncDriver

from hub.queries import temporal
from hub.queries.entities import read

CASH_OUT = '"jylx": "取现"'
BEIJING = timezone(timedelta(hours=8))
FROZEN = '"zfzt": "已冻结"'


@dataclass
class Flow:
    start: dict[str, Any] | None = None  # properties of the start account
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # number -> props
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)  # txn_id -> transfer
    reached_at: dict[str, datetime] = field(default_factory=dict)  # number -> earliest
    hops: dict[str, int] = field(default_factory=dict)  # number -> hops from the start
    outcomes: dict[str, str] = field(default_factory=dict)  # end account -> outcome
    truncated: bool = False


def _account(var: str) -> str:
    return temporal.node(var, ["BankAccount"])


def _step(forward: bool) -> str:
    near, far = ("a", "b") if forward else ("b", "a")
    cmp = ">" if forward else "<"
    first = ">=" if forward else "<="
    return (
        "UNWIND $frontier AS f "
        f"MATCH ({near}:BankAccount {{number: f.number}}) "
        f"MATCH (a:BankAccount)-[t:TRANSFERRED]->(b:BankAccount) "
        f"WHERE (f.start AND ($edge IS NULL OR t.at {first} $edge) "
        f"       OR NOT f.start AND t.at {cmp} f.at) "
        "AND ($since IS NULL OR t.at >= $since) AND ($until IS NULL OR t.at <= $until) "
        "AND coalesce(t.amount, 0) >= $min "
        "RETURN t.txn_id AS txn_id, a.number AS from_, b.number AS to, t.amount AS amount, "
        f"t.at AS at, {far}.number AS reached, {_account(far)} AS props "
        "ORDER BY t.at LIMIT $rows"
    )


async def flow(
    driver: AsyncDriver,
    number: str,
    forward: bool,
    max_hops: int,
    since: datetime | None,
    until: datetime | None,
    min_amount: float,
    cap: int,
    timeout: float,
    database: str | None = None,
) -> Flow:
    result = Flow()
    start = await read(
        driver,
        f"MATCH (a:BankAccount {{number: $number}}) RETURN {_account('a')} AS props",
        timeout,
        database,
        number=number,
    )
    if not start:
        return result
    result.start = start[0]["props"]
    result.hops[number] = 0
    # the start: from `since` forward, up to `until` backward
    frontier: list[dict[str, Any]] = [{"number": number, "start": True, "at": None}]
    edge = since if forward else until
    for hop in range(1, max_hops + 2):
        if not frontier:
            break
        rows = await read(
            driver,
            _step(forward),
            timeout,
            database,
            frontier=frontier,
            edge=edge,
            since=since,
            until=until,
            min=min_amount,
            rows=cap + 1,
        )
        if hop > max_hops:
            result.truncated = result.truncated or bool(rows)  # the money went further
            break
        improved: dict[str, datetime] = {}
        for row in rows:
            if row["txn_id"] in result.transfers:
                continue
            if len(result.transfers) >= cap:
                result.truncated = True
                break
            result.transfers[row["txn_id"]] = {**row, "hop": hop}
            reached, at = row["reached"], row["at"]
            result.accounts.setdefault(reached, row["props"])
            result.hops.setdefault(reached, hop)
            best = result.reached_at.get(reached)
            better = best is None or (at < best if forward else at > best)
            if better and reached != number:
                result.reached_at[reached] = at
                improved[reached] = at
        frontier = [{"number": n, "start": False, "at": at} for n, at in improved.items()]
    result.outcomes = await _outcomes(driver, result, forward, timeout, database)
    return result


def ends(result: Flow, forward: bool) -> list[str]:
    """Accounts the money reached and did not leave along the tree."""
    leaving = {t["from_" if forward else "to"] for t in result.transfers.values()}
    return sorted(n for n in result.accounts if n not in leaving)


async def _outcomes(
    driver: AsyncDriver, result: Flow, forward: bool, timeout: float, database: str | None
) -> dict[str, str]:
    """frozen (a stop-payment froze it), cash_out (money was withdrawn from it after the
    tree's money arrived) or unknown, for each end account."""
    numbers = ends(result, forward)
    if not numbers:
        return {}
    rows = await read(
        driver,
        "UNWIND $numbers AS number MATCH (a:BankAccount {number: number}) "
        "RETURN number, a.status = 'frozen' "
        "  OR EXISTS { (:StopPayment {status: 'frozen'})-[:STOPS]->(a) } "
        "  OR EXISTS { (r:Record {source: 'fraud', stream: 'stop_payments'})-[:RECORD_OF]->(a) "
        "    WHERE r.raw CONTAINS $frozen } AS frozen, "
        "COLLECT { MATCH (r:Record {source: 'fraud', stream: 'transfers'})-[:RECORD_OF]->(a) "
        "  WHERE r.raw CONTAINS $cash_out RETURN r.raw } AS withdrawals",
        timeout,
        database,
        numbers=numbers,
        frozen=FROZEN,
        cash_out=CASH_OUT,
    )
    out = {}
    for row in rows:
        arrived = result.reached_at.get(row["number"])
        times = [_withdrawn_at(raw) for raw in row["withdrawals"]]
        if row["frozen"]:
            out[row["number"]] = "frozen"
        elif any(t is not None and (arrived is None or t >= arrived) for t in times):
            out[row["number"]] = "cash_out"
        else:
            out[row["number"]] = "unknown"
    return out


def _withdrawn_at(raw: str) -> datetime | None:
    """When a withdrawal record says the cash left (its `jysj`, Beijing time)."""
    try:
        local = datetime.strptime(str(json.loads(raw)["jysj"]), "%Y%m%d%H%M%S")
    except (ValueError, KeyError, TypeError):
        return None
    return local.replace(tzinfo=BEIJING).astimezone(UTC)
