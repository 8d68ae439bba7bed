"""A connector job that runs on its own: `hub sync --every 5m`.

It syncs, waits, and syncs again, for as long as it runs. A round that cannot reach the
database, or in which a source failed, or which failed in a way nobody foresaw, is one
line in its log, and the next try comes sooner than the next round would: after
`FIRST_RETRY` seconds, then twice as long after each failure in a row, never longer than
the interval. The first round that succeeds again brings the interval back. A sync that
was cut short is safe to run again (cursors move only after their rows are written), so
the job never needs a hand after an outage of a source or of the database.

Only the first round starts the project-run Neo4j if it is not running (as `hub sync`
does); a database that goes away later is waited for, not started again.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from hub.errors import ConfigError

FIRST_RETRY = 10.0  # seconds after the first failure in a row
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s?)?")


def seconds(text: str) -> float:
    """`90`, `90s`, `5m`, `1h30m` in seconds."""
    found = _DURATION.fullmatch(text.strip())
    if not text.strip() or found is None:
        raise ConfigError(f"{text!r} is not a duration: write e.g. 30s, 5m or 1h")
    hours, minutes, secs = found.groups()
    total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs or 0)
    if total <= 0:
        raise ConfigError(f"{text!r}: the interval must be longer than nothing")
    return total


@dataclass(frozen=True)
class Round:
    """How one sync round ended: ok, partial (some sources failed) or failed."""

    outcome: str
    summary: str


def wait_after(interval: float, failures: int) -> float:
    """Seconds to wait after a round: the interval, or after `failures` failed rounds in
    a row a backoff that doubles from FIRST_RETRY up to the interval."""
    if failures == 0:
        return interval
    return min(interval, FIRST_RETRY * 2.0 ** (failures - 1))


def every(
    interval: float,
    sync: Callable[[int], Round],
    say: Callable[[str], None],
    stop: threading.Event,
) -> None:
    """Run `sync(round number)` every `interval` seconds until `stop` is set."""
    failures = 0
    number = 0
    while not stop.is_set():
        number += 1
        started = time.monotonic()
        done = sync(number)
        took = time.monotonic() - started
        failures = 0 if done.outcome == "ok" else failures + 1
        pause = wait_after(interval, failures)
        at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if failures:
            say(
                f"{at} round {number} {done.outcome} after {took:.1f} s: {done.summary}; "
                f"next try in {pause:.0f} s (failure {failures} in a row)"
            )
        else:
            say(f"{at} round {number} ok in {took:.1f} s: {done.summary}; next in {pause:.0f} s")
        stop.wait(pause)
