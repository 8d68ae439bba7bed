"""Candidate pairs: only records that share a blocking key are compared.

Keys (``keys``): every reading of the name (``n:``), the birth date (``b:``), every
document (``d:``, and ``i:`` with the first 17 characters of a resident ID number, so a
wrong check digit still meets its number), every phone (``t:``) and account (``a:``), and
the address (``h:``). A key shared by more than ``cap`` records (a very common name) is
not used: its pairs would be many and each weak, so the number of pairs stays
near-linear in the number of records. Only pairs in which at least one side has no
trusted identifier are made: two valid, different ID numbers are two people.

The graph keeps every record's keys (``BlockKey`` nodes), so a run over new records finds
their candidates by looking their keys up (``hub.queries.resolution.candidates``); the
frames here give the same pairs for records held in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

__all__ = ["candidate_pairs", "keys", "keys_of", "pairs_of"]


def keys_of(feature: dict[str, Any]) -> list[str]:
    """The blocking keys of one record's features."""
    out = [f"n:{r}" for r in feature.get("readings") or []]
    if feature.get("birth"):
        out.append(f"b:{feature['birth']}")
    for doc in feature.get("docs") or []:
        out.append(f"d:{doc}")
        if doc.startswith("resident_id:"):
            out.append(f"i:{doc.split(':', 1)[1][:17]}")
    out += [f"t:{p}" for p in feature.get("phones") or []]
    out += [f"a:{a}" for a in feature.get("accounts") or []]
    if feature.get("address"):
        out.append(f"h:{feature['address']}")
    return list(dict.fromkeys(out))


def keys(frame: pl.DataFrame) -> pl.DataFrame:
    """(record_id, key) for every blocking key of every record."""
    rows = [(r["record_id"], k) for r in frame.iter_rows(named=True) for k in keys_of(r)]
    return pl.DataFrame(rows, schema={"record_id": pl.String, "key": pl.String}, orient="row")


def pairs_of(
    units: dict[str, str], blocks: Iterable[tuple[str, list[str]]], focus: set[str] | None = None
) -> pl.DataFrame:
    """(left, right) record ids, left < right, of the records that share a block (key,
    record ids) and may be one person: different units, at least one of them without a
    trusted identifier, and (with `focus`) at least one of them in those units."""
    seen: set[tuple[str, str]] = set()
    for _, members in blocks:
        for i, a in enumerate(members):
            ua = units.get(a)
            for b in members[i + 1 :]:
                ub = units.get(b)
                if ua is None or ub is None or ua == ub:
                    continue
                if not (ua.startswith("R:") or ub.startswith("R:")):
                    continue
                if focus is not None and ua not in focus and ub not in focus:
                    continue
                seen.add((a, b) if a < b else (b, a))
    return pl.DataFrame(sorted(seen), schema={"left": pl.String, "right": pl.String}, orient="row")


def candidate_pairs(frame: pl.DataFrame, cap: int, focus: set[str] | None = None) -> pl.DataFrame:
    """(left, right) record ids of the records of `frame` to compare, left < right."""
    k = keys(frame)
    sizes = k.group_by("key").len()
    k = k.join(sizes.filter(pl.col("len") <= cap), on="key").drop("len")
    k = k.join(frame.select("record_id", "unit"), on="record_id")
    pairs = k.join(k, on="key", suffix="_r").filter(
        (pl.col("record_id") < pl.col("record_id_r"))
        & (pl.col("unit") != pl.col("unit_r"))
        & (pl.col("unit").str.starts_with("R:") | pl.col("unit_r").str.starts_with("R:"))
    )
    if focus is not None:
        chosen = pl.Series(sorted(focus), dtype=pl.String)
        pairs = pairs.filter(pl.col("unit").is_in(chosen) | pl.col("unit_r").is_in(chosen))
    return pairs.select(left="record_id", right="record_id_r").unique().sort("left", "right")
