"""GraphQL execution that completes plain parts of an answer in one pass.

graphql-core completes every field of an answer the same way, whatever it is: a path
object, resolve info, an awaitable check and a type dispatch per field, and
strawberry adds its argument and extension machinery to every field with a resolver.
On the 2-core machine that is 50-150 µs a field, so that an answer of a few hundred
fields (ten paths of six hops, a drawn neighbourhood) spent three quarters of its time
there: more than the database.

Most of such an answer is plain: fields that read an attribute of a built object
(strawberry's default resolver) or that `direct` answers straight from the object
(an entity's id, kind and label), without arguments or directives. `Executor`
completes a value whose whole selection is plain in one recursive pass: attributes
read, scalars serialised, abstract types resolved, nothing else. Anything else takes
graphql-core's own path, and so does a plain part that meets anything unexpected (a
null where the schema says non-null, an awaitable, a type it cannot tell): it is then
completed again by graphql-core, which reports errors as it always does. Reading an
attribute twice changes nothing, so the answer is the same either way
(`tests/resolvers/test_executor.py` compares the two on every documented task).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLUnionType,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path, Undefined
from strawberry import Schema
from strawberry.relay import to_base64
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from resolvers.types import BY_LABEL, Entity

# (response name, field definition, its field details); no definition: __typename
Plan = list[tuple[str, GraphQLField | None, FieldDetailsList]]
Info = GraphQLResolveInfo[Any]


class _NotPlain(Exception):
    """This value is completed by graphql-core instead."""


def _plain(field: GraphQLField) -> bool:
    resolve = field.resolve
    return (
        resolve is not None
        and (getattr(resolve, "_is_default", False) or getattr(resolve, "_direct", False))
        and not field.args
    )


class Executor(StrawberryGraphQLCoreExecutionContext):
    _plans: dict[tuple[GraphQLObjectType, int], tuple[FieldDetailsList, Plan | None]]

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: Info,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if result is not None and not isinstance(result, Exception):
            try:
                return self._complete(return_type, field_details_list, info, result, True)
            except _NotPlain:
                pass
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _plan(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> Plan:
        """The plain fields the selection asks of `object_type`; raises _NotPlain if it
        asks for any other. Kept for the request, as graphql-core keeps the selection
        it collects (by the identity of the field details, which it keeps alive)."""
        plans = self.__dict__.setdefault("_plans", {})
        key = (object_type, id(details))
        found = plans.get(key)
        if found is None:
            grouped, deferred, forbidden = self.collect_subfields(object_type, details)
            plan: Plan | None = [] if not deferred and not forbidden else None
            for response_name, sub in grouped.items():
                node = sub[0].node
                name = node.name.value
                field = None if name == "__typename" else object_type.fields.get(name)
                if plan is None or (
                    name != "__typename"
                    and (
                        field is None
                        or not _plain(field)
                        or len(sub) != 1
                        or node.arguments
                        or node.directives
                        or sub[0].defer_usage is not None
                    )
                ):
                    plan = None
                    break
                plan.append((response_name, field, sub))
            found = (details, plan)
            plans[key] = found
        plan = found[1]
        if plan is None:
            raise _NotPlain
        return plan

    def _complete(
        self,
        type_: GraphQLOutputType,
        details: FieldDetailsList,
        info: Info,
        value: Any,
        top: bool = False,
    ) -> Any:
        if isinstance(type_, GraphQLNonNull):
            completed = self._complete(type_.of_type, details, info, value, top)
            if completed is None:
                raise _NotPlain
            return completed
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list | tuple) or (
                top and any(self.is_awaitable(item) for item in value)
            ):
                raise _NotPlain
            item_type = type_.of_type
            return [self._complete(item_type, details, info, item) for item in value]
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            serialised = type_.coerce_output_value(value)
            if serialised is Undefined or serialised is None:
                raise _NotPlain
            return serialised
        if isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
            name = None if type_.resolve_type is None else type_.resolve_type(value, info, type_)
            found = self.schema.get_type(name) if isinstance(name, str) else None
            if not isinstance(found, GraphQLObjectType) or not self.schema.is_sub_type(
                type_, found
            ):
                raise _NotPlain
            type_ = found
        if not isinstance(type_, GraphQLObjectType) or (
            type_.is_type_of is not None and type_.is_type_of(value, info) is not True
        ):
            raise _NotPlain
        out = {}
        for response_name, field, sub in self._plan(type_, details):
            if field is None:
                out[response_name] = type_.name
            else:
                out[response_name] = self._complete(
                    field.type,
                    sub,
                    info,
                    field.resolve(value, info),  # type: ignore[misc]
                )
        return out


def _direct(resolve: Callable[[Any, Info], Any], replaced: Any) -> Callable[..., Any]:
    resolve._direct = True  # type: ignore[attr-defined]
    resolve._replaced = replaced  # type: ignore[attr-defined]  # strawberry's, for the tests
    return resolve


def _id(root: Entity, info: Info) -> str:
    label = root.LABEL
    return to_base64(label, info.context.ids.encode(label, root.key_value()))


def direct(schema: Schema) -> None:
    """Resolve the fields every entity answers (id, kind, label) straight from the
    object, without strawberry's resolver machinery: what Entity's own resolvers
    return, for a fraction of the cost."""
    for label in BY_LABEL:
        object_type = schema._schema.get_type(label)
        assert isinstance(object_type, GraphQLObjectType), label
        fields = object_type.fields
        fields["id"].resolve = _direct(_id, fields["id"].resolve)
        fields["kind"].resolve = _direct(lambda root, _: root.LABEL, fields["kind"].resolve)
        fields["label"].resolve = _direct(lambda root, _: root.display(), fields["label"].resolve)
