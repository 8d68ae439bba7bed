"""The GraphQL schema, assembled in this one place."""

from __future__ import annotations

import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from resolvers.links import LINK_TYPES
from resolvers.query import Mutation, Query, Subscription
from resolvers.types import ENTITY_TYPES


def build() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[*ENTITY_TYPES, *LINK_TYPES],
        # investigators' tools send the same few documents over and over
        # factories: one extension per request, the caches themselves shared
        extensions=[lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)],
    )


schema = build()
