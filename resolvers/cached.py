"""Answers that change only with the data, computed once per data version and scope.

Case clusters, dashboard figures and alert counts are computed from the whole graph (a
second and more on a large county) and change only when a sync, an operation or an
alert changes the data. Each request reads the data's version (`hub.queries.generation`:
a file for the project-run Neo4j, a small read of the graph against `NEO4J_URI`) and is
given what was computed at that version for the same
question and the same visibility (`hub.access.visibility_key`: what decides the cases
the asker may see), or the answer is computed now and kept. So no unit is ever given
another's answer, and a change made through any API process, or by a sync, is seen by
every process at its next request. Answers computed at once for the same key are
computed once. What is kept is the shaped answer with the global ids of the entities
computing it built, sealed once (`Shown`): they are recorded again for the audit event
of every request given it. The executor keeps each completion of a shaped list per
selection and role, redacted once where the role's answers are (`resolvers.executor`).

Every such answer says how old it is (`Freshness`). A request whose writes gave the data
a new version in their transaction writes the version's file once it has run
(`Stamping`), so that the other processes of this machine see the change.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry
from strawberry.extensions import SchemaExtension

from hub.access import visibility_key
from hub.ids import IdCodec
from hub.queries import generation
from resolvers.ids import relay_id
from resolvers.types import BUILT, Entity, Shown

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


class Answers:
    """The answers one API process keeps, by (question, visibility key); `stamp`: the
    file of the data's version, if there is one (`generation.stamp`)."""

    def __init__(self, size: int = KEPT, stamp: Path | None = None) -> None:
        self.size = size
        self.stamp = stamp
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
            return kept.value, _freshness(kept.computed_at, cached=True)
        pending = self._pending.get((key, version))
        if pending is None:
            pending = asyncio.ensure_future(self._compute(key, version, compute))
            self._pending[(key, version)] = pending
            pending.add_done_callback(lambda _: self._pending.pop((key, version), None))
        # shielded: a request that goes away does not cancel the others' answer
        fresh = await asyncio.shield(pending)
        return fresh.value, _freshness(fresh.computed_at, cached=False)

    async def _compute(
        self, key: Hashable, version: str, compute: Callable[[], Awaitable[Any]]
    ) -> _Kept:
        # a task of its own: a request that goes away does not cancel the others' answer
        began = dt.datetime.now(dt.UTC)
        fresh = _Kept(version, await compute(), began)
        self._kept[key] = fresh
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return fresh


def _freshness(computed_at: dt.datetime, cached: bool) -> Freshness:
    age = (dt.datetime.now(dt.UTC) - computed_at).total_seconds()
    return Freshness(computed_at=computed_at, age_seconds=round(age, 3), cached=cached)


async def kept(
    info: Info, question: Hashable, compute: Callable[[], Awaitable[T]]
) -> tuple[T, Freshness]:
    """The answer to `question` for the asker, kept per data version in the request's
    `answers` (computed every time where there are none); the entities it shows are
    recorded for the request's audit event."""
    ctx = info.context

    async def computing() -> tuple[T, Shown]:
        built: list[Entity | Shown] = []  # what computing it builds is its own
        token = BUILT.set(built)
        try:
            value = await compute()
        finally:
            BUILT.reset(token)
        return value, _sealed(ctx.ids, built)

    if ctx.answers is None:
        (value, shown), freshness = await Answers(0).get(None, question, computing)
    else:
        version = await generation.now(ctx.driver, ctx.answers.stamp, **ctx.read)
        key = (question, visibility_key(ctx.principal))
        (value, shown), freshness = await ctx.answers.get(version, key, computing)
    request = BUILT.get()
    if request is not None:
        request.append(shown)
    return value, freshness


def _sealed(codec: IdCodec, built: list[Entity | Shown]) -> Shown:
    """The global ids of what computing an answer built, sealed as the client sees them."""
    return Shown(
        i
        for e in built
        for i in (e.ids if isinstance(e, Shown) else (relay_id(codec, e.LABEL, e.key_value()),))
    )


class Stamping(SchemaExtension):
    """Once an operation has run, writes the data version's file if any of its writes
    gave the data a new version (`generation.bump_in`): after they committed, before
    the client hears of them."""

    def on_execute(self) -> Iterator[None]:
        changed: list[str] = []
        token = generation.CHANGED.set(changed)
        try:
            yield
        finally:
            generation.CHANGED.reset(token)
            if changed:
                generation.stamped(self.execution_context.context.settings)
