"""How big a query may be: page sizes and cost, checked while the query is validated.

Depth, aliases and tokens use strawberry's own limiters (see `resolvers.guard`); this
module adds what they do not cover, checked after validation and before execution
(`check`, or `rule` as a graphql-core validation rule), so that an oversized query is
refused before any resolver runs and before any database query.

Cost: every field costs 1, multiplied by the page sizes of the lists above it. A list
field's page size is its `first`/`last`/`limit` argument, or `DEFAULT_LIST` when it
has none (`edges` and `nodes` of a connection are the page their parent asked for). A
traversal (a field with a `depth` or `maxHops` argument) costs `HOP_COST` to the
power of its hops instead of 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
)

PAGE_ARGS = ("first", "last", "limit")
HOP_ARGS = ("depth", "maxHops")
DEFAULT_LIST = 10
HOP_COST = 2  # the answers of traversals are capped by HUB_MAX_RESULTS: growth per hop is bounded
CONNECTION_LISTS = ("edges", "nodes")


def limit_error(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "LIMIT_EXCEEDED"})


def check(
    schema: GraphQLSchema,
    document: DocumentNode,
    max_cost: int,
    max_page: int,
    variables: Mapping[str, Any],
) -> list[GraphQLError]:
    """The pages over `max_page` and the operations over `max_cost` in a valid document.

    A walk over the operations' selections only: no validation visit, so it is cheap
    enough to run on every request (the page sizes come from its variables)."""
    fragments = _fragments(document)
    errors: list[GraphQLError] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            errors += _operation(schema, fragments, definition, max_cost, max_page, variables)
    return errors


def rule(max_cost: int, max_page: int, variables: Mapping[str, Any]) -> type[ValidationRule]:
    """The same checks as a validation rule, for documents not yet known to be valid."""

    class CostRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = _fragments(self.context.document)
            for error in _operation(
                self.context.schema, fragments, node, max_cost, max_page, variables
            ):
                self.report_error(error)

    return CostRule


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _operation(
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    node: OperationDefinitionNode,
    max_cost: int,
    max_page: int,
    variables: Mapping[str, Any],
) -> list[GraphQLError]:
    root = schema.get_root_type(node.operation)
    if root is None:
        return []
    cost = _Cost(schema, fragments, variables, max_page)
    total = cost.of(node.selection_set, root, 1, ())
    if total > max_cost:
        cost.errors.append(
            limit_error(
                f"the query costs {total:,}, more than the limit of {max_cost:,}: "
                "ask for smaller pages (first, limit) or fewer hops (depth, maxHops)"
            )
        )
    return cost.errors


class _Cost:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        max_page: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.max_page = max_page
        self.errors: list[GraphQLError] = []

    def _int(self, field: FieldNode, names: tuple[str, ...]) -> int | None:
        for arg in field.arguments or ():
            if arg.name.value not in names:
                continue
            value = arg.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                found = self.variables.get(value.name.value)
                return found if isinstance(found, int) else None
        return None

    def of(
        self, selections: SelectionSetNode, parent: Any, multiplier: int, fragments: tuple[str, ...]
    ) -> int:
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, multiplier, fragments)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                type_ = self.schema.get_type(condition.name.value) if condition else parent
                total += self.of(selection.selection_set, type_, multiplier, fragments)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in fragments:  # unknown or cyclic: validation says so
                    continue
                type_ = self.schema.get_type(fragment.type_condition.name.value)
                total += self.of(fragment.selection_set, type_, multiplier, (*fragments, name))
        return total

    def _field(
        self, field: FieldNode, parent: Any, multiplier: int, fragments: tuple[str, ...]
    ) -> int:
        name = field.name.value
        if name.startswith("__"):
            return multiplier
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return multiplier
        definition = parent.fields.get(name)
        if definition is None:
            return multiplier  # an unknown field: validation reports it
        page = self._int(field, PAGE_ARGS)
        if page is not None and not 0 <= page <= self.max_page:
            self.errors.append(
                limit_error(
                    f"{name}: a page of {page} is not allowed; pages hold 0 to {self.max_page} "
                    "items (HUB_MAX_PAGE_SIZE)"
                )
            )
        hops = self._int(field, HOP_ARGS)
        own = HOP_COST ** max(0, min(hops, 32)) if hops is not None else 1
        total = multiplier * own
        if field.selection_set is None:
            return total
        type_ = definition.type
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if page is not None:
            factor = max(page, 1)
        elif isinstance(type_, GraphQLList) and name not in CONNECTION_LISTS:
            factor = DEFAULT_LIST
        else:
            factor = 1
        child = get_named_type(definition.type)
        return total + self.of(field.selection_set, child, multiplier * factor, fragments)
