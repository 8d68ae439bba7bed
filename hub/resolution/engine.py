"""Resolution of person records, from features to judgements and canonical ids.

No database here: the graph side (``hub.resolution.apply``) reads the records and the
stored judgements and writes the outcome; the benchmark runs this on a county's files.

A pair's score is its Fellegi-Sunter weight in bits (``model``) minus log2 of the size of
the population the records are drawn from (the prior odds that a record belongs to one
given person), minus log2(1 + k) when k other identified persons score within one bit
of the pair's partner (the record could be any of them). The population is more than
the persons the hub has seen: it is estimated from how often identified persons are
seen once and twice (Chao's estimator, ``population``), so that a name shared with
one identified person weighs less in a county where most people were never seen. At or
above ``merge`` the pair gets a positive judgement; at or above ``review`` an unsure
one, for a person to decide.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl

from hub.resolution import blocking, clusters
from hub.resolution.judgements import POSITIVE, RULE, UNSURE, Judgement
from hub.resolution.model import Model, fit

__all__ = ["Outcome", "Thresholds", "population", "resolve", "score_pairs"]

Progress = Callable[[str, int, int], None]  # stage, done, total


@dataclass(frozen=True)
class Thresholds:
    merge: float
    review: float
    block_cap: int = 400


@dataclass
class Outcome:
    judgements: list[Judgement]  # automatic ones made by this run
    canonical: dict[str, str]  # unit -> canonical unit
    model: Model
    candidate_pairs: int = 0
    scored: list[dict[str, Any]] = field(default_factory=list)

    @property
    def review(self) -> list[Judgement]:
        return [j for j in self.judgements if j.verdict == UNSURE]


def score_pairs(
    features: pl.DataFrame,
    pairs: pl.DataFrame,
    model: Model,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Score record pairs; the best pair per unit pair, with its comparisons."""
    rows = {r["record_id"]: r for r in features.to_dicts()}
    best: dict[tuple[str, str], dict[str, Any]] = {}
    total = pairs.height
    for i, (left, right) in enumerate(pairs.iter_rows()):
        x, y = rows[left], rows[right]
        score, levels, parts = model.score(x, y)
        a, b = sorted((x["unit"], y["unit"]))
        key = (a, b)
        if key not in best or score > best[key]["score"]:
            best[key] = {
                "left": a,
                "right": b,
                "score": score,
                "records": sorted((left, right)),
                "levels": levels,
                "weights": parts,
            }
        if progress and i % 20_000 == 0:
            progress("compare", i, total)
    if progress:
        progress("compare", total, total)
    return list(best.values())


def population(features: pl.DataFrame) -> float:
    """Chao1 estimate of how many people the records are drawn from: the persons seen,
    plus f1^2 / (2 f2) unseen ones, f1 and f2 the persons seen in one and in two records
    (counted over identified persons, bias-corrected form)."""
    seen = (
        features.filter(pl.col("unit").str.starts_with("P"))
        .group_by("unit")
        .len()
        .get_column("len")
    )
    f1 = int((seen == 1).sum())
    f2 = int((seen == 2).sum())
    return seen.len() + f1 * (f1 - 1) / (2 * (f2 + 1))


def _adjusted(scored: list[dict[str, Any]], people: float) -> None:
    """Set each pair's `adjusted` score: prior odds and competing identified persons."""
    prior = math.log2(max(people, 2.0))
    by_unit: dict[str, list[tuple[float, str]]] = {}
    for s in scored:
        for me, other in ((s["left"], s["right"]), (s["right"], s["left"])):
            if me.startswith("R:") and other.startswith("P"):
                by_unit.setdefault(me, []).append((s["score"], other))
    for s in scored:
        penalty = 0.0
        for me, other in ((s["left"], s["right"]), (s["right"], s["left"])):
            if not me.startswith("R:"):
                continue
            rivals = sum(
                1 for sc, o in by_unit.get(me, []) if o != other and sc >= s["score"] - 1.0
            )
            penalty = max(penalty, math.log2(1 + rivals))
        s["adjusted"] = s["score"] - prior - penalty
        s["penalty"] = penalty


def resolve(
    features: pl.DataFrame,
    thresholds: Thresholds,
    *,
    stored: Iterable[Judgement] = (),
    new: set[str] | None = None,
    model: Model | None = None,
    at: datetime | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Judge the records' candidate pairs and derive every unit's canonical id.

    `stored` are the judgements already made: manual ones always stand; automatic ones
    are replaced by this run's. With `new` (record ids), only the candidate pairs of the
    persons with a new record, of the pairs judged before, and of the records without
    identifier these reach are scored (incremental); without, every candidate pair is.
    Both fit the weights on every record, so both judge a pair alike."""
    when = at or datetime.now(UTC)
    model = model or fit(features)
    prof = blocking.profiles(features)
    pairs = blocking.candidate_pairs(prof, thresholds.block_cap)
    if new is not None:
        fresh = set(features.filter(pl.col("record_id").is_in(sorted(new)))["unit"].to_list())
        judged = {u for j in stored if not j.manual for u in (j.left, j.right)}
        pairs = blocking.touching(pairs, fresh | judged)
    pairs = pairs.select("left", "right")
    scored = score_pairs(prof, pairs, model, progress)
    _adjusted(scored, population(features))
    made = []
    for s in scored:
        verdict = (
            POSITIVE
            if s["adjusted"] >= thresholds.merge
            else UNSURE
            if s["adjusted"] >= thresholds.review
            else None
        )
        if verdict is None:
            continue
        explain = {
            "records": s["records"],
            "fields": {
                f: {"level": s["levels"][f], "weight": s["weights"][f]} for f in s["levels"]
            },
            "weight": round(s["score"], 2),
            "rivals_penalty": round(s["penalty"], 2),
        }
        made.append(
            Judgement.of(
                s["left"],
                s["right"],
                verdict=verdict,
                by=RULE,
                at=when,
                score=round(s["adjusted"], 3),
                comparisons=json.dumps(explain, ensure_ascii=False, sort_keys=True),
            )
        )
    kept = {j.id: j for j in stored if j.manual}
    for j in made:
        if j.id not in kept or not kept[j.id].manual:
            kept[j.id] = j
    canonical = clusters.canonical(features.get_column("unit").unique().to_list(), kept.values())
    return Outcome(made, canonical, model, pairs.height, scored)
