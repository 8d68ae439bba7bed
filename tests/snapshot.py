"""The graph as text, to compare two states of it: one line per node and one per
relationship, built by Neo4j (far quicker than fetching thousands of property maps).

A node's line is its labels and its properties in key order; a relationship's line
names its endpoints by label and key (the key graph_schema declares), its type and its
properties. Temporal values are ISO 8601 text, lists are written in their order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from neo4j import Driver

from graph_schema import ident, schema

Snapshot = tuple[list[str], list[str]]

# What records the hub's own bookkeeping, not the data: the schema's marker, the
# connectors' cursors, the file feeds' manifests and the sync locks, the data's version,
# and identity resolution's blocking keys (they list their records in the order runs met
# them) and model: derived data, like an index.
BOOKKEEPING = (
    "HubSchema",
    "SyncState",
    "SourceFile",
    "SyncLock",
    "DataVersion",
    "BlockKey",
    "ResolutionModel",
)


def _labels(var: str) -> str:
    return f"reduce(s = '', l IN COLLECT {{ UNWIND labels({var}) AS l RETURN l ORDER BY l }} | s + ':' + l)"


def _key(var: str) -> str:
    """The node's labels and its key, `:Person|P4116...`."""
    cases = " ".join(
        f"WHEN '{n.label}' THEN toString({var}.{ident(n.key)})" for n in schema().nodes.values()
    )
    return f"{_labels(var)} + '|' + coalesce(CASE labels({var})[0] {cases} END, '?')"


def _props(var: str, as_sets: Iterable[str]) -> str:
    """The properties but $volatile, `k=v` in key order; a list as its items, sorted when
    its name is one of `as_sets` (a set kept in arrival order)."""
    sets = ", ".join(f"'{name}'" for name in sorted(as_sets)) or "''"
    items = (
        f"CASE WHEN k IN [{sets}] THEN COLLECT {{ UNWIND {var}[k] AS x RETURN x ORDER BY x }} "
        f"ELSE {var}[k] END"
    )
    return (
        f"reduce(s = '', k IN COLLECT {{ UNWIND keys({var}) AS k WITH k WHERE NOT k IN $volatile "
        f"RETURN k ORDER BY k }} | s + ' ' + k + '=' + CASE WHEN valueType({var}[k]) STARTS WITH "
        f"'LIST' THEN '[' + reduce(t = '', x IN {items} | t + ',' + toString(x)) + ']' "
        f"ELSE toString({var}[k]) END)"
    )


def snapshot(
    driver: Driver,
    *,
    leave_out: Iterable[str] = BOOKKEEPING,
    volatile: Iterable[str] = (),
    as_sets: Iterable[str] = (),
    element_ids: bool = False,
) -> Snapshot:
    """The graph but the nodes of the `leave_out` labels (and their relationships), and
    but the `volatile` properties (stamped with the time of the run), as sorted lines.

    `as_sets` names list properties compared as sets. With `element_ids` each line also
    carries Neo4j's ids of the element and its endpoints: a node deleted and made again
    with the same properties then shows as a change."""
    where = "NOT any(l IN labels({0}) WHERE l IN $leave_out)"
    node_id = " + ' #' + elementId(n)" if element_ids else ""
    rel_id = (
        " + ' #' + elementId(a) + ' #' + elementId(r) + ' #' + elementId(b)" if element_ids else ""
    )
    params = {"leave_out": sorted(set(leave_out)), "volatile": sorted(set(volatile))}
    nodes, _, _ = driver.execute_query(
        f"MATCH (n) WHERE {where.format('n')} "
        f"RETURN collect({_labels('n')} + {_props('n', as_sets)}{node_id}) AS lines",
        params,
    )
    rels, _, _ = driver.execute_query(
        f"MATCH (a)-[r]->(b) WHERE {where.format('a')} AND {where.format('b')} "
        f"RETURN collect({_key('a')} + ' ' + type(r) + ' ' + {_key('b')} + "
        f"{_props('r', as_sets)}{rel_id}) AS lines",
        params,
    )
    return sorted(nodes[0]["lines"]), sorted(rels[0]["lines"])


def differences(a: Snapshot, b: Snapshot, shown: int = 3) -> list[str]:
    """What only one of two snapshots holds, as often as it holds it (a few of each,
    marked - and +); empty when they are equal."""
    out: list[str] = []
    for part_a, part_b in zip(a, b, strict=True):
        count_a, count_b = Counter(part_a), Counter(part_b)
        out += ["- " + x for x in sorted((count_a - count_b).elements())[:shown]]
        out += ["+ " + x for x in sorted((count_b - count_a).elements())[:shown]]
        if len(part_a) != len(part_b):
            out.append(f"count {len(part_a)} != {len(part_b)}")
    return out
