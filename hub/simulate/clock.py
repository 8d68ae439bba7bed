"""Time as the simulators see it: Beijing local time, and a clock that only moves forward.

Every instant inside the simulators is a naive datetime in Beijing time (UTC+08:00), the
convention of the generated world. Input is ISO 8601; a naive value means +08:00, an
aware one is converted.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["BEIJING", "Clock", "ClockError", "format_iso", "format_local", "parse_instant"]

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

# "2026-10-01T08:00:00 08:00": a "+" that a client left unencoded in a query string
# arrives as a space; put it back so that the offset is not lost.
_SPACED_OFFSET = re.compile(r"^(.*\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


class ClockError(ValueError):
    """A request to move the clock backwards."""


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date or date-time as naive Beijing time; ValueError when unparseable."""
    value = _SPACED_OFFSET.sub(r"\1+\2", text.strip())
    if not value:
        raise ValueError("empty date-time")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(BEIJING).replace(tzinfo=None)
    return parsed


def as_local(value: datetime) -> datetime:
    """A datetime as naive Beijing time (aware ones are converted, naive ones kept)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(BEIJING).replace(tzinfo=None)


def format_local(value: datetime) -> str:
    """How the simulators write a timestamp in a record: "2026-10-01 08:00:00" (Beijing)."""
    return value.isoformat(sep=" ", timespec="microseconds" if value.microsecond else "seconds")


def format_iso(value: datetime) -> str:
    """ISO 8601 with the Beijing offset, for the control server: "2026-10-01T08:00:00+08:00"."""
    spec = "microseconds" if value.microsecond else "seconds"
    return value.replace(tzinfo=BEIJING).isoformat(timespec=spec)


class Clock:
    """The simulated "now": rows with updated_at after it are not visible yet."""

    def __init__(self, now: datetime) -> None:
        self._now = as_local(now)

    @property
    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> datetime:
        """Move to now (naive Beijing or aware); refuse to go back."""
        target = as_local(now)
        if target < self._now:
            raise ClockError(
                f"the clock only moves forward: {format_iso(target)} is before "
                f"{format_iso(self._now)}"
            )
        self._now = target
        return self._now

    def advance(self, hours: float) -> datetime:
        if hours < 0:
            raise ClockError(f"the clock only moves forward: advance_hours {hours} is negative")
        return self.set(self._now + timedelta(hours=hours))
