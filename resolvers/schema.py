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
        # (instances, so that the caches live as long as the schema: strawberry's own use)
        extensions=[ParserCache(maxsize=256), ValidationCache(maxsize=256)],  # type: ignore[list-item]
    )


schema = build()
