"""How big a query may be: depth, page sizes and cost, checked while the query is
validated.

Tokens are counted by the parser (see `resolvers.guard`); this module checks the rest,
during validation (`depth_rule`, `alias_rule`) and after it (`check`, or `rule` as a
graphql-core validation rule), so that an oversized query is refused before any
resolver runs and before any database query, whatever the operation (a subscription
too) and whatever transport brought it.

Depth: the root field is 1 deep, a field below it 2, and so on through fragments;
introspection fields are not counted (`depth_rule`).

Cost: every field costs 1, multiplied by the page sizes of the lists above it. A list
field's page size is its `first`/`last`/`limit` argument; left out, the page its
resolver gives then (the argument's declared default, else `DEFAULT_PAGE` for
`first`/`last` and `HUB_MAX_PAGE_SIZE` for a neighbourhood's `limit`), so that leaving
it out costs what it returns. A list without page arguments counts `DEFAULT_LIST`
(`edges` and `nodes` below a paged field are that page). A list that answers one item
for each item of a list argument (`nodes(ids:)`), an argument its field declares so
(`ONE_ITEM_EACH` in the argument's metadata, see `resolvers.pages.items_argument`),
counts the length of that list, from the literal or the variable's value, and such a
list longer than a page is refused. A traversal (a field with a `depth` or `maxHops`
argument) costs `HOP_COST` to the power of its hops instead of 1. A variable's value is
read as graphql-core coerces it to run the operation (`coerced`): an Int sent as 500.0
is the 500 it runs with.

Nesting: the values of a request's variables and extensions may nest lists and objects
`MAX_NESTING` deep (`too_nested`), checked before anything else reads them (the numbers
they hold, their redaction for the audit trail, graphql-core's coercion).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_variable_values,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter

PAGE_ARGS = ("first", "last", "limit")
HOP_ARGS = ("depth", "maxHops")
DEFAULT_PAGE = 20  # items of a connection asked without `first` (resolvers.pages)
DEFAULT_LIST = 10
HOP_COST = 2  # the answers of traversals are capped by HUB_MAX_RESULTS: growth per hop is bounded
CONNECTION_LISTS = ("edges", "nodes")
# The metadata key of a list argument whose field answers one item for each of its items.
ONE_ITEM_EACH = "one_item_each"
# Longest text a full-text search takes, in characters. The `cjk` analyzer makes at most
# one Lucene clause of a character, and Lucene refuses a query of more than 1,024
# clauses: longer text is refused as bad input before it reaches the index.
MAX_SEARCH_TEXT = 256
# Deepest a value of a request's variables (or extensions) may nest lists and objects,
# `[[1]]` being 2: the schema's deepest argument, a list of input objects, nests 2
# (tests/hub/test_limits.py). A value nested hundreds deep, even one the query does not
# use, is refused before anything walks it.
MAX_NESTING = 10


def limit_error(message: str, node: Node | None = None) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": "LIMIT_EXCEEDED"})


def nesting(value: Any) -> int:
    """How deep `value` nests lists and objects: a scalar 0, `[]` or `{}` 1, `[[1]]` 2.
    Counted without recursion, however deep."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            items: Any = item.values()
        elif isinstance(item, list | tuple):
            items = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in items)
    return deepest


def too_nested(parts: Mapping[str, Any]) -> list[GraphQLError]:
    """The refusal of each part of a request (its variables, its extensions: objects of
    values) with a value nested deeper than MAX_NESTING."""
    errors = []
    for what, values in parts.items():
        found = max(nesting(values) - 1, 0)  # its deepest value's
        if found > MAX_NESTING:
            errors.append(
                limit_error(
                    f"the request's {what} nest {found} deep, more than the limit of "
                    f"{MAX_NESTING} (MAX_NESTING)"
                )
            )
    return errors


def sizes_answer(argument: GraphQLArgument) -> bool:
    """Whether the schema declares that its field answers one item per item of `argument`."""
    found = (argument.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return bool(getattr(found, "metadata", {}).get(ONE_ITEM_EACH))


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


def depth_rule(max_depth: int) -> type[ValidationRule]:
    """Refuses an operation (of any type) whose fields nest deeper than `max_depth`."""

    class DepthRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = _fragments(self.context.document)
            found = _depth(node.selection_set, fragments, ())
            if found > max_depth:
                self.report_error(
                    limit_error(
                        f"the query nests fields {found} deep, more than the limit of "
                        f"{max_depth} (HUB_MAX_DEPTH)",
                        node,
                    )
                )

    return DepthRule


def alias_rule(max_aliases: int) -> type[ValidationRule]:
    """Refuses a document with more aliases than `max_aliases`, each fragment counted
    every time it is used (an alias in a fragment spread ten times is ten aliases)."""

    class AliasRule(ValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> None:
            fragments = _fragments(node)
            found = sum(
                _aliases(d.selection_set, fragments, ())
                for d in node.definitions
                if isinstance(d, OperationDefinitionNode)
            )
            if found > max_aliases:
                self.report_error(
                    limit_error(
                        f"the query uses {found} aliases, more than the limit of {max_aliases} "
                        "(HUB_MAX_ALIASES)"
                    )
                )

    return AliasRule


def _aliases(
    selections: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: tuple[str, ...],
) -> int:
    found = 0
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            found += selection.alias is not None
            if selection.selection_set:
                found += _aliases(selection.selection_set, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            found += _aliases(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                found += _aliases(fragment.selection_set, fragments, (*seen, name))
    return found


def _depth(
    selections: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: tuple[str, ...],
) -> int:
    """How deep the fields of `selections` nest, the fields themselves being 1 deep."""
    deepest = 0
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue  # introspection (and __typename) is not counted
            below = selection.selection_set
            deepest = max(deepest, 1 + (_depth(below, fragments, seen) if below else 0))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:  # unknown or cyclic: validation
                deepest = max(deepest, _depth(fragment.selection_set, fragments, (*seen, name)))
    return deepest


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
    cost = _Cost(schema, fragments, coerced(schema, node, variables), max_page)
    total = cost.of(node.selection_set, root, 1, ())
    if total > max_cost:
        cost.errors.append(
            limit_error(
                f"the query costs {total:,}, more than the limit of {max_cost:,}: "
                "ask for smaller pages (first, limit) or fewer hops (depth, maxHops)"
            )
        )
    return cost.errors


def coerced(
    schema: GraphQLSchema, node: OperationDefinitionNode, variables: Mapping[str, Any]
) -> Mapping[str, Any]:
    """The variables of the operation `node` as graphql-core coerces them to run it, so
    that the limits read each as the resolvers will: an Int however JSON spelt it (500,
    500.0, 5e2), a variable left out as its default (`$first: Int = 500`), one item as a
    list of one. None of them, if they cannot be: graphql-core then refuses the operation
    for it and runs nothing."""
    found = get_variable_values(schema, node.variable_definitions or (), dict(variables), 1)
    return {} if isinstance(found, list) else found.coerced


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

    def _items(self, field: FieldNode, definition: GraphQLField) -> tuple[str, int] | None:
        """The argument that sets how many items `field` answers, and its length."""
        for arg in field.arguments or ():
            declared = definition.args.get(arg.name.value)
            if declared is None or not sizes_answer(declared):
                continue
            value: Any = arg.value
            if isinstance(value, ListValueNode):
                return arg.name.value, len(value.values)
            if isinstance(value, VariableNode):
                value = self.variables.get(value.name.value)
                return arg.name.value, len(value) if isinstance(value, list) else 1
            return arg.name.value, 1  # one item stands for a list of one
        return None

    def _default_page(self, definition: GraphQLField) -> int | None:
        """The page a paged field left without its page argument returns."""
        for name in PAGE_ARGS:
            arg = definition.args.get(name)
            if arg is None:
                continue
            if isinstance(arg.default_value, int):
                return arg.default_value
            return self.max_page if name == "limit" else DEFAULT_PAGE
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
        items = self._items(field, definition)
        if items is not None and items[1] > self.max_page:
            self.errors.append(
                limit_error(
                    f"{name}: {items[0]} holds {items[1]} items, more than the limit of "
                    f"{self.max_page} (HUB_MAX_PAGE_SIZE); ask in smaller lists"
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
        if items is not None:
            page = items[1]
        elif page is None:
            page = self._default_page(definition)
        if page is not None:
            factor = max(page, 1)
        elif isinstance(type_, GraphQLList) and name not in CONNECTION_LISTS:
            factor = DEFAULT_LIST
        else:
            factor = 1
        child = get_named_type(definition.type)
        return total + self.of(field.selection_set, child, multiplier * factor, fragments)
