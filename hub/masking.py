"""Partly hiding personal numbers: resident ID numbers, phones, cards.

Which properties are personal is declared in graph_schema (`personal: true`); how
much of a value stays visible depends on its normaliser. A role without the
personal-data permission sees the masked form; the audit trail keeps variables in the
redacted form whatever the role.
"""

from __future__ import annotations

import re
from typing import Any

from graph_schema import Property, schema

# Characters kept visible at the start and the end, by the property's normaliser.
VISIBLE: dict[str | None, tuple[int, int]] = {
    "resident_id": (6, 4),  # region code ... check digits: 411623********0014
    "bank_card": (6, 4),  # issuer ... last four, as on a receipt
    "phone": (6, 4),  # +86 and the carrier prefix ... last four: +86138****1001
}
DEFAULT_VISIBLE = (2, 2)

# A run of 7 or more digits (an ID number may end in X) in free text or variables.
_NUMBER = re.compile(r"\d{7,}[\dXx]?")


def mask(value: str, normaliser: str | None = None) -> str:
    """`value` with its middle replaced by `*`, keeping what VISIBLE allows."""
    head, tail = VISIBLE.get(normaliser, DEFAULT_VISIBLE)
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def personal(label: str, prop: str) -> Property | None:
    """The declaration of `label.prop` if it is personal, else None."""
    node = schema().nodes.get(label)
    found = node.properties.get(prop) if node else None
    return found if found is not None and found.personal else None


def _hidden(number: str) -> str:
    # ID and card numbers keep 6 + 4 (8 or more hidden); shorter ones, such as phones,
    # keep 3 + 2.
    head, tail = (6, 4) if len(number) >= 15 else (3, 2)
    return number[:head] + "*" * (len(number) - head - tail) + number[len(number) - tail :]


def redact(value: Any) -> Any:
    """`value` (JSON-like) with every long digit run masked, for the audit trail."""
    if isinstance(value, str):
        return _NUMBER.sub(lambda m: _hidden(m.group()), value)
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
