"""Answers that change only with the data, computed once per data version and scope.

Case clusters, dashboard figures and alert counts are computed from the whole graph (a
second and more on a large county) and change only when a sync, an operation or an
alert changes the data. Each request reads the data's version (one small read,
`hub.queries.generation`) and is given what was computed at that version for the same
question and the same visibility (`hub.access.visibility_key`: what decides the cases
the asker may see), or the answer is computed now and kept. So no unit is ever given
another's answer, and a change made through any API process, or by a sync, is seen by
every process at its next request. Answers computed at once for the same key are
computed once. What is kept is the shaped answer with the entities computing it built:
they are recorded again for the audit event of every request given it, and masking
applies as each request completes its fields.

Every such answer says how old it is (`Freshness`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry

from hub.access import visibility_key
from hub.queries import generation
from resolvers.types import BUILT, Entity

if TYPE_CHECKING:
    from resolvers.context import Info

T = TypeVar("T")
KEPT = 256  # answers kept per API process, least recently used dropped first


@strawberry.type(
    description="How old an answer is: it is computed once per change of the data (a sync, "
    "an operation or alert changed) and kept until the next."
)
class Freshness:
    computed_at: dt.datetime = strawberry.field(description="When the answer was computed.")
    age_seconds: float = strawberry.field(description="Seconds since it was computed.")
    cached: bool = strawberry.field(description="Kept from an earlier request, not computed now.")


@dataclass(frozen=True)
class _Kept:
    version: str
    value: Any
    computed_at: dt.datetime
    built: tuple[Entity, ...]  # the entities computing it built: shown with it


class Answers:
    """The answers one API process keeps, by (question, visibility key)."""

    def __init__(self, size: int = KEPT) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._pending: dict[tuple[Hashable, str], asyncio.Future[_Kept]] = {}

    async def get(
        self, version: str | None, key: Hashable, compute: Callable[[], Awaitable[T]]
    ) -> tuple[T, Freshness]:
        """The answer to `key` at `version`, computed by `compute` unless kept (a graph
        without a version keeps nothing)."""
        if version is None:
            began = dt.datetime.now(dt.UTC)
            return await compute(), _freshness(began, cached=False)
        kept = self._kept.get(key)
        if kept is not None and kept.version == version:
            self._kept.move_to_end(key)
            _shown(kept)
            return kept.value, _freshness(kept.computed_at, cached=True)
        pending = self._pending.get((key, version))
        if pending is None:
            pending = asyncio.ensure_future(self._compute(key, version, compute))
            self._pending[(key, version)] = pending
            pending.add_done_callback(lambda _: self._pending.pop((key, version), None))
        # shielded: a request that goes away does not cancel the others' answer
        fresh = await asyncio.shield(pending)
        _shown(fresh)
        return fresh.value, _freshness(fresh.computed_at, cached=False)

    async def _compute(
        self, key: Hashable, version: str, compute: Callable[[], Awaitable[Any]]
    ) -> _Kept:
        # a task of its own: what it builds is its own, not the first asker's
        began = dt.datetime.now(dt.UTC)
        built: list[Entity] = []
        BUILT.set(built)
        fresh = _Kept(version, await compute(), began, tuple(built))
        self._kept[key] = fresh
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return fresh


def _shown(kept: _Kept) -> None:
    """Record the entities of a kept answer as built by this request (its audit event)."""
    shown = BUILT.get()
    if shown is not None:
        shown.extend(kept.built)


def _freshness(computed_at: dt.datetime, cached: bool) -> Freshness:
    age = (dt.datetime.now(dt.UTC) - computed_at).total_seconds()
    return Freshness(computed_at=computed_at, age_seconds=round(age, 3), cached=cached)


async def kept(
    info: Info, question: Hashable, compute: Callable[[], Awaitable[T]]
) -> tuple[T, Freshness]:
    """The answer to `question` for the asker, kept per data version in the request's
    `answers` (computed every time where there are none)."""
    ctx = info.context
    if ctx.answers is None:
        return await Answers(0).get(None, question, compute)
    found = await generation.current(ctx.driver, **ctx.read)
    version = None if found is None else found.value
    return await ctx.answers.get(version, (question, visibility_key(ctx.principal)), compute)
