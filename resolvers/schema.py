"""The GraphQL schema, assembled in this one place."""

from __future__ import annotations

import strawberry

from resolvers.links import LINK_TYPES
from resolvers.query import Mutation, Query, Subscription
from resolvers.types import ENTITY_TYPES


def build() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[*ENTITY_TYPES, *LINK_TYPES],
    )


schema = build()
