"""What every GraphQL operation goes through: permissions, limits, audit, masked errors.

One schema extension per request, configured by the request's settings:
- before parsing, it caps the tokens of the query (HUB_MAX_TOKENS);
- it validates the document with GraphQL's rules and its own: depth and aliases
  (strawberry's own limiters, fragments included), the permission table
  (`hub/permissions.yaml`, every field checked for the principal's role), in
  production no introspection, and page size and cost (`hub.limits`); so a refused
  operation runs no resolver and no database query. Everything but cost depends only
  on the document and who asks (role, justification): that verdict is remembered per
  (query text, role, justification), so the same few documents an investigator's
  tool sends are validated once; cost depends on the variables and is checked on
  every request;
- while executing, it keeps every entity the resolvers build (`resolvers.types.BUILT`);
- afterwards it records one audit event: allowed, denied (a FORBIDDEN error) or error;
  in production it then takes "Did you mean ...?" out of every message and replaces
  the message of every error a resolver raised (not the hub's own access and limit
  errors) by "Unexpected error.".
Errors are typed by `extensions.code`: UNAUTHENTICATED, FORBIDDEN, JUSTIFICATION_REQUIRED,
LIMIT_EXCEEDED.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    ValidationContext,
    ValidationRule,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.schema.schema import validate_document

from hub import audit, limits, permissions
from hub.access import Principal
from hub.auth import ANONYMOUS
from hub.errors import AccessError
from hub.permissions import Permissions
from resolvers.context import Context
from resolvers.ids import relay_id
from resolvers.types import BUILT, Entity

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def code(error: GraphQLError) -> str | None:
    if isinstance(error.original_error, AccessError):
        return error.original_error.code
    found = (error.extensions or {}).get("code")
    return found if isinstance(found, str) else None


def readable(error: GraphQLError) -> bool:
    """Whether production may show the error as it is: not a resolver's own failure."""
    return error.original_error is None or isinstance(error.original_error, AccessError)


def permission_rule(
    principal: Principal, table: Permissions, justified: bool
) -> type[ValidationRule]:
    class PermissionRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.reported: set[str] = set()

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent = self.context.get_parent_type()
            name = node.name.value
            if parent is None or name.startswith("__"):
                return
            if principal is ANONYMOUS:
                where = "anonymous"
                message = "authenticate first: send a bearer token (connection_init payload)"
                error_code = "UNAUTHENTICATED"
            elif not table.may_select(principal.role, parent.name, name):
                where = f"{parent.name}.{name}"
                message = f"the role {principal.role} may not query {parent.name}.{name}"
                error_code = "FORBIDDEN"
            elif not justified and table.needs_justification(principal.role, parent.name, name):
                where = f"{parent.name}.{name}"
                message = (
                    f"{parent.name}.{name} needs a justification: send the header "
                    "X-Justification with a case number or reason"
                )
                error_code = "JUSTIFICATION_REQUIRED"
            else:
                return
            if where not in self.reported:
                self.reported.add(where)
                self.report_error(GraphQLError(message, node, extensions={"code": error_code}))

    return PermissionRule


VERDICTS = 512  # verdicts remembered (query texts by who asks)
# Each verdict with the permission table it was reached under: a verdict of another
# table (a reloaded one) is not reused.
_verdicts: OrderedDict[tuple[Any, ...], tuple[Permissions, list[GraphQLError]]] = OrderedDict()


def _static_errors(ctx: Any, context: Context) -> list[GraphQLError]:
    """The errors of every rule but cost, remembered per query text and who asks."""
    settings, principal = context.settings, context.principal
    justified = bool(context.justification)
    # The permission rule reads only the role and whether the principal is anonymous.
    who = "anonymous" if principal is ANONYMOUS else principal.role
    key = (ctx.query, tuple(ctx.validation_rules), who, justified, settings.max_depth,
           settings.max_aliases, settings.production)  # fmt: skip
    table = permissions.table()
    found = _verdicts.get(key)
    if found is not None and found[0] is table:
        _verdicts.move_to_end(key)
        return found[1]
    rules = [
        *ctx.validation_rules,
        depth_validator(settings.max_depth, None),
        alias_validator(settings.max_aliases),
        permission_rule(principal, table, justified),
    ]
    if settings.production:
        rules.append(NoSchemaIntrospectionCustomRule)
    errors = validate_document(ctx.schema._schema, ctx.graphql_document, tuple(rules))
    _verdicts[key] = (table, errors)
    _verdicts.move_to_end(key)
    if len(_verdicts) > VERDICTS:
        _verdicts.popitem(last=False)
    return errors


def _validate(ctx: Any, context: Context) -> list[GraphQLError]:
    static = _static_errors(ctx, context)
    if static:
        return list(static)
    settings = context.settings
    return limits.check(
        ctx.schema._schema,
        ctx.graphql_document,
        settings.max_cost,
        settings.max_page_size,
        ctx.variables or {},
    )


def _masked(error: GraphQLError) -> GraphQLError:
    return GraphQLError(
        "Unexpected error.",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
    )


class Guard(SchemaExtension):
    def __init__(self, *, execution_context: Any = None) -> None:
        self.built: list[Entity] = []

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        ctx = self.execution_context
        context: Context = ctx.context
        settings = context.settings
        ctx.parse_options["max_tokens"] = settings.max_tokens
        yield
        result = ctx.result
        errors = list((result.errors if result else None) or ctx.pre_execution_errors or [])
        codes = {code(e) for e in errors}
        if codes & {"FORBIDDEN", "UNAUTHENTICATED", "JUSTIFICATION_REQUIRED"}:
            outcome = audit.DENIED
        elif errors:
            outcome = audit.ERROR
        else:
            outcome = audit.ALLOWED
        if context.trail is not None:
            try:
                action = f"{ctx.operation_type.value} {ctx.operation_name or 'anonymous'}"
            except RuntimeError:  # the document did not parse
                action = "unparsed"
            context.trail.record(
                audit.event(
                    context.principal,
                    action,
                    outcome,
                    query=ctx.query,
                    variables=ctx.variables,
                    entities=self._entity_ids(context),
                    reason="; ".join(e.message for e in errors[:5]) or None,
                    started=started,
                    justification=context.justification,
                )
            )
        if settings.production and errors:
            for error in errors:
                error.message = _SUGGESTION.sub("", error.message)
            shown = [e if readable(e) else _masked(e) for e in errors]
            if result is not None and result.errors:
                result.errors = shown

    def on_execute(self) -> Iterator[None]:
        token = BUILT.set(self.built)
        try:
            yield
        finally:
            BUILT.reset(token)

    def _entity_ids(self, context: Context) -> list[str]:
        """The Relay global ids, as the client sees them, of the entities the resolvers
        built (GraphQL type names are labels)."""
        keys = dict.fromkeys((e.LABEL, e.key_value()) for e in self.built)
        return [relay_id(context.ids, label, key) for label, key in keys]

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        ctx.pre_execution_errors = _validate(ctx, ctx.context)
        yield
