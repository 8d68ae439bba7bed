"""Where the money stopped: an end account's outcome from the records that describe it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hub.queries.money import _outcome

ARRIVED = datetime(2026, 9, 3, 1, 0, tzinfo=UTC)  # 09:00 Beijing time


def withdrawal(at: str) -> str:
    return json.dumps({"jylx": "取现", "jysj": at}, ensure_ascii=False)


def freeze(at: str) -> str:
    return json.dumps({"zfzt": "已冻结", "sqsj": at}, ensure_ascii=False)


def end(
    withdrawals: tuple[str, ...] = (),
    freezes: tuple[str, ...] = (),
    stops: tuple[str, ...] = (),
    marked: bool = False,
) -> dict[str, object]:
    return {
        "withdrawals": [withdrawal(t) for t in withdrawals],
        "freezes": [freeze(t) for t in freezes],
        "stops": list(stops),
        "marked": marked,
    }


def test_money_withdrawn_before_the_freeze_was_cashed_out() -> None:
    """The demo's first end account: cashed out at 09:58, its stop-payment asked for at
    16:45 froze only what was left; it showed as frozen."""
    assert _outcome(end(("20260903095846",), ("20260903164500",)), ARRIVED) == "cash_out"
    assert _outcome(end(("20260903095846",), stops=("2026-09-03T08:45:00+00:00",)), ARRIVED) == (
        "cash_out"
    )
    assert _outcome(end(("20260903095846",), marked=True), ARRIVED) == "cash_out"


def test_an_account_frozen_before_any_withdrawal_is_frozen() -> None:
    assert _outcome(end(("20260903170000",), ("20260903164500",)), ARRIVED) == "frozen"
    assert _outcome(end(freezes=("20260903164500",)), ARRIVED) == "frozen"
    assert _outcome(end(marked=True), ARRIVED) == "frozen"
    assert _outcome(end(stops=("2026-09-03T08:45:00+00:00",)), ARRIVED) == "frozen"


def test_a_withdrawal_before_the_money_arrived_says_nothing_of_it() -> None:
    assert _outcome(end(("20260902120000",)), ARRIVED) == "unknown"
    assert _outcome(end(("20260902120000",), marked=True), ARRIVED) == "frozen"
    assert _outcome(end(("not a time",)), ARRIVED) == "unknown"
