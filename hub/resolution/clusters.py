"""Canonical persons from judgements: connected components over positive judgements
that never join what a negative judgement keeps apart.

Manual positive judgements are applied first, then automatic ones from the highest
score down. An automatic judgement never joins two groups that each hold a valid
resident ID number (two numbers, two people) nor two groups a negative judgement
separates; a manual one only yields to a negative. The canonical id of a group is its
smallest ``P<id number>``, or its smallest unit when no member has one, so it is the same
however the judgements arrived.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.resolution.judgements import NEGATIVE, POSITIVE, Judgement

__all__ = ["canonical"]


def canonical(units: Iterable[str], judgements: Iterable[Judgement]) -> dict[str, str]:
    """unit -> canonical unit, for every unit given or judged."""
    parent: dict[str, str] = {u: u for u in units}
    ids: dict[str, set[str]] = {}
    apart: dict[str, set[str]] = {}

    def find(u: str) -> str:
        parent.setdefault(u, u)
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    def union(a: str, b: str, manual: bool) -> None:
        ra, rb = find(a), find(b)
        if ra == rb:
            return
        ia = ids.setdefault(ra, {ra} if ra.startswith("P") else set())
        ib = ids.setdefault(rb, {rb} if rb.startswith("P") else set())
        na, nb = apart.setdefault(ra, set()), apart.setdefault(rb, set())
        if rb in {find(x) for x in na}:
            return
        if not manual and ia and ib:
            return
        parent[rb] = ra
        ia |= ib
        na |= nb

    judged = list(judgements)
    for j in judged:
        find(j.left)
        find(j.right)
        if j.verdict == NEGATIVE:
            apart.setdefault(j.left, set()).add(j.right)
            apart.setdefault(j.right, set()).add(j.left)
    for j in judged:
        for unit in (j.left, j.right):
            if unit.startswith("P"):
                ids.setdefault(unit, {unit})
    order = sorted(
        (j for j in judged if j.verdict == POSITIVE),
        key=lambda j: (not j.manual, -(j.score or 0.0), j.id),
    )
    for j in order:
        union(j.left, j.right, j.manual)
    groups: dict[str, list[str]] = {}
    for unit in parent:
        groups.setdefault(find(unit), []).append(unit)
    out = {}
    for members in groups.values():
        named = sorted(m for m in members if m.startswith("P"))
        head = named[0] if named else min(members)
        for m in members:
            out[m] = head
    return out
