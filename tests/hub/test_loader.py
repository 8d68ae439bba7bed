from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import polars as pl
import pytest
from neo4j import Driver

from graph_schema import MOVED, ident
from hub.errors import LoadError
from hub.loader import Loader
from tests import snapshot as snapshots
from tests.snapshot import Snapshot

T1 = datetime(2026, 1, 1, tzinfo=UTC)
T2 = datetime(2026, 2, 1, tzinfo=UTC)

PERSONS = pl.DataFrame(
    {"uid": ["p1", "p2", "p3"], "name": ["张伟", "李娜", None], "birth_date": [None] * 3}
).with_columns(pl.col("birth_date").cast(pl.Date))
PHONES = pl.DataFrame({"number": ["+8613800000001", "+8613800000002"], "kind": ["mobile"] * 2})
HAS_PHONE = pl.DataFrame(
    {"start": ["p1", "p2", "p3"], "end": ["+8613800000001"] * 2 + ["+8613800000002"]}
)
TRANSFERS = pl.DataFrame(
    {
        "start": ["6222021600001234", "6222021600001234"],
        "end": ["6217000000000012", "6217000000000012"],
        "txn_id": ["T1", "T2"],
        "amount": [100.0, 250.5],
        "at": [datetime(2026, 1, 5, 10), datetime(2026, 1, 5, 11)],
    }
)


def snapshot(driver: Driver) -> Snapshot:
    return snapshots.snapshot(driver, leave_out={"HubSchema", "LoadStripe"})


def load_all(loader: Loader, source: str = "cases", seen_at: datetime = T1) -> None:
    loader.nodes("Person", PERSONS, source=source, seen_at=seen_at)
    loader.nodes("Phone", PHONES, source=source, seen_at=seen_at)
    loader.relationships("HAS_PHONE", HAS_PHONE, source=source, seen_at=seen_at)
    loader.relationships("TRANSFERRED", TRANSFERS, source=source, seen_at=seen_at)


def test_loading_the_same_frames_twice_changes_nothing(loader: Loader) -> None:
    load_all(loader)
    first = snapshot(loader.driver)
    load_all(loader)
    assert snapshot(loader.driver) == first
    nodes, rels = first
    assert len(nodes) == 3 + 2 + 2  # persons, phones, the two accounts the transfers made
    assert len(rels) == 3 + 2
    (transfer,) = loader.driver.execute_query(
        "MATCH ()-[t:TRANSFERRED {txn_id: 'T2'}]->() RETURN t.amount AS amount, t.at AS at"
    ).records
    assert transfer["amount"] == 250.5
    assert transfer["at"].to_native() == datetime(2026, 1, 5, 11, tzinfo=UTC)


def test_provenance_widens_and_never_shrinks(loader: Loader) -> None:
    load_all(loader, source="cases", seen_at=T2)
    load_all(loader, source="fraud", seen_at=T1)
    load_all(loader, source="cases", seen_at=T1)
    records, _, _ = loader.driver.execute_query(
        "MATCH (p:Person {uid: 'p1'})-[r:HAS_PHONE]->() "
        "MATCH ()-[t:TRANSFERRED {txn_id: 'T2'}]->() RETURN p, r, t"
    )
    # a node, a relationship and a keyed relationship (found by its key, not MERGEd)
    for element in (records[0]["p"], records[0]["r"], records[0]["t"]):
        assert element["sources"] == ["cases", "fraud"]
        assert element["first_seen"].to_native() == T1
        assert element["last_seen"].to_native() == T2


def test_a_null_leaves_the_stored_value(loader: Loader) -> None:
    loader.nodes("Person", PERSONS, source="cases", seen_at=T1)
    loader.nodes(
        "Person",
        pl.DataFrame(
            {"uid": ["p1"], "name": [None], "address": ["商水县"]},
            schema_overrides={"name": pl.String},
        ),
        source="fugitives",
        seen_at=T1,
    )
    records, _, _ = loader.driver.execute_query("MATCH (p:Person {uid: 'p1'}) RETURN p")
    assert records[0]["p"]["name"] == "张伟"
    assert records[0]["p"]["address"] == "商水县"


def test_eight_concurrent_loads_of_the_same_keys_leave_one_node_per_key(loader: Loader) -> None:
    keys = [f"+86139{i:08d}" for i in range(2000)]
    phones = pl.DataFrame({"number": keys})
    calls = pl.DataFrame({"start": keys, "end": keys[1:] + keys[:1], "count": [1] * len(keys)})

    def work(i: int) -> None:
        worker = Loader(loader.driver, batch_size=250)
        worker.nodes(
            "Phone", phones.sample(fraction=1.0, shuffle=True, seed=i), source="bigdata", seen_at=T1
        )
        worker.relationships(
            "CALLED", calls.sample(fraction=1.0, shuffle=True, seed=i), source="bigdata", seen_at=T1
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    records, _, _ = loader.driver.execute_query(
        "MATCH (p:Phone) WITH p.number AS number, count(*) AS n "
        "RETURN count(*) AS keys, max(n) AS most"
    )
    assert records[0]["keys"] == len(keys)
    assert records[0]["most"] == 1
    records, _, _ = loader.driver.execute_query("MATCH ()-[r:CALLED]->() RETURN count(r) AS n")
    assert records[0]["n"] == len(keys)


def test_a_value_that_looks_like_cypher_is_stored_literally(loader: Loader) -> None:
    hostile = "王'}) MATCH (n) DETACH DELETE n //"
    loader.nodes(
        "Person", pl.DataFrame({"uid": ["p9"], "name": [hostile]}), source="cases", seen_at=T1
    )
    loader.nodes("Person", PERSONS, source="cases", seen_at=T1)
    records, _, _ = loader.driver.execute_query(
        "MATCH (p:Person) RETURN p.uid AS uid, p.name AS name ORDER BY uid"
    )
    assert [r["uid"] for r in records] == ["p1", "p2", "p3", "p9"]
    assert records[-1]["name"] == hostile


@pytest.mark.parametrize(
    ("label", "frame", "message"),
    [
        ("Person", pl.DataFrame({"uid": ["p1"], "shoe_size": [42]}), "not declared"),
        ("Person", pl.DataFrame({"name": ["张伟"]}), r"required columns \['uid'\] are missing"),
        (
            "Person",
            pl.DataFrame({"uid": [None, "p2"]}, schema={"uid": pl.String}),
            "no value in key",
        ),
        ("Person", pl.DataFrame({"uid": ["p1"], "birth_date": ["not a date"]}), "declared type"),
        ("Suspect", pl.DataFrame({"uid": ["p1"]}), "unknown node label"),
    ],
)
def test_frames_that_do_not_fit_the_schema_are_refused_with_a_reason(
    loader: Loader, label: str, frame: pl.DataFrame, message: str
) -> None:
    with pytest.raises(Exception, match=message) as caught:
        loader.nodes(label, frame, source="cases", seen_at=T1)
    assert caught.type.__module__ == "hub.errors"
    records, _, _ = loader.driver.execute_query("MATCH (p:Person) RETURN count(p) AS n")
    assert records[0]["n"] == 0


def test_provenance_must_be_given(loader: Loader) -> None:
    with pytest.raises(LoadError, match="source"):
        loader.nodes("Person", PERSONS, seen_at=T1)
    with pytest.raises(LoadError, match="seen_at"):
        loader.nodes("Person", PERSONS, source="cases")


def test_multi_target_relationships_need_their_end_label(loader: Loader) -> None:
    frame = pl.DataFrame({"start": ["r1"], "end": ["p1"]})
    with pytest.raises(LoadError, match="which end label"):
        loader.relationships("RECORD_OF", frame, source="cases", seen_at=T1)
    loader.relationships("RECORD_OF", frame, end="Person", source="cases", seen_at=T1)
    records, _, _ = loader.driver.execute_query(
        "MATCH (:Record {record_id: 'r1'})-[:RECORD_OF]->(p:Person) RETURN p.uid AS uid"
    )
    assert records[0]["uid"] == "p1"


def test_a_new_node_or_relationship_with_a_null_datetime_is_created_without_it(
    loader: Loader,
) -> None:
    solved = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    cases = pl.DataFrame(
        {"case_no": ["A1", "A2"], "solved_at": [None, solved]},
        schema_overrides={"solved_at": pl.Datetime("us", "UTC")},
    )
    loader.nodes("Case", cases, source="cases", seen_at=T1)
    transfer = TRANSFERS.head(1).with_columns(at=pl.lit(None, dtype=pl.Datetime("us")))
    loader.relationships("TRANSFERRED", transfer, source="fraud", seen_at=T1)
    rows, _, _ = loader.driver.execute_query(
        "MATCH (c:Case) RETURN c.case_no AS no, c.solved_at AS solved ORDER BY no"
    )
    assert [(r["no"], r["solved"] and r["solved"].to_native()) for r in rows] == [
        ("A1", None),
        ("A2", solved),
    ]
    rows, _, _ = loader.driver.execute_query("MATCH ()-[t:TRANSFERRED]->() RETURN t")
    assert len(rows) == 1 and "at" not in rows[0]["t"] and rows[0]["t"]["txn_id"] == "T1"

    # a later load that knows the time sets it
    loader.nodes("Case", cases.with_columns(solved_at=pl.lit(solved)), source="cases", seen_at=T2)
    rows, _, _ = loader.driver.execute_query(
        "MATCH (c:Case {case_no: 'A1'}) RETURN c.solved_at AS s"
    )
    assert rows[0]["s"].to_native() == solved


EXAMPLES: dict[str, object] = {
    "string": "k1",
    "integer": 1,
    "float": 1.0,
    "boolean": True,
    "date": T1.date(),
    "datetime": T1,
}


def test_a_rows_relationship_is_its_ends_own_not_one_a_merge_moved_there(loader: Loader) -> None:
    """Identity resolution moves a merged person's relationships to the person it was
    merged into, marked MOVED (a split moves them back). A row between the same ends
    writes the ends' own relationship, made beside the moved one when they have none, and
    leaves the moved one as it was: for every relationship type of a person."""
    gs = loader.graph
    for rel in gs.relationships.values():
        if "Person" not in (*rel.sources, *rel.targets):
            continue
        start = "Person" if "Person" in rel.sources else rel.sources[0]
        end = rel.targets[0] if start == "Person" else "Person"
        a, b = gs.node(start), gs.node(end)
        ends = {"a": f"{rel.type}-a", "b": f"{rel.type}-b"}
        loader.nodes(start, pl.DataFrame({a.key: [ends["a"]]}), source="cases", seen_at=T1)
        loader.nodes(end, pl.DataFrame({b.key: [ends["b"]]}), source="cases", seen_at=T1)
        key = {rel.key: EXAMPLES[rel.properties[rel.key].type]} if rel.key else {}
        moved = {MOVED: "R:cases:involved:1", "sources": ["cases"], "last_seen": T1, **key}
        between = (
            f"MATCH (a:{ident(start)} {{{ident(a.key)}: $a}}) "
            f"MATCH (b:{ident(end)} {{{ident(b.key)}: $b}}) "
        )
        loader.driver.execute_query(
            between + f"CREATE (a)-[r:{ident(rel.type)}]->(b) SET r = $moved", ends, moved=moved
        )
        row = pl.DataFrame(
            {"start": [ends["a"]], "end": [ends["b"]], **{k: [v] for k, v in key.items()}}
        )
        for _ in range(2):
            loader.relationships(rel.type, row, start=start, end=end, source="fraud", seen_at=T2)
        found, _, _ = loader.driver.execute_query(
            between + f"MATCH (a)-[r:{ident(rel.type)}]->(b) "
            f"RETURN r.{MOVED} AS moved, r.sources AS sources, r.last_seen AS last",
            ends,
        )
        got = sorted((r["moved"] or "", r["sources"], r["last"].to_native()) for r in found)
        assert got == [("", ["fraud"], T2), ("R:cases:involved:1", ["cases"], T1)], rel.type
