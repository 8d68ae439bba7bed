"""Makes the graph's persons what the judgements say, touching only what changed.

The canonical id of every unit (``clusters.canonical``) is compared with the merges the
graph holds (MergedPerson nodes): merges no longer wanted, or wanted into another
person, are split off first (``queries.resolution.release``), then the missing ones are
made (``absorb``). A merged person that a later sync wrote again (a new record of
theirs) is folded back into its merge before anything else. Splitting undoes a merge
exactly, so the graph after any sequence of runs is the graph one run over the same
judgements makes.
"""

from __future__ import annotations

from dataclasses import dataclass

from neo4j import Driver

from hub.queries import generation
from hub.queries import resolution as q
from hub.settings import Settings

__all__ = ["Changes", "apply", "unapply"]


@dataclass(frozen=True)
class Changes:
    folded: int
    split: int
    merged: int


def apply(
    driver: Driver, settings: Settings, canonical: dict[str, str], *, whole: bool = True
) -> Changes:
    """Make the graph's merges those of `canonical`: of every unit (`whole`), or only of
    the units it names and the merges around them (a run over new records, whose
    `canonical` covers every unit its judgements can have moved)."""
    database = settings.neo4j_database
    fresh = q.fresh_aliases(driver, database)
    if fresh:
        q.absorb(driver, database, sorted(fresh.items()))
    current = (
        q.aliases(driver, database)
        if whole
        else q.merges_around(driver, database, sorted(canonical))
    )
    desired = {u: c for u, c in canonical.items() if u != c}
    split = sorted(u for u, into in current.items() if desired.get(u) != into)
    if split:
        q.release(driver, database, split)
    kept = {u: into for u, into in current.items() if u not in set(split)}
    todo = sorted((u, c) for u, c in desired.items() if kept.get(u) != c)
    if todo:
        q.absorb(driver, database, todo)
    if fresh or split or todo:  # persons changed: answers kept per data version are stale
        generation.bump(driver, settings, "resolution")
    return Changes(len(fresh), len(split), len(todo))


def unapply(driver: Driver, database: str | None) -> int:
    """Split every merge: the graph as the sources wrote it (tests and benchmarks start
    from it; a sync keeps the merges)."""
    merged = sorted(q.aliases(driver, database))
    if merged:
        q.release(driver, database, merged)
    return len(merged)
