"""Seeded randomness: counter-based for polars columns, random.Random for small loops.

A column's random numbers are a pure function of (salt, row index): splitmix64 of the
two, written as polars expressions on UInt64 (multiplication wraps), so a million rows
cost a handful of vectorised operations and the result depends on no thread schedule
and no library version. Salts come from blake2b of the seed and a name, never from
Python's per-process string hash.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from itertools import accumulate

import polars as pl

__all__ = [
    "choice",
    "index",
    "py_rng",
    "randint",
    "salt",
    "uniform",
    "weighted",
]

_U64 = pl.UInt64
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB


def salt(seed: int, *parts: str | int) -> int:
    """A 64-bit salt for one use of randomness, stable across processes and platforms."""
    text = ":".join(str(p) for p in (seed, *parts))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def py_rng(seed: int, *parts: str | int) -> random.Random:
    return random.Random(salt(seed, *parts))


def index() -> pl.Expr:
    """The row number, the counter that column randomness is a function of."""
    return pl.int_range(pl.len(), dtype=pl.UInt64)


def _lit(value: int) -> pl.Expr:
    return pl.lit(value, dtype=_U64)


def _mix(z: pl.Expr) -> pl.Expr:
    z = z.xor(z // (1 << 30)) * _lit(_M1)
    z = z.xor(z // (1 << 27)) * _lit(_M2)
    return z.xor(z // (1 << 31))


def bits(key: int, counter: pl.Expr | None = None) -> pl.Expr:
    """64 random bits per row."""
    c = (index() if counter is None else counter).cast(_U64)
    return _mix(c * _lit(_GOLDEN) + _lit(key))


def uniform(key: int, counter: pl.Expr | None = None) -> pl.Expr:
    """A float in [0, 1) per row."""
    return (bits(key, counter) // (1 << 11)).cast(pl.Float64) * (2.0**-53)


def randint(key: int, low: int, high: int, counter: pl.Expr | None = None) -> pl.Expr:
    """An integer in [low, high) per row."""
    return (uniform(key, counter) * (high - low)).floor().cast(pl.Int64) + low


def weighted(key: int, weights: Sequence[float], counter: pl.Expr | None = None) -> pl.Expr:
    """The index (UInt32) of one of weights per row, drawn in proportion to the weight."""
    total = float(sum(weights))
    cumulative = [w / total for w in accumulate(weights)][:-1]
    if not cumulative:
        return pl.lit(0, dtype=pl.UInt32)
    return pl.lit(pl.Series(cumulative, dtype=pl.Float64)).search_sorted(
        uniform(key, counter), side="right"
    )


def choice(
    key: int,
    values: Sequence[str],
    weights: Sequence[float] | None = None,
    counter: pl.Expr | None = None,
) -> pl.Expr:
    """One of values per row, uniformly or in proportion to weights."""
    drawn = (
        weighted(key, weights, counter)
        if weights is not None
        else randint(key, 0, len(values), counter).cast(pl.UInt32)
    )
    return drawn.replace_strict(list(range(len(values))), list(values), return_dtype=pl.String)
