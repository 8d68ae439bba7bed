"""Scalars the hub reads differently from strawberry's own.

`DateTime`: ISO 8601 (Python's reading of it), within the years the hub's records can
hold. A time outside them (year 0, 9999 at a negative offset) could not be compared with
the graph's times at all, and the driver's or Python's own words about it ("Ticks out of
range") are no answer to give: it is refused as any malformed argument is
(BAD_USER_INPUT), saying what is accepted.
"""

from __future__ import annotations

import datetime as dt

from strawberry.types.scalar import ScalarDefinition

EARLIEST, LATEST = 1900, 2199


def _time(value: object) -> dt.datetime:
    accepted = f"a time in ISO 8601 between the years {EARLIEST} and {LATEST}"
    if not isinstance(value, str):
        raise ValueError(f"{accepted} is asked for, as text")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{accepted} is asked for, not {value[:40]!r}") from None
    if not EARLIEST <= parsed.year <= LATEST:
        raise ValueError(f"{accepted} is asked for, not one in the year {parsed.year}")
    return parsed


DATETIME = ScalarDefinition(
    name="DateTime",
    description="Date with time (ISO 8601), between the years 1900 and 2199.",
    specified_by_url=None,
    serialize=dt.datetime.isoformat,
    parse_value=_time,
    parse_literal=None,
    origin=dt.datetime,
)
