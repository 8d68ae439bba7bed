"""What every resolver gets: who asks, the settings, the database and the request's
DataLoaders."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from neo4j import AsyncDriver
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from hub import serverlog
from hub.access import Principal
from hub.audit import Writer
from hub.ids import IdCodec
from hub.outage import Outage
from hub.queries import entities
from hub.queries.entities import LinkPage, LinkSpec
from hub.settings import Settings

if TYPE_CHECKING:
    from resolvers.cached import Answers

Props = dict[str, Any]


@dataclass
class Context:
    """One per request, and one per operation of a WebSocket (`operation`). DataLoaders
    batch every entity fetch of the request into one Cypher query per (kind,
    relationship) and cache it for the rest of the request, never longer.
    Every query takes `principal.scope()` as `$scope` (see hub/access.py)."""

    settings: Settings
    driver: AsyncDriver
    ids: IdCodec
    # Who asks; every read that can reach a case is filtered by `principal.scope()`.
    principal: Principal
    justification: str | None = None  # the case number or reason the request gave
    trail: Writer | None = None  # where the request's audit event goes
    connection_params: dict[str, Any] | None = None  # a WebSocket's connection_init payload
    # The Authorization the principal was admitted with: a WebSocket's is checked again
    # before each of its operations and each answer it is sent (`hub.sockets`).
    credentials: str | None = field(default=None, repr=False)
    address: str = ""  # the client's address (hub.app.client_address)
    # A WebSocket's: seconds to wait before its next operation, or None (and counted).
    throttle: Callable[[], int | None] | None = None
    # Names the request in the server log and in its errors' `extensions.requestId`.
    # The request's id (`hub.serverlog`: the client's X-Request-Id or one made for it).
    request_id: str = field(default_factory=lambda: serverlog.request_id() or uuid.uuid4().hex[:16])
    # Answers kept per data version by the API process (`resolvers.cached`); none: computed
    answers: Answers | None = None
    outage: Outage | None = None  # told when a resolver finds the database gone
    _loaders: dict[tuple[Any, ...], DataLoader[Any, Any]] = field(
        default_factory=dict, init=False, repr=False
    )

    def operation(self) -> Context:
        """The context of one operation of a WebSocket: the connection's principal,
        address and credentials, and loaders of its own, so that nothing an earlier
        operation loaded (a case an operation shared since closed) is given to a later
        one, and nothing is kept for the life of the socket."""
        return dataclasses.replace(self)

    def forget(self) -> None:
        """Drop what the loaders hold: a subscription's next event reads the graph
        afresh (an operation closed meanwhile no longer shows its cases)."""
        self._loaders.clear()

    def _loader(
        self, key: tuple[Any, ...], load: Callable[[Sequence[Any]], Awaitable[list[Any]]]
    ) -> DataLoader[Any, Any]:
        if key not in self._loaders:
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    def nodes_by(self, label: str, prop: str) -> DataLoader[str, Props | None]:
        """Nodes of `label` by their key or another indexed property."""

        async def load(values: Sequence[str]) -> list[Props | None]:
            return await entities.by_property(
                self.driver, label, prop, values, self.scope, **self.read
            )

        return self._loader(("by", label, prop), load)

    def links(self, spec: LinkSpec) -> DataLoader[tuple[str, int, int], LinkPage]:
        """Pages of links by (key of the `spec.label` node, skip, take)."""

        async def load(items: Sequence[tuple[str, int, int]]) -> list[LinkPage]:
            return await entities.links(self.driver, spec, items, self.scope, **self.read)

        return self._loader(("links", spec), load)

    @property
    def scope(self) -> dict[str, Any]:
        return self.principal.scope()

    @property
    def read(self) -> dict[str, Any]:
        """Keyword arguments of every query function: timeout and database."""
        return {"timeout": self.settings.query_timeout, "database": self.settings.neo4j_database}


Info = StrawberryInfo[Context, None]
