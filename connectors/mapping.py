"""Declared mappings from a source's records to graph rows, checked when loaded.

A mapping file (`connectors/mappings/<source>.yaml`) names, per stream, the record id
column, the cursor column, the time format of the source, the person the record is
about (if any), the nodes each record makes (label, the column holding its key, columns
for further properties), the relationships between them, and the checks a record must
pass to be loaded (`required` columns, `times_in` and `dates` that must parse). Every
label, relationship type and property is checked against graph_schema when the file is
loaded; an error names the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graph_schema import GraphSchema, schema
from hub.errors import SchemaError

HERE = Path(__file__).parent / "mappings"
PERSON = "person"  # the column-like name of the record's person in relationships


class _LineLoader(yaml.SafeLoader):
    """Keeps the line of every mapping so errors can name it."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = _LineDict({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})
    mapping.line = node.start_mark.line + 1
    return mapping


class _LineDict(dict[str, Any]):
    line = 0


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True)
class NodeMap:
    label: str
    key: str  # column holding the key
    properties: dict[str, str] = field(default_factory=dict)  # property -> column


@dataclass(frozen=True)
class RelationshipMap:
    type: str
    start: str  # column (or "person")
    end: str
    start_label: str
    end_label: str
    properties: dict[str, str] = field(default_factory=dict)
    when: dict[str, str] = field(default_factory=dict)  # column -> value the row must have


@dataclass(frozen=True)
class StreamMap:
    name: str
    id: str
    cursor: str
    time_format: str
    person: dict[str, str]  # person property -> column
    nodes: tuple[NodeMap, ...]
    relationships: tuple[RelationshipMap, ...]
    required: tuple[str, ...] = ()  # columns that must not be empty
    times: tuple[str, ...] = ()  # further columns that must hold a time in time_format
    dates: dict[str, str] = field(default_factory=dict)  # column -> date format

    def columns(self) -> set[str]:
        used = {self.id, self.cursor, *self.person.values(), *self.required, *self.times}
        used |= set(self.dates)
        for n in self.nodes:
            used |= {n.key, *n.properties.values()}
        for r in self.relationships:
            used |= {r.start, r.end, *r.properties.values(), *r.when}
        return used - {PERSON}

    def node_for(self, column: str) -> NodeMap | None:
        return next((n for n in self.nodes if n.key == column), None)


@dataclass(frozen=True)
class SourceMap:
    source: str
    streams: dict[str, StreamMap]


def _fail(path: Path, where: Any, message: str) -> SchemaError:
    line = getattr(where, "line", 0)
    return SchemaError(f"{path.name}:{line}: {message}")


def load(path: Path, gs: GraphSchema | None = None) -> SourceMap:
    gs = gs or schema()
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as exc:
        raise SchemaError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or "source" not in data or "streams" not in data:
        raise _fail(path, data, "a mapping needs 'source' and 'streams'")
    streams = {}
    for name, spec in data["streams"].items():
        streams[name] = _stream(path, gs, name, spec)
    return SourceMap(str(data["source"]), streams)


def _stream(path: Path, gs: GraphSchema, name: str, spec: Any) -> StreamMap:
    for required in ("id", "cursor"):
        if required not in spec:
            raise _fail(path, spec, f"stream {name!r} needs {required!r}")
    person = dict(spec.get("person") or {})
    person_props = gs.node("Person").properties
    for prop in person:
        if prop not in person_props:
            raise _fail(path, spec, f"stream {name!r}: Person has no property {prop!r}")
    nodes = []
    for n in spec.get("nodes") or []:
        label = n.get("label")
        if label not in gs.nodes:
            raise _fail(path, n, f"unknown node label {label!r}")
        props = dict(n.get("set") or {})
        for prop in props:
            if prop not in gs.nodes[label].properties:
                raise _fail(path, n, f"{label} has no property {prop!r}")
        if "key" not in n:
            raise _fail(path, n, f"node {label} needs 'key' (the column holding its key)")
        nodes.append(NodeMap(label, str(n["key"]), props))
    by_column = {n.key: n.label for n in nodes}
    if person:
        by_column[PERSON] = "Person"
    rels = []
    for r in spec.get("relationships") or []:
        type_ = r.get("type")
        if type_ not in gs.relationships:
            raise _fail(path, r, f"unknown relationship type {type_!r}")
        rel = gs.relationships[type_]
        ends = []
        for side, allowed in (("start", rel.sources), ("end", rel.targets)):
            column = r.get(side)
            label = by_column.get(column)
            if label is None:
                raise _fail(path, r, f"{type_} {side} {column!r} is not a node of this stream")
            if label not in allowed:
                raise _fail(path, r, f"{type_} cannot {side} at {label}")
            ends.append((column, label))
        props = dict(r.get("set") or {})
        for prop in props:
            if prop not in rel.properties:
                raise _fail(path, r, f"{type_} has no property {prop!r}")
        (start, start_label), (end, end_label) = ends
        rels.append(
            RelationshipMap(
                type_, start, end, start_label, end_label, props, dict(r.get("when") or {})
            )
        )
    return StreamMap(
        name=name,
        id=str(spec["id"]),
        cursor=str(spec["cursor"]),
        time_format=str(spec.get("times", "%Y-%m-%d %H:%M:%S")),
        person=person,
        nodes=tuple(nodes),
        relationships=tuple(rels),
        required=tuple(spec.get("required") or ()),
        times=tuple(spec.get("times_in") or ()),
        dates=dict(spec.get("dates") or {}),
    )
