"""Makes the graph's persons what the judgements say, touching only what changed.

The canonical id of every unit (``clusters.canonical``) is compared with the merges the
graph holds (MergedPerson nodes): merges no longer wanted, or wanted into another
person, are split off first (``queries.resolution.release``), then the missing ones are
made (``absorb``). A merged person that a later sync wrote again is folded back into
its merge before anything else (``unapply`` of the persons a sync writes avoids the need). Splitting
undoes a merge exactly, so the graph after any sequence of runs is the graph one run
over the same judgements makes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from neo4j import Driver

from hub.queries import resolution as q

__all__ = ["Changes", "apply", "unapply"]


@dataclass(frozen=True)
class Changes:
    folded: int
    split: int
    merged: int


def apply(driver: Driver, database: str | None, canonical: dict[str, str]) -> Changes:
    fresh = q.fresh_aliases(driver, database)
    if fresh:
        q.absorb(driver, database, sorted(fresh.items()))
    current = q.aliases(driver, database)
    desired = {u: c for u, c in canonical.items() if u != c}
    split = sorted(u for u, into in current.items() if desired.get(u) != into)
    if split:
        q.release(driver, database, split)
    kept = {u: into for u, into in current.items() if u not in set(split)}
    todo = sorted((u, c) for u, c in desired.items() if kept.get(u) != c)
    if todo:
        q.absorb(driver, database, todo)
    return Changes(len(fresh), len(split), len(todo))


def unapply(driver: Driver, database: str | None, persons: Iterable[str] | None = None) -> int:
    """Split the merges of `persons` (every merge without), whether they were merged or
    others were merged into them, so that a sync writes to the persons its records name.

    A sync writes a record's relationships with MERGE on (person, type, other end); on a
    merged person that MERGE would also match a relationship moved there from another
    person and mix the two. A sync therefore splits the merges of the persons each step
    names before writing it, and resolves after, which re-makes every merge the
    judgements hold; merges of persons it does not name stay as they are."""
    merged = sorted(
        q.aliases(driver, database) if persons is None else q.merges_of(driver, database, persons)
    )
    if merged:
        q.release(driver, database, merged)
    return len(merged)
