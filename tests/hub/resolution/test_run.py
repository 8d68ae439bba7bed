"""Resolution in the real graph: reversible merges, manual decisions, incremental runs."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from neo4j import Driver

import connectors
from connectors.mapping import load_layout
from hub import syncing
from hub.migrate import migrate
from hub.queries import resolution as q
from hub.resolution import blocking, match, records, run
from hub.settings import Settings
from hub.world.outside import LAYOUT_B, feed_mapping, lists
from tests.conftest import wipe
from tests.connectors.simulator import Simulator, running
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
    by_pair = {j["pair"]: j["by"] for j in explained["judgements"]}
    assert by_pair["|".join(sorted((a, b)))] == "user:tester"
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
    # The full one: the county's one sync, resolved in full (the model trained on it).
    graph = synced
    report = run.run(graph, settings, full=True, train_model=True)
    assert report.trained
    full, aliases = snapshot(graph), q.aliases(graph, None)
    trained = q.load_model(graph, None)
    assert trained is not None
    # The incremental one: the same county synced in two steps, resolved after each with
    # the same model, merges kept between the syncs.
    wipe(graph)
    migrate(graph)
    q.store_model(graph, None, trained, 0, "{}")
    copy = tmp_path / "world"
    shutil.copytree(world, copy)
    with running(copy, "--start-at", "2025-06-01T00:00:00") as early:
        sync(early, graph, None)
        first = run.run(graph, settings)
        assert first.new_records > 0 and not first.trained
        assert q.aliases(graph, None)  # some merges stand while the next sync writes
        early.post("/clock", {"advance_hours": 24 * 365 * 5})
        sync(early, graph, copy / "sources" / "bigdata")
        second = run.run(graph, settings)
        # a run over new records reads them and their candidates, not every record
        assert 0 < second.new_records <= second.records < full_records(graph)
    assert q.aliases(graph, None) == aliases
    assert differences(full, snapshot(graph)) == []


def test_a_sync_works_out_the_features_resolution_reads_back(
    driver: Driver, simulator: Simulator, world: Path
) -> None:
    # the county synced again, its person records' features worked out as they are written
    known = records.Known()
    wipe(driver)
    migrate(driver)
    sync(simulator, driver, world / "sources" / "bigdata", known)
    read = q.person_records(driver, None)
    assert 0 < len(read) == len(known)
    for r in read:
        assert known.get(r["source"], r["stream"], r["record_id"], r["raw"]) is not None
    assert run._features(read, known).equals(run._features(read))
    # a record whose raw JSON is not the one they were worked out from is worked out again
    r = read[0]
    assert known.get(r["source"], r["stream"], r["record_id"], r["raw"] + " ") is None


def test_a_run_over_a_few_new_records_reads_their_neighbourhood_and_agrees_with_the_full_run(
    synced: Driver, settings: Settings
) -> None:
    graph = synced
    run.run(graph, settings, full=True, train_model=True)
    judged = {j["judgement_id"]: (j["verdict"], j["score"]) for j in q.judgements(graph, None)}
    aliases = q.aliases(graph, None)
    # a few records of merged persons are new again, as if a sync had just written them
    renewed = graph.execute_query(
        "MATCH (r:Record)-[o:RECORD_OF]->(:Person) WHERE o.merged_from IS NOT NULL "
        "WITH r ORDER BY r.record_id LIMIT 5 REMOVE r.resolved RETURN r.record_id AS id"
    ).records
    assert len(renewed) == 5
    report = run.run(graph, settings)
    assert report.new_records == 5 and not report.trained
    # the same judgements and merges as the full run made...
    again = {j["judgement_id"]: (j["verdict"], j["score"]) for j in q.judgements(graph, None)}
    assert again == judged
    assert q.aliases(graph, None) == aliases
    # ...from the records and judgements around the new ones, not every one
    assert report.records < full_records(graph) / 5
    assert 0 < report.judgements < len(judged) / 5


def full_records(graph: Driver) -> int:
    found = graph.execute_query(
        "MATCH (r:Record) WHERE EXISTS { (r)-[:RECORD_OF]->(:Person) } RETURN count(r) AS n"
    )
    return int(found.records[0]["n"])


def test_an_outside_list_loads_through_a_mapping_folder_and_matches_without_id_numbers(
    graph: Driver, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = lists(400, seed=5)
    folder, drop = tmp_path / "mappings", tmp_path / "drop"
    folder.mkdir()
    (drop / "people").mkdir(parents=True)
    (folder / "agency.yaml").write_text(feed_mapping("agency"))
    (folder / "list_b.yaml").write_text(LAYOUT_B)
    # one row's birth date cannot be read: the field is left out, the row is kept
    a = made.a.with_columns(
        date_of_birth=pl.when(pl.col("rec_id") == "A000007")
        .then(pl.lit("19xx0101"))
        .otherwise(pl.col("date_of_birth"))
    )
    a.write_csv(drop / "people" / "2026-11-01.csv")  # a feed names its files by day
    sources = tmp_path / "sources.json"
    sources.write_text(json.dumps({"agency": {"drop": str(drop)}}))
    monkeypatch.setenv("HUB_MAPPINGS_DIR", str(folder))
    records.person_streams.cache_clear()
    local = replace(settings, mappings_dir=folder, sources_file=sources)
    try:
        assert "agency" in connectors.names(local)
        synced = asyncio.run(syncing.sync(graph, local, [connectors.build("agency", local)]))
        assert synced.resolution.trained and synced.resolution.new_records == a.height
        # A has no two rows of one person: nothing is merged
        assert q.aliases(graph, None) == {}
        noted = graph.execute_query(
            "MATCH (r:Record {record_id: 'agency:people:A000007'}) RETURN r.field_errors AS e"
        ).records
        assert noted[0]["e"] == "birth_date: not a date in the form %Y%m%d"
        listed = tmp_path / "b.csv"
        made.b.write_csv(listed)
        layout_b = match.find_layout("list_b", folder)
        found = match.match_file(graph, None, listed, layout_b, run.thresholds(local))
        # every record that shares a key with a row (more than `hub match` reads)
        outside, ids = match._outside(match.read_list(listed).to_dicts(), load_layout(layout_b))
        rows = list(outside.iter_rows(named=True))
        blocks = q.blocks(graph, None, sorted({k for r in rows for k in blocking.keys_of(r)}))
        every = {
            r["record_id"]: {i for k in blocking.keys_of(r) if k in blocks for i in blocks[k]}
            for r in rows
        }
        read = q.records_by_id(graph, None, sorted(set().union(*every.values())))
        feats = records.features((r["source"], r["stream"], r["record_id"], r["raw"]) for r in read)
        persons = q.persons_of(graph, None, sorted(set(feats.get_column("unit"))))
        fitted = run.model(graph, local)
        assert fitted is not None
        ranked = match.candidates(
            fitted, feats, every, persons, outside, ids, run.thresholds(local), top=5
        )
    finally:
        records.person_streams.cache_clear()
    truth = dict(made.truth.iter_rows())
    called = [
        (m.row_id, m.candidates[0].uid) for m in found if m.candidates and m.candidates[0].match
    ]
    right = sum(1 for row, uid in called if uid == f"R:agency:people:{truth[row]}")
    assert right == len(called)  # precision
    assert right >= 0.9 * sum(1 for v in truth.values() if v is not None)  # recall
    # continuous scores rank the candidates: where a row of A's people has several among
    # the records it shares a key with, the first is that person
    several = [m for m in ranked if truth[m.row_id] is not None and len(m.candidates) > 1]
    first = sum(m.candidates[0].uid == f"R:agency:people:{truth[m.row_id]}" for m in several)
    assert len(several) >= 10 and first >= 0.95 * len(several), (first, len(several))
    assert len({c.score for m in found for c in m.candidates}) > 20
