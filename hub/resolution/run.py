"""Resolution against the graph: read the person records and the judgements, judge the
new (or, with `full`, every) candidate pair, store the judgements, apply the outcome.

Also the manual side: a user's decision about two persons, the review queue, and why an
entity's records were put together.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
from neo4j import Driver

from hub.errors import ResolutionError
from hub.queries import resolution as q
from hub.resolution import apply, clusters, records
from hub.resolution.engine import Outcome, Thresholds, resolve
from hub.resolution.judgements import UNSURE, VERDICTS, Judgement
from hub.settings import Settings

__all__ = ["Report", "decide", "explain", "review_queue", "run", "thresholds"]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Report:
    records: int
    new_records: int
    candidate_pairs: int
    positive: int
    review: int
    persons: int
    changes: apply.Changes


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(settings.resolve_merge, settings.resolve_review, settings.resolve_block_cap)


def _features(driver: Driver, database: str | None) -> tuple[pl.DataFrame, set[str]]:
    rows = q.person_records(driver, database)
    new = {r["record_id"] for r in rows if not r["resolved"]}
    feats = records.features((r["source"], r["stream"], r["record_id"], r["raw"]) for r in rows)
    return feats, new


def _stored(driver: Driver, database: str | None) -> list[Judgement]:
    return [Judgement.from_row(row) for row in q.judgements(driver, database)]


def run(
    driver: Driver,
    settings: Settings,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Resolve the persons of the graph: new records only, or every record with `full`."""
    database = settings.neo4j_database
    say = progress or (lambda stage, done, total: None)
    say("read", 0, 1)
    feats, new = _features(driver, database)
    say("read", 1, 1)
    outcome: Outcome = resolve(
        feats,
        thresholds(settings),
        stored=_stored(driver, database),
        new=None if full else new,
        progress=progress,
    )
    say("store", 0, 1)
    q.write_judgements(driver, database, [j.row() for j in outcome.judgements])
    q.delete_automatic(driver, database, [j.id for j in outcome.judgements])
    say("store", 1, 1)
    say("apply", 0, 1)
    changes = apply.apply(driver, database, outcome.canonical)
    q.mark_resolved(driver, database, sorted(new))
    say("apply", 1, 1)
    return Report(
        records=feats.height,
        new_records=len(new),
        candidate_pairs=outcome.candidate_pairs,
        positive=sum(1 for j in outcome.judgements if j.verdict == "positive"),
        review=len(outcome.review),
        persons=len(set(outcome.canonical.values())),
        changes=changes,
    )


def reapply(driver: Driver, settings: Settings) -> apply.Changes:
    """Derive canonical persons from the stored judgements alone and apply them."""
    database = settings.neo4j_database
    canonical = clusters.canonical(q.person_uids(driver, database), _stored(driver, database))
    return apply.apply(driver, database, canonical)


def decide(
    driver: Driver,
    settings: Settings,
    pairs: list[tuple[str, str]],
    verdict: str,
    user: str,
    *,
    at: datetime | None = None,
    reason: str | None = None,
) -> apply.Changes:
    """Store a user's judgement about each pair of person uids (with the reason they
    gave, if any), and apply what follows."""
    if verdict not in VERDICTS:
        raise ResolutionError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    if any(a == b for a, b in pairs):
        raise ResolutionError("a judgement needs two different persons")
    wanted = sorted({u for pair in pairs for u in pair})
    missing = sorted(set(wanted) - _units(driver, settings.neo4j_database, wanted))
    if missing:
        raise ResolutionError(f"no person or merged person with uid {', '.join(missing)}")
    when = at or datetime.now(UTC)
    said = json.dumps({"reason": reason}, ensure_ascii=False) if reason else "{}"
    rows = [
        Judgement.of(a, b, verdict=verdict, by=f"user:{user}", at=when, comparisons=said).row()
        for a, b in pairs
    ]
    q.write_judgements(driver, settings.neo4j_database, rows)
    return reapply(driver, settings)


def _units(driver: Driver, database: str | None, uids: list[str]) -> set[str]:
    found, _, _ = driver.execute_query(
        "UNWIND $uids AS uid MATCH (p) WHERE (p:Person OR p:MergedPerson) AND p.uid = uid "
        "RETURN DISTINCT p.uid AS uid",
        uids=uids,
        database_=database,
    )
    return {r["uid"] for r in found}


def review_queue(driver: Driver, settings: Settings) -> list[Judgement]:
    """Unsure judgements, highest score first."""
    stored = _stored(driver, settings.neo4j_database)
    return sorted(
        (j for j in stored if j.verdict == UNSURE),
        key=lambda j: (-(j.score or 0.0), j.id),
    )


def explain(driver: Driver, settings: Settings, uid: str) -> dict[str, Any]:
    """The records of an entity and the judgements that put them together."""
    database = settings.neo4j_database
    rows = q.records_of(driver, database, uid)
    person = (
        {"person": rows[0]["person"], "name": rows[0]["name"]}
        if rows
        else q.person_of(driver, database, uid)  # a person no source record made
    )
    if person is None:
        raise ResolutionError(f"no person with uid {uid!r}")
    units = sorted({r["unit"] for r in rows} or {person["person"]})
    wanted = set(units)
    # its own merges and splits, and the pairs with other persons (the review queue's)
    judged = [j for j in _stored(driver, database) if j.left in wanted or j.right in wanted]
    return {
        **person,
        "records": [
            {"record_id": r["record_id"], "unit": r["unit"], "raw": json.loads(r["raw"])}
            for r in rows
        ],
        "units": units,
        "judgements": [
            {
                "pair": j.id,
                "left": j.left,
                "right": j.right,
                "verdict": j.verdict,
                "by": j.by,
                "at": j.at.isoformat(),
                "score": j.score,
                "comparisons": j.explanation(),
            }
            for j in judged
        ],
    }
