"""Database errors in GraphQL answers: a resolver that found the database gone answers
with the code DATABASE_UNAVAILABLE and a message saying when to try again, never with
the driver's own words ("Couldn't connect to 127.0.0.1:7687 ..."), and the API starts
refusing requests until the database is back (`hub.outage`). Every failed database call
is counted by kind (`hub_database_errors_total`).

Listed after `resolvers.guard.Guard` in the schema, so that the guard audits, and in
production masks, the answer as changed here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import neo4j
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from hub import db, metrics, outage
from resolvers.context import Context


def kind(exc: BaseException) -> str | None:
    """unavailable, timeout or query for an error of the database, else None."""
    if db.unreachable(exc):
        return "unavailable"
    if isinstance(exc, neo4j.exceptions.Neo4jError):
        code = exc.code or ""
        return "timeout" if "Timeout" in code or "Terminated" in code else "query"
    if isinstance(exc, neo4j.exceptions.DriverError):
        return "query"
    return None


class Unavailable(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        result = ctx.result
        if result is None or not result.errors:
            return
        context: Context = ctx.context
        result.errors = [self._shown(error, context) for error in result.errors]

    def _shown(self, error: GraphQLError, context: Context) -> GraphQLError:
        found = error.original_error
        what = kind(found) if found is not None else None
        if what is None:
            return error
        metrics.DATABASE_ERRORS.labels(what).inc()
        if what != "unavailable" or context.outage is None:
            return error
        assert found is not None
        context.outage.down(found)
        extensions: dict[str, Any] = {
            "code": outage.CODE,
            "retryAfter": context.outage.retry_after(),
        }
        return GraphQLError(
            context.outage.message(),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )
