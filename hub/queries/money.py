"""Following money: the time-respecting tree of transfers from (or into) an account.

Forward, a transfer out of an account is followed only if it happened after money
reached that account along the tree (the start account: at or after `since`); backward,
only transfers into an account before the money left it. The hops are walked in one
statement, each over the whole frontier; an account reached again earlier than before
is expanded again, so the tree holds every transfer that could carry the money, however
it branched and merged.

Where the money stopped: the connectors keep cash withdrawals (a transfer with no
receiving account, 取现) and stop-payment outcomes (已冻结: frozen) only in the source
records, so an end account's outcome is read from the records that describe it, and from
the stop-payments requested through the hub: those the asker may see (`hub.access`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from neo4j import AsyncDriver

from hub.access import visible
from hub.queries import temporal
from hub.queries.entities import Scope, read

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


def _transfers(forward: bool) -> str:
    """The transfers that carry on the money from each `frontier` entry (`f`: account,
    at, start): bound as `t`, the account they reach as `far`."""
    pattern = "(near)-[t:TRANSFERRED]->(far:BankAccount)"
    if not forward:
        pattern = "(far:BankAccount)-[t:TRANSFERRED]->(near)"
    later, first = (">", ">=") if forward else ("<", "<=")
    return (
        f"UNWIND frontier AS f WITH f, f.account AS near MATCH {pattern} "
        f"WHERE (f.start AND ($edge IS NULL OR t.at {first} $edge) "
        f"  OR NOT f.start AND t.at {later} f.at) "
        "AND ($since IS NULL OR t.at >= $since) AND ($until IS NULL OR t.at <= $until) "
        "AND coalesce(t.amount, 0) >= $min "
    )


def _hop(forward: bool, hop: int) -> str:
    """One hop over `frontier`, `found` ({t, hop}, in order), `best` ({account, at}: each
    account's earliest arrival forward, latest backward) and `cut` (the cap was hit). The
    next frontier is the accounts this hop reached sooner (forward) than before."""
    far, sooner, pick = ("endNode", "<", "min") if forward else ("startNode", ">", "max")
    return (
        f"CALL (frontier) {{ {_transfers(forward)} "
        "  WITH t ORDER BY t.at LIMIT $rows RETURN collect(t) AS ts } "
        "WITH s, found, best, cut, [t IN ts WHERE NOT t IN [x IN found | x.t]] AS new "
        "WITH s, found, best, cut OR size(found) + size(new) > $cap AS cut, "
        "  new[..$cap - size(found)] AS taken "
        "CALL (s, taken, best) { "
        f"  UNWIND taken AS t WITH {far}(t) AS account, t.at AS at WHERE account <> s "
        "  WITH account, at, [b IN best WHERE b.account = account | b.at][0] AS prev "
        f"  WITH account, prev, {pick}(at) AS at WHERE prev IS NULL OR at {sooner} prev "
        "  RETURN collect({account: account, at: at, start: false}) AS improved } "
        f"WITH s, found + [t IN taken | {{t: t, hop: {int(hop)}}}] AS found, cut, "
        "  [b IN best WHERE NOT b.account IN [i IN improved | i.account]] + improved AS best, "
        "  improved AS frontier "
    )


def _statement(forward: bool, max_hops: int) -> str:
    """The flow from `$number`: its hops, whether the money goes further than `max_hops`,
    then the transfers, the accounts they reach and the end accounts' outcome evidence."""
    far, near = ("endNode", "startNode") if forward else ("startNode", "endNode")
    return (
        "MATCH (s:BankAccount {number: $number}) "
        "WITH s, [{account: s, at: null, start: true}] AS frontier, [] AS found, [] AS best, "
        "  false AS cut "
        f"{''.join(_hop(forward, hop) for hop in range(1, int(max_hops) + 1))}"
        f"CALL (frontier, found) {{ {_transfers(forward)} AND NOT t IN [x IN found | x.t] "
        "  RETURN count(t) > 0 AS further } "
        "WITH s, found, cut OR further AS cut "
        "CALL (found) { UNWIND found AS x "
        f"  RETURN collect(DISTINCT {far}(x.t)) AS reached, "
        f"    collect(DISTINCT {near}(x.t)) AS leaving }} "
        f"RETURN {_account('s')} AS start, cut, "
        "[x IN found | {txn_id: x.t.txn_id, from_: startNode(x.t).number, "
        "  to: endNode(x.t).number, amount: x.t.amount, at: toString(x.t.at), hop: x.hop}] "
        "  AS transfers, "
        f"[a IN reached | {{number: a.number, props: {_account('a')}}}] AS accounts, "
        "[a IN reached WHERE NOT a IN leaving | {number: a.number, "
        "  marked: a.status = 'frozen', "
        "  stops: COLLECT { MATCH (sp:StopPayment {status: 'frozen'})-[:STOPS]->(a) "
        f"    WHERE {visible('sp', ['StopPayment'])} "
        "    RETURN toString(coalesce(sp.updated_at, sp.requested_at)) }, "
        "  freezes: COLLECT { MATCH (r:Record {source: 'fraud', stream: 'stop_payments'}) "
        f"    -[:RECORD_OF]->(a) WHERE r.raw CONTAINS $frozen AND {visible('r', ['Record'])} "
        "    RETURN r.raw }, "
        "  withdrawals: COLLECT { MATCH (r:Record {source: 'fraud', stream: 'transfers'}) "
        "    -[:RECORD_OF]->(a) WHERE r.raw CONTAINS $cash_out "
        f"    AND {visible('r', ['Record'])} RETURN r.raw }}}}] AS ends"
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
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> Flow:
    """The tree of at most `cap` transfers within `max_hops` of the account `number`, in
    one statement: the transfers, the accounts they reach and where the money ended."""
    rows = await read(
        driver,
        _statement(forward, max_hops),
        timeout,
        database,
        number=number,
        edge=since if forward else until,
        since=since,
        until=until,
        min=min_amount,
        cap=cap,
        rows=cap + 1,
        frozen=FROZEN,
        cash_out=CASH_OUT,
        scope=scope,
    )
    result = Flow()
    if not rows:
        return result
    row = rows[0]
    result.start, result.truncated = row["start"], row["cut"]
    result.hops[number] = 0
    props = {a["number"]: a["props"] for a in row["accounts"]}
    for t in row["transfers"]:
        t["at"] = temporal.value("at", t["at"])
        result.transfers[t["txn_id"]] = t
        reached = t["to"] if forward else t["from_"]
        result.accounts.setdefault(reached, props[reached])
        result.hops.setdefault(reached, t["hop"])
        best = result.reached_at.get(reached)
        if reached != number and (best is None or (t["at"] < best if forward else t["at"] > best)):
            result.reached_at[reached] = t["at"]
    result.outcomes = {
        end["number"]: _outcome(end, result.reached_at.get(end["number"])) for end in row["ends"]
    }
    return result


def _outcome(end: dict[str, Any], arrived: datetime | None) -> str:
    """cash_out (money was withdrawn from it after the tree's money arrived and before a
    stop-payment froze it: a freeze after the withdrawal holds only what was left),
    frozen (a stop-payment froze it) or unknown."""
    frozen = [_at(raw, "sqsj") for raw in end["freezes"]]
    frozen += [temporal.value("at", at) for at in end["stops"]]
    first = min((t for t in frozen if t is not None), default=None)
    withdrawn = [_at(raw, "jysj") for raw in end["withdrawals"]]
    if any(
        t is not None and (arrived is None or t >= arrived) and (first is None or t < first)
        for t in withdrawn
    ):
        return "cash_out"
    if end["marked"] or end["freezes"] or end["stops"]:
        return "frozen"
    return "unknown"


def ends(result: Flow, forward: bool) -> list[str]:
    """Accounts the money reached and did not leave along the tree, in the order it
    reached them."""
    leaving = {t["from_" if forward else "to"] for t in result.transfers.values()}
    return [n for n in result.accounts if n not in leaving]


def _at(raw: str, column: str) -> datetime | None:
    """The time a fraud-centre record gives in `column` (Beijing time): when a withdrawal
    says the cash left (`jysj`), when a stop-payment was asked for (`sqsj`)."""
    try:
        local = datetime.strptime(str(json.loads(raw)[column]), "%Y%m%d%H%M%S")
    except (ValueError, KeyError, TypeError):
        return None
    return local.replace(tzinfo=BEIJING).astimezone(UTC)
