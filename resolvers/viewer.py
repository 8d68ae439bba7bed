"""`viewer`: who is asking, as the hub sees the request's token or key, and what the
permission table lets their role do (so a client can show the user, role and unit, and
offer only the actions the role may take)."""

from __future__ import annotations

import strawberry

from hub import permissions
from resolvers.context import Info


@strawberry.type(description="The user a request is made for.")
class Viewer:
    user: str
    role: str
    unit: str | None
    sees_personal_data: bool = strawberry.field(
        description="Personal numbers are shown in full (otherwise masked)."
    )
    may: list[str] = strawberry.field(
        description="Root fields and restricted fields the role may select, as "
        "Type.field (Query.search, Mutation.requestStopPayment, Record.raw)."
    )


async def resolve_viewer(info: Info) -> Viewer:
    """Who is asking: user, role and unit, and what the role may do."""
    principal = info.context.principal
    table = permissions.table()
    return Viewer(
        user=principal.user,
        role=principal.role.value,
        unit=principal.unit,
        sees_personal_data=table.sees_personal_data(principal.role),
        may=sorted(name for name, roles in table.fields.items() if principal.role in roles),
    )
