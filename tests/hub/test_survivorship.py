"""Survivorship: every property of every type shows its best statement, whatever the order
of writes. The types and properties are enumerated from graph_schema."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from neo4j import Driver

from graph_schema import Property, claim_name, schema
from hub import survivorship
from hub.loader import Loader
from tests.conftest import wipe
from tests.snapshot import snapshot

T = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
# (source, observed, which value): the rule picks "cases" (first in the priority) for
# every property that does not declare its own priority.
STATEMENTS = [("bigdata", T + timedelta(days=9), 0), ("cases", T, 1), ("fraud", T, 2)]


def value(prop: Property, which: int) -> Any:
    """A value of the property's type, different for each `which`."""
    if prop.type == "string":
        return ["徐平金", "徐平全", "\U00020000平", "\ue000平"][which]
    if prop.type == "integer":
        return 10 + which
    if prop.type == "float":
        return 1.5 + which
    if prop.type == "boolean":
        return which % 2 == 0
    if prop.type == "date":
        return date(2001, 1, 1 + which)
    if prop.type == "datetime":
        return datetime(2025, 1, 1 + which, 12, tzinfo=UTC)
    return [f"v{which}"]


def stated(declared: dict[str, Property], key: str | None) -> list[Property]:
    return [
        p for p in declared.values() if p.name != key and not p.recomputed and p.type != "string[]"
    ]


def key_value(prop: Property) -> Any:
    return "k1" if prop.type == "string" else value(prop, 0)


def frame(kind: str, which: int) -> pl.DataFrame:
    """One row of every stated property of the node or relationship type `kind`."""
    gs = schema()
    columns: dict[str, list[Any]] = {}
    if kind in gs.nodes:
        node = gs.node(kind)
        columns[node.key] = [key_value(node.properties[node.key])]
        props = stated(dict(node.properties), node.key)
    else:
        rel = gs.relationship(kind)
        for side, label in (("start", rel.sources[0]), ("end", rel.targets[0])):
            end = gs.node(label)
            columns[side] = [key_value(end.properties[end.key])]
        if rel.key:
            columns[rel.key] = [key_value(rel.properties[rel.key])]
        props = stated({**rel.properties, **rel.statements}, rel.key)
    for prop in props:
        columns[prop.name] = [value(prop, which)]
    return pl.DataFrame(columns, strict=False)


def write(loader: Loader, kind: str, rows: pl.DataFrame, **provenance: Any) -> None:
    gs = schema()
    if kind in gs.nodes:
        loader.nodes(kind, rows, **provenance)
    else:
        rel = gs.relationship(kind)
        loader.relationships(kind, rows, start=rel.sources[0], end=rel.targets[0], **provenance)


def shown(driver: Driver, kind: str) -> dict[str, Any]:
    pattern = f"(n:`{kind}`)" if kind in schema().nodes else f"()-[n:`{kind}`]->()"
    records, _, _ = driver.execute_query(f"MATCH {pattern} RETURN properties(n) AS p")
    (found,) = [r["p"] for r in records]
    return dict(found)


def declared(kind: str) -> list[Property]:
    gs = schema()
    if kind in gs.nodes:
        return stated(dict(gs.node(kind).properties), gs.node(kind).key)
    rel = gs.relationship(kind)
    return stated({**rel.properties, **rel.statements}, rel.key)


def expected(prop: Property) -> Any:
    best = max(STATEMENTS, key=lambda s: (survivorship.rank(prop.priority, s[0]), s[1]))
    return value(prop, best[2])


KINDS = sorted(k for k in [*schema().nodes, *schema().relationships] if declared(k))


@pytest.mark.parametrize("order", list(itertools.permutations(range(len(STATEMENTS))))[::2])
def test_every_property_shows_its_best_statement_in_any_order(
    graph: Driver, order: tuple[int, ...]
) -> None:
    loader = Loader(graph, batch_size=100)
    for kind in KINDS:
        wipe(graph)
        for i in order:
            source, seen, which = STATEMENTS[i]
            write(loader, kind, frame(kind, which), source=source, seen_at=seen)
        found = shown(graph, kind)
        for prop in declared(kind):
            got = found[prop.name]
            got = got.to_native() if hasattr(got, "to_native") else got
            assert got == expected(prop), (kind, prop.name)
            assert found[claim_name(prop.name)] is not None
        assert found["sources"] == sorted(s for s, _, _ in STATEMENTS)


def test_one_frame_of_all_statements_ends_as_their_writes_one_by_one(graph: Driver) -> None:
    """The loader picks the best of a frame's rows of one key by the same rule as the
    writes that follow each other; ties (one source, one time) go to the greatest value,
    compared as Neo4j compares text."""
    loader = Loader(graph, batch_size=100)
    tie = [("fraud", T, 2), ("fraud", T, 3)]  # U+E000 sorts after U+20000 in Neo4j
    for kind in KINDS:
        wipe(graph)
        for source, seen, which in [*STATEMENTS, *tie]:
            write(loader, kind, frame(kind, which), source=source, seen_at=seen)
        one_by_one = snapshot(graph)
        wipe(graph)
        rows = pl.concat(
            [
                frame(kind, which).with_columns(_source=pl.lit(source), _seen_at=pl.lit(seen))
                for source, seen, which in reversed([*STATEMENTS, *tie])
            ],
            how="vertical_relaxed",
        )
        write(loader, kind, rows)
        assert snapshot(graph) == one_by_one, kind


def test_a_statement_written_again_or_a_worse_one_changes_nothing(graph: Driver) -> None:
    loader = Loader(graph, batch_size=100)
    for source, seen, which in STATEMENTS:
        write(loader, "Person", frame("Person", which), source=source, seen_at=seen)
    before = snapshot(graph)
    for source, seen, which in STATEMENTS:
        write(loader, "Person", frame("Person", which), source=source, seen_at=seen)
    write(loader, "Person", frame("Person", 3), source="bigdata", seen_at=T)
    assert snapshot(graph) == before
    assert shown(graph, "Person")["name"] == "徐平全"  # the case system's
