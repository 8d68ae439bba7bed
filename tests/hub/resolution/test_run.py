"""Resolution in the real graph: reversible merges, manual decisions, incremental runs."""

from __future__ import annotations

import shutil
from pathlib import Path

from neo4j import Driver

from hub.migrate import migrate
from hub.queries import resolution as q
from hub.resolution import run
from hub.settings import Settings
from tests.conftest import wipe
from tests.connectors.simulator import running
from tests.hub.resolution.conftest import snapshot, sync
from tests.snapshot import Snapshot, differences


def test_split_after_merge_restores_the_prior_graph_exactly(
    synced: Driver, pristine: Snapshot, settings: Settings
) -> None:
    graph, before = synced, pristine
    orphans = "MATCH (r:Record) WHERE NOT (r)-[:RECORD_OF]->(:Person) RETURN count(r) AS n"
    alone = graph.execute_query(orphans).records[0]["n"]
    report = run.run(graph, settings, full=True)
    merged = q.aliases(graph, None)
    assert report.changes.merged == len(merged) > 10
    assert snapshot(graph) != before
    # every person record still has its person
    assert graph.execute_query(orphans).records[0]["n"] == alone
    left, _, _ = graph.execute_query("MATCH (m:MergedPerson)-[r]-() RETURN count(r) AS n")
    assert left[0]["n"] == 0
    # a user says every merge was wrong: each is split again
    positive = [
        (j["left"], j["right"]) for j in q.judgements(graph, None) if j["verdict"] == "positive"
    ]
    run.decide(graph, settings, positive, "negative", "tester")
    assert q.aliases(graph, None) == {}
    assert differences(before, snapshot(graph)) == []


def test_a_manual_merge_then_its_split_restore_the_graph(
    synced: Driver, settings: Settings
) -> None:
    graph = synced
    run.run(graph, settings, full=True)
    found, _, _ = graph.execute_query(
        "MATCH (a:Person)-[:HAS_PHONE]->(), (b:Person)-[:STAYED_AT]->() "
        "WHERE a.uid STARTS WITH 'P' AND b.uid STARTS WITH 'P' AND a.uid < b.uid "
        "RETURN a.uid AS a, b.uid AS b LIMIT 1"
    )
    a, b = found[0]["a"], found[0]["b"]
    before = snapshot(graph)
    changes = run.decide(graph, settings, [(a, b)], "positive", "tester")
    assert changes.merged == 1
    assert q.aliases(graph, None)[max(a, b)] == min(a, b)
    explained = run.explain(graph, settings, max(a, b))
    assert explained["person"] == min(a, b)
    assert {j["by"] for j in explained["judgements"]} == {"user:tester"}
    run.decide(graph, settings, [(a, b)], "negative", "tester")
    assert differences(before, snapshot(graph)) == []


def test_a_manual_negative_judgement_survives_a_full_run(
    synced: Driver, settings: Settings
) -> None:
    graph = synced
    run.run(graph, settings)
    merged = q.aliases(graph, None)
    member, head = sorted(merged.items())[0]
    run.decide(graph, settings, [(member, head)], "negative", "tester")
    assert member not in q.aliases(graph, None)
    run.run(graph, settings, full=True)
    assert member not in q.aliases(graph, None)
    stored = {j["judgement_id"]: j for j in q.judgements(graph, None)}
    kept = stored["|".join(sorted((member, head)))]
    assert kept["verdict"] == "negative" and kept["by"] == "user:tester"
    # the other merges were made again
    assert len(q.aliases(graph, None)) == len(merged) - 1


def test_incremental_resolution_of_a_second_sync_equals_a_full_one(
    synced: Driver, world: Path, settings: Settings, tmp_path: Path
) -> None:
    # The full one: the county's one sync, resolved in full.
    graph = synced
    run.run(graph, settings, full=True)
    full, aliases = snapshot(graph), q.aliases(graph, None)
    # The incremental one: the same county synced in two steps, resolved after each.
    wipe(graph)
    migrate(graph)
    copy = tmp_path / "world"
    shutil.copytree(world, copy)
    with running(copy, "--start-at", "2025-06-01T00:00:00") as early:
        sync(early, graph, None)
        first = run.run(graph, settings)
        assert first.new_records > 0
        # no split of every merge before the second sync: each step splits those it names
        early.post("/clock", {"advance_hours": 24 * 365 * 5})
        sync(early, graph, copy / "sources" / "bigdata")
        second = run.run(graph, settings)
        assert 0 < second.new_records < second.records
    assert q.aliases(graph, None) == aliases
    assert differences(full, snapshot(graph)) == []
