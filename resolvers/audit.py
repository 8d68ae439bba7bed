"""The audit trail over GraphQL: `auditEvents`, for admins (see hub/permissions.yaml)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from hub.queries import audit as queries
from resolvers.context import Info


@strawberry.type(description="One GraphQL operation or CLI action in the audit trail.")
class AuditEvent:
    seq: int
    at: dt.datetime
    user: str
    role: str
    unit: str | None
    client: str
    action: str
    outcome: str = strawberry.field(description="allowed, denied or error.")
    reason: str | None
    query_hash: str | None = strawberry.field(description="SHA-256 of the query text.")
    variables: str | None = strawberry.field(description="JSON, personal numbers redacted.")
    entities: list[strawberry.ID] = strawberry.field(description="Global ids returned.")
    duration_ms: float
    justification: str | None
    hash: str

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> AuditEvent:
        names = {f.python_name for f in cls.__strawberry_definition__.fields}  # type: ignore[attr-defined]
        values = {name: props.get(name) for name in names}
        values["at"] = props["at"].to_native()
        values["entities"] = list(props.get("entities") or [])
        return cls(**values)  # type: ignore[arg-type]


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Audit events, newest first: of a user, about an entity (its global id: "
        "who looked at this person), in a time range [from, to)."
    )
    async def audit_events(
        self,
        info: Info,
        user: str | None = None,
        entity: strawberry.ID | None = None,
        since: Annotated[dt.datetime | None, strawberry.argument(name="from")] = None,
        until: Annotated[dt.datetime | None, strawberry.argument(name="to")] = None,
        first: int = 100,
    ) -> list[AuditEvent]:
        settings = info.context.settings
        rows = await queries.search(
            info.context.driver,
            user=user,
            entity=entity,
            since=since,
            until=until,
            limit=first,
            timeout=settings.query_timeout,
            database=settings.neo4j_database,
        )
        return [AuditEvent.from_props(row) for row in rows]
