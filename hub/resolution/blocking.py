"""Candidate pairs: only records that share a blocking key are compared.

Keys: every pinyin reading of the name, the birth date, the first 17 characters of the
ID number, every phone and every account. Records of one identified person that say the
same thing are compared once (one *profile* each), and a key shared by more than
``cap`` profiles (a very common name) is not used: its pairs would be many and each
weak, so the number of pairs stays near-linear in the number of records. Only pairs in
which at least one side has no trusted identifier are made: two valid, different ID
numbers are two people.
"""

from __future__ import annotations

import polars as pl

__all__ = ["candidate_pairs", "keys", "profiles", "touching"]

_PROFILE = ["unit", "name", "birth", "id17", "address", "phones", "accounts"]


def profiles(features: pl.DataFrame) -> pl.DataFrame:
    """One row per distinct (unit, features) profile, named by its first record."""
    return features.sort("record_id").unique(_PROFILE, keep="first", maintain_order=True)


def keys(frame: pl.DataFrame) -> pl.DataFrame:
    """(record_id, key) for every blocking key of every profile."""
    parts = [
        frame.select("record_id", key=pl.col("readings"))
        .explode("key")
        .with_columns(key=pl.lit("n:") + pl.col("key")),
        frame.select("record_id", key=pl.lit("b:") + pl.col("birth")),
        frame.select("record_id", key=pl.lit("i:") + pl.col("id17")),
        frame.select("record_id", key=pl.col("phones"))
        .explode("key")
        .with_columns(key=pl.lit("t:") + pl.col("key")),
        frame.select("record_id", key=pl.col("accounts"))
        .explode("key")
        .with_columns(key=pl.lit("a:") + pl.col("key")),
    ]
    return pl.concat(parts).drop_nulls().unique()


def candidate_pairs(frame: pl.DataFrame, cap: int) -> pl.DataFrame:
    """(left, right) record ids and (left_unit, right_unit) of the profiles to compare,
    left < right."""
    units = frame.select("record_id", "unit")
    k = keys(frame)
    sizes = k.group_by("key").len()
    k = k.join(sizes.filter(pl.col("len") <= cap), on="key").drop("len")
    k = k.join(units, on="record_id")
    return (
        k.join(k, on="key", suffix="_r")
        .filter(
            (pl.col("record_id") < pl.col("record_id_r"))
            & (pl.col("unit") != pl.col("unit_r"))
            & (pl.col("unit").str.starts_with("R:") | pl.col("unit_r").str.starts_with("R:"))
        )
        .select(left="record_id", right="record_id_r", left_unit="unit", right_unit="unit_r")
        .unique()
        .sort("left", "right")
    )


def touching(pairs: pl.DataFrame, units: set[str]) -> pl.DataFrame:
    """The pairs an incremental run judges again: those of the given units, and every
    pair of a record without identifier that one of those pairs reaches (its rivals)."""
    given = pl.Series(sorted(units), dtype=pl.String)
    hit = pairs.filter(pl.col("left_unit").is_in(given) | pl.col("right_unit").is_in(given))
    reached = pl.concat([hit.get_column("left_unit"), hit.get_column("right_unit")])
    loose = reached.filter(reached.str.starts_with("R:")).unique()
    return pairs.filter(
        pl.col("left_unit").is_in(given)
        | pl.col("right_unit").is_in(given)
        | pl.col("left_unit").is_in(loose)
        | pl.col("right_unit").is_in(loose)
    )
