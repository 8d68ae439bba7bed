"""A WebSocket held to its credentials for as long as it is open.

A socket is authenticated once, as it connects (`hub.app`), and may then stay open for
hours while its token expires or its API key is revoked. So the credentials it came in
with are checked again, as every HTTP request's are (`Doorman.admit`: the same checks,
a refusal audited as a failed login), before each operation it starts and before each
answer or subscription event it is sent. Credentials no longer accepted close the
socket with graphql-transport-ws's 4401 (Unauthorized), or 1013 (try again later) while
their check is throttled, the reason saying why; nothing more is sent on it.

What each operation may see is its own: it runs with a context of its own
(`resolvers.guard.Schema.stream`).
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    Message,
    SubscribeMessage,
)

from hub.errors import RateLimited, Unauthenticated
from resolvers.context import Context

UNAUTHORIZED = 4401  # graphql-transport-ws: the client is not (or no longer) authorised
TRY_LATER = 1013  # WebSocket: try again later
MOST_REASON = 123  # bytes a close frame's reason may hold


class Admits(Protocol):
    async def refused(self, context: Context) -> Unauthenticated | RateLimited | None:
        """Why the credentials of a socket's context are no longer accepted, or None."""


class Operations(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, each operation and each answer held to the credentials."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.closed = False

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and not await self._admitted():
            return
        await super().handle_subscribe(message)

    async def send_message(self, message: Message) -> None:
        if self.closed or (message["type"] == "next" and not await self._admitted()):
            return
        await super().send_message(message)

    async def _admitted(self) -> bool:
        """Whether the socket's credentials are still accepted; if not, it is closed."""
        refusal = None if self.closed else await cast(Admits, self.view).refused(self.context)
        if self.closed or refusal is None:  # closed meanwhile by another operation's check
            return not self.closed
        self.closed = True
        code = TRY_LATER if isinstance(refusal, RateLimited) else UNAUTHORIZED
        reason = str(refusal).encode()[:MOST_REASON].decode(errors="ignore")
        await self.websocket.close(code=code, reason=reason)
        return False
