"""Fellegi-Sunter weights, estimated from the data themselves.

For each field and agreement level, ``m`` is the share of true matches at that level and
``u`` the share of non-matches; a level's weight is log2(m/u) bits, and a pair's score
the sum over its fields (a missing field weighs nothing).

How they are estimated (no hand-set constants):
- ``m`` from the pairs the deterministic rule already settled: two records of one
  person with the same valid resident ID number. Their names, birth dates, addresses
  and phones differ exactly as the sources' noise makes them differ.
- ``u`` from random pairs of records of two different identified persons (different
  valid ID numbers), which are non-matches; per field, among the records that have that
  field, so that a field few records carry (a phone, an account) is estimated as well
  as one every record carries.
- The weight of an exactly equal name is sharpened by how common that name is among the
  identified persons (term-frequency adjustment): agreeing on 张伟 says less than
  agreeing on 欧阳晓梅.
Counts are smoothed by half a pair per level, so no level has zero probability.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import polars as pl

from hub.resolution.compare import FIELDS, LEVELS, MISSING, compare, level, present

__all__ = ["Model", "fit"]

_SAMPLE = 50_000


@dataclass(frozen=True)
class Model:
    m: dict[str, dict[int, float]]
    u: dict[str, dict[int, float]]
    name_share: dict[str, float] = field(default_factory=dict)
    floor_share: float = 1e-6
    match_pairs: int = 0
    random_pairs: int = 0

    def weight(self, name: str, level: int, x: dict[str, Any] | None = None) -> float:
        if level == MISSING:
            return 0.0
        m = self.m[name][level]
        u = self.u[name][level]
        if name == "name" and level == 3 and x is not None and x.get("name"):
            u = max(self.name_share.get(str(x["name"]), self.floor_share), self.floor_share)
        return math.log2(m / u)

    def score(
        self, x: dict[str, Any], y: dict[str, Any]
    ) -> tuple[float, dict[str, int], dict[str, float]]:
        """Total weight in bits of two records, their levels and each field's weight."""
        levels = compare(x, y, scoring=True)
        parts = {f: round(self.weight(f, lv, x), 2) for f, lv in levels.items()}
        return sum(parts.values()), levels, parts

    def describe(self) -> list[tuple[str, str, float, float, float]]:
        """(field, level, m, u, weight) for every level, for --explain and the docs."""
        return [
            (
                f,
                LEVELS[f][lv],
                self.m[f][lv],
                self.u[f][lv],
                math.log2(self.m[f][lv] / self.u[f][lv]),
            )
            for f in FIELDS
            for lv in sorted(LEVELS[f])
        ]


def _shares(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, dict[int, float]]:
    counts = {f: dict.fromkeys(LEVELS[f], 0.5) for f in FIELDS}
    for x, y in pairs:
        for f, agreement in compare(x, y).items():
            if agreement != MISSING:
                counts[f][agreement] += 1
    return {f: {lv: c / sum(cs.values()) for lv, c in cs.items()} for f, cs in counts.items()}


def _random_shares(rows: list[dict[str, Any]], rng: random.Random) -> dict[str, dict[int, float]]:
    """u per field from random pairs of two persons' records that both have the field."""
    out = {}
    for f in FIELDS:
        have = [r for r in rows if present(f, r)]
        counts = dict.fromkeys(LEVELS[f], 0.5)
        if len(have) > 1:
            for _ in range(min(_SAMPLE, 4 * len(have))):
                a, b = rng.choice(have), rng.choice(have)
                if a["unit"] != b["unit"]:
                    counts[level(f, a, b)] += 1
        out[f] = {lv: c / sum(counts.values()) for lv, c in counts.items()}
    return out


def fit(features: pl.DataFrame, seed: int = 0) -> Model:
    """Estimate the model from records' features (``records.FEATURES``)."""
    rng = random.Random(seed)
    known = features.filter(pl.col("unit").str.starts_with("P")).sort("unit", "record_id")
    rows = known.to_dicts()
    matches = [(a, b) for a, b in pairwise(rows) if a["unit"] == b["unit"]]
    if len(matches) > _SAMPLE:
        matches = rng.sample(matches, _SAMPLE)
    names = (
        known.filter(pl.col("name").is_not_null()).unique(["unit", "name"]).group_by("name").len()
    )
    units = max(1, known.get_column("unit").n_unique())
    share = {str(n): c / units for n, c in names.iter_rows()}
    return Model(
        m=_shares(matches),
        u=_random_shares(rows, rng),
        name_share=share,
        floor_share=1 / units,
        match_pairs=len(matches),
        random_pairs=min(_SAMPLE, 4 * len(rows)),
    )
