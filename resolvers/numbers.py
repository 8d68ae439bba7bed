"""A role that sees personal numbers masked may not send one.

A look-up by number (`phone(number:)`, `account(number:)`, `moneyFlow(account:)`,
`person(idNumber:)`) answers an object for a number the graph holds and null for one it
does not: asked by a role that sees the numbers masked, it would confirm, guess by guess,
the digits the mask hides. So for such a role the guard (`resolvers.guard`) refuses:
- any argument or variable in which redaction finds a personal number (`hub.masking`),
  whatever the field: a search text, an id written as a number;
- any value of an argument read as a number (`number_argument`: the argument passes
  through the normaliser of a personal kind) that the normaliser accepts, however it is
  written (full-width dashes, brackets, a dialling prefix: the normaliser reads more
  forms than redaction finds), as a literal, a variable or a variable's default.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import strawberry
from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLArgument,
    GraphQLError,
    GraphQLSchema,
    IntValueNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValidationContext,
    ValidationRule,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    visit,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter

from hub import masking, normalise
from hub.access import Principal

REFUSED = (
    "the role {role} sees personal numbers masked, so it may not send one (an ID, phone "
    "or account number): a look-up by number would tell it, guess by guess, what the mask "
    "hides; find the entity by name or text, or ask with its id"
)
# A refusal a client can tell from others (the workbench says why in its own words).
REFUSAL = {"code": "FORBIDDEN", "reason": "PERSONAL_NUMBER"}
_KIND = "personal_number"  # the metadata key of an argument read as a number


def number_argument(kind: str, description: str | None = None) -> Any:
    """An argument read as a personal number of `kind` (a normaliser graph_schema names
    for a personal property): a role that sees such numbers masked may not send one."""
    return strawberry.argument(description=description, metadata={_KIND: kind})


# The kind of an argument that holds digits but is no one's number (a unit's code, twelve
# digits like an account's): a role that sees numbers masked may send it.
NO_NUMBER = ""


def no_number_argument(description: str | None = None) -> Any:
    """An argument whose digits are no personal number (a unit's code)."""
    return strawberry.argument(description=description, metadata={_KIND: NO_NUMBER})


def kind_of(argument: GraphQLArgument | None) -> str | None:
    """The kind of number an argument is read as (NO_NUMBER: none, though it has digits),
    if the schema says."""
    if argument is None:
        return None
    found = (argument.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    kind = getattr(found, "metadata", {}).get(_KIND)
    return kind if isinstance(kind, str) else None


def sends_a_number(value: Any) -> bool:
    """Whether `value` (an argument or a variable, any shape) holds a personal number
    redaction finds."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return bool(masking.redact(value) != value)
    if isinstance(value, dict):
        return any(sends_a_number(k) or sends_a_number(v) for k, v in value.items())
    if isinstance(value, list):
        return any(sends_a_number(v) for v in value)
    return False


def read_as_a_number(kind: str, value: Any) -> bool:
    """Whether the normaliser of `kind` reads `value` as a number (the look-up would)."""
    return isinstance(value, str) and isinstance(normalise.normalise(kind, value), normalise.Valid)


def refusal(principal: Principal, node: Any = None) -> GraphQLError:
    return GraphQLError(REFUSED.format(role=principal.role), node, extensions=dict(REFUSAL))


def rule(principal: Principal) -> type[ValidationRule]:
    """The literals (and variables' defaults) of a document, for a role that sees numbers
    masked: one refusal if any holds a number."""

    class NumberRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.reported = False
            self.defaults: dict[str, Any] = {}  # variables' default values
            self.no_number: set[int] = set()  # literals of NO_NUMBER arguments

        def refuse(self, node: Any) -> None:
            if not self.reported:
                self.reported = True
                self.report_error(refusal(principal, node))

        def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> None:
            if isinstance(node.default_value, StringValueNode):
                self.defaults[node.variable.name.value] = node.default_value.value

        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            kind = kind_of(self.context.get_argument())
            if kind == NO_NUMBER:
                self.no_number.add(id(node.value))
            if not kind:
                return
            value: Any = None
            if isinstance(node.value, StringValueNode):
                value = node.value.value
            elif isinstance(node.value, VariableNode):
                value = self.defaults.get(node.value.name.value)
            if read_as_a_number(kind, value):
                self.refuse(node)

        def enter_string_value(self, node: StringValueNode | IntValueNode, *_: Any) -> None:
            if id(node) not in self.no_number and sends_a_number(node.value):
                self.refuse(node)

        enter_int_value = enter_string_value  # an ID may be written as a number

    return NumberRule


class _Variables(Visitor):
    """The kinds of number of the arguments each variable of a document is passed to
    (every use, in every operation of it: NO_NUMBER for a unit's code, None for an
    argument read as no number)."""

    def __init__(self, info: TypeInfo) -> None:
        super().__init__()
        self.info = info
        self.kinds: dict[str, set[str | None]] = {}

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        # the argument's own kind where the variable is the argument; None where it is
        # inside a list or an input object
        kind = kind_of(self.info.get_argument())
        if isinstance(node.value, VariableNode):
            self.kinds.setdefault(node.value.name.value, set()).add(kind)
        else:
            for variable in _variables_in(node.value):
                self.kinds.setdefault(variable, set()).add(None)


def _variables_in(value: Any) -> Iterator[str]:
    if isinstance(value, VariableNode):
        yield value.name.value
    for item in getattr(value, "values", None) or ():  # a list's items
        yield from _variables_in(item)
    for field in getattr(value, "fields", None) or ():  # an input object's fields
        yield from _variables_in(field.value)


@lru_cache(maxsize=512)
def _variable_kinds(schema: GraphQLSchema, query: str) -> dict[str, set[str | None]]:
    info = TypeInfo(schema)
    found = _Variables(info)
    visit(parse(query), TypeInfoVisitor(info, found))
    return found.kinds


def variables_refused(
    principal: Principal,
    schema: GraphQLSchema,
    document: DocumentNode | None,
    query: str | None,
    variables: dict[str, Any],
) -> list[GraphQLError]:
    """The refusal of variables holding a number, for a role that sees them masked (the
    variables' counterpart of `rule`)."""
    if not variables:
        return []
    kinds = _variable_kinds(schema, query) if document is not None and query else {}
    # a variable passed only to unit codes may hold digits; any other is looked at
    sent = {name: value for name, value in variables.items() if kinds.get(name) != {NO_NUMBER}}
    if sends_a_number(sent) or any(
        kind and read_as_a_number(kind, variables.get(name))
        for name, used in kinds.items()
        for kind in used
    ):
        return [refusal(principal)]
    return []
