"""Declared mappings from a source's records to graph rows, checked when loaded.

A mapping file (`connectors/mappings/<source>.yaml`) names, per stream, the record id
column, the cursor column, the time format of the source, the person the record is
about (if any), the nodes each record makes (label, the column holding its key, columns
for further properties), the relationships between them, and the checks a record must
pass to be loaded (`required` columns, `times_in` and `dates` that must parse). Every
label, relationship type and property is checked against graph_schema when the file is
loaded; an error names the file and line.

A file feed (a stream with `files:`) also names its files' name pattern (`{day}` standing
for the day a file is from, YYYY-MM-DD), what to do with a file that changes after it
was loaded (`changed: reload` or `quarantine`), how many days ahead of today a file or
its rows may be dated (`future_days`, 1 unless given), `format` (csv or
parquet), the `columns` every file has (each column the stream uses must be one of
them), the column that dates a row (`seen`), whether a row keeps a Record
(`records`), node key `prefix`es and `const` properties, and relationships that are
`aggregate`d per (start, end) pair instead of made per row, e.g.
`aggregate: {count: count, seconds: sum(duration_s), first_at: min(start_time)}`.

A stream's `person:` says where the record's person is, for the graph and for identity
resolution: each Person property (`name`, `id_number`, `address`, `birth_date`, `sex`,
`ethnicity`), `phone` and `account`, as one column, a list of columns joined with a space
(`name: [given_name, surname]`, `address: [street, town, postcode]`) or a map with
`columns` and, for a date, its `format`; and `identifiers`, the documents the record
carries, each a column with its type: a type graph_schema's identifiers.yaml declares
(`type: passport`), a column of document-type codes (`type_column: zjlx`), and for the
type `other` the `scheme` the numbers belong to. The same `person:` block, with a
`row_id` column, is the layout of an outside list for `hub match` (`load_layout`).

Mappings beyond the ones the hub ships live in the folder HUB_MAPPINGS_DIR names
(`--mappings` on the command line): a `<source>.yaml` there with file streams is a file
source of its own, and any other YAML there is a match layout `hub match` finds by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graph_schema import GraphSchema, RelationshipType, schema
from hub.errors import SchemaError

HERE = Path(__file__).parent / "mappings"
PERSON = "person"  # the column-like name of the record's person in relationships
FORMATS = ("csv", "parquet")
_AGGREGATE = re.compile(r"^(count|sum|min|max)(?:\((\w+)\))?$")
_FILE_STREAM_KEYS = {
    "files", "format", "columns", "id", "seen", "records", "required", "times", "times_in",
    "dates", "person", "nodes", "relationships", "changed", "future_days",
}  # fmt: skip
CHANGED = ("reload", "quarantine")


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
    prefix: str = ""  # written before the key's value: "hotel:" + code
    constants: dict[str, Any] = field(default_factory=dict)  # property -> fixed value


@dataclass(frozen=True)
class Aggregate:
    function: str  # count, sum, min or max
    column: str | None = None  # the column summed or compared; None for count


@dataclass(frozen=True)
class RelationshipMap:
    type: str
    start: str  # column (or "person")
    end: str
    start_label: str
    end_label: str
    properties: dict[str, str] = field(default_factory=dict)
    when: dict[str, str] = field(default_factory=dict)  # column -> value the row must have
    aggregate: dict[str, Aggregate] = field(default_factory=dict)  # property -> how

    @property
    def aggregated(self) -> bool:
        return bool(self.aggregate)


@dataclass(frozen=True)
class Feature:
    """Where a person feature comes from: one or more columns (joined with a space)."""

    columns: tuple[str, ...]
    format: str | None = None  # a date's strptime format


@dataclass(frozen=True)
class IdentifierMap:
    """A document number column and what kind of number it holds."""

    column: str
    type: str | None = None  # an identifiers.yaml type
    type_column: str | None = None  # or a column of document-type codes
    scheme: str | None = None  # for the type `other`


@dataclass(frozen=True)
class PersonLayout:
    """Where a record's person features are: `features` (name, address, birth_date, sex,
    ethnicity, phone, account) and `identifiers`."""

    features: dict[str, Feature] = field(default_factory=dict)
    identifiers: tuple[IdentifierMap, ...] = ()

    def columns(self) -> set[str]:
        used = {c for f in self.features.values() for c in f.columns}
        for ident_map in self.identifiers:
            used.add(ident_map.column)
            if ident_map.type_column:
                used.add(ident_map.type_column)
        return used


@dataclass(frozen=True)
class MatchLayout:
    """The layout of an outside list for `hub match`: its person and its row id column."""

    person: PersonLayout
    row_id: str | None = None
    name: str = ""


PERSON_FEATURES = ("name", "address", "birth_date", "sex", "ethnicity", "phone", "account")
_ID_NUMBER = IdentifierMap("", type="resident_id")


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
    # File feeds only (`files:` set); their cursor is the name of the last file loaded.
    files: str | None = None  # name of the daily files in the feed's folder, with {day}
    format: str | None = None  # csv or parquet
    layout: tuple[str, ...] = ()  # the columns every file has ("columns:")
    seen: str | None = None  # column whose time dates a row (its provenance)
    records: bool = True  # keep a Record node per row
    changed: str = "reload"  # a file changed after it was loaded: reload or quarantine it
    future_days: int = 1  # how far ahead of today a file's name or rows may be dated
    identity: PersonLayout = field(default_factory=PersonLayout)  # the person's features

    @property
    def is_file_feed(self) -> bool:
        return self.files is not None

    def columns(self) -> set[str]:
        used = {self.id, self.cursor, *self.person.values(), *self.required, *self.times}
        used |= set(self.dates) | self.identity.columns()
        if self.seen:
            used.add(self.seen)
        for n in self.nodes:
            used |= {n.key, *n.properties.values()}
        for r in self.relationships:
            used |= {r.start, r.end, *r.properties.values(), *r.when}
            used |= {a.column for a in r.aggregate.values() if a.column}
        return used - {PERSON, ""}

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
    file_feed = isinstance(spec, dict) and "files" in spec
    for required in ("id",) + (("format", "columns") if file_feed else ("cursor",)):
        if required not in spec:
            raise _fail(path, spec, f"stream {name!r} needs {required!r}")
    layout: tuple[str, ...] = ()
    if file_feed:
        _check_file_feed(path, name, spec)
        layout = tuple(str(c) for c in spec["columns"])
    raw_person = spec.get("person") or {}
    identity = person_layout(path, gs, raw_person, f"stream {name!r}: ")
    # the single columns of Person properties, as the graph's person is written from them
    person = {
        prop: str(column)
        for prop, column in raw_person.items()
        if prop in gs.node("Person").properties and isinstance(column, str)
    }
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
        constants = dict(n.get("const") or {})
        if constants or "prefix" in n:
            if not file_feed:
                raise _fail(path, n, "'prefix' and 'const' are for file feeds")
            _check_node_extras(path, gs, n, label, constants)
        nodes.append(NodeMap(label, str(n["key"]), props, str(n.get("prefix") or ""), constants))
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
        aggregate = _aggregate(path, r, rel, file_feed) if "aggregate" in r else {}
        (start, start_label), (end, end_label) = ends
        rels.append(
            RelationshipMap(
                type_,
                start,
                end,
                start_label,
                end_label,
                props,
                dict(r.get("when") or {}),
                aggregate,
            )
        )
    stream = StreamMap(
        name=name,
        id=str(spec["id"]),
        cursor=str(spec.get("cursor", "")),
        time_format=str(spec.get("times", "%Y-%m-%d %H:%M:%S")),
        person=person,
        nodes=tuple(nodes),
        relationships=tuple(rels),
        required=tuple(spec.get("required") or ()),
        times=tuple(spec.get("times_in") or ()),
        dates=dict(spec.get("dates") or {}),
        files=str(spec["files"]) if file_feed else None,
        format=str(spec["format"]) if file_feed else None,
        layout=layout,
        seen=str(spec["seen"]) if spec.get("seen") else None,
        records=bool(spec.get("records", True)),
        changed=str(spec.get("changed", "reload")),
        future_days=int(spec.get("future_days", 1)),
        identity=identity,
    )
    if file_feed:
        _check_columns(path, spec, stream)
    return stream


def person_layout(path: Path, gs: GraphSchema, raw: Any, where: str = "") -> PersonLayout:
    """A `person:` block: Person properties, phone and account as columns, and the
    identifiers (see the module docstring). An error names the file, line and key."""
    if not isinstance(raw, dict):
        raise _fail(path, raw, f"{where}'person' maps person features to columns")
    allowed = set(gs.node("Person").properties) - {"uid", "name_pinyin"}
    allowed |= set(PERSON_FEATURES)
    features: dict[str, Feature] = {}
    identifiers: list[IdentifierMap] = []
    for key, value in raw.items():
        if key == "identifiers":
            identifiers += _identifiers(path, gs, raw, value, where)
        elif key == "id_number":
            identifiers.append(IdentifierMap(_column(path, raw, key, value, where), "resident_id"))
        elif key in allowed:
            features[key] = _feature(path, raw, key, value, where)
        else:
            known = ", ".join(sorted(allowed | {"id_number", "identifiers"}))
            raise _fail(path, raw, f"{where}{key!r} is not a person feature; known: {known}")
    if "birth_date" in features and features["birth_date"].format is None:
        features["birth_date"] = Feature(features["birth_date"].columns, "%Y-%m-%d")
    return PersonLayout(features, tuple(identifiers))


def _column(path: Path, where_node: Any, key: str, value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(path, where_node, f"{where}{key!r} must name one column")
    return value


def _feature(path: Path, node: Any, key: str, value: Any, where: str) -> Feature:
    if isinstance(value, str) and value:
        return Feature((value,))
    if isinstance(value, list) and value and all(isinstance(c, str) and c for c in value):
        return Feature(tuple(value))
    if isinstance(value, dict):
        extra = set(value) - {"column", "columns", "format"}
        if extra:
            raise _fail(path, node, f"{where}{key}: unknown keys {sorted(extra)}")
        columns = value.get("columns", value.get("column"))
        fmt = value.get("format")
        if fmt is not None and (key != "birth_date" or not isinstance(fmt, str)):
            raise _fail(path, node, f"{where}{key}: only birth_date takes a format")
        base = _feature(path, node, key, columns, where)
        return Feature(base.columns, fmt)
    raise _fail(path, node, f"{where}{key!r} must be a column, a list of columns or a map")


def _identifiers(
    path: Path, gs: GraphSchema, node: Any, value: Any, where: str
) -> list[IdentifierMap]:
    if not isinstance(value, list):
        raise _fail(path, node, f"{where}'identifiers' is a list of {{column, type}}")
    out = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("column"), str):
            raise _fail(path, item, f"{where}each identifier needs a 'column'")
        extra = set(item) - {"column", "type", "type_column", "scheme"}
        if extra:
            raise _fail(path, item, f"{where}identifier: unknown keys {sorted(extra)}")
        type_, type_column = item.get("type"), item.get("type_column")
        if (type_ is None) == (type_column is None):
            raise _fail(
                path, item, f"{where}identifier {item['column']!r}: give 'type' or 'type_column'"
            )
        scheme = item.get("scheme")
        if type_ is not None:
            if type_ not in gs.identifiers:
                known = ", ".join(sorted(gs.identifiers))
                raise _fail(path, item, f"{where}unknown identifier type {type_!r}; known: {known}")
            if gs.identifiers[type_].scheme and not scheme:
                raise _fail(path, item, f"{where}identifier type {type_!r} needs a 'scheme'")
        if scheme is not None and not (isinstance(scheme, str) and scheme.isidentifier()):
            raise _fail(path, item, f"{where}a scheme is a plain name, not {scheme!r}")
        out.append(IdentifierMap(item["column"], type_, type_column, scheme))
    return out


def load_layout(path: Path, gs: GraphSchema | None = None) -> MatchLayout:
    """The layout of an outside list (`hub match --mapping`): a `person:` block as a
    stream has one, and the `row_id` column that names each row. The older form,
    `columns:` {name, id_number, birth_date, phone, account, address} with
    `birth_format`, is read too."""
    gs = gs or schema()
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read the layout: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SchemaError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise _fail(path, data, "a layout needs 'person' (or 'columns') and may name 'row_id'")
    extra = set(data) - {"person", "columns", "birth_format", "row_id"}
    if extra:
        raise _fail(path, data, f"unknown keys {sorted(extra)}; a layout has person and row_id")
    raw = data.get("person")
    if raw is None and isinstance(data.get("columns"), dict):
        raw = dict(data["columns"])
        if "birth_date" in raw:
            raw["birth_date"] = {
                "column": raw["birth_date"],
                "format": str(data.get("birth_format", "%Y-%m-%d")),
            }
    if raw is None:
        raise _fail(path, data, "a layout needs 'person': the person features and their columns")
    person = person_layout(path, gs, raw)
    if "name" not in person.features and not person.identifiers:
        raise _fail(path, data, "a layout must name the column of the name or of an identifier")
    row_id = data.get("row_id")
    if row_id is not None and not isinstance(row_id, str):
        raise _fail(path, data, "'row_id' names one column")
    return MatchLayout(person, row_id, path.stem)


def _check_file_feed(path: Path, name: str, spec: Any) -> None:
    unknown = sorted(set(spec) - _FILE_STREAM_KEYS)
    if unknown:
        raise _fail(path, spec, f"stream {name!r}: unknown keys {unknown}")
    if spec["format"] not in FORMATS:
        raise _fail(
            path, spec, f"stream {name!r}: format {spec['format']!r} is not one of {FORMATS}"
        )
    columns = spec["columns"]
    if (
        not isinstance(columns, list)
        or not columns
        or not all(isinstance(c, str) and c for c in columns)
    ):
        raise _fail(path, spec, f"stream {name!r}: 'columns' must list the files' columns")
    if spec.get("times") == "iso":
        raise _fail(path, spec, f"stream {name!r}: a file feed needs a strftime format in 'times'")
    if not isinstance(spec["files"], str) or spec["files"].count("{day}") != 1:
        raise _fail(path, spec, f"stream {name!r}: 'files' names the files with one {{day}}")
    if spec.get("changed", "reload") not in CHANGED:
        raise _fail(path, spec, f"stream {name!r}: 'changed' is one of {CHANGED}")
    future = spec.get("future_days", 1)
    if not isinstance(future, int) or isinstance(future, bool) or future < 0:
        raise _fail(path, spec, f"stream {name!r}: 'future_days' is a number of days")
    if not isinstance(spec.get("records", True), bool):
        raise _fail(path, spec, f"stream {name!r}: 'records' must be true or false")


def _check_node_extras(
    path: Path, gs: GraphSchema, n: Any, label: str, constants: dict[str, Any]
) -> None:
    node = gs.nodes[label]
    if not isinstance(n.get("prefix", ""), str):
        raise _fail(path, n, f"node {label}: 'prefix' must be text")
    if n.get("prefix") and node.properties[node.key].type != "string":
        raise _fail(path, n, f"node {label}: a prefix needs a text key, not {node.key!r}")
    for prop, value in constants.items():
        if prop not in node.properties:
            raise _fail(path, n, f"{label} has no property {prop!r}")
        if prop == node.key or isinstance(value, (dict, list)) or value is None:
            raise _fail(path, n, f"{label}: const {prop!r} must be a value, not the key")


def _aggregate(path: Path, r: Any, rel: RelationshipType, file_feed: bool) -> dict[str, Aggregate]:
    if not file_feed:
        raise _fail(path, r, f"{rel.type}: only a file feed can aggregate")
    if rel.key:
        raise _fail(path, r, f"{rel.type} is keyed by {rel.key!r}: one edge per row, not per pair")
    if r.get("set") or r.get("when"):
        raise _fail(path, r, f"{rel.type}: give 'aggregate' or 'set'/'when', not both")
    spec = r["aggregate"]
    if not isinstance(spec, dict) or not spec:
        raise _fail(path, r, f"{rel.type}: 'aggregate' maps properties to count, sum(c), ...")
    out = {}
    for prop, how in spec.items():
        if prop not in rel.properties:
            raise _fail(path, r, f"{rel.type} has no property {prop!r}")
        match = _AGGREGATE.match(str(how).replace(" ", ""))
        if match is None or (match[1] == "count") != (match[2] is None):
            raise _fail(
                path, r, f"{rel.type}.{prop}: {how!r} is not count, sum(c), min(c) or max(c)"
            )
        type_ = rel.properties[prop].type
        if match[1] in ("count", "sum") and type_ not in ("integer", "float"):
            raise _fail(path, r, f"{rel.type}.{prop} is {type_}, {match[1]} needs a number")
        out[prop] = Aggregate(match[1], match[2])
    return out


def _check_columns(path: Path, spec: Any, stream: StreamMap) -> None:
    """Every column a file feed uses must be one of its files' columns."""
    known = set(stream.layout)

    def check(where: Any, columns: Any) -> None:
        for column in columns:
            if column not in known:
                raise _fail(
                    path,
                    where,
                    f"stream {stream.name!r}: column {column!r} is not one of its files' "
                    f"columns {list(stream.layout)}",
                )

    check(spec, [stream.id, *stream.person.values(), *stream.required, *stream.times])
    check(spec, sorted(stream.identity.columns()))
    check(spec, [*stream.dates, *([stream.seen] if stream.seen else [])])
    raw_nodes = spec.get("nodes") or []
    for raw, n in zip(raw_nodes, stream.nodes, strict=True):
        check(raw, [n.key, *n.properties.values()])
    raw_rels = spec.get("relationships") or []
    for raw, r in zip(raw_rels, stream.relationships, strict=True):
        check(raw, [*r.properties.values(), *r.when])
        check(raw, [a.column for a in r.aggregate.values() if a.column])
