"""Partly hiding personal numbers: resident ID numbers, phones, cards.

Which properties are personal is declared in graph_schema (`personal: true`), and so
are the kinds of number that are personal: the normalisers of those properties
(`personal_kinds`). Two tools follow from that one declaration:

- `mask`, for a value of a declared property: its middle hidden, keeping what
  `VISIBLE` allows for its normaliser (411623********0014);
- `redact`, for any text or JSON-like value: every number of a personal kind in it,
  however it is written (spaces, dashes, dots, brackets, full-width digits, a +86 or
  0086 in front), found and masked the same way. The API sends every text it answers
  through it for roles without the personal-data permission (ids, labels, summaries,
  raw records, error messages: `resolvers.guard`); the audit trail keeps variables,
  reasons and justifications only in this form, whatever the role.

Personal values that are no number (a birth date, which with the region code and the
last four rebuilds a masked ID number) are declared the same way, without a normaliser:
such a value is hidden whole (`MASKED_DATE`, null), as a declared field
(`personal_fields`) and as the field of a raw record that holds it. Which fields of a raw
record are personal is read from every mapping in use (`record_fields`): the columns a
mapping writes to a personal property or reads a document number from; a raw record's
number columns are masked whole, whatever the number looks like (a passport's letters).

Global ids never carry a number (`hub.ids`), so they need neither.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from graph_schema import Property, schema

log = logging.getLogger(__name__)

# Characters kept visible at the start and the end, by the property's normaliser.
VISIBLE: dict[str | None, tuple[int, int]] = {
    "resident_id": (6, 4),  # region code ... check digits: 411623********0014
    "bank_card": (6, 4),  # issuer ... last four, as on a receipt
    "phone": (6, 4),  # +86 and the carrier prefix ... last four: +86138****1001
}
DEFAULT_VISIBLE = (2, 2)


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


@cache
def personal_kinds() -> frozenset[str]:
    """The kinds of number graph_schema declares personal (their normalisers)."""
    return frozenset(
        p.normaliser
        for node in schema().nodes.values()
        for p in node.properties.values()
        if p.personal and p.normaliser
    )


# What a personal value that is no number (a date) shows to a role that may not see it.
MASKED_DATE = None


def mask_value(value: Any, prop: Property) -> Any:
    """`value` of the declared personal property `prop` as a role without the
    personal-data permission sees it."""
    if prop.normaliser is None and prop.type in ("date", "datetime"):
        return MASKED_DATE
    if isinstance(value, list):
        return [mask(str(v), prop.normaliser) for v in value]
    return mask(str(value), prop.normaliser)


@cache
def personal_fields() -> frozenset[str]:
    """Names of declared properties that hold a personal value that is no number (a
    birth date): hidden whole wherever a record or an answer carries them."""
    return frozenset(
        p.name
        for node in schema().nodes.values()
        for p in node.properties.values()
        if p.personal and p.normaliser is None and p.type in ("date", "datetime")
    )


# The person features of a mapping whose values are those of a personal property.
_FEATURES = {"birth_date": ("Person", "birth_date"), "phone": ("Phone", "number"),
             "account": ("BankAccount", "number")}  # fmt: skip


@dataclass(frozen=True)
class RecordFields:
    """The columns of source records that hold personal values, as every mapping in use
    (shipped, and HUB_MAPPINGS_DIR's) reads them: a column the mapping writes to a
    personal property, reads a personal feature from, or reads a document number from.
    In a raw record, `dates` are hidden whole and `numbers` masked whole, whatever the
    number looks like (a passport's letters, a foreign phone)."""

    dates: frozenset[str]
    numbers: frozenset[str]
    complete: bool = True  # False: a mapping could not be read; every number is masked


def record_fields(mappings_dir: Path | None = None) -> RecordFields:
    """The personal columns of the shipped mappings and of those in `mappings_dir`, read
    again whenever a file there changes (a source added while the API runs)."""
    stamp: tuple[tuple[str, int], ...] = ()
    if mappings_dir is not None and mappings_dir.is_dir():
        stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(mappings_dir.glob("*.y*ml")))
    return _record_fields(mappings_dir, stamp)


@cache
def _record_fields(mappings_dir: Path | None, stamp: tuple[tuple[str, int], ...]) -> RecordFields:
    import connectors  # the mappings are data of the connectors package
    from hub.errors import HubError
    from hub.settings import Settings

    try:
        maps = connectors.source_maps(Settings(mappings_dir=mappings_dir))
    except HubError as exc:
        # a mapping that cannot be read cannot say which of its columns are personal:
        # every value of a raw record with a digit in it is masked whole until it can
        log.warning("masking: %s; raw records are masked whole until it is fixed", exc)
        return RecordFields(frozenset(), frozenset(), complete=False)
    dates: set[str] = set()
    numbers: set[str] = set()

    def note(label: str, prop: str, columns: Iterable[str]) -> None:
        found = personal(label, prop)
        if found is not None:
            (numbers if found.normaliser else dates).update(columns)

    for source in maps.values():
        for stream in source.streams.values():
            for prop, column in stream.person.items():
                note("Person", prop, [column])
            for feature, where in stream.identity.features.items():
                if feature in _FEATURES:
                    note(*_FEATURES[feature], where.columns)
            numbers.update(i.column for i in stream.identity.identifiers)
            for node in stream.nodes:
                note(node.label, schema().nodes[node.label].key, [node.key])
                for prop, column in node.properties.items():
                    note(node.label, prop, [column])
    return RecordFields(frozenset(dates), frozenset(numbers - dates))


# Every decimal digit (full-width, Arabic-Indic, ...) and full-width X to ASCII, one
# character for one: offsets stay where they were.
_DIGITS = {
    cp: ord("0") + unicodedata.digit(chr(cp))
    for cp in range(0x80, 0x10000)
    if unicodedata.category(chr(cp)) == "Nd"
} | {0xFF38: ord("X"), 0xFF58: ord("x")}
# A run of digit groups a person may have written as one number: groups joined by up to
# four spaces, tabs, dashes (en and em too), dots, commas, slashes, underscores, brackets,
# middle dots or zero-width spaces ("130 - 7076 - 5659"), an optional + before and X after.
_CANDIDATE = re.compile(
    r"\+?\d+(?:[ \t\-.,()/_\u00a0\u3000\u200b\u00b7\u2013\u2014\uff0c]{1,4}\d+)*[Xx]?"
)
_GROUP = re.compile(r"\d+[Xx]?")
_MOBILE = re.compile(r"(?:0086|86)?(1[3-9]\d{9})")
_FIXED = re.compile(r"(?:0086|86)?(0[1-9]\d{8,10})|(?:0086|86)([1-9]\d{8,10})")
_RESIDENT = re.compile(  # region, birth date, sequence, check character
    r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]"
)
_LONGEST = 22  # digits: a card of 19, or a phone with 0086 in front
_SHORTEST = 8  # digits: another country's phone after a + (every other kind has more)


def _dated(digits: str) -> bool:
    """Digits that begin with a date (20260101180000, a time; 2025021300000045, a
    transaction's serial), as no card or account number does."""
    try:
        return 1900 <= datetime.strptime(digits[:8], "%Y%m%d").year < 2100
    except ValueError:
        return False


def _kind(digits: str) -> str | None:
    """The personal kind these digits (X only last) are a number of, if any."""
    kinds = personal_kinds()
    if "resident_id" in kinds and len(digits) == 18 and _RESIDENT.fullmatch(digits.upper()):
        return "resident_id"
    if not digits.isdigit():
        return None
    if "phone" in kinds and (_MOBILE.fullmatch(digits) or _FIXED.fullmatch(digits)):
        return "phone"
    if "bank_card" in kinds and 12 <= len(digits) <= 19 and not _dated(digits):
        return "bank_card"  # a card, even one failing the Luhn check (a typo), or an account
    return None


def _international(digits: str) -> str | None:
    """Digits written after a +: a phone number of any country (E.164: 8 to 15 digits)."""
    if "phone" in personal_kinds() and digits.isdigit() and 8 <= len(digits) <= 15:
        return "phone"
    return None


def _masked(digits: str, kind: str, plus: bool) -> str:
    if kind == "phone":
        found = _MOBILE.fullmatch(digits) or _FIXED.fullmatch(digits)
        if found is None:  # another country's: its code's first digits and the last two
            return "+" + digits[:3] + "*" * (len(digits) - 5) + digits[-2:]
        national = next(g for g in found.groups() if g)
        code = digits[: len(digits) - len(national)]
        shown = national[:3] + "*" * (len(national) - 7) + national[-4:]
        return ("+" if plus else "") + code + shown
    return mask(digits, kind)


def _joined(text: str, groups: list[tuple[int, int]]) -> str:
    """The digits of `groups` (spans of `text`) as one number."""
    return "".join(text[a:b] for a, b in groups)


def _redact_text(text: str) -> str:
    ascii_ = text.translate(_DIGITS)
    out: list[str] = []
    done = 0
    for candidate in _CANDIDATE.finditer(ascii_):
        if candidate.end() - candidate.start() < _SHORTEST:
            continue  # too few digits for any number (a global id's short runs)
        groups = [
            (candidate.start() + g.start(), candidate.start() + g.end())
            for g in _GROUP.finditer(candidate.group())
        ]
        i = 0
        while i < len(groups):
            # groups i..last-1 hold at most _LONGEST digits: a run of a thousand short
            # groups is looked at in windows, not all pairs of its groups
            last, held = i, 0
            while last < len(groups) and held + groups[last][1] - groups[last][0] <= _LONGEST:
                held += groups[last][1] - groups[last][0]
                last += 1
            for j in range(last - 1, i - 1, -1):  # the longest number first
                digits = _joined(ascii_, groups[i : j + 1])
                if "X" in digits[:-1].upper():
                    continue
                plus = i == 0 and ascii_[candidate.start()] == "+"
                kind = _kind(digits) or (_international(digits) if plus else None)
                if kind is None:
                    continue
                start, end = groups[i][0], groups[j][1]
                if plus:
                    start = candidate.start()
                out.append(text[done:start])
                out.append(_masked(digits.upper(), kind, plus))
                done = end
                i = j
                break
            i += 1
    out.append(text[done:])
    return "".join(out)


def _redact_record(text: str, fields: RecordFields) -> str | None:
    """A JSON object written as text (a raw record), its personal fields hidden or masked
    whole; None if the text is no JSON object."""
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    shown = {k: _field(k, v, fields) for k, v in record.items()}
    return json.dumps(redact(shown, fields), ensure_ascii=False)


def _field(name: str, value: Any, fields: RecordFields) -> Any:
    """A raw record's field as a role without personal data sees it."""
    if name in fields.dates:
        return MASKED_DATE
    if name in fields.numbers or (not fields.complete and any(c.isdigit() for c in str(value))):
        return _number(value)
    return value


def _number(value: Any) -> Any:
    """A document number, phone or account column's value masked: with the useful ends
    of its kind where it is one `redact` knows, else with the middle hidden."""
    if value is None or value == "":
        return value
    text = str(value)
    redacted = _redact_text(text)
    return redacted if redacted != text else mask(text)


class Redacted(list[Any]):
    """Part of an answer `redact` has already been through (an answer kept across
    requests is redacted once, `resolvers.executor`): `redact` gives it as it is."""


def redact(value: Any, fields: RecordFields | None = None) -> Any:
    """`value` (text, or JSON-like) with every personal number in it masked, the
    personal fields (`personal_fields`) of every object in it hidden, and the personal
    columns of every raw record in it (`fields`: by default the shipped mappings') hidden
    or masked whole."""
    if isinstance(value, Redacted):
        return value
    if isinstance(value, str):
        if not any(c.isdigit() for c in value):
            return value
        if value.lstrip().startswith("{"):
            record = _redact_record(value, fields or record_fields())
            if record is not None:
                return record
        return _redact_text(value)
    if isinstance(value, dict):
        hidden = personal_fields()
        return {k: MASKED_DATE if k in hidden else redact(v, fields) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, fields) for v in value]
    return value
