"""Resolution of person records, from features to judgements and canonical ids.

No database here: the graph side (``hub.resolution.run``) reads the records, their
candidates and the stored judgements and writes the outcome; the benchmark runs this on
a county's files.

Each candidate pair (``blocking``) is scored by the model (``model``: a match weight in
bits, the log2 odds that the two records are one person). The decision:
- merge (a positive judgement) at or above ``merge`` bits, only if the two agree on more
  than a coincidence can explain: a document, a phone, an account or an address
  (``model.EVIDENCE``). A name alone is shared by namesakes: such a pair goes to review
  however high it scores. A name and a birth date merge only when the model finds the
  two together rare, ``coincidence`` bits above the merge weight (the term frequencies
  of the name and the date are in the weight): a common name born on a common day goes
  to review;
- and only if the record without a trusted identifier has no other identified person
  within ``rival`` bits of this one: then it could be either, and both go to review;
- review (an unsure judgement) at or above ``review`` bits.
A unit's decisions depend only on its own candidate pairs, so judging the pairs of the
records a run touches (``focus``) gives what judging every pair gives.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl

from hub.resolution import blocking, clusters
from hub.resolution.judgements import POSITIVE, RULE, UNSURE, Judgement
from hub.resolution.model import EVIDENCE, Model, Scorer, train

__all__ = ["Outcome", "Thresholds", "evidence", "judge", "resolve"]

Progress = Callable[[str, int, int], None]  # stage, done, total


@dataclass(frozen=True)
class Thresholds:
    merge: float
    review: float
    block_cap: int = 400
    rival: float = 4.0  # bits by which the best identified person must beat the next
    coincidence: float = 6.0  # bits above `merge` a name and birth date alone must reach


@dataclass
class Outcome:
    judgements: list[Judgement]  # automatic ones made by this run
    canonical: dict[str, str]  # unit -> canonical unit
    model: Model
    candidate_pairs: int = 0
    scored: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def review(self) -> list[Judgement]:
        return [j for j in self.judgements if j.verdict == UNSURE]


def evidence(fields: dict[str, Any], weight: float, thresholds: Thresholds) -> list[str]:
    """What the two agree on beyond a coincidence: a document, phone, account or address;
    or a name and birth date the model finds rare enough together."""
    found = [name for name, labels in EVIDENCE.items() if fields[name]["label"] in labels]
    if (
        not found
        and fields["name"]["label"] in ("same", "same reading")
        and fields["birth"]["label"] == "same"
        and weight >= thresholds.merge + thresholds.coincidence
    ):
        found = ["name and birth date, rare together"]
    return found


def judge(
    features: pl.DataFrame,
    pairs: pl.DataFrame,
    model: Model,
    thresholds: Thresholds,
    *,
    at: datetime | None = None,
) -> tuple[list[Judgement], pl.DataFrame]:
    """Score the (left, right) record pairs and judge each pair of units: the best-scored
    pair of their records decides. Returns the judgements and the scored pairs."""
    when = at or datetime.now(UTC)
    scored = Scorer(model).score(features, pairs)
    unit = dict(features.select("record_id", "unit").iter_rows())
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for row in scored.iter_rows(named=True):
        a, b = sorted((unit[row["left"]], unit[row["right"]]))
        held = best.get((a, b))
        # the highest weight; of equal ones the first pair of records, in whatever order
        # the pairs were scored
        if held is None or (-row["weight"], row["left"], row["right"]) < (
            -held["weight"],
            held["left"],
            held["right"],
        ):
            best[(a, b)] = row
    # the identified persons each record without identifier could be
    could_be: dict[str, list[tuple[float, str]]] = {}
    for (a, b), row in best.items():
        for me, other in ((a, b), (b, a)):
            if me.startswith("R:") and other.startswith("P") and row["weight"] >= thresholds.merge:
                could_be.setdefault(me, []).append((row["weight"], other))
    made = []
    for (a, b), row in sorted(best.items()):
        weight = row["weight"]
        if weight < thresholds.review:
            continue
        fields = json.loads(row["fields"])
        agreed = evidence(fields, weight, thresholds)
        rivals = sorted(
            {
                other
                for me, them in ((a, b), (b, a))
                for w, other in could_be.get(me, [])
                if other != them and w >= weight - thresholds.rival
            }
        )
        if weight >= thresholds.merge and agreed and not rivals:
            verdict, why = POSITIVE, f"agree on {', '.join(agreed)}"
        elif weight >= thresholds.merge and not agreed:
            verdict, why = UNSURE, "nothing but the name, birth date, sex or ethnicity agrees"
        elif weight >= thresholds.merge:
            verdict, why = UNSURE, f"as likely {', '.join(rivals)}"
        else:
            verdict, why = UNSURE, "below the merge weight"
        explain = {
            "records": sorted((row["left"], row["right"])),
            "fields": fields,
            "weight": round(weight, 2),
            "prior": round(model.prior, 2),
            "why": why,
        }
        made.append(
            Judgement.of(
                a,
                b,
                verdict=verdict,
                by=RULE,
                at=when,
                score=round(weight, 3),
                comparisons=json.dumps(explain, ensure_ascii=False, sort_keys=True),
            )
        )
    return made, scored


def resolve(
    features: pl.DataFrame,
    thresholds: Thresholds,
    *,
    stored: Iterable[Judgement] = (),
    focus: set[str] | None = None,
    pairs: pl.DataFrame | None = None,
    model: Model | None = None,
    at: datetime | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Judge the records' candidate pairs and derive every unit's canonical id.

    `stored` are the judgements already made: manual ones always stand; automatic ones
    of the units judged now are replaced by this run's. With `focus` (units), only the
    pairs of those units are judged, and `features` must hold their candidates; `pairs`
    gives the candidate pairs instead of finding them among `features`. Without a
    `model`, one is trained on `features`."""
    say = progress or (lambda stage, done, total: None)
    if model is None:
        say("train", 0, 1)
        model = train(features)
        say("train", 1, 1)
    if pairs is None:
        pairs = blocking.candidate_pairs(features, thresholds.block_cap, focus)
    say("compare", 0, pairs.height)
    made, scored = judge(features, pairs, model, thresholds, at=at)
    say("compare", pairs.height, pairs.height)
    kept = {j.id: j for j in stored if j.manual}
    for j in made:
        if j.id not in kept:
            kept[j.id] = j
    units = features.get_column("unit").unique().to_list()
    canonical = clusters.canonical(units, kept.values())
    return Outcome(made, canonical, model, pairs.height, scored)
