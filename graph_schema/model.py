"""Loads the graph schema declarations (nodes/*.yaml, relationships/*.yaml) once.

The declarations are the one list of what the graph may hold. Neo4j constraints and
indexes (`hub.migrate`), the loader's statements (`hub.loader`) and the GraphQL types
are all derived from them; nothing else keeps a second list.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import yaml

from hub.errors import SchemaError

HERE = Path(__file__).parent
TEMPORAL = frozenset({"datetime", "date"})
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CLAIM = "__claim"  # suffix of the property that holds a value's claim
# Marks a relationship identity resolution moved to a person from one merged into it
# (the merged person's uid): a split moves it back (hub.queries.resolution).
MOVED = "merged_from"

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
    # A source record as JSON text, of a node whose key is "<source>:<stream>:<id>": what
    # of it is personal is what the mapping of its stream says (`hub.masking`).
    source_record: bool = False
    # Survivorship (see schema.yaml): the sources whose statements win, best first, or
    # `recomputed`: a value the hub computes over every row, shown as last computed.
    priority: tuple[str, ...] = ()
    recomputed: bool = False


@dataclass(frozen=True)
class Visibility:
    """Who may see the nodes of a type (need-to-know, `hub/scope.py` and `hub/access.py`).

    `public`: everyone. Otherwise the node is restricted and carries a scope, a list of
    grants, derived by these rules (all empty: nobody is granted it, `internal`):
    - `units`: relationship types to Units; each reached unit grants `unit:<code>`;
    - `share`: relationship type -> property values the node at the other end must have;
      each such node's own scope is granted as well (the members of an open operation);
    - `users`: properties naming users; each grants `user:<name>`;
    - `unit`: properties naming a unit code; each grants `unit:<code>`;
    - `inherit`: relationship types to what the node describes; it is granted to whoever
      may see every restricted node it describes (none: everyone);
    - `cites`: (property, field, label): a JSON property whose field lists keys of
      `label` nodes; it is granted to whoever may see every node it cites.
    """

    public: bool = False
    units: tuple[str, ...] = ()
    share: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    users: tuple[str, ...] = ()
    unit: tuple[str, ...] = ()
    inherit: tuple[str, ...] = ()
    cites: tuple[str, str, str] | None = None

    @property
    def derived(self) -> bool:
        """Granted through what it describes or cites, not by grants of its own."""
        return bool(self.inherit or self.cites)


PUBLIC = Visibility(public=True)
INTERNAL = Visibility()


@dataclass(frozen=True)
class NodeType:
    label: str
    key: str
    properties: Mapping[str, Property]
    description: str = ""
    visibility: Visibility = INTERNAL

    @property
    def restricted(self) -> bool:
        return not self.visibility.public


@dataclass(frozen=True)
class RelationshipType:
    type: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    properties: Mapping[str, Property]
    key: str | None = None
    description: str = ""
    # `statements: true`: each relationship is a source record's statement about its
    # target and carries the values the record gives the target's properties.
    statements: Mapping[str, Property] = field(default_factory=dict)


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
    # The property every restricted node carries its scope in (`visibility` of schema.yaml).
    scope_property: str = "scope"
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

    def derivation_order(self) -> list[str]:
        """Restricted labels, each after the labels its scope derives from."""
        return _derivation_order(self.nodes, self.relationships)

    def depends(self, label: str) -> set[str]:
        """The restricted labels the scope of a `label` node derives from."""
        return _depends(self.nodes, self.relationships, label)

    def restricted(self) -> list[str]:
        """Labels whose nodes are seen only where their scope grants them, sorted."""
        return sorted(label for label, node in self.nodes.items() if node.restricted)

    def touches_restricted(self, type_: str) -> bool:
        """Whether a relationship of this type has a restricted end (it is visible only
        where both its ends are)."""
        rel = self.relationship(type_)
        return any(self.node(label).restricted for label in (*rel.sources, *rel.targets))

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


def _properties(raw: Any, where: str, priority: tuple[str, ...] = ()) -> dict[str, Property]:
    """The declared properties; `priority` is the schema's survivorship default."""
    if not isinstance(raw, dict):
        raise SchemaError(f"{where}: 'properties' must be a mapping")
    out = {}
    for name, spec in raw.items():
        _identifier(name, where)
        if CLAIM in name:
            raise SchemaError(f"{where}: property {name!r}: {CLAIM!r} is kept for survivorship")
        spec = dict(spec or {})
        type_ = spec.pop("type", None)
        if type_ not in PROPERTY_TYPES:
            raise SchemaError(f"{where}: property {name!r} has unknown type {type_!r}")
        unknown = set(spec) - {
            "description", "normaliser", "index", "fulltext", "personal", "source_record",
            "priority", "recomputed",
        }  # fmt: skip
        if unknown:
            raise SchemaError(f"{where}: property {name!r} has unknown fields {sorted(unknown)}")
        own = spec.pop("priority", None)
        if own is not None and (
            not isinstance(own, list) or not all(isinstance(s, str) and s for s in own)
        ):
            raise SchemaError(f"{where}: property {name!r}: 'priority' must list source names")
        if spec.get("recomputed") and own is not None:
            raise SchemaError(f"{where}: property {name!r}: give 'priority' or 'recomputed'")
        if spec.get("source_record") and not (spec.get("personal") and type_ == "string"):
            raise SchemaError(f"{where}: property {name!r}: a source_record is a personal string")
        chosen = tuple(own) if own is not None else priority
        out[name] = Property(name=name, type=type_, priority=chosen, **spec)
    return out


def claim_name(prop: str) -> str:
    """The property beside `prop` that holds the claim of its value (see hub.survivorship)."""
    return f"{prop}{CLAIM}"


def _statements(
    type_: str, targets: tuple[str, ...], nodes: Mapping[str, NodeType], where: str
) -> dict[str, Property]:
    """What a statement about one of `targets` may carry: their properties but the keys."""
    out: dict[str, Property] = {}
    for label in targets:
        node = nodes[label]
        for prop in node.properties.values():
            if prop.name == node.key:
                continue
            known = out.setdefault(prop.name, prop)
            if (known.type, known.priority) != (prop.type, prop.priority):
                raise SchemaError(
                    f"{where}: {type_} states {prop.name!r} of two types or priorities "
                    f"({known.type} {list(known.priority)}, {prop.type} {list(prop.priority)})"
                )
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


VISIBILITY_RULES = frozenset({"units", "share", "users", "unit", "inherit", "cites"})


def _visibility(
    raw: Any,
    label: str,
    nodes: Mapping[str, NodeType],
    relationships: Mapping[str, RelationshipType],
    where: str,
) -> Visibility:
    """A node type's `visibility`: `public`, `internal` (or absent: deny by default), or
    the rules its scope derives from, each checked against the declarations."""
    if raw is None or raw == "internal":
        return INTERNAL
    if raw == "public":
        return PUBLIC
    if not isinstance(raw, dict) or not raw:
        raise SchemaError(f"{where}: visibility must be public, internal or a mapping of rules")
    unknown = set(raw) - VISIBILITY_RULES
    if unknown:
        raise SchemaError(f"{where}: unknown visibility rules {sorted(unknown)}")

    def names(key: str) -> tuple[str, ...]:
        return _labels(raw[key], f"{where}: visibility.{key}") if key in raw else ()

    def linked(type_: str, rule: str) -> RelationshipType:
        rel = relationships.get(type_)
        if rel is None or label not in (*rel.sources, *rel.targets):
            raise SchemaError(
                f"{where}: visibility.{rule}: {type_!r} is no relationship of {label}"
            )
        return rel

    for type_ in names("units"):
        rel = linked(type_, "units")
        if "Unit" not in (*rel.sources, *rel.targets):
            raise SchemaError(f"{where}: visibility.units: {type_} does not reach a Unit")
    for type_ in names("inherit"):
        linked(type_, "inherit")
    share = raw.get("share") or {}
    if not isinstance(share, dict):
        raise SchemaError(f"{where}: visibility.share maps relationship types to conditions")
    for type_, condition in share.items():
        linked(type_, "share")
        if not isinstance(condition, dict):
            raise SchemaError(f"{where}: visibility.share.{type_} must be a mapping")
    for prop in (*names("users"), *names("unit")):
        if prop not in nodes[label].properties:
            raise SchemaError(f"{where}: visibility names {prop!r}, not a property of {label}")
    cites = raw.get("cites")
    cited: tuple[str, str, str] | None = None
    if cites is not None:
        try:
            cited = (str(cites["property"]), str(cites["field"]), str(cites["label"]))
        except (KeyError, TypeError):
            raise SchemaError(
                f"{where}: visibility.cites needs property, field and label"
            ) from None
        if cited[0] not in nodes[label].properties or cited[2] not in nodes:
            raise SchemaError(f"{where}: visibility.cites names an undeclared property or label")
    found = Visibility(
        units=names("units"),
        share={k: dict(v) for k, v in share.items()},
        users=names("users"),
        unit=names("unit"),
        inherit=names("inherit"),
        cites=cited,
    )
    if found.derived and (found.units or found.share or found.users or found.unit):
        raise SchemaError(
            f"{where}: visibility derives from what the node describes (inherit, cites) or "
            "from grants of its own (units, share, users, unit), not both"
        )
    return found


def far_labels(rel: RelationshipType, label: str) -> tuple[str, ...]:
    """The labels at the other end of `rel` from a `label` node."""
    return rel.targets if label in rel.sources else rel.sources


def _depends(
    nodes: Mapping[str, NodeType], relationships: Mapping[str, RelationshipType], label: str
) -> set[str]:
    """The restricted labels whose scope the scope of a `label` node derives from."""
    rule = nodes[label].visibility
    found = {
        far for t in (*rule.inherit, *rule.share) for far in far_labels(relationships[t], label)
    }
    if rule.cites:
        found.add(rule.cites[2])
    return {d for d in found if not nodes[d].visibility.public and d != label}


def _derivation_order(
    nodes: Mapping[str, NodeType], relationships: Mapping[str, RelationshipType]
) -> list[str]:
    """Restricted labels in an order where every label comes after those whose scope its
    own derives from; a cycle is an error."""
    graph = {
        label: _depends(nodes, relationships, label)
        for label, node in nodes.items()
        if not node.visibility.public
    }
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise SchemaError(
            f"visibility rules derive from each other in a cycle: {exc.args[1]}"
        ) from None


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
    scope_property = _identifier(
        (meta.get("visibility") or {}).get("property", "scope"), "schema.yaml: visibility"
    )
    priority = _priority(meta.get("survivorship"))
    nodes: dict[str, NodeType] = {}
    visibilities: dict[str, tuple[Any, str]] = {}
    for path in sorted((root / "nodes").glob("*.yaml")):
        data = _read(path)
        label = _identifier(data.get("label"), path.name)
        props = _properties(data.get("properties", {}), path.name, priority)
        key = data.get("key")
        if key not in props:
            raise SchemaError(f"{path.name}: key {key!r} is not one of its properties")
        if label in nodes:
            raise SchemaError(f"{path.name}: node label {label!r} declared twice")
        clash = set(props) & set(provenance)
        if clash:
            raise SchemaError(f"{path.name}: {sorted(clash)} are set by the loader, not declared")
        if scope_property in props:
            raise SchemaError(
                f"{path.name}: {scope_property!r} is set by hub/scope.py, not declared"
            )
        nodes[label] = NodeType(label, key, props, data.get("description", ""))
        visibilities[label] = (data.get("visibility"), path.name)

    relationships: dict[str, RelationshipType] = {}
    for path in sorted((root / "relationships").glob("*.yaml")):
        data = _read(path)
        type_ = _identifier(data.get("type"), path.name)
        sources = _labels(data.get("source"), path.name)
        targets = _labels(data.get("target"), path.name)
        for label in sources + targets:
            if label not in nodes:
                raise SchemaError(f"{path.name}: endpoint {label!r} is not a declared node type")
        props = _properties(data.get("properties", {}), path.name, priority)
        key = data.get("key")
        if key is not None and key not in props:
            raise SchemaError(f"{path.name}: key {key!r} is not one of its properties")
        if type_ in relationships:
            raise SchemaError(f"{path.name}: relationship type {type_!r} declared twice")
        stated = {}
        if data.get("statements"):
            if props:
                raise SchemaError(f"{path.name}: a statement carries its target's properties only")
            stated = _statements(type_, targets, nodes, path.name)
        relationships[type_] = RelationshipType(
            type_, sources, targets, props, key, data.get("description", ""), stated
        )

    for label, (raw, where) in visibilities.items():
        nodes[label] = replace(
            nodes[label], visibility=_visibility(raw, label, nodes, relationships, where)
        )
    _derivation_order(nodes, relationships)

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
        scope_property=scope_property,
        identifiers=identifiers,
    )


def _priority(raw: Any) -> tuple[str, ...]:
    spec = raw or {}
    listed = spec.get("priority", []) if isinstance(spec, dict) else None
    if not isinstance(listed, list) or not all(isinstance(s, str) and s for s in listed):
        raise SchemaError("schema.yaml: 'survivorship: {priority: [...]}' must list source names")
    return tuple(listed)


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
