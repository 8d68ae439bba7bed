"""The small built-in demo graph (`demo_graph.yaml`), normalised and loaded, and the unit
whose investigator `hub demo` makes a token for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import yaml
from neo4j import Driver

from graph_schema import GraphSchema, NodeType, schema
from hub import normalise, scope
from hub.errors import LoadError
from hub.loader import Loader, LoadReport
from hub.world.fraud import ANTI_FRAUD_UNIT

DEMO_FILE = Path(__file__).with_name("demo_graph.yaml")
# The demo's investigator works for the county's anti-telecom-fraud centre, which handles
# the demo graph's fraud case and the county's fraud cases (hub.world.fraud).
UNIT = ANTI_FRAUD_UNIT


def _normal(node: NodeType, prop: str, raw: Any) -> Any:
    declared = node.properties.get(prop)
    if declared is None or declared.normaliser is None or raw is None:
        return raw
    result = normalise.normalise(declared.normaliser, raw)
    if isinstance(result, normalise.Invalid):
        raise LoadError(f"demo graph: {node.label}.{prop} {raw!r}: {result.reason}")
    return result.value


def _derived(node: NodeType, row: dict[str, Any]) -> dict[str, Any]:
    """Facts a normaliser derives that the node type stores (birth date, pinyin, ...)."""
    facts: dict[str, Any] = {}
    if node.label == "Person":
        for prop, kind, wanted in (
            ("id_number", "resident_id", {"birth_date": "birth_date", "sex": "sex"}),
            ("name", "person_name", {"name_pinyin": "pinyin"}),
        ):
            result = normalise.normalise(kind, row.get(prop))
            if isinstance(result, normalise.Valid):
                facts.update({k: result.facts[v] for k, v in wanted.items()})
    if node.label == "Phone":
        result = normalise.phone(row["number"])
        if isinstance(result, normalise.Valid):
            facts["kind"] = result.facts["kind"]
    return facts


def frames(path: Path = DEMO_FILE, gs: GraphSchema | None = None) -> dict[str, Any]:
    """Node and relationship frames of the demo graph, every identifier normalised."""
    gs = gs or schema()
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    nodes: dict[str, pl.DataFrame] = {}
    for label, rows in data["nodes"].items():
        node = gs.node(label)
        normal = [{k: _normal(node, k, v) for k, v in row.items()} for row in rows]
        normal = [{**row, **_derived(node, row)} for row in normal]
        nodes[label] = pl.DataFrame(normal)
    rels: dict[str, pl.DataFrame] = {}
    for type_, rows in data["relationships"].items():
        rel = gs.relationship(type_)
        start, end = gs.node(rel.sources[0]), gs.node(rel.targets[0])
        normal = [
            {
                **row,
                "start": _normal(start, start.key, row["start"]),
                "end": _normal(end, end.key, row["end"]),
            }
            for row in rows
        ]
        rels[type_] = pl.DataFrame(normal)
    return {"source": data["source"], "seen_at": data["seen_at"], "nodes": nodes, "rels": rels}


def load(loader: Loader, path: Path = DEMO_FILE) -> list[LoadReport]:
    demo = frames(path, loader.graph)
    common = {"source": demo["source"], "seen_at": demo["seen_at"]}
    reports = [loader.nodes(label, f, **common) for label, f in demo["nodes"].items()]
    reports += [loader.relationships(t, f, **common) for t, f in demo["rels"].items()]
    scope.refresh(loader.driver, loader.database)  # need-to-know of its cases
    return reports


def case_counts(driver: Driver, unit: str, database: str | None = None) -> tuple[int, int]:
    """The cases `unit` handles, and all cases of the graph: those a case record (or the
    demo graph) describes, not the numbers a quarantined case left in other records."""
    records, _, _ = driver.execute_query(
        "MATCH (c:Case) WHERE c.title IS NOT NULL "
        "OPTIONAL MATCH (c)-[h:HANDLED_BY]->(:Unit {code: $unit}) "
        "RETURN count(DISTINCT CASE WHEN h IS NULL THEN null ELSE c END) AS own, "
        "count(DISTINCT c) AS every",
        unit=unit,
        database_=database,
        routing_="r",
    )
    return records[0]["own"], records[0]["every"]
