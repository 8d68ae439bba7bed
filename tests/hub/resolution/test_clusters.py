"""Canonical ids from judgements: positives join, negatives keep apart, users win."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.resolution.clusters import canonical
from hub.resolution.judgements import Judgement

AT = datetime(2026, 11, 1, tzinfo=UTC)


def judge(
    a: str, b: str, verdict: str, by: str = "rule:fellegi-sunter", score: float = 1.0
) -> Judgement:
    return Judgement.of(a, b, verdict=verdict, by=by, at=AT, score=score)


def test_positives_join_and_the_identified_unit_names_the_group() -> None:
    got = canonical(
        ["R:b", "R:a", "P1"], [judge("R:a", "R:b", "positive"), judge("R:b", "P1", "positive")]
    )
    assert got == {"R:a": "P1", "R:b": "P1", "P1": "P1"}


def test_a_rule_never_joins_two_valid_id_numbers_but_a_user_may() -> None:
    rule = [judge("R:a", "P1", "positive", score=5), judge("R:a", "P2", "positive", score=3)]
    got = canonical(["P1", "P2", "R:a"], rule)
    assert got["R:a"] == "P1" and got["P2"] == "P2"
    got = canonical(["P1", "P2"], [judge("P1", "P2", "positive", by="user:lee")])
    assert got["P2"] == "P1"


def test_a_negative_keeps_groups_apart_even_through_a_third_unit() -> None:
    judged = [
        judge("R:a", "P1", "negative", by="user:lee"),
        judge("R:a", "R:b", "positive", score=9),
        judge("R:b", "P1", "positive", score=8),
    ]
    got = canonical(["R:a", "R:b", "P1"], judged)
    assert got["R:a"] != got["P1"]


def test_unsure_judgements_join_nothing() -> None:
    got = canonical(["R:a", "P1"], [judge("R:a", "P1", "unsure")])
    assert got == {"R:a": "R:a", "P1": "P1"}
