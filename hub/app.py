"""The HTTP application: GraphQL at /graphql, liveness at /healthz, readiness at /readyz."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import neo4j
from neo4j import AsyncDriver, AsyncGraphDatabase, Query
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from graph_schema import schema as graph_schema
from hub import db, ids
from hub.settings import Settings
from resolvers.context import Context
from resolvers.schema import schema


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, settings: Settings, driver: AsyncDriver) -> None:
        super().__init__(schema, graphql_ide=None if settings.production else "graphiql")
        self.settings = settings
        self.driver = driver
        self.ids = ids.codec(settings)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        return Context(settings=self.settings, driver=self.driver, ids=self.ids)


async def readiness(settings: Settings, driver: AsyncDriver) -> tuple[bool, str]:
    """Whether Neo4j answers and carries the current graph schema; why not, if not."""
    # An auto-commit query: a probe must answer now, not after the driver's retries.
    query = "MATCH (m:HubSchema {name: 'graph'}) RETURN m.version AS version, m.digest AS digest"
    try:
        async with driver.session(database=settings.neo4j_database) as session:
            result = await session.run(Query(query, timeout=5))
            records = [record async for record in result]
    except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError) as exc:
        return False, f"neo4j unreachable: {type(exc).__name__}: {exc}".splitlines()[0]
    expected = graph_schema()
    if not records:
        return False, "graph schema not migrated: run `hub db migrate`"
    found = records[0]
    if found["digest"] != expected.digest:
        return False, (
            f"graph schema {found['version']}/{found['digest']} in the database, "
            f"{expected.version}/{expected.digest} expected: run `hub db migrate`"
        )
    return True, f"graph schema {expected.version}/{expected.digest}"


def create_app(settings: Settings) -> Starlette:
    uri, auth = db.credentials(settings)
    driver = AsyncGraphDatabase.driver(
        uri, auth=auth, user_agent="county-hub", connection_timeout=5
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(request: Request) -> Response:
        ready, reason = await readiness(settings, driver)
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "reason": reason},
            status_code=200 if ready else 503,
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await driver.close()

    graphql = GraphQLApp(settings, driver)
    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        lifespan=lifespan,
    )
