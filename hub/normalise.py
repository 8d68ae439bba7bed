"""Normal forms for the identifiers the hub fuses on.

Every identifier passes through here before it is matched, stored or compared.
Each normaliser takes the raw text and returns either ``Valid`` (the normal form
plus facts derived from it) or ``Invalid`` (the raw text and one sentence saying
what is wrong). Nothing here raises on bad data.

Normal forms:

resident_id
    The 18 characters of a GB 11643 resident ID number, digits and an upper-case
    ``X``. Full-width digits and a lower-case ``x`` are accepted; old 15-digit
    numbers are not upgraded. A region code absent from python-stdnum's table is
    invalid. A code that the table knows but dates to other years is accepted:
    cards keep the code of the office that issued them, so people born before
    2000 carry Shangshui's 411623, which the table starts in 2000.
phone
    E.164 (``+8613800138000``), China being the default region. Letters are
    refused rather than read as a vanity number.
bank_card
    The digits alone. 16 to 19 digits are cards and must pass the Luhn check;
    12 to 15 digits are accounts and are taken without it.
plate
    A mainland plate in upper case without separators: ``豫P12345`` (regular),
    ``豫PD12345`` (new-energy), ``豫P1234学`` / ``警`` / ``挂`` (coach, police,
    trailer: the suffix takes the last serial place).
document
    The number of an identity document other than a resident ID card (a passport,
    a Hong Kong/Macao or Taiwan travel permit, a driving licence, a foreign or
    national-insurance number): full-width forms made ASCII, upper case, without the
    spaces, hyphens, dots, slashes and brackets sources write inside it (a check
    character in brackets, "A123456(7)", is kept as a character); 4 to 24 letters and
    digits, at least one of them a digit.
person_name
    Trimmed, inner whitespace collapsed to one space, no spaces between Han
    characters or around the ``·`` that separates the parts of minority and
    foreign names, traditional characters made simplified, Latin-script names
    title-cased. Any other character is kept literally. Its ``script`` fact is
    "han", "latin", "mixed", or "other" (e.g. Cyrillic); a name with no letter
    at all is invalid.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import TypeAlias

import phonenumbers
from opencc import OpenCC  # type: ignore[import-untyped]
from pypinyin import lazy_pinyin
from stdnum import luhn, numdb
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent
from stdnum.util import isdigits

__all__ = [
    "NORMALISERS",
    "Invalid",
    "Result",
    "Valid",
    "bank_card",
    "document",
    "normalise",
    "person_name",
    "phone",
    "plate",
    "resident_id",
    "simplified",
]


@dataclass(frozen=True, slots=True)
class Valid:
    value: str
    facts: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Invalid:
    raw: str
    reason: str


Result: TypeAlias = Valid | Invalid

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space to their ASCII forms.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_EMPTY = "value is empty"


# -- resident ID ------------------------------------------------------------

_LOCATIONS = numdb.get("cn/loc")


def resident_id(raw: str) -> Result:
    number = raw.translate(_FULLWIDTH).strip().upper()
    if not number:
        return Invalid(raw, _EMPTY)
    if len(number) == 15 and isdigits(number):
        return Invalid(raw, "old 15-digit numbers are not accepted, the 18-digit number is needed")
    if len(number) != 18:
        return Invalid(raw, f"has {len(number)} characters, expected 18")
    if not isdigits(number[:17]) or not (isdigits(number[17]) or number[17] == "X"):
        return Invalid(raw, "must be 17 digits followed by a digit or X")
    try:
        birth_date = ric.get_birth_date(number)
    except InvalidComponent:
        return Invalid(raw, f"birth date {number[6:14]} is not a real date")
    if birth_date > date.today():
        return Invalid(raw, f"birth date {birth_date.isoformat()} is in the future")
    expected = ric.calc_check_digit(number)
    if number[17] != expected:
        return Invalid(raw, f"check digit is {number[17]}, expected {expected}")
    region = _region_name(number[:6], birth_date.year)
    if region is None:
        return Invalid(raw, f"unknown region code {number[:6]}")
    facts = {
        "birth_date": birth_date,
        "sex": "M" if int(number[16]) % 2 else "F",
        "region_code": number[:6],
        "region": region,
    }
    return Valid(number, facts)


@lru_cache(maxsize=65_536)
def _region_name(code: str, year: int) -> str | None:
    """The place stdnum gives for a region code, or None when its table lacks the code."""
    try:
        place = ric.get_birth_place(f"{code}{year:04d}0101")
    except (InvalidComponent, KeyError):
        # Known code outside its assignment years: take its latest name.
        place = {k: v for _, props in _LOCATIONS.info(code) for k, v in props.items()}
        if not place.get("county"):
            return None
        place["county"] = place["county"].split(",")[-1].rpartition("]")[2]
    province, county = place.get("province", ""), place["county"]
    return county if county == province else province + county


# -- phone --------------------------------------------------------------------

_PHONE_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
}
_PARSE_ERRORS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "country code is missing or unknown",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "is not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "is too short to be a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "is too short to be a phone number",
    phonenumbers.NumberParseException.TOO_LONG: "is too long to be a phone number",
}
_LENGTH_ERRORS = {
    phonenumbers.ValidationResult.TOO_SHORT: "is too short",
    phonenumbers.ValidationResult.TOO_LONG: "is too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "has a length no number there has",
}


def phone(raw: str, region: str = "CN") -> Result:
    if not raw.strip():
        return Invalid(raw, _EMPTY)
    if any(ch.isalpha() for ch in raw):
        return Invalid(raw, "contains letters, and letters are not read as digits")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        return Invalid(raw, _PARSE_ERRORS.get(exc.error_type, "is not a phone number"))
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    number_region = phonenumbers.region_code_for_number(number)
    if not phonenumbers.is_valid_number(number):
        problem = _LENGTH_ERRORS.get(
            phonenumbers.is_possible_number_with_reason(number), "is not a valid number"
        )
        return Invalid(raw, f"{e164} {problem} for region {number_region or 'unknown'}")
    kind = _PHONE_KINDS.get(phonenumbers.number_type(number), "other")
    return Valid(e164, {"kind": kind, "region": number_region})


# -- bank card ----------------------------------------------------------------

_CARD_SEPARATORS = re.compile(r"[\s-]+")


def bank_card(raw: str) -> Result:
    digits = _CARD_SEPARATORS.sub("", raw.translate(_FULLWIDTH))
    if not digits:
        return Invalid(raw, _EMPTY)
    if not isdigits(digits):
        return Invalid(raw, "contains characters other than digits, spaces and dashes")
    if not 12 <= len(digits) <= 19:
        return Invalid(raw, f"has {len(digits)} digits, expected 12 to 19")
    if len(digits) < 16:
        return Valid(digits, {"luhn": False})
    if not luhn.is_valid(digits):
        return Invalid(raw, "Luhn check fails")
    return Valid(digits, {"luhn": True})


# -- plate --------------------------------------------------------------------

_PROVINCES = frozenset("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
_PLATE_SUFFIXES = {"学": "coach", "警": "police", "挂": "trailer"}
_SERIAL_KINDS = {5: "regular", 6: "new_energy"}
_PLATE_SEPARATORS = re.compile(r"[\s.\-·•・･‧∙⋅]+")
_LETTERS = frozenset(string.ascii_uppercase)
_SERIAL_CHARS = _LETTERS | frozenset(string.digits)


def plate(raw: str) -> Result:
    text = _PLATE_SEPARATORS.sub("", raw.translate(_FULLWIDTH)).upper()
    if not text:
        return Invalid(raw, _EMPTY)
    province, letter, serial = text[0], text[1:2], text[2:]
    if province not in _PROVINCES:
        return Invalid(raw, f"unknown province character {province!r}")
    suffix = serial[-1:] if serial[-1:] in _PLATE_SUFFIXES else ""
    body = serial.removesuffix(suffix) if suffix else serial
    if suffix and len(body) != 4:
        return Invalid(raw, f"a plate ending in {suffix} has 4 serial characters, not {len(body)}")
    if not suffix and len(body) not in (5, 6):
        return Invalid(raw, f"has {len(text)} characters, expected 7, or 8 for new-energy")
    if letter not in _LETTERS:
        return Invalid(raw, f"second character must be a letter A-Z, not {letter!r}")
    odd = next((ch for ch in body if ch not in _SERIAL_CHARS), None)
    if odd is not None:
        return Invalid(raw, f"serial contains {odd!r}, only letters and digits are allowed")
    if "I" in body or "O" in body:
        return Invalid(raw, "letters I and O are not used in plate serials")
    kind = _PLATE_SUFFIXES[suffix] if suffix else _SERIAL_KINDS[len(body)]
    return Valid(text, {"province": province, "kind": kind})


# -- person name --------------------------------------------------------------

_MAX_NAME = 64
# Bullet, full-width stop, katakana and other middle dots, all to U+00B7.
_NAME_DOTS = str.maketrans(dict.fromkeys("\u2022\uff0e\u30fb\uff65\u2027\u2219\u22c5\u0387", "·"))
_FULLWIDTH_LETTERS = {
    cp: cp - 0xFEE0 for cp in [*range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
} | {0x3000: 0x20}
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af"
_HAN_CHAR = re.compile(f"[{_HAN}]")
_SPACE_BETWEEN_HAN = re.compile(f"(?<=[{_HAN}]) (?=[{_HAN}])")
_SPACE_AROUND_DOT = re.compile(r" ?· ?")
_T2S = OpenCC("t2s")


def simplified(text: str) -> str:
    """`text` with traditional Chinese characters made simplified (張偉 -> 张伟)."""
    converted: str = _T2S.convert(text)
    return converted


def person_name(raw: str) -> Result:
    text = " ".join(raw.translate(_NAME_DOTS).translate(_FULLWIDTH_LETTERS).split())
    if not text:
        return Invalid(raw, _EMPTY)
    digit = next((ch for ch in text if ch.isdigit()), None)
    if digit is not None:
        return Invalid(raw, f"contains the digit {digit!r}")
    # Only Cc and Cf: rare name characters may be private-use or newer than unicodedata.
    control = next((ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf")), None)
    if control is not None:
        return Invalid(raw, f"contains the control character U+{ord(control):04X}")
    text = _SPACE_BETWEEN_HAN.sub("", _SPACE_AROUND_DOT.sub("·", text))
    converted = simplified(text)
    if len(converted) > _MAX_NAME:
        return Invalid(raw, f"is {len(converted)} characters long, at most {_MAX_NAME} allowed")
    script = _script(converted)
    if script is None:
        return Invalid(raw, "contains no letters")
    if script == "latin":
        converted = converted.title()
    pinyin = "".join(ch for ch in "".join(lazy_pinyin(converted)).lower() if ch.isalpha())
    return Valid(converted, {"pinyin": pinyin, "script": script})


def _script(text: str) -> str | None:
    """'han', 'latin', 'mixed', 'other' for the letters of text; None if it has none."""
    scripts = {
        "han" if _HAN_CHAR.match(ch) else "latin" if _is_latin(ch) else "other"
        for ch in text
        if ch.isalpha()
    }
    if len(scripts) > 1:
        return "mixed"
    return scripts.pop() if scripts else None


def _is_latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN ")


# -- other identity documents ---------------------------------------------------

_DOCUMENT_SEPARATORS = str.maketrans("", "", " -./()\t")


def document(raw: str) -> Result:
    number = raw.translate(_FULLWIDTH).translate(_DOCUMENT_SEPARATORS).upper()
    if not number:
        return Invalid(raw, _EMPTY)
    if not number.isascii() or not number.isalnum():
        return Invalid(raw, "must be letters and digits")
    if not 4 <= len(number) <= 24:
        return Invalid(raw, f"has {len(number)} characters, expected 4 to 24")
    if not any(ch.isdigit() for ch in number):
        return Invalid(raw, "has no digit")
    return Valid(number)


# -- dispatch -----------------------------------------------------------------

NORMALISERS: Mapping[str, Callable[[str], Result]] = MappingProxyType(
    {
        "resident_id": resident_id,
        "phone": phone,
        "bank_card": bank_card,
        "document": document,
        "plate": plate,
        "person_name": person_name,
    }
)


def normalise(kind: str, raw: object) -> Result:
    """Normalise raw as the identifier kind; KeyError for a kind not in NORMALISERS."""
    try:
        normaliser = NORMALISERS[kind]
    except KeyError:
        known = ", ".join(sorted(NORMALISERS))
        raise KeyError(f"unknown identifier kind {kind!r}; known kinds: {known}") from None
    if raw is None:
        return Invalid("", "no value was given")
    if not isinstance(raw, str):
        return Invalid(str(raw), f"expected text, got {type(raw).__name__}")
    return normaliser(raw)
