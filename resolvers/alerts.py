"""Alerts: listing, acknowledging and resolving them, the `alerts` subscription, and
`triggerSync`, after which the alert rules run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from hub import syncing
from hub.errors import ConfigError
from hub.queries import alerts
from resolvers.ahead import selected
from resolvers.context import Info
from resolvers.errors import Conflict, InvalidInput, NotFound
from resolvers.ids import parse
from resolvers.pages import Connection, Edge, cursor, page_info, window
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


async def resolve_alerts(
    info: Info, status: str | None = None, first: int | None = None, after: str | None = None
) -> Connection[Alert]:
    """Alerts, newest first (`status`: new, acknowledged or resolved)."""
    skip, take = window(first, after, info.context.settings.max_page_size)
    rows = await alerts.listed(
        info.context.driver, status, skip, take + 1, info.context.scope, **info.context.read
    )
    edges = [
        Edge(cursor=cursor(skip + i), node=Alert.from_props(p)) for i, p in enumerate(rows[:take])
    ]
    total = None
    if "totalCount" in {f.name for f in selected(info.selected_fields[0].selections)}:
        total = await alerts.counted(
            info.context.driver, status, info.context.scope, **info.context.read
        )
    return Connection(
        edges=edges, page_info=page_info(skip, len(edges), len(rows) > take), total_count=total
    )


async def _move(info: Info, alert: strawberry.ID, status: str) -> AlertResult:
    found = parse(info, alert, frozenset({"Alert"}), strict=False)
    ctx = info.context
    props = None if found is None else await alerts.get(ctx.driver, found[1], ctx.scope, **ctx.read)
    if found is None or props is None:
        return NotFound(message="no such alert", id=alert)
    current = props["status"]
    if status not in alerts.TRANSITIONS.get(current, frozenset()):
        return Conflict(message=f"the alert is already {current}", status=current)
    changed = await alerts.change(ctx.driver, found[1], current, status, **ctx.read)
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
            after, after_id = props["raised_at"], props["alert_id"]
            yield Alert.from_props(props)
        if not rows:
            await asyncio.sleep(ctx.settings.alert_poll)
