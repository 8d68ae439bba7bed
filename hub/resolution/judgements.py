"""A judgement: one decision about whether two persons' records are the same person.

Positive, negative or unsure; by a rule (``rule:fellegi-sunter``) or a user
(``user:<name>``); when; with the score and the comparisons that produced it. The pair
is two *units* (``P<id number>`` or ``R:<record id>``), in sorted order, so a pair has
one judgement. A manual judgement is never replaced by an automatic one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["NEGATIVE", "POSITIVE", "RULE", "UNSURE", "VERDICTS", "Judgement", "pair_id"]

POSITIVE, NEGATIVE, UNSURE = "positive", "negative", "unsure"
VERDICTS = (POSITIVE, NEGATIVE, UNSURE)
RULE = "rule:fellegi-sunter"


def pair_id(a: str, b: str) -> str:
    left, right = sorted((a, b))
    return f"{left}|{right}"


@dataclass(frozen=True)
class Judgement:
    left: str
    right: str
    verdict: str
    by: str
    at: datetime
    score: float | None = None
    comparisons: str = "{}"  # JSON: field -> {level, weight}, and the records compared

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, not {self.verdict!r}")
        if self.left >= self.right:
            raise ValueError("a judgement's left unit sorts before its right one")

    @classmethod
    def of(cls, a: str, b: str, **kwargs: Any) -> Judgement:
        left, right = sorted((a, b))
        return cls(left, right, **kwargs)

    @property
    def id(self) -> str:
        return f"{self.left}|{self.right}"

    @property
    def manual(self) -> bool:
        return not self.by.startswith("rule:")

    def row(self) -> dict[str, Any]:
        return {
            "judgement_id": self.id,
            "left": self.left,
            "right": self.right,
            "verdict": self.verdict,
            "by": self.by,
            "manual": self.manual,
            "at": self.at,
            "score": self.score,
            "comparisons": self.comparisons,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Judgement:
        at = row["at"]
        return cls(
            row["left"],
            row["right"],
            row["verdict"],
            row["by"],
            at.to_native() if hasattr(at, "to_native") else at,
            row.get("score"),
            row.get("comparisons") or "{}",
        )

    def explanation(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.comparisons)
        return loaded
