"""Case clusters, fugitive hits, co-presence and dashboard figures: thin resolvers over
`hub.queries.clusters`, `hub.queries.presence` and `hub.queries.stats`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from hub.errors import BadRequest
from hub.queries import clusters, presence, stats
from resolvers import cached
from resolvers.cached import Freshness
from resolvers.context import Info
from resolvers.executor import Remembered
from resolvers.ids import parse
from resolvers.links import Link, link, native
from resolvers.numbers import no_number_argument
from resolvers.types import Case, Entity, Person, Place, Warrant, entity

LINKING = ("BankAccount", "Phone", "Person")


@strawberry.type(description="Cases linked through shared accounts, phones or persons.")
class CaseCluster:
    cases: list[Case]
    links: list[Entity] = strawberry.field(description="The shared entities that link them.")
    size: int


@strawberry.type(
    description="Groups of linked cases, biggest first: the basis of a cluster strike."
)
class CaseClusters:
    clusters: list[CaseCluster]
    truncated: bool
    freshness: Freshness


@strawberry.type(description="A wanted person seen in a big-data event.")
class FugitiveHit:
    person: Person
    warrant: Warrant
    at: dt.datetime
    event: Link = strawberry.field(description="The stay, journey, pass or calls.")
    place: Place | None


@strawberry.type(description="Wanted persons seen in big-data events, newest first.")
class FugitiveHits:
    hits: list[FugitiveHit]
    truncated: bool


@strawberry.type(description="Someone at the same place as the person, at about the same time.")
class CoPresent:
    person: Person
    place: Place
    at: dt.datetime = strawberry.field(description="When they were there.")
    person_at: dt.datetime = strawberry.field(description="When the person asked about was.")
    event: Link


@strawberry.type(description="People seen with the person, closest in time first.")
class CoPresence:
    present: list[CoPresent]
    truncated: bool


@strawberry.type(description="A dashboard figure with the same period a year earlier.")
class Figure:
    name: str
    value: float
    previous: float = strawberry.field(description="The same period a year earlier.")
    change_percent: float | None = strawberry.field(
        description="Change against a year earlier in per cent; null when that was zero."
    )


@strawberry.type(description="Figures for a period.")
class Stats:
    start: dt.datetime = strawberry.field(name="from")
    end: dt.datetime = strawberry.field(name="to")
    unit: str | None
    figures: list[Figure]
    freshness: Freshness


def _aware(name: str, value: dt.datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise BadRequest(f"{name} needs a time zone offset, e.g. 2026-10-01T00:00:00+08:00")


async def resolve_case_clusters(
    info: Info,
    since: dt.datetime | None = None,
    min_shared: int = 1,
    kinds: list[str] | None = None,
) -> CaseClusters:
    """Groups of cases linked through shared accounts, phones or persons (`kinds`), each
    with the linking entities, ordered by size."""
    _aware("since", since)
    chosen = tuple(kinds or LINKING)
    unknown = sorted(set(chosen) - set(LINKING))
    if unknown:
        raise BadRequest(f"unknown kinds {unknown}; cases are linked through {list(LINKING)}")
    if min_shared < 1:
        raise BadRequest(f"minShared must be at least 1, not {min_shared}")
    settings = info.context.settings
    cap = settings.max_results

    async def compute() -> tuple[list[CaseCluster], bool]:
        found = await clusters.shared(
            info.context.driver, since, chosen, settings.busy_degree, info.context.scope,
            **info.context.read,
        )  # fmt: skip
        groups = clusters.clusters(found.links, min_shared)
        kept = groups[:cap]
        numbers = {n for cases, _ in kept for n in cases}
        by_no = {n: Case.from_props(found.cases[n]) for n in numbers}
        shaped = Remembered(
            CaseCluster(
                cases=[by_no[n] for n in cases],
                links=[entity(found.links[i]["label"], found.links[i]["props"]) for i in links],
                size=len(cases),
            )
            for cases, links in kept
        )
        return shaped, len(groups) > cap

    question = ("caseClusters", since, chosen, min_shared, settings.busy_degree, cap)
    (shaped, truncated), freshness = await cached.kept(info, question, compute)
    return CaseClusters(clusters=shaped, truncated=truncated, freshness=freshness)


async def resolve_fugitive_hits(info: Info, since: dt.datetime | None = None) -> FugitiveHits:
    """Wanted persons in big-data events (check-ins, tickets, checkpoint passes, calls from
    their known phones) since their warrant was issued, newest first."""
    _aware("since", since)
    cap = info.context.settings.max_results
    rows = await presence.fugitive_hits(info.context.driver, since, cap + 1, **info.context.read)
    return FugitiveHits(
        hits=[
            FugitiveHit(
                person=Person.from_props(r["person"]),
                warrant=Warrant.from_props(r["warrant"]),
                at=native(r["at"]),
                event=link(r["type"], r["rel"]),
                place=None if r["place"] is None else Place.from_props(r["place"]),
            )
            for r in rows[:cap]
        ],
        truncated=len(rows) > cap,
    )


async def resolve_co_presence(
    info: Info, person: strawberry.ID, within: int = 60, places: list[str] | None = None
) -> CoPresence | None:
    """People seen at the same hotel, station or checkpoint within `within` minutes of
    the person."""
    if not 1 <= within <= 7 * 24 * 60:
        raise BadRequest(f"within must be between 1 and {7 * 24 * 60} minutes, not {within}")
    found = parse(info, person, frozenset({"Person"}))
    if found is None or await info.context.nodes_by("Person", "uid").load(found[1]) is None:
        return None
    cap = info.context.settings.max_results
    rows = await presence.co_presence(
        info.context.driver, found[1], within, places or (), cap + 1, **info.context.read
    )
    return CoPresence(
        present=[
            CoPresent(
                person=Person.from_props(r["person"]),
                place=Place.from_props(r["place"]),
                at=native(r["at"]),
                person_at=native(r["other_at"]),
                event=link(r["type"], r["rel"]),
            )
            for r in rows[:cap]
        ],
        truncated=len(rows) > cap,
    )


def _year_earlier(value: dt.datetime) -> dt.datetime:
    try:
        return value.replace(year=value.year - 1)
    except ValueError:  # 29 February
        return value.replace(year=value.year - 1, day=28)


async def resolve_stats(
    info: Info,
    start: Annotated[dt.datetime, strawberry.argument(name="from")],
    end: Annotated[dt.datetime, strawberry.argument(name="to")],
    unit: Annotated[str | None, no_number_argument("A unit's code: its cases only.")] = None,
) -> Stats:
    """Cases accepted, filed and solved; suspects caught; fraud reports and losses;
    warnings; victims dissuaded; stop-payment amounts; each against a year earlier.
    Case figures count only the cases the asker may see; `unit` limits them to one unit."""
    _aware("from", start)
    _aware("to", end)
    if start >= end:
        raise BadRequest("from must be before to")
    ctx = info.context

    async def figures(a: dt.datetime, b: dt.datetime) -> dict[str, float]:
        cases = await stats.case_figures(ctx.driver, a, b, unit, ctx.scope, **ctx.read)
        fraud = await stats.fraud_figures(ctx.driver, a, b, ctx.scope, **ctx.read)
        return {**cases, **fraud}

    async def compute() -> tuple[dict[str, float], dict[str, float]]:
        return await figures(start, end), await figures(_year_earlier(start), _year_earlier(end))

    (now, before), freshness = await cached.kept(info, ("stats", start, end, unit), compute)
    return Stats(
        start=start,
        end=end,
        unit=unit,
        figures=[
            Figure(
                name=name,
                value=value,
                previous=before[name],
                change_percent=None
                if not before[name]
                else round(100 * (value - before[name]) / before[name], 1),
            )
            for name, value in now.items()
        ],
        freshness=freshness,
    )
