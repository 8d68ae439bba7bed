"""Type definitions of the hub's graph for the Neo4j GraphQL Library, from graph_schema.

Generated at every run rather than kept by hand, so that the reference describes the
graph the hub serves whatever graph_schema declares: one `@node` type per label a
neighbourhood or path can reach, its declared properties and provenance as fields,
and for each relationship type a field on its source (`hasPhone`) and one on its target
(`hasPhoneIn`). The full-text index is exposed for persons (`searchPeople`), and shortest
paths through a `@cypher` field, as a team deploying the library would write them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from graph_schema import schema
from graph_schema.model import Property
from hub.queries.graph import default_types

SCALARS = {
    "string": "String",
    "integer": "Int",
    "float": "Float",
    "boolean": "Boolean",
    "date": "Date",
    "datetime": "DateTime",
    "string[]": "[String!]",
}
MAX_HOPS = 6
PATHS = 11  # the hub's paths(first: 10) asks for one more, to say `truncated`


def camel(name: str) -> str:
    head, *rest = name.lower().split("_")
    return head + "".join(part.title() for part in rest)


def out_field(rel: str) -> str:
    """The field of a relationship type on its source: HAS_PHONE -> hasPhone."""
    return camel(rel)


def in_field(rel: str) -> str:
    """The field of a relationship type on its target: HAS_PHONE -> hasPhoneIn."""
    return camel(rel) + "In"


def labels() -> list[str]:
    """The node labels the default relationship types join (what a neighbourhood or a
    path can reach), in graph_schema's order."""
    gs = schema()
    ends = {label for t in default_types() for label in (*gs.relationship(t).sources,
                                                          *gs.relationship(t).targets)}  # fmt: skip
    return [label for label in gs.nodes if label in ends]


def links(label: str) -> list[tuple[str, str, str, str]]:
    """(field, relationship type, direction, other end) of every default relationship type
    that `label` is an end of."""
    gs = schema()
    out = []
    for t in default_types():
        rel = gs.relationship(t)
        for target in rel.targets if label in rel.sources else ():
            out.append((out_field(t), t, "OUT", target))
        for source in rel.sources if label in rel.targets else ():
            out.append((in_field(t), t, "IN", source))
    return out


def _fields(properties: Iterable[Property]) -> list[str]:
    return [f"  {p.name}: {SCALARS[p.type]}" for p in properties]


def paths_statement() -> str:
    """The shortest paths between two bank accounts, by number, as the hub's `paths`
    finds them: the default relationship types, up to MAX_HOPS hops, PATHS of them."""
    gs = schema()
    key = (
        "coalesce("
        + ", ".join(dict.fromkeys(f"n.{gs.node(label).key}" for label in labels()))
        + ")"
    )
    return (
        "MATCH (a:BankAccount {number: $from}) MATCH (b:BankAccount {number: $to}) "
        f"MATCH p = ALL SHORTEST (a)-[:{'|'.join(default_types())}]-{{1,{MAX_HOPS}}}(b) "
        f"WITH p LIMIT {PATHS} "
        "RETURN {length: length(p), "
        f"nodes: [n IN nodes(p) | {{kind: labels(n)[0], key: {key}}}], "
        "rels: [r IN relationships(p) | {type: type(r), "
        f"source: [n IN [startNode(r)] | {key}][0], "
        f"target: [n IN [endNode(r)] | {key}][0]}}]}} AS path"
    )


def sdl() -> str:
    """The type definitions, as the reference server reads them."""
    gs = schema()
    text = []
    fulltext_labels, fulltext_props = gs.fulltext_fields()
    for label in labels():
        node = gs.node(label)
        directives = "@node"
        if label == "Person" and label in fulltext_labels:
            fields = [p for p in node.properties if p in fulltext_props]
            index = {"indexName": gs.fulltext_name, "queryName": "searchPeople", "fields": fields}
            directives += " @fulltext(indexes: [" + _input(index) + "])"
        lines = [f"type {label} {directives} {{"]
        lines += _fields(node.properties.values())
        lines += _fields(gs.provenance.values())
        lines += [
            f'  {name}: [{other}!]! @relationship(type: "{t}", direction: {direction})'
            for name, t, direction, other in links(label)
        ]
        text.append("\n".join([*lines, "}"]))
    text.append(
        "type PathNode { kind: String! key: String! }\n"
        "type PathRel { type: String! source: String! target: String! }\n"
        "type HubPath { length: Int! nodes: [PathNode!]! rels: [PathRel!]! }\n"
        "type Query {\n"
        "  accountPaths(from: String!, to: String!): [HubPath!]!\n"
        f"    @cypher(statement: {json.dumps(paths_statement(), ensure_ascii=False)}, "
        'columnName: "path")\n'
        "}"
    )
    return "\n\n".join(text) + "\n"


def _input(value: dict[str, object]) -> str:
    """A GraphQL input object literal."""
    return "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in value.items()) + "}"


if __name__ == "__main__":
    print(sdl(), end="")
