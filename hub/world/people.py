"""The county's people: names, resident ID numbers, birth dates, sexes and addresses."""

from __future__ import annotations

import polars as pl

from hub.world import names, places, rand
from hub.world.config import REFERENCE_DAY

__all__ = ["attributes", "check_digit", "generate", "person_id"]

_EARLIEST = (1940, 1, 1)
_BIRTH_SPAN_DAYS = 26_663  # 1940-01-01 .. 2012-12-31: everyone is at least 13
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = list("10X98765432")


def person_id(index: pl.Expr) -> pl.Expr:
    """The truth's person id of a row index: "P0000001" for row 0."""
    return pl.concat_str([pl.lit("P"), (index + 1).cast(pl.String).str.zfill(7)])


def check_digit(first17: pl.Expr) -> pl.Expr:
    """The GB 11643 check character of 17 digits."""
    total = pl.sum_horizontal(
        first17.str.slice(i, 1).cast(pl.Int64) * w for i, w in enumerate(_ID_WEIGHTS)
    )
    return (total % 11).replace_strict(list(range(11)), _CHECK, return_dtype=pl.String)


def _region(key: int, resident: pl.Expr) -> pl.Expr:
    """Index into places.REGIONS: mostly the county for residents, elsewhere for others."""
    zhoukou = rand.randint(rand.salt(key, "zk"), 0, len(places.ZHOUKOU)).replace_strict(
        list(range(len(places.ZHOUKOU))), places.ZHOUKOU, return_dtype=pl.Int64
    )
    elsewhere = rand.randint(rand.salt(key, "else"), 0, len(places.ELSEWHERE)).replace_strict(
        list(range(len(places.ELSEWHERE))), places.ELSEWHERE, return_dtype=pl.Int64
    )
    u = rand.uniform(rand.salt(key, "group"))
    return (
        pl.when(resident & (u < 0.91))
        .then(pl.lit(0, dtype=pl.Int64))
        .when(resident & (u < 0.97))
        .then(zhoukou)
        .when(resident)
        .then(elsewhere)
        .when(u < 0.3)
        .then(zhoukou)
        .otherwise(elsewhere)
    )


def _name_parts(key: int, male: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(surname, full name) per row."""
    surname = rand.choice(
        rand.salt(key, "surname"), [s[0] for s in names.SURNAMES], [s[3] for s in names.SURNAMES]
    )

    def given(sex_list: list[str], tag: str) -> pl.Expr:
        first = rand.choice(rand.salt(key, tag, 1), sex_list)
        second = rand.choice(rand.salt(key, tag, 2), sex_list)
        one_char = rand.uniform(rand.salt(key, tag, "len")) < 0.25
        return pl.when(one_char).then(first).otherwise(first + second)

    han = surname + pl.when(male).then(given(names.MALE_GIVEN, "m")).otherwise(
        given(names.FEMALE_GIVEN, "f")
    )
    male_minority = [n for n, _, s in names.MINORITY if s == "M"]
    female_minority = [n for n, _, s in names.MINORITY if s == "F"]
    minority = (
        pl.when(male)
        .then(rand.choice(rand.salt(key, "mm"), male_minority))
        .otherwise(rand.choice(rand.salt(key, "mf"), female_minority))
    )
    is_minority = rand.uniform(rand.salt(key, "minority")) < 0.005
    return (
        pl.when(is_minority).then(minority).otherwise(surname),
        pl.when(is_minority).then(minority).otherwise(han),
    )


def _ethnicity(key: int, name: pl.Expr) -> pl.Expr:
    """民族 as the ID card writes it: the minority's for a minority name, else mostly 汉,
    some 回 (Hui, who bear Han names)."""
    hui = rand.uniform(rand.salt(key, "hui")) < 0.012
    known = list(names.MINORITY_ETHNICITY)
    return (
        pl.when(name.is_in(known))
        .then(name.replace_strict(known, list(names.MINORITY_ETHNICITY.values()), default=None))
        .when(hui)
        .then(pl.lit("回"))
        .otherwise(pl.lit("汉"))
    )


def generate(n: int, seed: int) -> pl.DataFrame:
    """n people, one row each, in person_id order."""
    key = rand.salt(seed, "people")
    male = rand.uniform(rand.salt(key, "sex")) < 0.51
    resident = rand.uniform(rand.salt(key, "resident")) < 0.96
    u1, u2, u3 = (rand.uniform(rand.salt(key, "birth", i)) for i in range(3))
    shaped = pl.when(u3 < 0.55).then((u1 + u2) / 2).otherwise(u1)
    town = rand.choice(rand.salt(key, "town"), places.TOWN_NAMES, [w for _, w, _ in places.TOWNS])
    alt_town = rand.choice(rand.salt(key, "alt-town"), places.TOWN_NAMES)
    return _build(n, key, male, resident, shaped, town, alt_town)


def _build(
    n: int,
    key: int,
    male: pl.Expr,
    resident: pl.Expr,
    shaped: pl.Expr,
    town: pl.Expr,
    alt_town: pl.Expr,
) -> pl.DataFrame:
    surname, name = _name_parts(key, male)
    codes = [r.code for r in places.REGIONS]
    base = pl.DataFrame({"pidx": pl.int_range(n, dtype=pl.UInt64, eager=True)}).with_columns(
        sex=pl.when(male).then(pl.lit("M")).otherwise(pl.lit("F")),
        surname=surname,
        name=name,
        birth_date=pl.date(*_EARLIEST)
        + pl.duration(days=(shaped * _BIRTH_SPAN_DAYS).floor().cast(pl.Int64)),
        resident=resident,
        region=_region(key, resident),
        town=pl.when(resident).then(town),
        alt_town=pl.when(resident).then(alt_town),
    )
    rank = pl.int_range(pl.len(), dtype=pl.Int64).over("region", "birth_date", "sex")
    offset = (pl.col("birth_date").dt.ordinal_day() * 37 + pl.col("region") * 11) % 400
    sex_bit = pl.when(pl.col("sex") == "M").then(1).otherwise(0)
    first17 = pl.concat_str(
        [
            pl.col("region").replace_strict(list(range(len(codes))), codes, return_dtype=pl.String),
            pl.col("birth_date").dt.strftime("%Y%m%d"),
            (((offset + rank) % 500) * 2 + sex_bit).cast(pl.String).str.zfill(3),
        ]
    )
    people = base.with_columns(_first17=first17).with_columns(
        id_number=pl.col("_first17") + check_digit(pl.col("_first17")),
        region_code=pl.col("_first17").str.slice(0, 6),
        address=places.address(rand.salt(key, "address"), pl.col("town"), pl.col("region")),
        alt_address=places.address(rand.salt(key, "alt"), pl.col("alt_town"), pl.col("region")),
        name_pinyin=names.pinyin_name(pl.col("name"), pl.col("surname")),
        name_trad=names.traditional(pl.col("name")),
        ethnicity=_ethnicity(key, pl.col("name")),
        person_id=person_id(pl.col("pidx")),
    )
    age_days = (pl.lit(REFERENCE_DAY) - pl.col("birth_date")).dt.total_days()
    return people.with_columns(age=(age_days // 365).cast(pl.Int32)).select(
        "pidx", "person_id", "name", "surname", "name_pinyin", "name_trad", "sex",
        "ethnicity", "birth_date", "age", "id_number", "region_code", "resident", "town", "address",
        "alt_address",
    )  # fmt: skip


def attributes(people: pl.DataFrame, phones: pl.DataFrame) -> pl.DataFrame:
    """What sources say about a person, keyed by _person, as truth columns to noise."""
    first_phone = (
        phones.filter(pl.col("ring_id").is_null())
        .group_by("person_id", maintain_order=True)
        .agg(_phone=pl.col("phone").first())
    )
    return people.select(
        _person="person_id",
        _name="name",
        _name_pinyin="name_pinyin",
        _name_trad="name_trad",
        _id="id_number",
        _birth="birth_date",
        _sex="sex",
        _address="address",
        _alt_address="alt_address",
    ).join(
        first_phone.rename({"person_id": "_person"}),
        on="_person",
        how="left",
        maintain_order="left",
    )
