"""Field comparisons of two person records, each giving an agreement level.

Levels are small integers per field, highest for the strongest agreement; ``MISSING``
(-1) when either side has no value, which carries no weight. The fields and their levels
are the comparison vector the Fellegi-Sunter model (``hub.resolution.model``) weighs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rapidfuzz.distance import Levenshtein
from rapidfuzz.fuzz import ratio

__all__ = ["FIELDS", "LEVELS", "MISSING", "compare", "level", "present"]

MISSING = -1
# field -> its levels, weakest first (0 is always disagreement)
LEVELS: dict[str, dict[int, str]] = {
    "name": {0: "different", 1: "similar", 2: "same reading", 3: "same"},
    "birth": {0: "different", 1: "slip", 2: "same"},
    "id17": {0: "different", 1: "one digit off", 2: "same"},
    "address": {0: "different", 1: "similar", 2: "same"},
    "phone": {0: "different", 1: "shared"},
    "account": {0: "different", 1: "shared"},
}
FIELDS = tuple(LEVELS)


def name_level(a: str | None, b: str | None, ra: Sequence[str], rb: Sequence[str]) -> int:
    if not a or not b:
        return MISSING
    if a == b:
        return 3
    if set(ra) & set(rb):
        return 2
    if len(a) == len(b) and not a.isascii() and Levenshtein.distance(a, b) <= 1:
        return 1  # one character written with a look-alike
    if any(Levenshtein.distance(x, y) <= 1 for x in ra for y in rb):
        return 1
    return 0


def birth_level(a: str | None, b: str | None) -> int:
    if not a or not b:
        return MISSING
    if a == b:
        return 2
    ya, ma, da = a.split("-")
    yb, mb, db = b.split("-")
    if ya == yb and ma == db and da == mb:
        return 1  # day and month swapped
    if Levenshtein.distance(a, b) <= 1:
        return 1  # one digit slipped
    return 0


def id17_level(a: str | None, b: str | None) -> int:
    if not a or not b:
        return MISSING
    if a == b:
        return 2
    return 1 if Levenshtein.distance(a, b) <= 1 else 0


def address_level(a: str | None, b: str | None) -> int:
    if not a or not b:
        return MISSING
    if a == b:
        return 2
    return 1 if ratio(a, b) >= 85 else 0


def overlap_level(a: Sequence[str] | None, b: Sequence[str] | None) -> int:
    if not a or not b:
        return MISSING
    return 1 if set(a) & set(b) else 0


_COMPARE: dict[str, Callable[[dict[str, Any], dict[str, Any]], int]] = {
    "name": lambda x, y: name_level(x["name"], y["name"], x["readings"], y["readings"]),
    "birth": lambda x, y: birth_level(x["birth"], y["birth"]),
    "id17": lambda x, y: id17_level(x["id17"], y["id17"]),
    "address": lambda x, y: address_level(x["address"], y["address"]),
    "phone": lambda x, y: overlap_level(x["phones"], y["phones"]),
    "account": lambda x, y: overlap_level(x["accounts"], y["accounts"]),
}


# field -> the feature it reads
SOURCE = {
    "name": "name",
    "birth": "birth",
    "id17": "id17",
    "address": "address",
    "phone": "phones",
    "account": "accounts",
}


def present(name: str, x: dict[str, Any]) -> bool:
    """Whether a record has a value to compare in field `name`."""
    return bool(x.get(SOURCE[name]))


def level(name: str, x: dict[str, Any], y: dict[str, Any]) -> int:
    """The agreement level of one field."""
    return _COMPARE[name](x, y)


def compare(x: dict[str, Any], y: dict[str, Any], *, scoring: bool = False) -> dict[str, int]:
    """The level of every field for two records' features (``records.FEATURES``).

    When `scoring`, a birth date is not compared if both sides have an ID fragment: the
    fragment holds the birth date, and comparing it twice would count it twice."""
    levels = {name: fn(x, y) for name, fn in _COMPARE.items()}
    if scoring and x["id17"] and y["id17"]:
        levels["birth"] = MISSING
    return levels
