"""Noise that sources add to the truth, applied to whole columns at once.

Each function takes a working frame of one source stream and returns it with one
column made noisy and the kind of noise appended to the ``_noise`` column (a comma
list), so the truth can say which records were changed and how. The share of rows
touched is the rate of that kind in NoiseRates; which rows is a function of the key
and the row number only.
"""

from __future__ import annotations

import polars as pl

from hub.world import names, rand
from hub.world.config import NoiseRates
from hub.world.people import check_digit

__all__ = [
    "address",
    "birth_date",
    "card",
    "duplicate",
    "id_number",
    "malform",
    "misread",
    "name",
    "phone",
    "plate",
    "start",
    "unreadable",
]

_BAD_DATES = ["0000-00-00 00:00:00", "2026-02-30 08:00:00", "N/A", "昨天下午", "2026-13-45", "--"]
_MISREAD = {"0": "D", "D": "0", "8": "B", "B": "8", "1": "7", "7": "1", "2": "Z", "Z": "2",
            "5": "S", "S": "5", "6": "G", "G": "6", "3": "8", "4": "A", "A": "4"}  # fmt: skip
_CHECKS = list("0123456789X")


def start(frame: pl.DataFrame) -> pl.DataFrame:
    """Number the rows and give them an empty noise list; needed before any other step."""
    return frame.with_columns(
        _row=pl.int_range(pl.len(), dtype=pl.Int64),
        _noise=pl.lit("", dtype=pl.String),
        _dup_of_row=pl.lit(None, dtype=pl.Int64),
        _malformed=pl.lit(None, dtype=pl.String),
    )


def _u(key: int, *what: str | int) -> pl.Expr:
    return rand.uniform(rand.salt(key, *what))


def _tagged(*pairs: tuple[pl.Expr, pl.Expr | str]) -> pl.Expr:
    """_noise with the tag of each (condition, tag) pair appended where the condition holds."""
    parts = [pl.col("_noise")]
    for cond, tag in pairs:
        label = pl.lit(tag) if isinstance(tag, str) else tag
        parts.append(pl.when(cond).then(pl.concat_str([label, pl.lit(",")])).otherwise(pl.lit("")))
    return pl.concat_str(parts).alias("_noise")


def name(
    frame: pl.DataFrame,
    col: str,
    rates: NoiseRates,
    key: int,
    pinyin: str = "_name_pinyin",
    trad: str = "_name_trad",
) -> pl.DataFrame:
    """Typo, traditional or pinyin spelling of col, whose other spellings are in the
    columns pinyin and trad."""
    u = _u(key, "name", col)
    typo_to = rates.name_typo
    trad_to = typo_to + rates.name_trad
    pinyin_to = trad_to + rates.name_pinyin
    has_trad = pl.col(trad) != pl.col(col)
    kind = (
        pl.when(pl.col(col).is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(u < typo_to)
        .then(pl.lit("name_typo"))
        .when((u < trad_to) & has_trad)
        .then(pl.lit("name_trad"))
        .when(u < trad_to)
        .then(pl.lit("name_typo"))
        .when(u < pinyin_to)
        .then(pl.lit("name_pinyin"))
    )
    noisy = frame.with_columns(_kind=kind)
    value = (
        pl.when(pl.col("_kind") == "name_typo")
        .then(names.typo(pl.col(col), _u(key, "name-pos", col)))
        .when(pl.col("_kind") == "name_trad")
        .then(pl.col(trad))
        .when(pl.col("_kind") == "name_pinyin")
        .then(pl.col(pinyin))
        .otherwise(pl.col(col))
    )
    return noisy.with_columns(
        value.alias(col), _tagged((pl.col("_kind").is_not_null(), pl.col("_kind")))
    ).drop("_kind")


def phone(frame: pl.DataFrame, col: str, rates: NoiseRates, key: int) -> pl.DataFrame:
    """E.164 col written as a national number, or with separators and prefixes."""
    national = pl.col(col).str.slice(3)
    a, b, c = national.str.slice(0, 3), national.str.slice(3, 4), national.str.slice(7, 4)
    formats = [
        pl.concat_str([a, b, c], separator="-"),
        pl.concat_str([pl.lit("+86 "), national]),
        pl.concat_str([pl.lit("86"), national]),
        pl.concat_str([a, b, c], separator=" "),
        pl.concat_str([pl.lit("+86"), a, b, c], separator="-"),
    ]
    pick = rand.randint(rand.salt(key, "phone-format", col), 0, len(formats))
    reformat = (_u(key, "phone", col) < rates.phone_format) & pl.col(col).is_not_null()
    value: pl.Expr = national
    for i, shape in enumerate(formats):
        value = pl.when(reformat & (pick == i)).then(shape).otherwise(value)
    return frame.with_columns(value.alias(col), _tagged((reformat, "phone_format")))


def card(frame: pl.DataFrame, col: str, rates: NoiseRates, key: int) -> pl.DataFrame:
    """Write the card number of col in groups of four digits."""
    grouped = (_u(key, "card", col) < rates.card_format) & pl.col(col).is_not_null()
    groups = pl.concat_str([pl.col(col).str.slice(i, 4) for i in range(0, 20, 4)], separator=" ")
    return frame.with_columns(
        pl.when(grouped).then(groups.str.strip_chars_end(" ")).otherwise(pl.col(col)).alias(col),
        _tagged((grouped, "card_format")),
    )


def id_number(frame: pl.DataFrame, col: str, rates: NoiseRates, key: int) -> pl.DataFrame:
    """Leave col empty, or give it a wrong check digit."""
    u = _u(key, "id", col)
    missing = (u < rates.id_missing) & pl.col(col).is_not_null()
    bad = (u >= rates.id_missing) & (u < rates.id_missing + rates.id_bad_check)
    bad = bad & pl.col(col).is_not_null()
    last = pl.col(col).str.slice(17, 1).replace({"X": "10"}).cast(pl.Int64)
    other = ((last + rand.randint(rand.salt(key, "id-digit", col), 1, 11)) % 11).replace_strict(
        list(range(11)), _CHECKS, return_dtype=pl.String
    )
    value = (
        pl.when(missing)
        .then(pl.lit(None, dtype=pl.String))
        .when(bad)
        .then(pl.col(col).str.slice(0, 17) + other)
        .otherwise(pl.col(col))
    )
    return frame.with_columns(
        value.alias(col), _tagged((missing, "id_missing"), (bad, "id_bad_check"))
    )


# digits an OCR reader or a hurried clerk takes for one another
_DIGIT_MISREAD = {"0": "8", "8": "3", "3": "8", "1": "7", "7": "1", "5": "6", "6": "5",
                  "9": "0", "2": "7", "4": "9"}  # fmt: skip


def misread(frame: pl.DataFrame, col: str, rates: NoiseRates, key: int) -> pl.DataFrame:
    """One digit among the first 17 of the ID number col misread (0/8, 1/7, 5/6, ...) or
    mistyped. If the check digit would still hold, it is misread too: a number that
    passes the check is a valid ID number of someone else, which a reader's misreading
    does not produce in 10 of 11 cases and the hub cannot tell from the truth."""
    hit = (_u(key, "misread", col) < rates.id_misread) & pl.col(col).is_not_null()
    pos = rand.randint(rand.salt(key, "misread-pos", col), 6, 17)  # past the region code
    digit = pl.col(col).str.slice(pos, 1)
    wrong = pl.concat_str(
        [
            pl.col(col).str.slice(0, pos),
            digit.replace(_DIGIT_MISREAD),
            pl.col(col).str.slice(pos + 1),
        ]
    )
    first17 = wrong.str.slice(0, 17)
    valid = check_digit(first17) == wrong.str.slice(17, 1)
    other = pl.when(wrong.str.slice(17, 1) == "X").then(pl.lit("1")).otherwise(pl.lit("X"))
    value = pl.when(valid).then(first17 + other).otherwise(wrong)
    return frame.with_columns(
        pl.when(hit).then(value).otherwise(pl.col(col)).alias(col), _tagged((hit, "id_misread"))
    )


def unreadable(frame: pl.DataFrame, col: str, rates: NoiseRates, key: int) -> pl.DataFrame:
    """A text date col written so that no date can be read from it (an optional field
    gone wrong: the record is kept, the field is not)."""
    hit = (_u(key, "unreadable", col) < rates.birth_unreadable) & pl.col(col).is_not_null()
    garbage = rand.choice(rand.salt(key, "unreadable-text", col), _BAD_DATES)
    return frame.with_columns(
        pl.when(hit).then(garbage).otherwise(pl.col(col)).alias(col),
        _tagged((hit, "birth_unreadable")),
    )


def birth_date(frame: pl.DataFrame, col: str, rates: NoiseRates, key: int) -> pl.DataFrame:
    """Swap day and month of the Date col where both can be months, else shift one digit."""
    slip = (_u(key, "birth", col) < rates.birth_slip) & pl.col(col).is_not_null()
    year, month, day = pl.col(col).dt.year(), pl.col(col).dt.month(), pl.col(col).dt.day()
    swap = (day <= 12) & (day != month)
    digit = (
        pl.when(day < 10).then(day + 10).when(day < 20).then(day - 10).otherwise(day - 10)
    ).clip(1, 28)
    slipped = pl.when(swap).then(pl.date(year, day, month)).otherwise(pl.date(year, month, digit))
    return frame.with_columns(
        pl.when(slip).then(slipped).otherwise(pl.col(col)).alias(col),
        _tagged((slip, "birth_slip")),
    )


def address(frame: pl.DataFrame, col: str, other: str, rates: NoiseRates, key: int) -> pl.DataFrame:
    """Replace col by the person's other (older) address from column other."""
    conflict = (_u(key, "address", col) < rates.address_conflict) & pl.col(col).is_not_null()
    return frame.with_columns(
        pl.when(conflict).then(pl.col(other)).otherwise(pl.col(col)).alias(col),
        _tagged((conflict, "address_conflict")),
    )


def plate(frame: pl.DataFrame, col: str, rates: NoiseRates, key: int) -> pl.DataFrame:
    """A separator after the city letter, or one serial character misread."""
    u = _u(key, "plate", col)
    misread = (u < rates.plate_misread) & pl.col(col).is_not_null()
    reformat = (u >= rates.plate_misread) & (u < rates.plate_misread + rates.plate_format)
    reformat = reformat & pl.col(col).is_not_null()
    head, serial = pl.col(col).str.slice(0, 2), pl.col(col).str.slice(2)
    pos = (_u(key, "plate-pos", col) * serial.str.len_chars()).floor().cast(pl.Int64)
    char = serial.str.slice(pos, 1)
    wrong = pl.concat_str(
        [head, serial.str.slice(0, pos), char.replace(_MISREAD), serial.str.slice(pos + 1)]
    )
    sep = rand.choice(rand.salt(key, "plate-sep", col), ["·", " ", "-", "•"])
    value = (
        pl.when(misread)
        .then(wrong)
        .when(reformat)
        .then(pl.concat_str([head, sep, serial]))
        .otherwise(pl.col(col))
    )
    return frame.with_columns(
        value.alias(col), _tagged((misread, "plate_misread"), (reformat, "plate_format"))
    )


def duplicate(frame: pl.DataFrame, rates: NoiseRates, key: int) -> pl.DataFrame:
    """Append copies of a share of rows; a copy's _dup_of_row is the original's _row."""
    copies = frame.filter(_u(key, "duplicate") < rates.duplicate).with_columns(
        _dup_of_row=pl.col("_row"),
        _row=pl.col("_row") + frame.height,
        _noise=pl.concat_str([pl.col("_noise"), pl.lit("duplicate,")]),
    )
    return pl.concat([frame, copies], how="vertical")


def malform(
    frame: pl.DataFrame, rates: NoiseRates, key: int, dates: list[str], required: list[str]
) -> pl.DataFrame:
    """Break a share of rows: an unparseable text date or an empty required field.

    The reason ("bad_date:<column>" or "empty:<column>") goes to _malformed.
    """
    targets = [("bad_date", c) for c in dates] + [("empty", c) for c in required]
    broken = _u(key, "malformed") < rates.malformed
    which = rand.randint(rand.salt(key, "malformed-col"), 0, len(targets))
    garbage = rand.choice(rand.salt(key, "garbage"), _BAD_DATES)
    updates = []
    for i, (kind, column) in enumerate(targets):
        hit = broken & (which == i)
        text = frame.schema[column] == pl.String
        bad_value = garbage if kind == "bad_date" and text else pl.lit(None)
        updates.append(pl.when(hit).then(bad_value).otherwise(pl.col(column)).alias(column))
    reason = pl.lit(None, dtype=pl.String)
    for i, (kind, column) in enumerate(targets):
        text = frame.schema[column] == pl.String
        label = f"bad_date:{column}" if kind == "bad_date" and text else f"empty:{column}"
        reason = pl.when(broken & (which == i)).then(pl.lit(label)).otherwise(reason)
    return frame.with_columns(*updates, _malformed=reason)
