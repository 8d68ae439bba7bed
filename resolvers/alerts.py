"""Alerts: listing, acknowledging and resolving them, the `alerts` subscription, and
`triggerSync`, after which the alert rules run."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Annotated

import strawberry

from hub import syncing
from hub.errors import ConfigError, StateConflict
from hub.queries import alerts
from resolvers import cached
from resolvers.cached import Freshness
from resolvers.context import Info
from resolvers.errors import Conflict, InvalidInput, NotFound
from resolvers.ids import parse
from resolvers.pages import Edge, PageInfo, cursor, page_info, window
from resolvers.types import Alert


@strawberry.type(description="An alert after a change.")
class AlertPayload:
    alert: Alert


@strawberry.type(description="A sync started in the background; alerts follow when it commits.")
class SyncStarted:
    source: str
    streams: list[str]


AlertResult = Annotated[AlertPayload | NotFound | Conflict, strawberry.union("AlertResult")]
SyncResult = Annotated[SyncStarted | InvalidInput | Conflict, strawberry.union("SyncResult")]


@strawberry.type(description="A page of alerts, and how many there are.")
class AlertConnection:
    # each part read only if the query selects it: a badge asks for the count alone
    listed: strawberry.Private[Callable[[], Awaitable[tuple[list[Edge[Alert]], PageInfo]]]]
    counted: strawberry.Private[Callable[[], Awaitable[tuple[int, Freshness]]]]

    @strawberry.field
    async def edges(self) -> list[Edge[Alert]]:
        return (await self.listed())[0]

    @strawberry.field
    async def page_info(self) -> PageInfo:
        return (await self.listed())[1]

    @strawberry.field(description="Alerts of the status asked for that the asker may see.")
    async def total_count(self) -> int:
        return (await self.counted())[0]

    @strawberry.field(description="How old `totalCount` is: counted once per data change.")
    async def freshness(self) -> Freshness:
        return (await self.counted())[1]


async def resolve_alerts(
    info: Info, status: str | None = None, first: int | None = None, after: str | None = None
) -> AlertConnection:
    """Alerts, newest first (`status`: new, acknowledged or resolved)."""
    ctx = info.context
    skip, take = window(first, after, ctx.settings.max_page_size)

    async def page() -> tuple[list[Edge[Alert]], PageInfo]:
        rows = await alerts.listed(ctx.driver, status, skip, take + 1, ctx.scope, **ctx.read)
        edges = [
            Edge(cursor=cursor(skip + i), node=Alert.from_props(p))
            for i, p in enumerate(rows[:take])
        ]
        return edges, page_info(skip, len(edges), len(rows) > take)

    async def count() -> int:
        return await alerts.counted(ctx.driver, status, ctx.scope, **ctx.read)

    @functools.cache  # edges and pageInfo share one listing
    def listed() -> asyncio.Future[tuple[list[Edge[Alert]], PageInfo]]:
        return asyncio.ensure_future(page())

    @functools.cache  # totalCount and freshness share one count
    def counted() -> asyncio.Future[tuple[int, Freshness]]:
        return asyncio.ensure_future(cached.kept(info, ("alerts", status), count))

    return AlertConnection(listed=listed, counted=counted)


async def _move(info: Info, alert: strawberry.ID, status: str) -> AlertResult:
    found = parse(info, alert, frozenset({"Alert"}), strict=False)
    ctx = info.context
    props = None if found is None else await alerts.get(ctx.driver, found[1], ctx.scope, **ctx.read)
    if found is None or props is None:
        return NotFound(message="no such alert", id=alert)
    current = props["status"]
    if status not in alerts.TRANSITIONS.get(current, frozenset()):
        return Conflict(message=f"the alert is already {current}", status=current)
    changed = await alerts.change(ctx.driver, found[1], current, status, ctx.scope, **ctx.read)
    if changed is None:
        return Conflict(message="the alert changed meanwhile; look again", status=None)
    return AlertPayload(alert=Alert.from_props(changed))


async def acknowledge_alert(info: Info, alert: strawberry.ID) -> AlertResult:
    """Mark a new alert as seen and being looked at."""
    return await _move(info, alert, "acknowledged")


async def resolve_alert(info: Info, alert: strawberry.ID) -> AlertResult:
    """Mark an alert as dealt with."""
    return await _move(info, alert, "resolved")


async def trigger_sync(info: Info, source: str) -> SyncResult:
    """Sync a source now, in the background; the alert rules run when it has committed."""
    if syncing.running(source):
        return Conflict(message=f"a sync of {source} is already running", status="running")
    try:
        streams = syncing.start(info.context.settings, source)
    except ConfigError as exc:
        return InvalidInput(message=str(exc), field="source")
    except StateConflict as exc:
        return Conflict(message=str(exc), status="interrupted")
    return SyncStarted(source=source, streams=streams)


async def subscribe_alerts(info: Info) -> AsyncGenerator[Alert, None]:
    """Alerts as they are raised, from the moment of subscribing."""
    ctx = info.context
    after, after_id = await alerts.latest(ctx.driver, **ctx.read)
    while True:
        rows = await alerts.newer(
            ctx.driver, after, after_id, ctx.settings.max_page_size, ctx.scope, **ctx.read
        )
        for props in rows:
            after, after_id = props["raised_at"], props.pop("_cursor")
            ctx.forget()  # each alert's fields read the graph afresh (need-to-know)
            yield Alert.from_props(props)
        if not rows:
            await asyncio.sleep(ctx.settings.alert_poll)
