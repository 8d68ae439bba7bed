"""The GraphQL schema, assembled in this one place.

Every request goes through `resolvers.guard.Guard`: limits of depth, aliases, tokens
and cost, the permission table, the audit event, and in production no introspection,
no suggestions and masked resolver errors. It reads the request's settings from the
context, so one schema serves every configuration.
"""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.extensions import ParserCache
from strawberry.tools import merge_types

from resolvers import executor, masking, scalars
from resolvers.audit import AuditQuery
from resolvers.cached import Stamping
from resolvers.guard import Guard, Schema
from resolvers.links import LINK_TYPES
from resolvers.metered import Metered
from resolvers.query import Mutation, Subscription
from resolvers.query import Query as EntityQuery
from resolvers.types import ENTITY_TYPES
from resolvers.unavailable import Unavailable

Query = merge_types("Query", (EntityQuery, AuditQuery))


def build() -> strawberry.Schema:
    masking.apply()
    built = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[*ENTITY_TYPES, *LINK_TYPES],
        # Investigators' tools send the same few documents over and over: parse each once.
        # Validation is not cached: the guard's rules depend on who asks.
        # Ends run last to first: database errors are shown as such (Unavailable), then
        # audited and masked (Guard), then counted as the client gets them (Metered).
        # A request's writes that changed the data's version are told to the other
        # processes of this machine once they have committed (Stamping).
        extensions=[lambda: ParserCache(maxsize=256), Metered, Guard, Unavailable, Stamping],
        # Plain parts of an answer (most of a drawn graph) completed in one pass.
        execution_context_class=executor.Executor,
        scalar_overrides={dt.datetime: scalars.DATETIME},
    )
    executor.direct(built)
    return built


schema = build()
