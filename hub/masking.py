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
such a value is hidden whole (`MASKED_DATE`, null) wherever an answer carries it
(`personal_fields`). A source record kept as it came (declared `source_record`) is shown
column by column as the mapping of its stream says (`shown_record`): birth dates hidden,
number columns masked whole whatever the number looks like (a passport's letters), the
columns it reads into public properties shown, and every other column, or every column
of a stream no mapping in use describes, with its digits hidden.

Global ids never carry a number (`hub.ids`), so they need neither.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sys
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


# Digits a mask hides at the least: a short number (a landline, a twelve-digit account)
# shows less of its ends, so that no mask leaves fewer than ten thousand guesses.
MIN_HIDDEN = 4

# Deepest that redaction follows lists and objects (far deeper than an answer nests, or
# the variables a request may send: `hub.limits.MAX_NESTING`); what lies deeper is
# replaced whole by TOO_DEEP, so that redaction never fails, nor shows what it did not
# read, however deep a value nests.
DEEPEST = 64
TOO_DEEP = "[nested too deep: not shown]"


def mask(value: str, normaliser: str | None = None) -> str:
    """`value` with its middle replaced by `*`, keeping what VISIBLE allows."""
    head, tail = VISIBLE.get(normaliser, DEFAULT_VISIBLE)
    if len(value) <= head + tail:
        return "*" * len(value)
    return _hidden(value, head, tail)


def _hidden(value: str, head: int, tail: int) -> str:
    """`value` showing at most `head` characters before and `tail` after MIN_HIDDEN `*`."""
    tail = max(0, min(tail, len(value) - head - MIN_HIDDEN))
    head = max(0, min(head, len(value) - tail - MIN_HIDDEN))
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
class StreamColumns:
    """What the mapping of one stream says the columns of its records hold, for a role
    without personal data: `dates` (a birth date) are hidden whole, `numbers` (an ID,
    document, phone or account number) masked whole whatever they look like, `public`
    (what the mapping reads into a property nobody's personal data is: a case number, a
    time, an amount, a name) shown, numbers in their text masked. A column the mapping
    names for none of these, or a record of a stream no mapping in use describes, is
    shown with every digit hidden: nothing says what it holds."""

    public: frozenset[str] = frozenset()
    dates: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()


def stream_columns(mappings_dir: Path | None = None) -> dict[tuple[str, str], StreamColumns]:
    """The columns of every (source, stream) of the shipped mappings and of those in
    `mappings_dir`, read again whenever a file there changes (a source added while the
    API runs). A mapping that cannot be read describes no stream."""
    stamp: tuple[tuple[str, int], ...] = ()
    if mappings_dir is not None and mappings_dir.is_dir():
        stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(mappings_dir.glob("*.y*ml")))
    return _stream_columns(mappings_dir, stamp)


@cache
def _stream_columns(
    mappings_dir: Path | None, stamp: tuple[tuple[str, int], ...]
) -> dict[tuple[str, str], StreamColumns]:
    import connectors  # the mappings are data of the connectors package
    from connectors.mapping import StreamMap
    from hub.errors import HubError
    from hub.settings import Settings

    try:
        maps = connectors.source_maps(Settings(mappings_dir=mappings_dir))
    except HubError as exc:
        # a mapping that cannot be read cannot say what its columns hold: the digits of
        # every raw record are hidden until it can
        log.warning("masking: %s; raw records show no digit until it is fixed", exc)
        return {}

    def columns(stream: StreamMap) -> StreamColumns:
        public = {stream.id, stream.cursor, *stream.times, *([stream.seen] if stream.seen else [])}
        dates: set[str] = set()
        numbers = {i.column for i in stream.identity.identifiers}
        numbers.update(i.type_column for i in stream.identity.identifiers if i.type_column)

        def note(label: str, prop: str, cols: Iterable[str]) -> None:
            found = personal(label, prop)
            if found is None:
                public.update(cols)
            else:
                (numbers if found.normaliser else dates).update(cols)

        for prop, column in stream.person.items():
            note("Person", prop, [column])
        for feature, where in stream.identity.features.items():
            if feature in _FEATURES:
                note(*_FEATURES[feature], where.columns)
            else:
                public.update(where.columns)
        for node in stream.nodes:
            note(node.label, schema().nodes[node.label].key, [node.key])
            for prop, column in node.properties.items():
                note(node.label, prop, [column])
        for rel in stream.relationships:
            public.update(rel.properties.values(), rel.when)
            public.update(a.column for a in rel.aggregate.values() if a.column)
        return StreamColumns(
            frozenset(public - dates - numbers), frozenset(dates), frozenset(numbers - dates)
        )

    return {
        (source.source, stream.name): columns(stream)
        for source in maps.values()
        for stream in source.streams.values()
    }


# Chinese numerals as people write digits with them (一三五〇九二四..., 幺 for one as
# phone numbers are spoken, ○ for zero, the capitals 壹贰叁... in both scripts).
_NUMERALS = dict(zip("\u3007\u25cb零一幺二两三四五六七八九", "00011223456789", strict=True)) | dict(
    zip("壹贰貳叁參肆伍陆陸柒捌玖", "122334566789", strict=True)
)


_X = {0xFF38: ord("X"), 0xFF58: ord("x")}  # full-width X


def _digits() -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """Every digit that is no ASCII one, to the ASCII character it stands for: the
    decimal digits of every script; the other digits (superscript, subscript, circled,
    dingbat, Ethiopic...) and the numerals; and every digit as a search index is asked
    for it (`as_indexed`)."""
    decimal: dict[int, int] = {}
    other = {ord(c): ord(d) for c, d in _NUMERALS.items()}
    indexed: dict[int, int] = {}
    for cp in range(0x80, sys.maxunicode + 1):
        if chr(cp).isdigit():
            (decimal if chr(cp).isdecimal() else other)[cp] = ord("0") + unicodedata.digit(chr(cp))
            folded = unicodedata.normalize("NFKC", chr(cp))
            indexed[cp] = ord(folded) if len(folded) == 1 and folded.isascii() else ord(" ")
    return decimal, other, indexed


_DECIMAL, _OTHER_DIGITS, _INDEXED = _digits()
# How text is read for numbers, one character for one (offsets stay where they were),
# four times, each reading after the one before has masked what it found:
# - the decimal digits of any script as ASCII digits, every other character as it is: a
#   number beside symbols that only look like digits (circled, superscript, a Chinese
#   numeral: 8613803941001①②③, 手机13803941001一部) is the number it is;
# - every digit that is no ASCII one, and the numerals, as a space: a number written
#   with them between its groups (138①0394①1001), as apart as a dash makes it;
# - the digits as the search asks the index for them (`as_indexed`): the full-width and
#   the others that stand for an ASCII digit as it, every other digit as a space: a
#   number beside digits an index may not know (of a script newer than its Unicode) is
#   read as the index reads it;
# - every digit and numeral as the digit it stands for: a number written in them alone.
_READINGS = (
    _DECIMAL | _X,
    dict.fromkeys(_DECIMAL | _OTHER_DIGITS, ord(" ")) | _X,
    _INDEXED | _X,
    _DECIMAL | _OTHER_DIGITS | _X,
)
_NOT_ASCII = frozenset(map(chr, _DECIMAL | _OTHER_DIGITS))  # digits and numerals


def as_indexed(text: str) -> str:
    """`text` with its digits as the search asks the index for them: those that stand
    for an ASCII digit (full-width, superscript, circled one to nine) as it, every other
    digit as a space. So the digits the index is asked for are those redaction read
    (`redact` reads the text so too), whatever Unicode version the index knows."""
    return text.translate(_INDEXED)


# A run of digit groups a person may have written as one number: groups joined by up to
# eight characters that are no letter or digit (spaces of any width, line breaks, dashes,
# dots, commas, slashes, brackets, zero-width spaces: "130 - 7076 - 5659", full-width
# dashes) or one star, an optional + before. Not a colon or a plus: the parts of a time
# (T09:00:00+00:00) are no number. (One star at most: a number this masked,
# +86138****1001, is never read again.) An X after seventeen digits ends an ID number.
_CANDIDATE = re.compile(r"\+?\d+(?:(?:(?:[^\w*:+]|_){1,8}|\*)\d+)*")
_GROUP = re.compile(r"\d+")
_CHECK_X = 17  # digits before an ID number's check character X
_MOBILE = re.compile(r"(?:0086|86)?(1[3-9]\d{9})")
_FIXED = re.compile(r"(?:0086|86)?(0[1-9]\d{8,10})|(?:0086|86)([1-9]\d{8,10})")
_MOBILE_INSIDE = re.compile(r"1[3-9]\d{9}")
_RESIDENT = re.compile(  # region, birth date, sequence, check character
    r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]"
)
_LONGEST = 22  # digits: a card of 19, or a phone with 0086 in front
_SHORTEST = 8  # digits: another country's phone after a + (every other kind has more)


def _dated(digits: str, prefixed: bool) -> bool:
    """Digits that are no card or account for starting with a date: a time to the minute
    or second as sources write one (202601011800, 20260101180000), or, right after
    letters, a serial (JY2026082700000006, a transfer's). An account that starts with a
    date (200102030405060) standing alone is still one."""
    formats = {12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
    if len(digits) not in formats and not prefixed:
        return False
    try:
        when = datetime.strptime(digits[:8], "%Y%m%d")
        if not prefixed:
            when = datetime.strptime(digits, formats[len(digits)])
    except ValueError:
        return False
    return 1900 <= when.year < 2200


def _kind(digits: str, prefixed: bool = False) -> str | None:
    """The personal kind these digits (X only last) are a number of, if any."""
    kinds = personal_kinds()
    if "resident_id" in kinds and len(digits) == 18 and _RESIDENT.fullmatch(digits.upper()):
        return "resident_id"
    if not digits.isdigit():
        return None
    if "phone" in kinds and (_MOBILE.fullmatch(digits) or _FIXED.fullmatch(digits)):
        return "phone"
    if "bank_card" in kinds and 12 <= len(digits) <= 19 and not _dated(digits, prefixed):
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
            return "+" + _hidden(digits, 3, 2)
        national = next(g for g in found.groups() if g)
        code = digits[: len(digits) - len(national)]
        return ("+" if plus else "") + code + _hidden(national, 3, 4)
    head, tail = VISIBLE.get(kind, DEFAULT_VISIBLE)
    glued = _MOBILE_INSIDE.search(digits)
    if kind == "bank_card" and glued is not None:
        # a mobile number with a digit glued to it (a full-width one) shows no more of the
        # number than its own mask does
        head = min(head, glued.start() + 3)
    return _hidden(digits, head, tail)


def _joined(text: str, groups: list[tuple[int, int]]) -> tuple[str, int]:
    """The digits of `groups` (spans of `text`) as one number, with the X after them if
    they are the seventeen digits of an ID number before its check character, and where
    it ends."""
    digits = "".join(text[a:b] for a, b in groups)
    end = groups[-1][1]
    if len(digits) == _CHECK_X and text[end : end + 1] in ("X", "x"):
        return digits + "X", end + 1
    return digits, end


def _redact_text(text: str) -> str:
    once = _redact_read(text, _READINGS[0])
    if _NOT_ASCII.isdisjoint(once):
        return once
    for reading in _READINGS[1:]:
        once = _redact_read(once, reading)
    return once


def _redact_read(text: str, reading: dict[int, int]) -> str:
    """`text` with the numbers found in it, its characters read as `reading` says, masked."""
    ascii_ = text.translate(reading)
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
            # an ID number or a phone from group i, the shortest first (a list of phones
            # is phones, not one card showing their digits); else the longest card
            window = [(j, *_joined(ascii_, groups[i : j + 1])) for j in range(i, last)]
            specific = [w for w in window if _kind(w[1]) in ("resident_id", "phone")]
            for j, digits, end in specific[:1] or window[::-1]:
                plus = i == 0 and ascii_[candidate.start()] == "+"
                before = ascii_[candidate.start() - 1 : candidate.start()]
                prefixed = i == 0 and before.isascii() and before.isalpha()  # JY..., not 账户...
                kind = _kind(digits, prefixed) or (_international(digits) if plus else None)
                if kind is None:
                    continue
                start = candidate.start() if plus else groups[i][0]
                out.append(text[done:start])
                out.append(_masked(digits, kind, plus))
                done = end
                i = j
                break
            i += 1
    out.append(text[done:])
    return "".join(out)


class Shown(str):
    """A text already made what a role without personal data may see (a raw record,
    `shown_record`): `redact` gives it as it is."""

    __slots__ = ()


def shown_record(raw: str, record_id: str, mappings_dir: Path | None = None) -> Shown:
    """The raw record `raw` of the Record `record_id` ("<source>:<stream>:<id>") as a
    role without personal data sees it: each column as the mapping of its stream says
    (`StreamColumns`)."""
    source, stream, *_ = [*record_id.split(":", 2), ""]
    columns = stream_columns(mappings_dir).get((source, stream), StreamColumns())
    record = _json(raw)
    if not isinstance(record, dict):
        return Shown(_digits_hidden(raw))
    shown = {k: _column(k, v, columns) for k, v in record.items()}
    return Shown(json.dumps(shown, ensure_ascii=False))


def _column(name: str, value: Any, columns: StreamColumns) -> Any:
    if name in columns.dates:
        return MASKED_DATE
    if name in columns.numbers:
        return _number(value)
    if name in columns.public:
        return redact(value)
    return _digits_hidden(value)


def _has_digits(text: str) -> bool:
    """Whether `text` holds a digit of any script, or a Chinese numeral."""
    return any(c.isdigit() or c in _NUMERALS for c in text)


def _digits_hidden(value: Any, depth: int = DEEPEST) -> Any:
    """`value` with every digit it holds (in any script) written as `*`; lists and
    objects nested deeper than `depth` are TOO_DEEP."""
    if isinstance(value, dict | list) and depth <= 0:
        return TOO_DEEP
    if isinstance(value, dict):
        return {k: _digits_hidden(v, depth - 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_digits_hidden(v, depth - 1) for v in value]
    if value is None or isinstance(value, bool):
        return value
    text = str(value)
    if not _has_digits(text):
        return value
    return "".join("*" if c.isdigit() or c in _NUMERALS else c for c in text)


def _number(value: Any) -> Any:
    """A document number, phone or account column's value masked: with the useful ends
    of its kind where it is one `redact` knows, else with the middle hidden."""
    if value is None or value == "":
        return value
    try:
        text = str(value)
    except RecursionError:  # a list nested deeper than Python writes one
        return TOO_DEEP
    redacted = _redact_text(text)
    return redacted if redacted != text else mask(text)


class Redacted(list[Any]):
    """Part of an answer `redact` has already been through (an answer kept across
    requests is redacted once, `resolvers.executor`): `redact` gives it as it is."""


def redact(value: Any) -> Any:
    """`value` (text, or JSON-like) with every personal number in it masked and the
    personal fields (`personal_fields`) of every object in it hidden; a JSON object
    written as text is read as one. Never raises: lists and objects nested deeper than
    DEEPEST are cut there (`TOO_DEEP`)."""
    return _redact(value, DEEPEST)


def _redact(value: Any, depth: int) -> Any:
    if isinstance(value, Redacted | Shown):
        return value
    if isinstance(value, float) and math.isfinite(value) and abs(value) >= 10**7:
        if value.is_integer():
            value = int(value)  # a number sent as a JSON float (13803941001.0)
        else:
            return _fraction(value, depth)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**7:
        text = str(value)  # a number sent or kept as a JSON integer
        redacted = _redact_text(text)
        return value if redacted == text else redacted
    if isinstance(value, str):
        if not _has_digits(value):
            return value
        if value.lstrip().startswith("{"):
            found = _json(value)
            if isinstance(found, dict):
                return json.dumps(_redact(found, depth), ensure_ascii=False)
        return _redact_text(value)
    if isinstance(value, dict | list) and depth <= 0:
        return TOO_DEEP
    if isinstance(value, dict):
        hidden = personal_fields()
        return {
            _redact(k, depth): MASKED_DATE if k in hidden else _redact(v, depth - 1)
            for k, v in value.items()
        }  # (a key may hold a number too: a variable's name)
    if isinstance(value, list):
        return [_redact(v, depth - 1) for v in value]
    return value


def _fraction(value: float, depth: int) -> Any:
    """A float with a fraction whose integer part is a personal number (13803941001.5),
    masked as that integer is ("138****1001.5"); any other as it is. Its fraction is not
    read: the digits after a decimal point are no one's number, and a score's
    (0.8732619047619048) would read as a card's."""
    whole, point, fraction = repr(value).partition(".")  # positional below 1e16: all are
    if not point or not whole.lstrip("-").isdigit():
        return value
    masked = _redact(int(whole), depth)
    return value if masked == int(whole) else f"{masked}.{fraction}"


def _json(text: str) -> Any:
    """The JSON value `text` holds, or None: text that is no JSON, or JSON nested deeper
    than the parser goes (read as text then)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None
