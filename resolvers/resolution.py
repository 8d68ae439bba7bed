"""Identity resolution over GraphQL: matching outside records against the persons of the
graph (`matchPersons`), why a person's records are one person and which pairs wait for
review (`identity`), and a user's judgement that two persons are or are not the same
human being (`decideSameEntity`). They call `hub.resolution`, which works with the
synchronous driver, in a worker thread with a driver of their own."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import strawberry

from connectors.mapping import Feature, IdentifierMap, MatchLayout, PersonLayout
from hub import db
from hub.errors import BadRequest, ResolutionError
from hub.queries import resolution as queries
from hub.resolution import apply, run
from hub.resolution import match as matching
from hub.resolution.judgements import UNSURE, Judgement
from resolvers.context import Info
from resolvers.errors import InvalidInput, NotFound
from resolvers.ids import parse
from resolvers.pages import items_argument
from resolvers.types import Person

T = TypeVar("T")

UNSEEN = (
    "you may see none of this person's records, so you may not decide who they are "
    "(a decision is for those who may see the evidence: the person's identity)"
)
# Outside records one request may match: each costs a comparison against its blocks.
MAX_ROWS = 100
FIELDS = ("name", "id_number", "birth_date", "phone", "account", "address")
IDENTITY = MatchLayout(
    PersonLayout(
        {
            f: Feature((f,), "%Y-%m-%d" if f == "birth_date" else None)
            for f in FIELDS
            if f != "id_number"
        },
        (IdentifierMap("id_number", "resident_id"),),
    )
)


@strawberry.input(description="A person as an outside list gives them; every field optional.")
class PersonInput:
    name: str | None = None
    id_number: str | None = None
    birth_date: str | None = strawberry.field(default=None, description="YYYY-MM-DD.")
    phone: str | None = None
    account: str | None = None
    address: str | None = None


@strawberry.type(description="How one field of the input compared with the person's record.")
class FieldComparison:
    field: str
    level: int = strawberry.field(description="Agreement level: -1 missing, 0 none, higher closer.")
    label: str = strawberry.field(description="The level in words: same, similar, different, ...")
    weight: float = strawberry.field(description="Its share of the score, in bits.")


@strawberry.type(description="A person of the graph who may be the one the input describes.")
class MatchCandidate:
    person: Person | None
    score: float = strawberry.field(
        description="Match weight in bits: log2 of the odds that the record is this person."
    )
    matched: bool = strawberry.field(
        description="Resolution would merge the two: the weight reaches the merge weight and "
        "more than a coincidence agrees."
    )
    comparisons: list[FieldComparison]


@strawberry.type(description="The best candidates for one input record, best first.")
class PersonMatch:
    input: int = strawberry.field(description="Position of the record in the input list.")
    candidates: list[MatchCandidate]


@strawberry.type(description="The judgement is stored and the graph follows it.")
class Decided:
    merged: int = strawberry.field(description="Persons merged into another by this decision.")
    split: int = strawberry.field(description="Merges undone by this decision.")


@strawberry.type(description="A judgement of identity resolution about two identities.")
class IdentityJudgement:
    left: str
    right: str
    verdict: str = strawberry.field(description="positive, negative or unsure.")
    by: str = strawberry.field(description="rule:<name> (automatic) or user:<name>.")
    at: dt.datetime
    score: float | None = strawberry.field(description="Match weight in bits; null if manual.")
    comparisons: list[FieldComparison]
    other: Person | None = strawberry.field(
        description="For a pair waiting for review: the person on the other side."
    )


@strawberry.type(description="Why a person's records are one person, and what waits for review.")
class Identity:
    units: list[str] = strawberry.field(
        description="The identities (resident ID number or lone record) merged into the person."
    )
    judgements: list[IdentityJudgement] = strawberry.field(
        description="The judgements between those identities."
    )
    reviews: list[IdentityJudgement] = strawberry.field(
        description="Unsure pairs of the person and another, waiting for a user's decision."
    )


DecisionResult = Annotated[Decided | InvalidInput | NotFound, strawberry.union("DecisionResult")]


async def _in_thread(info: Info, work: Callable[..., T]) -> T:
    def call() -> T:
        with db.driver(info.context.settings) as driver:
            return work(driver)

    return await asyncio.to_thread(call)


async def match_persons(
    info: Info, input: Annotated[list[PersonInput], items_argument()], first: int = 3
) -> list[PersonMatch]:
    """The persons of the graph each outside record most likely describes, with the
    score and the field comparisons that made it."""
    if not 1 <= len(input) <= MAX_ROWS:
        raise BadRequest(f"give 1 to {MAX_ROWS} records, not {len(input)}")
    if not 1 <= first <= 10:
        raise BadRequest(f"first must be between 1 and 10, not {first}")
    rows = [{f: getattr(record, f) for f in FIELDS} for record in input]
    settings, scope = info.context.settings, info.context.scope
    found = await _in_thread(
        info,
        lambda driver: matching.match_rows(
            driver,
            settings.neo4j_database,
            rows,
            IDENTITY,
            run.thresholds(settings),
            top=first,
            scope=scope,
        ),
    )
    loader = info.context.nodes_by("Person", "uid")
    people = await loader.load_many([c.uid for row in found for c in row.candidates])
    by_uid = {p["uid"]: p for p in people if p is not None}
    return [
        PersonMatch(
            input=i,
            candidates=[
                MatchCandidate(
                    person=Person.from_props(by_uid[c.uid]) if c.uid in by_uid else None,
                    score=c.score,
                    matched=c.match,
                    comparisons=_comparisons(c.comparisons),
                )
                for c in row.candidates
            ],
        )
        for i, row in enumerate(found)
    ]


def _comparisons(explained: dict[str, Any]) -> list[FieldComparison]:
    fields = explained.get("fields", {})
    return [
        FieldComparison(
            field=name,
            level=int(v["level"]),
            label=str(v.get("label", "")),  # judgements stored before levels had words
            weight=round(float(v["weight"]), 3),
        )
        for name, v in sorted(fields.items())
    ]


def _judgement(j: Judgement, other: Person | None = None) -> IdentityJudgement:
    return IdentityJudgement(
        left=j.left,
        right=j.right,
        verdict=j.verdict,
        by=j.by,
        at=j.at,
        score=j.score,
        comparisons=_comparisons(j.explanation()),
        other=other,
    )


async def resolve_identity(info: Info, person: strawberry.ID) -> Identity | None:
    """Why a person's records are one person (the judgements between its identities) and
    the pairs of it and another person waiting for a user's decision."""
    found = parse(info, person, frozenset({"Person"}))
    if found is None:
        return None
    settings, scope = info.context.settings, info.context.scope

    def work(driver: Any) -> tuple[list[str], list[Judgement], list[Judgement], dict[str, str]]:
        database = settings.neo4j_database
        seen = queries.records_of(driver, database, found[1], scope)
        units = sorted({r["unit"] for r in seen})
        mine = set(units)
        stored = [Judgement.from_row(r) for r in queries.judgements(driver, database, scope)]
        judged = [j for j in stored if {j.left, j.right} <= mine]
        waiting = sorted(
            (j for j in stored if j.verdict == UNSURE and (j.left in mine) != (j.right in mine)),
            key=lambda j: (-(j.score or 0.0), j.id),
        )
        other = [j.right if j.left in mine else j.left for j in waiting]
        return units, judged, waiting, queries.heads(driver, database, other)

    units, judged, waiting, heads = await _in_thread(info, work)
    if not units:
        return None
    loader = info.context.nodes_by("Person", "uid")
    people = await loader.load_many(sorted(set(heads.values())))
    by_uid = {p["uid"]: Person.from_props(p) for p in people if p is not None}
    mine = set(units)
    # An identity is "P<resident ID number>": masked, like every number of an answer, for
    # roles that see personal numbers masked (`resolvers.guard`).
    return Identity(
        units=units,
        judgements=[_judgement(j) for j in judged],
        reviews=[
            _judgement(j, by_uid.get(heads.get(j.right if j.left in mine else j.left, "")))
            for j in waiting
        ],
    )


async def decide_same_entity(
    info: Info, a: strawberry.ID, b: strawberry.ID, same: bool, reason: str
) -> DecisionResult:
    """Record that two persons are (or are not) the same human being. A user's decision
    is never overridden by a later automatic run; `same: false` splits them if merged."""
    if not reason.strip():
        return InvalidInput(message="a decision needs a reason", field="reason")
    uids = []
    for gid in (a, b):
        found = parse(info, gid, frozenset({"Person"}), strict=False)
        if found is None:
            return NotFound(message="no such person", id=gid)
        uids.append(found[1])
    if uids[0] == uids[1]:
        return InvalidInput(message="a decision needs two different persons", field="b")
    verdict = "positive" if same else "negative"
    user = info.context.principal.user
    settings, scope = info.context.settings, info.context.scope

    def work(driver: Any) -> int | apply.Changes:
        # the evidence of a decision is the persons' records: one who may see none of a
        # person's (another unit's suspect, known only from its cases) does not judge it
        for i, uid in enumerate(uids):
            if not queries.records_of(driver, settings.neo4j_database, uid, scope):
                return i
        return run.decide(
            driver, settings, [(uids[0], uids[1])], verdict, user, reason=reason.strip()
        )

    try:
        changes = await _in_thread(info, work)
    except ResolutionError as exc:
        return NotFound(message=str(exc), id=f"{a} {b}")
    if isinstance(changes, int):
        return NotFound(message=UNSEEN, id=(a, b)[changes])
    return Decided(merged=changes.merged, split=changes.split)
