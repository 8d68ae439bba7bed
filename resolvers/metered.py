"""Each GraphQL operation counted and timed by root field and outcome
(`hub_graphql_requests_total`, `hub_graphql_request_seconds`).

Listed first among the schema's extensions, so that it sees the answer as the client
gets it, after the guard and `resolvers.unavailable` have had their say.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from hub import metrics, outage

DENIED = {"FORBIDDEN", "UNAUTHENTICATED", "JUSTIFICATION_REQUIRED"}


def outcome(errors: list[GraphQLError]) -> str:
    """ok, denied, unavailable, invalid (a request the hub refused to run) or error."""
    if not errors:
        return "ok"
    codes = {(e.extensions or {}).get("code") for e in errors}
    if codes & DENIED:
        return "denied"
    if outage.CODE in codes:
        return "unavailable"
    if all(e.original_error is None or e.path is None for e in errors) or codes & {
        "LIMIT_EXCEEDED",
        "BAD_USER_INPUT",
        "RATE_LIMITED",
    }:
        return "invalid"
    return "error"


def root_fields(
    schema: GraphQLSchema, document: DocumentNode | None, name: str | None
) -> list[str]:
    """`Type.field` of each root field the operation selects that the schema has."""
    if document is None:
        return []
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if name is None or (o.name and o.name.value == name)]
    if len(chosen) != 1:
        return []
    operation = chosen[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return []
    fragments = {
        d.name.value: d.selection_set
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    found: dict[str, None] = {}

    def walk(selections: SelectionSetNode, depth: int) -> None:
        for s in selections.selections:
            if isinstance(s, FieldNode):
                if s.name.value in root.fields:
                    found[f"{root.name}.{s.name.value}"] = None
            elif isinstance(s, InlineFragmentNode) and depth < 5:
                walk(s.selection_set, depth + 1)
            elif isinstance(s, FragmentSpreadNode) and depth < 5:
                spread = fragments.get(s.name.value)
                if spread is not None:
                    walk(spread, depth + 1)

    walk(operation.selection_set, 0)
    return list(found)


class Metered(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
        ctx = self.execution_context
        errors = list((ctx.result.errors if ctx.result else None) or ctx.pre_execution_errors or [])
        fields = root_fields(ctx.schema._schema, ctx.graphql_document, ctx.operation_name)
        fields = fields or ["-"]
        verdict = outcome(errors)
        for name in fields:
            metrics.REQUESTS.labels(name, verdict).inc()
            metrics.LATENCY.labels(name).observe(seconds)
