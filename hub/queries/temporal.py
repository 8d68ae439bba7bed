"""Temporal properties on their way from Neo4j to the API, as ISO 8601 text.

The driver turns every temporal value into a `neo4j.time` object in pure Python, which
costs more than everything else in a large answer: a depth-2 neighbourhood carries
hundreds of timestamps. Text is parsed in C. So the reads whose answers go to the API
project nodes and relationships with `node` and `rel`, which send each temporal
property graph_schema declares (provenance included) through `toString()`, and the API
types take values through `value`, which parses them back by their declared type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from neo4j.time import Date, DateTime

from graph_schema import ident, schema


def _props(var: str, names: Iterable[str]) -> str:
    """A Cypher map of every property of `var`, those of `names` as text."""
    converted = "".join(f", {ident(n)}: toString({var}.{ident(n)})" for n in sorted(names))
    return f"{var} {{.*{converted}}}"


def node(var: str, labels: Iterable[str] | None = None, only: Iterable[str] | None = None) -> str:
    """A Cypher map of every property of the node `var` (the hub's own variable name),
    the temporal ones as text. `var` carries one of `labels` (default: any the schema
    declares); with several, a CASE on the label picks that label's temporal names, so
    each node costs only its own conversions and its map no keys it does not declare.
    With `only`, the map holds just those properties (null where the node has none):
    what an answer reads of a large drawn graph is a fraction of what its nodes hold."""
    if only is not None:
        return _only(var, frozenset(only))
    return _node(var, None if labels is None else frozenset(labels))


def rel(var: str, types: Iterable[str] | None = None, only: Iterable[str] | None = None) -> str:
    """A Cypher map of every property of the relationship `var`, of one of `types`
    (default: any), the temporal ones as text, as `node` (and with `only`, as `node`)."""
    if only is not None:
        return _only(var, frozenset(only))
    return _rel(var, None if types is None else frozenset(types))


# The maps are built once per variable and choice: a request only looks them up.
@cache
def _node(var: str, labels: frozenset[str] | None) -> str:
    gs = schema()
    chosen = sorted(gs.nodes if labels is None else labels)
    return _by_kind(var, [(gs.node(label).label, of_labels([label])) for label in chosen])


@cache
def _rel(var: str, types: frozenset[str] | None) -> str:
    gs = schema()
    chosen = sorted(gs.relationships if types is None else types)
    return _by_kind(var, [(gs.relationship(t).type, of_types([t])) for t in chosen])


@cache
def _only(var: str, names: frozenset[str]) -> str:
    temporal = schema().temporal
    return (
        f"{var} {{"
        + ", ".join(
            f"{ident(n)}: toString({var}.{ident(n)})" if n in temporal else f".{ident(n)}"
            for n in sorted(names)
        )
        + "}"
    )


def _by_kind(var: str, kinds: list[tuple[str, set[str]]]) -> str:
    """The properties of `var` with the temporal names of its kind (a label, or a
    relationship type: both tested as `var:kind`), by a CASE when it may be several."""
    if len(kinds) == 1:
        return _props(var, kinds[0][1])
    branches = "".join(
        f"WHEN {var}:{ident(kind)} THEN {_props(var, names)} " for kind, names in kinds
    )
    return f"CASE {branches}ELSE {var} {{.*}} END"


def of_labels(labels: Iterable[str]) -> set[str]:
    """The temporal property names nodes of these labels can carry."""
    return _temporal(schema().node(label).properties for label in labels)


def of_types(types: Iterable[str]) -> set[str]:
    """The temporal property names relationships of these types can carry."""
    return _temporal(schema().relationship(type_).properties for type_ in types)


def _temporal(declarations: Iterable[Mapping[str, Any]]) -> set[str]:
    gs = schema()
    names = {p for p in gs.provenance if p in gs.temporal}
    for declared in declarations:
        names |= {p for p in declared if p in gs.temporal}
    return names


def value(name: str, raw: Any) -> Any:
    """A property value as the API's types take it: temporal ones as Python's own."""
    if raw is None:
        return None
    if isinstance(raw, str):
        kind = schema().temporal.get(name)
        if kind == "datetime":
            # A named zone is written after the offset, "+08:00[Asia/Shanghai]"; the
            # offset alone names the same instant.
            return dt.datetime.fromisoformat(raw.split("[", 1)[0])
        if kind == "date":
            return dt.date.fromisoformat(raw)
        return raw
    if isinstance(raw, DateTime | Date):
        return raw.to_native()
    return raw
