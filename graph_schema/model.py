"""Loads the graph schema declarations (nodes/*.yaml, relationships/*.yaml) once.

The declarations are the one list of what the graph may hold. Neo4j constraints and
indexes (`hub.migrate`), the loader's statements (`hub.loader`) and the GraphQL types
are all derived from them; nothing else keeps a second list.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from hub.errors import SchemaError

HERE = Path(__file__).parent
TEMPORAL = frozenset({"datetime", "date"})
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Declared property type -> Python type of its values.
PROPERTY_TYPES: Mapping[str, type] = {
    "string": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "date": date,
    "datetime": datetime,
    "string[]": list,
}


@dataclass(frozen=True)
class Property:
    name: str
    type: str
    description: str = ""
    normaliser: str | None = None
    index: bool = False
    fulltext: bool = False
    personal: bool = False


@dataclass(frozen=True)
class NodeType:
    label: str
    key: str
    properties: Mapping[str, Property]
    description: str = ""


@dataclass(frozen=True)
class RelationshipType:
    type: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    properties: Mapping[str, Property]
    key: str | None = None
    description: str = ""


@dataclass(frozen=True)
class IdentifierType:
    """A kind of number that identifies a person (identifiers.yaml)."""

    name: str
    normaliser: str
    description: str = ""
    codes: tuple[str, ...] = ()
    trusted: bool = False  # a valid one is the person's identity, not just evidence
    scheme: bool = False  # a family of numbers: the mapping names the scheme


@dataclass(frozen=True)
class GraphSchema:
    version: int
    digest: str
    nodes: Mapping[str, NodeType]
    relationships: Mapping[str, RelationshipType]
    provenance: Mapping[str, Property]
    fulltext_name: str
    fulltext_analyzer: str
    fulltext_eventually_consistent: bool
    normalisers: frozenset[str] = field(default_factory=frozenset)
    # The type of every temporal property name (provenance included); a name means
    # one temporal type wherever it is declared.
    temporal: Mapping[str, str] = field(default_factory=dict)
    identifiers: Mapping[str, IdentifierType] = field(default_factory=dict)

    def identifier(self, name: str) -> IdentifierType:
        try:
            return self.identifiers[name]
        except KeyError:
            known = sorted(self.identifiers)
            raise SchemaError(f"unknown identifier type {name!r}; known: {known}") from None

    def identifier_by_code(self, code: str) -> IdentifierType | None:
        """The identifier type a source's document-type code stands for, if any."""
        return next((t for t in self.identifiers.values() if code in t.codes), None)

    def node(self, label: str) -> NodeType:
        try:
            return self.nodes[label]
        except KeyError:
            raise SchemaError(
                f"unknown node label {label!r}; known: {sorted(self.nodes)}"
            ) from None

    def relationship(self, type_: str) -> RelationshipType:
        try:
            return self.relationships[type_]
        except KeyError:
            known = sorted(self.relationships)
            raise SchemaError(f"unknown relationship type {type_!r}; known: {known}") from None

    def fulltext_fields(self) -> tuple[list[str], list[str]]:
        """Labels and property names covered by the full-text index."""
        labels: list[str] = []
        props: list[str] = []
        for node in self.nodes.values():
            names = [p.name for p in node.properties.values() if p.fulltext]
            if names:
                labels.append(node.label)
                props.extend(n for n in names if n not in props)
        return labels, props


def _identifier(value: Any, where: str) -> str:
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        raise SchemaError(f"{where}: {value!r} is not a valid identifier")
    return value


def _properties(raw: Any, where: str) -> dict[str, Property]:
    if not isinstance(raw, dict):
        raise SchemaError(f"{where}: 'properties' must be a mapping")
    out = {}
    for name, spec in raw.items():
        _identifier(name, where)
        spec = dict(spec or {})
        type_ = spec.pop("type", None)
        if type_ not in PROPERTY_TYPES:
            raise SchemaError(f"{where}: property {name!r} has unknown type {type_!r}")
        unknown = set(spec) - {"description", "normaliser", "index", "fulltext", "personal"}
        if unknown:
            raise SchemaError(f"{where}: property {name!r} has unknown fields {sorted(unknown)}")
        out[name] = Property(name=name, type=type_, **spec)
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SchemaError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SchemaError(f"{path.name}: expected a mapping at the top level")
    return data


def _labels(value: Any, where: str) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    return tuple(_identifier(v, where) for v in values)


def load(root: Path = HERE) -> GraphSchema:
    """Read and check every declaration under `root`."""
    files = sorted((root / "nodes").glob("*.yaml")) + sorted(
        (root / "relationships").glob("*.yaml")
    )
    meta = _read(root / "schema.yaml")
    digest = hashlib.sha256()
    for path in [root / "schema.yaml", root / "identifiers.yaml", *files]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())

    provenance = _properties(meta.get("provenance", {}), "schema.yaml")
    nodes: dict[str, NodeType] = {}
    for path in sorted((root / "nodes").glob("*.yaml")):
        data = _read(path)
        label = _identifier(data.get("label"), path.name)
        props = _properties(data.get("properties", {}), path.name)
        key = data.get("key")
        if key not in props:
            raise SchemaError(f"{path.name}: key {key!r} is not one of its properties")
        if label in nodes:
            raise SchemaError(f"{path.name}: node label {label!r} declared twice")
        clash = set(props) & set(provenance)
        if clash:
            raise SchemaError(f"{path.name}: {sorted(clash)} are set by the loader, not declared")
        nodes[label] = NodeType(label, key, props, data.get("description", ""))

    relationships: dict[str, RelationshipType] = {}
    for path in sorted((root / "relationships").glob("*.yaml")):
        data = _read(path)
        type_ = _identifier(data.get("type"), path.name)
        sources = _labels(data.get("source"), path.name)
        targets = _labels(data.get("target"), path.name)
        for label in sources + targets:
            if label not in nodes:
                raise SchemaError(f"{path.name}: endpoint {label!r} is not a declared node type")
        props = _properties(data.get("properties", {}), path.name)
        key = data.get("key")
        if key is not None and key not in props:
            raise SchemaError(f"{path.name}: key {key!r} is not one of its properties")
        if type_ in relationships:
            raise SchemaError(f"{path.name}: relationship type {type_!r} declared twice")
        relationships[type_] = RelationshipType(
            type_, sources, targets, props, key, data.get("description", "")
        )

    temporal: dict[str, str] = {}
    declared: list[tuple[str, Mapping[str, Property]]] = [
        ("provenance", provenance),
        *((f"node {n.label}", n.properties) for n in nodes.values()),
        *((f"relationship {r.type}", r.properties) for r in relationships.values()),
    ]
    for where, declaration in declared:
        for prop in declaration.values():
            if prop.type not in TEMPORAL:
                continue
            if temporal.setdefault(prop.name, prop.type) != prop.type:
                raise SchemaError(
                    f"{where}: {prop.name!r} is a {prop.type} here and a "
                    f"{temporal[prop.name]} elsewhere; give one of them another name"
                )

    identifiers = _identifier_types(_read(root / "identifiers.yaml"))
    fulltext = meta.get("fulltext", {})
    return GraphSchema(
        version=int(meta["version"]),
        digest=digest.hexdigest()[:16],
        nodes=nodes,
        relationships=relationships,
        provenance=provenance,
        fulltext_name=_identifier(fulltext.get("name"), "schema.yaml"),
        fulltext_analyzer=str(fulltext.get("analyzer", "standard-no-stop-words")),
        fulltext_eventually_consistent=bool(fulltext.get("eventually_consistent", False)),
        normalisers=frozenset(
            p.normaliser
            for props in [
                *(n.properties for n in nodes.values()),
                *(r.properties for r in relationships.values()),
            ]
            for p in props.values()
            if p.normaliser
        )
        | {t.normaliser for t in identifiers.values()},
        temporal=temporal,
        identifiers=identifiers,
    )


def _identifier_types(data: dict[str, Any]) -> dict[str, IdentifierType]:
    out: dict[str, IdentifierType] = {}
    codes: dict[str, str] = {}
    for name, spec in data.items():
        where = f"identifiers.yaml: {name}"
        _identifier(name, "identifiers.yaml")
        spec = dict(spec or {})
        unknown = set(spec) - {"description", "normaliser", "codes", "trusted", "scheme"}
        if unknown:
            raise SchemaError(f"{where}: unknown fields {sorted(unknown)}")
        if not isinstance(spec.get("normaliser"), str):
            raise SchemaError(f"{where}: needs a normaliser")
        listed = tuple(str(c) for c in spec.get("codes") or ())
        for code in listed:
            if codes.setdefault(code, name) != name:
                raise SchemaError(f"{where}: code {code!r} is already {codes[code]}'s")
        out[name] = IdentifierType(
            name,
            spec["normaliser"],
            str(spec.get("description", "")),
            listed,
            bool(spec.get("trusted", False)),
            bool(spec.get("scheme", False)),
        )
    return out


@cache
def schema() -> GraphSchema:
    """The project's graph schema, loaded once per process."""
    return load()


def ident(name: str) -> str:
    """A label, type or property name as a quoted Cypher identifier.

    Only names from the declarations reach Cypher this way (labels and property keys
    cannot be parameters); values always travel as parameters.
    """
    return "`" + _identifier(name, "identifier") + "`"
