from datetime import UTC, datetime

from connectors.mapping import HERE, load
from connectors.transform import transform
from graph_schema import schema

FETCHED = datetime(2026, 11, 1, tzinfo=UTC)
CASES = load(HERE / "cases.yaml")


def involved(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "involved_id": "R1",
        "case_no": "A4116235007002024010001",
        "role": "victim",
        "name": "張偉",
        "id_no": "411623198503120014",
        "phone": "138 0394 1001",
        "account_no": None,
        "address": "商水县",
        "updated_at": "2024-01-10T19:33:45",
    }
    row.update(changes)
    return row


def run(*rows: dict[str, object]):  # type: ignore[no-untyped-def]
    return transform("cases", CASES.streams["involved"], list(rows), schema(), FETCHED)


def test_a_record_becomes_normalised_nodes_relationships_and_a_record_node() -> None:
    batch = run(involved())
    (person,) = batch.nodes["Person"]
    assert person["uid"] == "P411623198503120014"
    assert person["name"] == "张伟" and person["name_pinyin"] == "zhangwei"
    assert batch.nodes["Phone"][0]["number"] == "+8613803941001"
    assert (
        batch.relationships[("VICTIM_IN", "Person", "Case")][0]["end"] == "A4116235007002024010001"
    )
    assert ("SUSPECT_IN", "Person", "Case") not in batch.relationships
    (record,) = batch.nodes["Record"]
    assert record["record_id"] == "cases:involved:R1"
    assert "張偉" in record["raw"]  # kept as it came
    linked = {r["end"] for r in batch.relationships[("RECORD_OF", "Record", "Person")]}
    assert linked == {"P411623198503120014"}
    assert person["_seen_at"] == datetime(2024, 1, 10, 11, 33, 45, tzinfo=UTC)  # Beijing time
    assert batch.high_water == "2024-01-10T11:33:45+00:00"


def test_a_wrong_check_digit_is_not_trusted_but_the_record_is_kept() -> None:
    batch = run(involved(id_no="411623198503120019"))
    (person,) = batch.nodes["Person"]
    assert person["uid"] == "R:cases:involved:R1"
    assert person["id_number"] is None  # a column of every row, empty here
    assert batch.quarantine == []


def test_bad_rows_go_to_quarantine_with_their_reason_and_the_rest_loads() -> None:
    batch = run(
        involved(),
        involved(involved_id="R2", phone="13800DEFGHI"),
        involved(involved_id=None),
        involved(involved_id="R4", updated_at="--"),
    )
    assert batch.rows == 1
    reasons = {q["quarantine_id"]: q["reason"] for q in batch.quarantine}
    assert set(reasons) == {"cases:involved:R2", "cases:involved:None", "cases:involved:R4"}
    assert "column 'phone'" in reasons["cases:involved:R2"]
    assert "no record id" in reasons["cases:involved:None"]
    assert all(q["raw"] for q in batch.quarantine)


def test_a_record_over_the_size_limit_is_quarantined_with_its_start_alone() -> None:
    huge = involved(involved_id="R2", address="商水县" * 40_000)  # ~360 KB as JSON
    batch = transform(
        "cases", CASES.streams["involved"], [involved(), huge], schema(), FETCHED, limit=65_536
    )
    (held,) = batch.quarantine
    assert held["quarantine_id"] == "cases:involved:R2"
    assert "over HUB_MAX_RECORD_BYTES (65,536)" in held["reason"]
    assert len(held["raw"].encode()) < 65_536 and held["raw"].startswith("{")
    assert [r["record_id"] for r in batch.nodes["Record"]] == ["cases:involved:R1"]
    unlimited = transform("cases", CASES.streams["involved"], [huge], schema(), FETCHED)
    assert unlimited.quarantine == []  # the limit, not the record, set it aside
