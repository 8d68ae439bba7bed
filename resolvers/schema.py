"""The GraphQL schema, assembled in this one place."""

from __future__ import annotations

import strawberry

from resolvers.query import Query
from resolvers.types import ENTITY_TYPES


def build() -> strawberry.Schema:
    return strawberry.Schema(query=Query, types=list(ENTITY_TYPES))


schema = build()
