"""What people hold: mobile phones, bank cards and vehicles, with valid unique numbers.

Numbers come from bijections of a running index (index times an odd constant modulo the
number space), so they are unique without a set of used numbers, and the same index
range always gives the same numbers. Rings draw their extra phones and cards from
index ranges after the ones the population used.
"""

from __future__ import annotations

import polars as pl

from hub.world import places, rand

__all__ = ["BANKS", "accounts", "phone_numbers", "phones", "vehicles", "with_card_numbers"]

_MOBILE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151",
    "152", "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181",
    "182", "183", "185", "186", "187", "188", "189", "198", "199",
]  # fmt: skip
# bank identification number, bank, card length, share of cards
BANKS: list[tuple[str, str, int, float]] = [
    ("622848", "农业银行", 19, 0.22),
    ("622202", "工商银行", 19, 0.16),
    ("621700", "建设银行", 19, 0.12),
    ("623668", "建设银行", 19, 0.06),
    ("621799", "邮储银行", 19, 0.16),
    ("622262", "交通银行", 19, 0.05),
    ("621661", "中国银行", 19, 0.07),
    ("622588", "招商银行", 16, 0.04),
    ("623059", "河南农信", 19, 0.12),
]
_MODELS = ["大众朗逸", "丰田卡罗拉", "比亚迪秦", "五菱宏光", "本田雅阁", "哈弗H6", "长安CS75",
           "日产轩逸", "吉利帝豪", "别克英朗", "比亚迪宋", "宝骏510"]  # fmt: skip
_COLOURS = ["白", "黑", "银", "灰", "红", "蓝"]
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_SERIAL = _LETTERS + "0123456789"


def _counts(key: int, weights: list[float]) -> pl.Expr:
    return rand.weighted(key, weights).cast(pl.Int64)


def _explode(owners: pl.DataFrame, count: pl.Expr) -> pl.DataFrame:
    """One row per item: owners repeated count times, with their item number k."""
    return (
        owners.with_columns(k=pl.int_ranges(0, count))
        .explode("k")
        .drop_nulls("k")
        .with_row_index("item")
    )


def phone_numbers(index: pl.Expr) -> pl.Expr:
    """E.164 mobile number for a non-negative index, unique per index."""
    prefixes = len(_MOBILE_PREFIXES)
    # A multiplier prime to 2, 3, 5 and 11 permutes prefix times 10^8 numbers.
    scrambled = (index.cast(pl.Int64) * 2_654_435_761 + 12_345) % (prefixes * 100_000_000)
    prefix = (scrambled % prefixes).replace_strict(
        list(range(prefixes)), _MOBILE_PREFIXES, return_dtype=pl.String
    )
    suffix = (scrambled // prefixes).cast(pl.String).str.zfill(8)
    return pl.concat_str([pl.lit("+86"), prefix, suffix])


def _luhn_digit(payload: pl.Expr) -> pl.Expr:
    """Check digit to append to payload (at most 18 digits)."""
    total = pl.lit(0, dtype=pl.Int64)
    for j in range(18):
        d = payload // (10**j) % 10
        # a doubled digit's digit sum: 2d, less 9 when 2d has two digits
        total = total + (d * 2 - (d >= 5).cast(pl.Int64) * 9 if j % 2 == 0 else d)
    return (10 - total % 10) % 10


_STEPS = {16: 618_033_989, 19: 618_033_988_749}  # ~0.618 of the body space, prime to 10


def with_card_numbers(frame: pl.DataFrame, index: str, bank: str, out: str) -> pl.DataFrame:
    """frame plus out: a Luhn-valid card number per (index, bank into BANKS), unique per pair."""
    ids = list(range(len(BANKS)))
    space = pl.col(bank).replace_strict(
        ids, [10 ** (b[2] - 7) for b in BANKS], return_dtype=pl.Int64
    )
    step = pl.col(bank).replace_strict(ids, [_STEPS[b[2]] for b in BANKS], return_dtype=pl.Int64)
    bin_value = pl.col(bank).replace_strict(ids, [int(b[0]) for b in BANKS], return_dtype=pl.Int64)
    body = (pl.col(index).cast(pl.Int64) * step + 7_654_321) % space
    with_payload = frame.with_columns((bin_value * space + body).alias("_payload"))
    return with_payload.with_columns(
        (
            pl.col("_payload").cast(pl.String) + _luhn_digit(pl.col("_payload")).cast(pl.String)
        ).alias(out)
    ).drop("_payload")


def phones(people: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Zero to three mobile phones per person, registered to and used by that person."""
    key = rand.salt(seed, "phones")
    owners = people.select("pidx", "person_id", "age").with_columns(
        n=pl.when(pl.col("age") < 15)
        .then(0)
        .otherwise(_counts(rand.salt(key, "n"), [0.04, 0.81, 0.13, 0.02]))
    )
    rows = _explode(owners, pl.col("n"))
    return rows.select(
        phone=phone_numbers(pl.col("item")),
        person_id="person_id",
        registered_person_id="person_id",
        kind=pl.lit("mobile"),
        ring_id=pl.lit(None, dtype=pl.String),
    )


def accounts(people: pl.DataFrame, seed: int, start: int = 0) -> pl.DataFrame:
    """Bank cards of adults: one to four each, a few none."""
    key = rand.salt(seed, "accounts")
    owners = people.select("pidx", "person_id", "age").with_columns(
        n=pl.when(pl.col("age") < 16)
        .then(0)
        .otherwise(_counts(rand.salt(key, "n"), [0.05, 0.45, 0.32, 0.13, 0.05]))
    )
    rows = _explode(owners, pl.col("n")).with_columns(
        bank=rand.weighted(rand.salt(key, "bank"), [b[3] for b in BANKS]).cast(pl.Int64),
        card_index=pl.col("item") + start,
    )
    rows = with_card_numbers(rows, "card_index", "bank", "account")
    return rows.select(
        "account",
        bank=pl.col("bank").replace_strict(
            list(range(len(BANKS))), [b[1] for b in BANKS], return_dtype=pl.String
        ),
        holder_person_id="person_id",
        role=pl.lit("normal"),
        ring_id=pl.lit(None, dtype=pl.String),
        layer=pl.lit(None, dtype=pl.Int32),
    )


def _plate(prefix: pl.Expr, rank: pl.Expr, new_energy: pl.Expr) -> pl.Expr:
    """豫PA1B23-style plates: unique per (prefix, kind, rank)."""
    regular_space = len(_LETTERS) * len(_SERIAL) * 1000
    v = (rank * 104_729 + 7) % regular_space
    first = (v // (len(_SERIAL) * 1000)).replace_strict(
        list(range(len(_LETTERS))), list(_LETTERS), return_dtype=pl.String
    )
    second = (v // 1000 % len(_SERIAL)).replace_strict(
        list(range(len(_SERIAL))), list(_SERIAL), return_dtype=pl.String
    )
    regular = pl.concat_str([prefix, first, second, (v % 1000).cast(pl.String).str.zfill(3)])
    w = (rank * 7_919 + 3) % 200_000
    energy = pl.concat_str(
        [
            prefix,
            pl.when(w < 100_000).then(pl.lit("D")).otherwise(pl.lit("F")),
            (w % 100_000).cast(pl.String).str.zfill(5),
        ]
    )
    return pl.when(new_energy).then(energy).otherwise(regular)


def vehicles(people: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Cars of about a fifth of adults, plated where their owner lives."""
    key = rand.salt(seed, "vehicles")
    plate_prefix = {r.code: r.plate for r in places.REGIONS}
    owners = people.select("pidx", "person_id", "age", "region_code", "resident").with_columns(
        n=pl.when((pl.col("age") < 20) | (pl.col("age") > 72))
        .then(0)
        .otherwise(_counts(rand.salt(key, "n"), [0.77, 0.21, 0.02])),
        prefix=pl.when(pl.col("resident"))
        .then(pl.lit("豫P"))
        .otherwise(pl.col("region_code").replace_strict(plate_prefix, return_dtype=pl.String)),
    )
    rows = _explode(owners, pl.col("n")).with_columns(
        new_energy=rand.uniform(rand.salt(key, "ne")) < 0.08
    )
    rank = pl.int_range(pl.len(), dtype=pl.Int64).over("prefix", "new_energy")
    return rows.select(
        plate=_plate(pl.col("prefix"), rank, pl.col("new_energy")),
        person_id="person_id",
        kind=pl.when(pl.col("new_energy")).then(pl.lit("new_energy")).otherwise(pl.lit("regular")),
        model=rand.choice(rand.salt(key, "model"), _MODELS),
        colour=rand.choice(rand.salt(key, "colour"), _COLOURS, [30, 22, 15, 15, 8, 10]),
    )
