"""The GraphQL schema, assembled in this one place.

`build(settings)` adds what every request goes through (resolvers.guard): limits of
depth, aliases and tokens, the permission and cost rules, the audit event, and in
production no introspection, no suggestions and masked resolver errors.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from hub import permissions
from hub.settings import Settings
from resolvers import masking
from resolvers.audit import AuditQuery
from resolvers.guard import Guard, readable
from resolvers.query import Query as EntityQuery
from resolvers.types import ENTITY_TYPES

Query = merge_types("Query", (EntityQuery, AuditQuery))


def build(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    table = permissions.table()
    masking.apply()
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: QueryDepthLimiter(max_depth=settings.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
    ]
    if settings.production:
        extensions += [
            DisableIntrospection,
            lambda: MaskErrors(should_mask_error=lambda error: not readable(error)),
        ]
    # Last, so that it sees errors before they are masked.
    extensions.append(lambda: Guard(settings, table))
    return strawberry.Schema(
        query=Query,
        types=list(ENTITY_TYPES),
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=settings.production),
    )


schema = build()
