"""End to end: a small county, its four live source systems, `hub sync`, and the truth.

Everything runs as it does for a user: the simulators as a process, `hub sync` as a
process reading the sources file they write. The counts in Neo4j are then checked
against the ground truth the generator wrote beside the county, not against anything
the connectors computed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from neo4j import Driver

import connectors
from connectors.base import shipped
from graph_schema import claim_name, ident, schema
from hub import survivorship
from hub.settings import Settings
from tests.conftest import wipe
from tests.connectors.simulator import HUB, running

BEIJING = timedelta(hours=8)


@pytest.fixture(scope="module")
def world(county_files: Callable[..., Path]) -> Path:
    return county_files(people=1000, seed=11, noise="default")


@pytest.fixture(scope="module")
def synced(driver: Driver, world: Path, settings: Settings) -> Iterator[str]:
    """The graph after one `hub sync` of every source; the command's output."""
    wipe(driver)
    with running(world) as sim:
        env = {**os.environ, "HUB_SOURCES": str(sim.sources_file)}
        done = subprocess.run(
            [HUB, "sync", "--profile"], env=env, capture_output=True, text=True, timeout=900
        )
    assert done.returncode == 0, done.stderr
    yield done.stdout


def truth(world: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(world / "truth" / f"{name}.parquet")


def sound(world: Path) -> pl.DataFrame:
    """Every source record the truth does not call malformed."""
    return truth(world, "record_links").filter(~pl.col("malformed"))


def one(driver: Driver, query: str) -> Any:
    records, _, _ = driver.execute_query(query)
    return records[0][0]


def test_the_profile_says_where_each_streams_time_went(synced: str) -> None:
    lines = synced.splitlines()
    header = next(
        i for i, line in enumerate(lines) if line.split()[:3] == ["stream", "rows", "rows/s"]
    )
    table = {line.split()[0]: line.split()[1:] for line in lines[header + 1 :] if "/" in line[:28]}
    declared: dict[str, type[connectors.Connector]] = {**connectors.HTTP, **connectors.FILES}
    seconds: dict[str, float] = {"http fetching": 0.0, "transforming": 0.0, "writing": 0.0}
    for name, connector in declared.items():
        for stream in shipped(connector.mapping_file).streams:
            rows, _, _, fetching, transforming, writing = table[f"{name}/{stream}"]
            assert int(rows.replace(",", "")) > 0, stream
            if name in connectors.FILES:  # reading a file is part of transforming it
                assert float(fetching) == 0, stream
            else:
                seconds["http fetching"] += float(fetching)
            seconds["transforming"] += float(transforming)
            seconds["writing"] += float(writing)
    assert all(spent > 0 for spent in seconds.values()), seconds
    stages = next(line for line in lines if line.startswith("stages: "))
    for stage in ("streams", "resolving", "alerts"):
        assert f"{stage} " in stages
    # the first sync of a graph trains the model, beside writing the blocking keys
    parts = next(line for line in lines if line.startswith("resolving: "))
    for part in ("reading", "blocking keys", "training", "judging", "storing", "applying"):
        assert f"{part} " in parts
    cpu = next(line for line in lines if line.startswith("Neo4j CPU: "))
    assert float(cpu.split()[2].rstrip("s")) > 0  # the project-run Neo4j says its CPU time


def test_cases_warrants_and_accounts_agree_with_the_truth(
    driver: Driver, synced: str, world: Path
) -> None:
    records = sound(world)
    cases = records.filter(pl.col("stream") == "cases").get_column("case_no").unique()
    assert one(driver, "MATCH (c:Case) RETURN count(c)") == cases.len() > 20
    warrants = truth(world, "fugitives").get_column("warrant_no")
    assert one(driver, "MATCH (w:Warrant) RETURN count(w)") == warrants.len() > 0
    assert set(one(driver, "MATCH (w:Warrant) RETURN collect(w.warrant_no)")) == set(warrants)
    accounts = pl.concat([records["account"], records["cp_account"]]).drop_nulls().unique()
    assert one(driver, "MATCH (a:BankAccount) RETURN count(a)") == accounts.len() > 10


def test_every_sound_transfer_is_one_edge_as_it_happened(
    driver: Driver, synced: str, world: Path
) -> None:
    broken = truth(world, "record_links").filter(
        pl.col("stream") == "transfers", pl.col("malformed")
    )
    expected = (
        truth(world, "transfers")
        .filter(
            pl.col("kind") == "transfer", ~pl.col("txn_id").is_in(broken["record_id"].implode())
        )
        .select(
            "txn_id",
            "from_account",
            "to_account",
            pl.col("amount").round(2),
            at=(pl.col("at") - BEIJING).dt.replace_time_zone("UTC"),
        )
    )
    records, _, _ = driver.execute_query(
        "MATCH (a:BankAccount)-[t:TRANSFERRED]->(b:BankAccount) "
        "RETURN t.txn_id AS txn_id, a.number AS from_account, b.number AS to_account, "
        "t.amount AS amount, t.at AS at"
    )
    found = {
        (
            r["txn_id"],
            r["from_account"],
            r["to_account"],
            round(r["amount"], 2),
            r["at"].to_native(),
        )
        for r in records
    }
    assert len(records) == len(found) == expected.height > 20
    assert found == {tuple(row) for row in expected.iter_rows()}


def test_stays_are_the_sound_hotel_records(driver: Driver, synced: str, world: Path) -> None:
    links = sound(world).filter(pl.col("stream") == "hotel")
    files = {f for f in links["file"].unique()}
    rows = pl.concat([pl.read_parquet(world / f) for f in sorted(files)]).join(
        links.select("record_id", "duplicate_of"), left_on="lsh", right_on="record_id"
    )
    at = (pl.col("rzsj").str.strptime(pl.Datetime("us"), "%Y%m%d%H%M") - BEIJING).dt
    visits = rows.select(place="hotel:" + pl.col("lgdm"), at=at.replace_time_zone("UTC"))
    records, _, _ = driver.execute_query(
        "MATCH (:Person)-[s:STAYED_AT]->(p:Place {kind: 'hotel'}) "
        "RETURN p.place_id AS place, s.checkin AS at"
    )
    assert {(r["place"], r["at"].to_native()) for r in records} == set(visits.iter_rows())
    # A check-in sent twice is one stay when the copy names the same person; a copy
    # without a usable ID number stays apart until identity resolution joins it.
    originals = rows.filter(pl.col("duplicate_of").is_null()).height
    assert originals <= len(records) <= rows.height


def test_calls_are_one_edge_per_pair_counting_each_call_once(
    driver: Driver, synced: str, world: Path
) -> None:
    cdr = sound(world).filter(pl.col("stream") == "cdr")
    pairs = cdr.select("phone", "cp_phone").unique()
    calls = cdr.filter(~pl.col("duplicate_of").is_in(cdr["record_id"].implode()).fill_null(False))
    assert one(driver, "MATCH ()-[c:CALLED]->() RETURN count(c)") == pairs.height > 100
    assert one(driver, "MATCH ()-[c:CALLED]->() RETURN sum(c.count)") == calls.height


def test_malformed_records_are_in_quarantine_and_nowhere_else(
    driver: Driver, synced: str, world: Path
) -> None:
    bad = truth(world, "record_links").filter(pl.col("malformed"))
    expected = {f"{r['source']}:{r['stream']}:{r['record_id']}" for r in bad.iter_rows(named=True)}
    held = set(one(driver, "MATCH (q:Quarantine) RETURN collect(q.quarantine_id)"))
    assert held == expected and len(expected) > 0
    loaded = set(one(driver, "MATCH (r:Record) RETURN collect(r.record_id)"))
    assert loaded and not expected & loaded
    assert "quarantined" in synced


def test_persons_with_a_sound_id_number_are_one_node_each(
    driver: Driver, synced: str, world: Path
) -> None:
    persons = truth(world, "persons").select("person_id", "id_number")
    clean = (
        sound(world)
        .filter(pl.col("person_id").is_not_null(), pl.col("source") != "bigdata")
        .filter(~pl.col("noise").str.contains("id_"))
        .join(persons, on="person_id")
    )
    numbers = set(clean["id_number"])
    found = set(
        one(driver, "MATCH (p:Person) WHERE p.id_number IS NOT NULL RETURN collect(p.id_number)")
    )
    assert len(numbers) > 100 and numbers <= found


def test_every_value_is_the_best_of_its_records_statements_merged_persons_too(
    driver: Driver, synced: str
) -> None:
    """Survivorship as data: each property of each entity (graph_schema enumerates them)
    shows the value of the best statement its records make, read from their RECORD_OF;
    a person merged into another keeps deriving its values from its own statements."""
    gs = schema()
    labels = [*gs.relationship("RECORD_OF").targets, "MergedPerson"]
    checked = 0
    for label in labels:
        node = gs.node(label)
        for prop in node.properties:
            if prop == node.key or prop not in gs.relationship("RECORD_OF").statements:
                continue
            records, _, _ = driver.execute_query(
                f"MATCH (e:{ident(label)}) {survivorship.best_statement(label, prop)}"
                f"WITH e, value, claim WHERE value IS NOT NULL "
                f"RETURN count(e) AS stated, count(CASE WHEN e.{ident(prop)} <> value "
                f"OR e.{ident(claim_name(prop))} <> claim THEN 1 END) AS differ"
            )
            assert records[0]["differ"] == 0, (label, prop)
            checked += records[0]["stated"]
    assert checked > 1000
    merged = one(driver, "MATCH (m:MergedPerson) RETURN count(m)")
    assert merged > 0  # resolution merged persons, whose statements moved with them
