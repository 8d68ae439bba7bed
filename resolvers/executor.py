"""GraphQL execution that completes plain parts of an answer in one pass.

graphql-core completes every field of an answer the same way, whatever it is: a path
object, resolve info, an awaitable check and a type dispatch per field, and
strawberry adds its argument and extension machinery to every field with a resolver.
On the 2-core machine that is 50-150 µs a field, so that an answer of a few hundred
fields (ten paths of six hops, a drawn neighbourhood) spent three quarters of its time
there: more than the database.

Most of such an answer is plain: fields without arguments or directives that read an
attribute of a built object, or that `direct` answers straight from the object (an
entity's id, kind and label). `Executor` completes a value whose whole selection is
plain in one recursive pass: attributes read, scalars serialised, abstract types
resolved, nothing else. Anything else takes graphql-core's own path, and so does a plain
part that meets anything unexpected (a null where the schema says non-null, an
awaitable, a type it cannot tell): it is then completed again by graphql-core, which
reports errors as it always does.

The one pass must apply exactly the rules graphql-core's path applies, so it refuses
(leaves to graphql-core) whatever it could not apply identically:
- a whole request whose schema extensions hook into resolving (graphql-core middleware:
  a `resolve` hook), which it would not call;
- a field with a resolver of its own, with permission classes, or with a field
  extension that does not declare itself `Plain`: one whose answer depends only on the
  value, and on what of the request its `depends_on(context)` returns, that changes
  nothing and raises nothing (so that reading a field twice, when a part is completed
  again, changes nothing). Masking of personal numbers (`resolvers.masking`) is such
  an extension: the one pass calls the field's resolver, extensions included;
- `direct` replaces no resolver of a field that has extensions or permission classes.
`tests/resolvers/test_executor.py` compares the two paths on every documented task and
on every field that has extensions or permissions, for each role, and checks that a
middleware, a permission class and an undeclared extension each send the request, or
the field, down graphql-core's path.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from operator import attrgetter
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
from strawberry.extensions import FieldExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from hub import masking
from resolvers import guard
from resolvers.ids import relay_id
from resolvers.types import BY_LABEL, Entity

Info = GraphQLResolveInfo[Any]
Completer = Callable[[Any, Info], Any]  # a resolved value -> its completed answer


class _NotPlain(Exception):
    """This value is completed by graphql-core instead."""


class Plain(FieldExtension):
    """A field extension the one pass may apply by calling the field's resolver: its
    answer depends only on the value and on `depends_on(context)`; it changes nothing
    and raises nothing."""

    def depends_on(self, context: Any) -> Hashable:
        """What of the request the extension's answer depends on (a completed answer
        kept across requests is given again only where this is equal)."""
        raise NotImplementedError


def _definition(field: GraphQLField) -> StrawberryField | None:
    found = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return found if isinstance(found, StrawberryField) else None


def _plain_extensions(field: GraphQLField) -> tuple[Plain, ...] | None:
    """The extensions of a field whose value is read, not computed (strawberry's default
    resolver, every extension `Plain`, no permission classes), or of a `direct` one
    (none); None if the field is not plain."""
    resolve = field.resolve
    if resolve is None or field.args or inspect.iscoroutinefunction(resolve):
        return None
    if getattr(resolve, "_direct", False):
        return ()
    definition = _definition(field)
    if (
        definition is None
        or definition.base_resolver is not None
        or definition.permission_classes
        or not getattr(resolve, "_is_default", False)
        or not all(isinstance(e, Plain) for e in definition.extensions)
    ):
        return None
    return tuple(e for e in definition.extensions if isinstance(e, Plain))


Completers = dict[tuple[GraphQLOutputType, int, bool], tuple[FieldDetailsList, Completer | None]]
# Selections of kept lists by (type, ids of their nodes, variables): the nodes kept alive
# with the selection's shape and the `Plain` extensions of its fields, in order.
SHAPES = 256
_SHAPES: OrderedDict[Hashable, tuple[FieldDetailsList, Hashable, tuple[Plain, ...]]] = OrderedDict()


class Executor(StrawberryGraphQLCoreExecutionContext):
    """An executor per request, as graphql-core's."""

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: Info,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if (
            result is not None
            and not self._hooked()
            and not isinstance(return_type, GraphQLScalarType | GraphQLEnumType)
            and not isinstance(result, Exception)
            and not (isinstance(result, list | tuple) and any(self.is_awaitable(i) for i in result))
        ):
            complete = self._completer(return_type, field_details_list)
            if complete is not None:
                try:
                    return complete(result, info)
                except Exception:
                    # not plain after all, or a field failed: graphql-core completes it
                    # again and reports any error at its own path (reads change nothing)
                    pass
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _hooked(self) -> bool:
        """Whether a schema extension hooks into resolving each field (middleware), or
        the settings ask for graphql-core's completion (HUB_COMPLETION)."""
        found = self.__dict__.get("_hooked_found")
        if found is None:
            manager = self.middleware_manager
            settings = getattr(self.context_value, "settings", None)
            found = self.__dict__["_hooked_found"] = (
                manager is not None and bool(getattr(manager, "middlewares", True))
            ) or (settings is not None and settings.completion != "one-pass")
        return bool(found)

    def _completer(
        self, type_: GraphQLOutputType, details: FieldDetailsList, resolved: bool = False
    ) -> Completer | None:
        """How to complete a value of `type_` for this selection, made once per request
        (by the identity of the field details, kept alive with it as graphql-core keeps
        the selections it collects); None if it is not plain."""
        completers: Completers = self.__dict__.setdefault("_completers", {})
        key = (type_, id(details), resolved)
        found = completers.get(key)
        if found is None:
            try:
                made: Completer | None = (
                    self._object(type_, details, check=False)
                    if resolved and isinstance(type_, GraphQLObjectType)
                    else self._make(type_, details)
                )
            except _NotPlain:
                made = None
            found = (details, made)
            completers[key] = found
        return found[1]

    def _make(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Completer:
        """How to complete a value of `type_` for this selection in one pass; raises
        _NotPlain if the selection asks for anything but plain fields."""
        if isinstance(type_, GraphQLNonNull):
            inner = self._make(type_.of_type, details)

            def non_null(value: Any, info: Info) -> Any:
                completed = inner(value, info)
                if completed is None:
                    raise _NotPlain
                return completed

            return non_null
        if isinstance(type_, GraphQLList):
            item = self._make(type_.of_type, details)
            shapes: list[tuple[Hashable, bool]] = []  # made when a kept list first needs it

            def listed(value: Any, info: Info) -> Any:
                if value is None:
                    return None
                if not isinstance(value, list | tuple):
                    raise _NotPlain
                if isinstance(value, Remembered):
                    # what completing it reads of the request: the selection, what the
                    # selection's extensions depend on (the masking: the role), and
                    # whether the answer is redacted (`resolvers.guard`)
                    if not shapes:
                        redacted = guard.redacts(self.context_value)
                        shapes.append((self._kept_shape(type_.of_type, details), redacted))
                    key = shapes[0]
                    done = value.completions.get(key)
                    if done is None:
                        done = [item(v, info) for v in value]
                        # redacted once, as the guard would redact it in every answer
                        if key[1]:
                            done = masking.Redacted(masking.redact(done))
                        value.completions[key] = done
                    return masking.Redacted(done) if key[1] else list(done)
                return [item(v, info) for v in value]

            return listed
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            coerce = type_.coerce_output_value

            def leaf(value: Any, _: Info) -> Any:
                if value is None:
                    return None
                serialised = coerce(value)
                if serialised is Undefined or serialised is None:
                    raise _NotPlain
                return serialised

            return leaf
        if isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
            return self._abstract(type_, details)
        if isinstance(type_, GraphQLObjectType):
            return self._object(type_, details)
        raise _NotPlain

    def _kept_shape(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Hashable:
        """What this selection asks of a value of `type_`, and what its extensions answer
        for this request: the key of a kept list's completion. The selection's part is
        the same for every request of the same document (the parser cache's: the same
        nodes) and variables, so it is remembered across requests, the nodes kept alive
        with it; what the extensions depend on is asked of each request."""
        variables = repr(sorted(self.variable_values.coerced.items()))
        key = (type_, tuple(id(d.node) for d in details), variables)
        found = _SHAPES.get(key)
        if found is None:
            plain: list[Plain] = []
            found = _SHAPES[key] = (details, self._shape(type_, details, plain), tuple(plain))
            if len(_SHAPES) > SHAPES:
                _SHAPES.popitem(last=False)
        _SHAPES.move_to_end(key)
        _, shape, plain_ = found
        return (shape, tuple(e.depends_on(self.context_value) for e in plain_))

    def _shape(
        self, type_: GraphQLOutputType, details: FieldDetailsList, plain: list[Plain]
    ) -> Hashable:
        """What this selection asks of a value of `type_`, as a value to compare: the
        response names, fields and types all the way down (for every type an abstract
        one may turn out to be); the `Plain` extensions of its fields, in order, are
        added to `plain`."""
        if isinstance(type_, GraphQLNonNull | GraphQLList):
            return (type(type_).__name__, self._shape(type_.of_type, details, plain))
        if isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
            possible = self.schema.get_possible_types(type_)
            return tuple(
                (t.name, self._shape(t, details, plain))
                for t in sorted(possible, key=lambda t: t.name)
            )
        if isinstance(type_, GraphQLObjectType):
            grouped = self.collect_subfields(type_, details).grouped_field_set
            return tuple(
                (name, sub[0].node.name.value, self._field_shape(type_, sub, plain))
                for name, sub in grouped.items()
            )
        return type_.name

    def _field_shape(
        self, type_: GraphQLObjectType, sub: FieldDetailsList, plain: list[Plain]
    ) -> Hashable:
        field = type_.fields.get(sub[0].node.name.value)
        if field is None:
            return None
        extensions = _plain_extensions(field) or ()
        plain.extend(extensions)
        return (self._shape(field.type, sub, plain), len(extensions))

    def _abstract(
        self, type_: GraphQLInterfaceType | GraphQLUnionType, details: FieldDetailsList
    ) -> Completer:
        resolve_type = type_.resolve_type
        if resolve_type is None:
            raise _NotPlain
        by_type: dict[str, Completer] = {}

        def abstract(value: Any, info: Info) -> Any:
            if value is None:
                return None
            name = resolve_type(value, info, type_)
            complete = by_type.get(name) if isinstance(name, str) else None
            if complete is None:
                found = self.schema.get_type(name) if isinstance(name, str) else None
                if not isinstance(found, GraphQLObjectType) or not self.schema.is_sub_type(
                    type_, found
                ):
                    raise _NotPlain
                # the object named its own type: strawberry's is_type_of would only
                # check it again
                made = self._completer(found, details, resolved=True)
                if made is None:
                    raise _NotPlain
                complete = by_type[found.name] = made
            return complete(value, info)

        return abstract

    def _object(
        self, type_: GraphQLObjectType, details: FieldDetailsList, check: bool = True
    ) -> Completer:
        grouped, deferred, forbidden = self.collect_subfields(type_, details)
        if deferred or forbidden:
            raise _NotPlain
        fields: list[tuple[str, Any, Completer | None]] = []
        for response_name, sub in grouped.items():
            node = sub[0].node
            if node.name.value == "__typename":
                fields.append((response_name, type_.name, None))
                continue
            field = type_.fields.get(node.name.value)
            if (
                field is None
                or _plain_extensions(field) is None
                or len(sub) != 1
                or node.arguments
                or node.directives
                or sub[0].defer_usage is not None
            ):
                raise _NotPlain
            fields.append((response_name, _reader(field), self._make(field.type, sub)))
        is_type_of = type_.is_type_of if check else None

        def complete_object(value: Any, info: Info) -> Any:
            if value is None:
                return None
            if is_type_of is not None and is_type_of(value, info) is not True:
                raise _NotPlain
            return {
                name: resolve if complete is None else complete(resolve(value, info), info)
                for name, resolve, complete in fields
            }

        return complete_object


class Remembered(list[Any]):
    """A list kept across requests (`resolvers.cached`): the executor remembers how it
    completed it for each selection (and what the selection's `Plain` extensions depend
    on), and gives the same completion again, so that a kept answer of thousands of
    fields costs no more than a small one. For a role whose answers the guard redacts,
    the completion is kept redacted (`masking.Redacted`), which the guard passes over:
    an answer is not searched for personal numbers at every request."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(items)
        self.completions: dict[Hashable, list[Any]] = {}


def _reader(field: GraphQLField) -> Callable[[Any, Info], Any]:
    """How a plain field reads its value: the attribute itself where strawberry would
    only read it (through three calls), else the field's resolver, which runs the
    field's extensions (masking of personal numbers)."""
    definition = _definition(field)
    if (
        definition is not None
        and definition.is_basic_field
        and definition.default_resolver is getattr
    ):
        read = attrgetter(definition.python_name)
        return lambda value, _: read(value)
    assert field.resolve is not None
    return field.resolve


def _direct(resolve: Callable[[Any, Info], Any], replaced: Any) -> Callable[..., Any]:
    resolve._direct = True  # type: ignore[attr-defined]
    resolve._replaced = replaced  # type: ignore[attr-defined]  # strawberry's, for the tests
    return resolve


def _id(root: Entity, info: Info) -> str:
    return relay_id(info.context.ids, root.LABEL, root.key_value())


def direct(schema: Schema) -> None:
    """Resolve the fields every entity answers (id, kind, label) straight from the
    object, without strawberry's resolver machinery: what Entity's own resolvers
    return, for a fraction of the cost. A field with extensions or permission classes,
    or whose type answers it its own way (its own `resolve_id`, `kind` or `label`),
    keeps strawberry's resolver."""
    answers: dict[str, Callable[[Any, Info], Any]] = {
        "id": _id,
        "kind": lambda root, _: root.LABEL,
        "label": lambda root, _: root.display(),
    }
    for label, entity in BY_LABEL.items():
        object_type = schema._schema.get_type(label)
        assert isinstance(object_type, GraphQLObjectType), label
        for name, answer in answers.items():
            field = object_type.fields[name]
            definition = _definition(field)
            own = (
                entity.resolve_id.__func__ is not Entity.resolve_id.__func__  # type: ignore[attr-defined]
                if name == "id"
                else definition is None or definition.origin is not Entity
            )
            if own or definition is None or definition.extensions or definition.permission_classes:
                continue
            field.resolve = _direct(answer, field.resolve)
