"""Resolution against the graph: judge the candidate pairs of the new records (or, with
`full`, of every record), store the judgements, apply the outcome.

A run over new records reads the new records, their blocking keys' records (their
candidates) and, for each candidate without a trusted identifier, that record's own
candidates, since its decision weighs every person it could be; the judgements of
those units, and of the units a positive judgement or a merge joins to them, which are
all a canonical person depends on; nothing else. Its cost follows the number of new
records, not the size of the graph. A full run reads every
person record, writes every blocking key again, and (`train`, or when the graph holds
no model yet) trains the model first.

Also the manual side: a user's decision about two persons, the review queue, and why an
entity's records were put together.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl
from neo4j import Driver

from hub.errors import ResolutionError
from hub.queries import resolution as q
from hub.resolution import apply, blocking, clusters, records
from hub.resolution.engine import Outcome, Thresholds, resolve
from hub.resolution.judgements import POSITIVE, UNSURE, VERDICTS, Judgement
from hub.resolution.model import Model, Scorer, train
from hub.settings import Settings

__all__ = ["Ahead", "Report", "decide", "explain", "review_queue", "run", "thresholds"]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Report:
    records: int  # person records read
    new_records: int
    candidate_pairs: int
    positive: int
    review: int
    persons: int  # canonical persons among the units judged
    changes: apply.Changes
    trained: bool = False
    judgements: int = 0  # stored judgements read
    # seconds of each part: reading, training (in a thread, beside writing the blocking
    # keys), judging, storing, applying
    seconds: dict[str, float] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Ahead:
    """A first run's work done before the graph held its records (a bulk load,
    `hub.bulk`): the features of every person record it loaded, whose blocking keys it
    wrote with them, and the model trained on them and the judgements made with it
    while Neo4j's importer ran (into an empty graph: no judgement stood before)."""

    features: pl.DataFrame
    model: Model
    outcome: Outcome | None = None


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(settings.resolve_merge, settings.resolve_review, settings.resolve_block_cap)


def _features(rows: Iterable[Any], known: records.Known | None = None) -> pl.DataFrame:
    return records.features(
        ((r["source"], r["stream"], r["record_id"], r["raw"]) for r in rows), known
    )


def _stored(driver: Driver, database: str | None) -> list[Judgement]:
    return [Judgement.from_row(row) for row in q.judgements(driver, database)]


def model(driver: Driver, settings: Settings) -> Model | None:
    """The model the graph holds, if a run trained one."""
    body = q.load_model(driver, settings.neo4j_database)
    return Model.from_json(body) if body else None


def _train(driver: Driver, settings: Settings, feats: pl.DataFrame) -> Model:
    trained = train(feats)
    _store(driver, settings, trained)
    return trained


def _store(driver: Driver, settings: Settings, trained: Model) -> None:
    q.store_model(
        driver,
        settings.neo4j_database,
        trained.to_json(),
        trained.records,
        json.dumps(trained.summary, ensure_ascii=False),
    )


def block_rows(feats: pl.DataFrame) -> list[dict[str, Any]]:
    return [
        {"record_id": r["record_id"], "keys": blocking.keys_of(r)}
        for r in feats.iter_rows(named=True)
    ]


def _note(driver: Driver, database: str | None, feats: pl.DataFrame) -> None:
    rows = [
        {"record_id": r["record_id"], "errors": "\n".join(r["errors"])}
        for r in feats.select("record_id", "errors").iter_rows(named=True)
        if r["errors"]
    ]
    if rows:
        q.note_errors(driver, database, rows)


def run(
    driver: Driver,
    settings: Settings,
    *,
    full: bool = False,
    train_model: bool = False,
    progress: Progress | None = None,
    ahead: Ahead | None = None,
    known: records.Known | None = None,
) -> Report:
    """Resolve the persons of the graph: new records only, or every record with `full`
    (training the model again with `train_model`). With `ahead`, the first run after a
    bulk load: its features are the graph's person records, its blocking keys are in the
    graph, and its model is stored as the one trained. The features of records `known`
    holds (a sync worked them out as it wrote them) are not worked out again.

    A model is trained (in a thread) while the blocking keys are written."""
    database = settings.neo4j_database
    say = progress or (lambda stage, done, total: None)
    limits = thresholds(settings)
    seconds: dict[str, float] = {}
    began = time.perf_counter()

    def spent(part: str) -> None:
        nonlocal began
        seconds[part] = seconds.get(part, 0.0) + time.perf_counter() - began
        began = time.perf_counter()

    say("read", 0, 1)
    stored_model = None if train_model or ahead else model(driver, settings)
    whole = full or stored_model is None
    if whole:
        if ahead is None:
            rows = q.person_records(driver, database)
            feats = _features(rows, known)
            new = {r["record_id"] for r in rows if not r["resolved"]}
        else:
            feats = ahead.features
            new = set(feats.get_column("record_id").to_list())
        say("read", 1, 1)
        spent("reading")
        trained = stored_model is None
        if ahead is None:
            with ThreadPoolExecutor(1, thread_name_prefix="training") as pool:
                training = pool.submit(_train, driver, settings, feats) if trained else None
                q.clear_blocks(driver, database)
                q.add_blocks(driver, database, block_rows(feats), limits.block_cap)
                spent("blocking keys")
                fitted = training.result() if training is not None else stored_model
                spent("training")
        else:
            fitted = ahead.model
            _store(driver, settings, fitted)
        assert fitted is not None
        before = _stored(driver, database)
        if ahead is not None and ahead.outcome is not None and not before:
            outcome = ahead.outcome
        else:
            outcome = resolve(feats, limits, stored=before, model=fitted, progress=progress)
        judged_units = None
    else:
        assert stored_model is not None  # not whole
        trained = False
        feats, new, pairs, focus = _incremental(driver, settings, stored_model, limits, known)
        # the judgements these records' units had: the manual ones stand, and the
        # automatic ones this run replaces may have held other units together
        units = sorted(set(feats.get_column("unit").to_list()))
        before = [Judgement.from_row(r) for r in q.judgements_of(driver, database, units)]
        say("read", 1, 1)
        spent("reading")
        outcome = resolve(
            feats, limits, stored=before, focus=focus, pairs=pairs, model=stored_model,
            progress=progress,
        )  # fmt: skip
        judged_units = sorted(focus)
    spent("judging")
    say("store", 0, 1)
    _note(driver, database, feats.filter(pl.col("record_id").is_in(sorted(new))))
    q.write_judgements(driver, database, [j.row() for j in outcome.judgements])
    q.delete_automatic(driver, database, [j.id for j in outcome.judgements], judged_units)
    say("store", 1, 1)
    spent("storing")
    say("apply", 0, 1)
    if whole:
        read, canonical = _canonical(driver, database, outcome)
    else:
        seed = set(outcome.canonical) | {u for j in before for u in (j.left, j.right)}
        read, canonical = _canonical_around(driver, database, seed)
    changes = apply.apply(driver, settings, canonical, whole=whole)
    q.mark_resolved(driver, database, sorted(new))
    say("apply", 1, 1)
    spent("applying")
    return Report(
        records=feats.height,
        new_records=len(new),
        candidate_pairs=outcome.candidate_pairs,
        positive=sum(1 for j in outcome.judgements if j.verdict == "positive"),
        review=len(outcome.review),
        persons=len(set(canonical.values())),
        changes=changes,
        trained=trained,
        judgements=len(before) + read,
        seconds=seconds,
    )


def _canonical(
    driver: Driver, database: str | None, outcome: Outcome
) -> tuple[int, dict[str, str]]:
    """The canonical unit of every unit some judgement names, from every stored one;
    and the number of judgements read."""
    stored = _stored(driver, database)
    units = {u for j in stored for u in (j.left, j.right)} | set(outcome.canonical)
    return len(stored), clusters.canonical(sorted(units), stored)


def _canonical_around(
    driver: Driver, database: str | None, seed: set[str]
) -> tuple[int, dict[str, str]]:
    """The canonical unit of the units `seed` and of every unit a positive judgement or
    a merge joins to them, from the stored judgements among them; and the number of
    judgements read. Persons no positive judgement connects to these are not read: a
    group's canonical unit depends only on the judgements within it, and none of
    theirs changed."""
    units, frontier = set(seed), set(seed)
    judged: dict[str, Judgement] = {}
    while frontier:
        reached: set[str] = set()
        for row in q.judgements_of(driver, database, sorted(frontier)):
            j = Judgement.from_row(row)
            judged[j.id] = j
            if j.verdict == POSITIVE:
                reached |= {j.left, j.right}
        for member, head in q.merges_around(driver, database, sorted(frontier)).items():
            reached |= {member, head}
        frontier = reached - units
        units |= reached
    within = [j for j in judged.values() if j.left in units and j.right in units]
    return len(judged), clusters.canonical(sorted(units), within)


def _incremental(
    driver: Driver,
    settings: Settings,
    fitted: Model,
    limits: Thresholds,
    worked: records.Known | None = None,
) -> tuple[pl.DataFrame, set[str], pl.DataFrame, set[str]]:
    """The features, new record ids, candidate pairs and focus units of a run over the
    new records, read through the stored blocking keys.

    A new record is compared with every record of its blocks it may be one person with
    (`_met`: not two trusted identifiers); only those are read. The units judged again
    are the new records' own without a trusted identifier, and those of the records
    without one that a new record could change the judgements of: the ones it scores
    at least the review or the merge weight with (a new candidate above the review
    weight, or a rival above the merge weight, `engine.judge`). Below both, a pair
    changes no judgement of theirs, and they are not read further. Each unit judged
    again has all its candidates read: its blocks' records."""
    database = settings.neo4j_database
    fresh = _features(q.person_records(driver, database, only_new=True), worked)
    new = set(fresh.get_column("record_id").to_list())
    q.add_blocks(driver, database, block_rows(fresh), limits.block_cap)
    known = {r["record_id"]: r for r in fresh.iter_rows(named=True)}

    def grow(ids: Iterable[str]) -> None:
        wanted = sorted(set(ids) - set(known))
        if wanted:
            for r in _features(q.records_by_id(driver, database, wanted)).iter_rows(named=True):
                known[r["record_id"]] = r

    def lookup(rows: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
        keys = sorted({k for r in rows for k in blocking.keys_of(r)})
        return q.blocks(driver, database, keys)

    first = lookup(fresh.iter_rows(named=True))
    mates = sorted({i for ids in first.values() for i in ids} - set(known))
    held = q.units_of(driver, database, mates) | {i: {r["unit"]} for i, r in known.items()}
    met = _met(first, new, held)
    grow(i for pair in met for i in pair)
    met = {(a, b) for a, b in met if a in known and b in known}
    frame = pl.DataFrame(list(known.values()), schema=records.FEATURES)
    scored = Scorer(fitted).score(
        frame, pl.DataFrame(sorted(met), schema=["left", "right"], orient="row")
    )
    unit = dict(frame.select("record_id", "unit").iter_rows())
    floor = min(limits.review, limits.merge)
    moved = {
        unit[r]
        for left, right in scored.filter(pl.col("weight") >= floor)
        .select("left", "right")
        .iter_rows()
        for r in (left, right)
    }
    focus = {u for u in moved | {unit[r] for r in new} if u.startswith("R:")}
    loose = [r for i, r in known.items() if r["unit"] in focus and i not in new]
    second = lookup(loose)
    grow(i for ids in second.values() for i in ids)
    feats = pl.DataFrame(list(known.values()), schema=records.FEATURES)
    units = dict(feats.select("record_id", "unit").iter_rows())
    pairs = blocking.pairs_of(units, (first | second).items(), focus)
    return feats, new, pairs, focus


def _met(
    blocks: dict[str, list[str]], new: set[str], units: dict[str, set[str]]
) -> set[tuple[str, str]]:
    """(left, right), left < right, of each new record and each record of its blocks
    that may be one person with it: of another unit, not both with a trusted
    identifier. A record whose unit the graph does not say is taken as one that may."""

    def trusted(record: str) -> bool:
        found = units.get(record) or set()
        return bool(found) and all(not u.startswith("R:") for u in found)

    out: set[tuple[str, str]] = set()
    for members in blocks.values():
        for a in members:
            if a not in new:
                continue
            for b in members:
                if b == a or (units.get(a) or set()) & (units.get(b) or set()):
                    continue
                if trusted(a) and trusted(b):
                    continue
                out.add((a, b) if a < b else (b, a))
    return out


def reapply(driver: Driver, settings: Settings) -> apply.Changes:
    """Derive canonical persons from the stored judgements alone and apply them."""
    database = settings.neo4j_database
    stored = _stored(driver, database)
    units = sorted({u for j in stored for u in (j.left, j.right)})
    return apply.apply(driver, settings, clusters.canonical(units, stored))


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
