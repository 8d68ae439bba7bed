"""What every GraphQL operation goes through: permissions, limits, audit, masking, errors.

One schema extension per request, configured by the request's settings:
- before parsing, it caps the tokens of the query (HUB_MAX_TOKENS);
- it refuses variables and extensions nested deeper than `hub.limits.MAX_NESTING`,
  before anything walks them;
- it validates the document with GraphQL's rules (a field the schema lacks is
  GRAPHQL_VALIDATION_FAILED) and its own: a WebSocket operation over the rate limit,
  depth and aliases (`hub.limits`, fragments included, every operation type), the
  permission table (`hub/permissions.yaml`, every field checked for the principal's
  role), no personal number sent by a role that sees them masked (a look-up by number
  would be an oracle for what the mask hides), in production no introspection, and page
  size and cost (`hub.limits`); so a refused operation runs no resolver and no database
  query. Everything but cost depends only on the document and who asks (role,
  justification): that verdict is remembered per (query text, role, justification), so
  the same few documents an investigator's tool sends are validated once; cost and the
  numbers in variables depend on the variables and are checked on every request;
- while the operation runs, it keeps every entity the resolvers build
  (`resolvers.types.BUILT`), a subscription's for every event it sends;
- afterwards it records one audit event: allowed, denied (a FORBIDDEN error) or error,
  also for an operation cut short (a WebSocket's client completed it or went away); a
  subscription records one as it starts and one, with the entities it sent, as it ends;
  whatever fails while it is built (`hub.audit.event` records what it can and why not);
  in production it then takes "Did you mean ...?" out of every message and replaces
  the message of every error a resolver raised (not the hub's own access and limit
  errors) by "Unexpected error."; for a role without the personal-data permission it
  masks every personal number in every text of the answer and its errors
  (`hub.masking.redact`), each answer of a WebSocket operation too; every error gets
  the request's id (`extensions.requestId`).
Errors are typed by `extensions.code`: UNAUTHENTICATED, FORBIDDEN, JUSTIFICATION_REQUIRED,
LIMIT_EXCEEDED, RATE_LIMITED, BAD_USER_INPUT, GRAPHQL_VALIDATION_FAILED. `Schema` logs each
error as one line (`report`), never with the query text or a personal number.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import traceback
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

import strawberry
from graphql import (
    FieldNode,
    GraphQLError,
    ValidationContext,
    ValidationRule,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StreamResult, validate_document
from strawberry.types.graphql import OperationType

from hub import audit, db, limits, masking, permissions
from hub.access import Principal
from hub.auth import ANONYMOUS
from hub.errors import AccessError, BadRequest, RateLimited
from hub.permissions import Permissions
from resolvers import numbers
from resolvers.context import Context
from resolvers.ids import relay_id
from resolvers.types import BUILT, Entity, Shown

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
log = logging.getLogger("hub.api")


def code(error: GraphQLError) -> str | None:
    if isinstance(error.original_error, AccessError):
        return error.original_error.code
    found = (error.extensions or {}).get("code")
    return found if isinstance(found, str) else None


def _about_variables(error: GraphQLError) -> bool:
    """Whether graphql-core refused the request's variables (a value its type cannot
    hold): the client's input, as a malformed argument is."""
    return not error.path and error.message.startswith("Variable '$")


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
            if principal is ANONYMOUS:  # nothing runs without credentials, not even __typename
                where = "anonymous"
                message = "authenticate first: send a bearer token (connection_init payload)"
                error_code = "UNAUTHENTICATED"
            elif parent is None or name.startswith("__"):
                return
            elif self.context.get_field_def() is None:
                return  # a field the schema does not have: GraphQL's own rules say so
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
        limits.depth_rule(settings.max_depth),
        limits.alias_rule(settings.max_aliases),
        permission_rule(principal, table, justified),
    ]
    if principal is not ANONYMOUS and not table.sees_personal_data(principal.role):
        rules.append(numbers.rule(principal))
    if settings.production:
        rules.append(NoSchemaIntrospectionCustomRule)
    errors = validate_document(ctx.schema._schema, ctx.graphql_document, tuple(rules))
    for error in errors:  # GraphQL's own rules: a field or argument the schema lacks, ...
        if code(error) is None:
            error.extensions = {**(error.extensions or {}), "code": VALIDATION_FAILED}
    _verdicts[key] = (table, errors)
    _verdicts.move_to_end(key)
    if len(_verdicts) > VERDICTS:
        _verdicts.popitem(last=False)
    return errors


def _validate(ctx: Any, context: Context) -> list[GraphQLError]:
    nested = limits.too_nested({"variables": ctx.variables, "extensions": ctx.operation_extensions})
    if nested:  # before anything walks them
        return nested
    static = _static_errors(ctx, context)
    if static:
        return list(static)
    settings = context.settings
    if redacts(context):
        refused = numbers.variables_refused(
            context.principal, ctx.schema._schema, ctx.graphql_document, ctx.query,
            ctx.variables or {},
        )  # fmt: skip
        if refused:
            return refused
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


def redacts(context: Context) -> bool:
    """Whether the request's answer has its personal numbers masked (`Guard._mask`)."""
    return not permissions.table().sees_personal_data(context.principal.role)


class Guard(SchemaExtension):
    def __init__(self, *, execution_context: Any = None) -> None:
        self.built: list[Entity | Shown] = []
        self.sent: dict[str, None] = {}  # ids of the entities a subscription's events held
        self.started = time.perf_counter()
        self.subscribed = False  # a subscription that began (its start is audited)

    def on_operation(self) -> Iterator[None]:
        self.started = time.perf_counter()
        ctx = self.execution_context
        context: Context = ctx.context
        settings = context.settings
        ctx.parse_options["max_tokens"] = settings.max_tokens
        # Set for the whole operation: a subscription's events are executed as they are
        # sent, after `on_execute` has ended.
        token = BUILT.set(self.built)
        try:
            yield
        except BaseException:  # cut short: the client completed it, or the socket closed
            self._audit(cut=True)
            raise
        finally:
            with contextlib.suppress(ValueError):  # closed from another context: nothing to undo
                BUILT.reset(token)
        errors = self._audit()
        result = ctx.result
        if settings.production and errors:
            for error in errors:
                error.message = _SUGGESTION.sub("", error.message)
            shown = [e if readable(e) else _masked(e) for e in errors]
            if result is not None and result.errors:
                result.errors = shown
        if result is not None:
            self._mask(result, context)
        for error in (result.errors if result else None) or ():
            typed = {"code": BadRequest.code} if _about_variables(error) else {}
            extensions = {**typed, **(error.extensions or {})}
            error.extensions = {**extensions, "requestId": context.request_id}

    def _audit(self, cut: bool = False, began: bool = False) -> list[GraphQLError]:
        """Record the operation's audit event (`began`: a subscription's, as it starts;
        `cut`: it ended before it answered); its errors."""
        ctx = self.execution_context
        context: Context = ctx.context
        result = ctx.result
        errors = list((result.errors if result else None) or ctx.pre_execution_errors or [])
        codes = {code(e) for e in errors}
        if codes & {"FORBIDDEN", "UNAUTHENTICATED", "JUSTIFICATION_REQUIRED", "RATE_LIMITED"}:
            outcome = audit.DENIED
        elif errors or (cut and result is None and not self.subscribed):
            outcome = audit.ERROR
        else:
            outcome = audit.ALLOWED
        reason = "; ".join(e.message for e in errors[:5]) or None
        if cut and outcome == audit.ERROR and not errors:
            reason = "cut short: the client completed it or went away before it was answered"
        if context.trail is None:
            return errors
        try:
            action = f"{ctx.operation_type.value} {ctx.operation_name or 'anonymous'}"
        except Exception:  # the document did not parse, or names no one operation
            action = "unparsed"
        if self.subscribed and not began:
            action += " ended"
        context.trail.record(
            audit.event(  # never raises: records what it can, and why not the rest
                None if context.principal is ANONYMOUS else context.principal,
                action,
                outcome,
                query=ctx.query,
                variables=ctx.variables,
                entities=() if began else self._entity_ids(context),
                reason=reason,
                started=self.started,
                justification=context.justification,
            )
        )
        return errors

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """Each answer of a WebSocket operation (a subscription's every event)."""
        context = self.execution_context.context
        self._mask(result, context)
        if self.subscribed:  # kept as ids: a subscription may run for days
            self.sent.update(dict.fromkeys(self._entity_ids(context)))
            self.built.clear()
        yield

    @staticmethod
    def _mask(result: Any, context: Context) -> None:
        """Every personal number in the answer masked, for a role without the
        personal-data permission: in every text it holds, whatever the field (an id, a
        label, a summary, a raw record, an error message). A part of it kept across
        requests comes redacted already (`masking.Redacted`, `resolvers.executor`)."""
        if not redacts(context):
            return
        if getattr(result, "data", None):
            result.data = masking.redact(result.data)
        for error in getattr(result, "errors", None) or ():
            error.message = masking.redact(error.message)

    def on_execute(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        if ctx.operation_type is OperationType.SUBSCRIPTION and not ctx.pre_execution_errors:
            self.subscribed = True  # its events follow, for as long as it runs
            self._audit(began=True)

    def _entity_ids(self, context: Context) -> Iterator[str]:
        """The Relay global ids, as the client sees them, of the entities the resolvers
        built (GraphQL type names are labels) and kept answers show, and those a
        subscription's events sent so far; read as the audit event is built, which
        records whatever fails meanwhile (`audit.event`)."""
        yield from self.sent
        for e in self.built:
            if isinstance(e, Shown):
                yield from e.ids
            else:
                yield relay_id(context.ids, e.LABEL, e.key_value())

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        context: Context = ctx.context
        wait = context.throttle() if context.throttle is not None else None
        if wait is not None:  # a WebSocket's operations count as requests do
            ctx.pre_execution_errors = [
                GraphQLError(str(RateLimited(wait)), extensions={"code": RateLimited.code})
            ]
        else:
            ctx.pre_execution_errors = _validate(ctx, context)
        yield


def _where(error: GraphQLError) -> str:
    return ".".join(str(p) for p in error.path or ()) or "-"


def report(error: GraphQLError, context: Any) -> None:
    """One line in the server log for an error of a request, with its request id and
    never the query text or a personal number: a client's mistake (a typo, a malformed
    id, a refusal) at INFO; a failure of the hub's own at ERROR, with the code lines
    that led to it (a traceback without the values)."""
    request = getattr(context, "request_id", "-")
    original = error.original_error
    message = masking.redact(" ".join(error.message.split()))
    if original is not None and db.unreachable(original):
        return  # the database gone: one line per outage (`hub.outage`), not one per request
    if original is None or isinstance(original, AccessError | GraphQLError):
        log.info(
            "request %s: %s at %s: %s", request, code(error) or "ERROR", _where(error), message
        )
        return
    frames = "".join(traceback.format_tb(original.__traceback__)).rstrip()
    log.error(
        "request %s: %s at %s: %s\n%s",
        request,
        type(original).__name__,
        _where(error),
        masking.redact(" ".join(str(original).split())),
        frames,
    )


class Schema(strawberry.Schema):
    """The hub's schema: errors are logged by `report`, not with strawberry's traceback,
    which holds the query text and whatever the failing values were. Every operation of
    a WebSocket runs with a context of its own (`Context.operation`), as every HTTP
    request does: strawberry makes one context per connection."""

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ) -> StreamResult:
        if isinstance(context_value, Context):
            context_value = context_value.operation()
        return await super().stream(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            operation_extensions,
            allowed_operation_types,
        )

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        context = getattr(execution_context, "context", None)
        for error in errors:
            report(error, context)
