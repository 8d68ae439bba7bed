"""Masking and redaction of personal numbers."""

import json
from pathlib import Path

import pytest

from hub import masking


def test_each_kind_of_number_keeps_its_useful_ends() -> None:
    assert masking.mask("411623198503120014", "resident_id") == "411623********0014"
    assert masking.mask("+8613803941001", "phone") == "+86138****1001"
    assert masking.mask("622202160000123454", "bank_card") == "622202********3454"
    assert masking.mask("abc", "resident_id") == "***"


def test_personal_properties_come_from_the_graph_schema() -> None:
    found = masking.personal("Person", "id_number")
    assert found is not None and found.normaliser == "resident_id"
    assert masking.personal("Person", "name") is None
    assert masking.personal("Nothing", "id_number") is None


def test_redaction_masks_personal_numbers_anywhere_in_variables() -> None:
    variables = {"idNumber": "41162319920708026X", "q": ["call 13803941001"], "n": 5}
    assert masking.redact(variables) == {
        "idNumber": "411623********026X",
        "q": ["call 138****1001"],
        "n": 5,
    }


@pytest.mark.parametrize(
    ("written", "redacted"),
    [
        ("+86 130 7076 5659", "+86130****5659"),
        ("+86 (130) 7076-5659", "+86130****5659"),
        ("0086 130 7076 5659", "0086130****5659"),
        ("手机13070765659\uff0c", "手机130****5659\uff0c"),
        ("0394-5421003", "039****1003"),
        ("6228 4850 3586 8024 796", "622848*********4796"),
        ("6228-4850-3586-8024-796", "622848*********4796"),
        ("suspect 411623 19960911 4709.", "suspect 411623********4709."),
        ("".join(chr(0xFF10 + int(c)) for c in "411623199609114709"), "411623********4709"),
        ("P411623199609114709", "P411623********4709"),  # a person's uid
        ("13070765659 13170765658", "130****5659 131****5658"),
        (
            "shared_across_units:Phone:+8613070765659:U1,",
            "shared_across_units:Phone:+86130****5659:U1,",
        ),
    ],
)
def test_redaction_finds_a_number_however_it_is_written(written: str, redacted: str) -> None:
    assert masking.redact(written) == redacted


@pytest.mark.parametrize(
    "kept",
    [
        "2026-01-01T10:00:00+00:00",
        '{"bjsj": "20260101180000", "ssje": "16300.0"}',  # a time and an amount
        "A4116230500002026030001",  # a case number
        "case 12 of 2024, 3 suspects",
        "QmFua0FjY291bnQ6dUZ4bGZ0Z3RhUVQ4RjN2U0J2c2xKZ2NxcEE=",  # a global id: short runs
    ],
)
def test_redaction_leaves_what_is_not_a_personal_number(kept: str) -> None:
    assert masking.redact(kept) == kept


def test_the_personal_kinds_are_the_normalisers_of_personal_properties() -> None:
    assert masking.personal_kinds() == {"resident_id", "phone", "bank_card"}


@pytest.mark.parametrize(
    ("written", "redacted"),
    [
        ("130 - 7076 - 5659", "130****5659"),
        ("+855 12 345 678", "+855******78"),
        ("130\u20137076\u20135659", "130****5659"),
        ("411623\uff0c19960911\uff0c4709", "411623********4709"),
        ("411623\t19960911\t4709", "411623********4709"),
        ("411623\u200b199609114709", "411623********4709"),
        ("130 -- 7076 -- 5659", "130****5659"),
        ("".join(chr(0x0660 + int(c)) for c in "13070765659"), "130****5659"),
        ("call +1 202 456 1111 / 200102030405060", "call +120******11 / 200102030405060"),
        ("+85291234567", "+852******67"),
        ("+12345678", "+123***78"),  # the fewest digits any number has
        ("6228/4850/3586/8024/796", "622848*********4796"),
        ("411623_19960911_4709", "411623********4709"),
    ],
)
def test_redaction_finds_numbers_written_with_other_separators_and_other_countries_phones(
    written: str, redacted: str
) -> None:
    assert masking.redact(written) == redacted


def test_the_shipped_mappings_personal_columns_are_every_one_that_feeds_a_personal_value() -> None:
    """Enumerated from the mappings: every column a stream reads a birth date, an ID
    number or a document number from."""
    import connectors
    from hub.settings import Settings

    fields = masking.record_fields()
    for source in connectors.source_maps(Settings()).values():
        for stream in source.streams.values():
            for identifier in stream.identity.identifiers:
                assert identifier.column in fields.numbers, (source.source, stream.name)
            if "id_number" in stream.person:
                assert stream.person["id_number"] in fields.numbers
            if "birth_date" in stream.identity.features:
                assert set(stream.identity.features["birth_date"].columns) <= fields.dates


def test_a_mapping_folders_source_has_its_raw_birth_dates_hidden_and_documents_masked(
    tmp_path: Path,
) -> None:
    from hub.world.outside import feed_mapping

    record = dict(rec_id="A000001", given_name="Ann", surname="Example", town="Leeds")
    raw = json.dumps(record | {"date_of_birth": "19850312", "ni_number": "QQ 12 34 56 C"})
    shipped = json.loads(masking.redact(raw))
    assert shipped["ni_number"] == "QQ 12 34 56 C"  # no mapping says what it is
    (tmp_path / "agency.yaml").write_text(feed_mapping("agency"))
    fields = masking.record_fields(tmp_path)
    assert "date_of_birth" in fields.dates and "ni_number" in fields.numbers
    shown = json.loads(masking.redact(raw, fields))
    assert shown["date_of_birth"] is None
    assert shown["ni_number"] == "QQ********* C"
    assert (shown["given_name"], shown["town"], shown["rec_id"]) == ("Ann", "Leeds", "A000001")
    # a mapping added later is read when the folder changes
    (tmp_path / "clinic.yaml").write_text(
        feed_mapping("clinic").replace("date_of_birth", "dob").replace("ni_number", "passport")
    )
    later = masking.record_fields(tmp_path)
    assert "dob" in later.dates and "passport" in later.numbers


def test_redaction_time_grows_with_the_text_not_its_cube() -> None:
    """A variable of thousands of one-digit groups (a request anyone may send) is
    redacted in the time of a few readings of it: each group starts at most one number
    per length a card can have, never one per group after it."""
    from unittest import mock

    for n in (1_000, 4_000):
        with mock.patch.object(masking, "_joined", wraps=masking._joined) as joined:
            masking.redact(" ".join(["1"] * n))
        assert 0 < joined.call_count <= n * masking._LONGEST


def test_a_mapping_folder_that_cannot_be_read_masks_every_number_of_a_raw_record(
    tmp_path: Path,
) -> None:
    (tmp_path / "broken.yaml").write_text("streams: [unclosed\n")
    fields = masking.record_fields(tmp_path)
    assert not fields.complete
    raw = json.dumps({"dob": "1985-03-12", "ref": "QZ 12 34 56 C", "town": "Leeds"})
    shown = json.loads(masking.redact(raw, fields))
    assert shown == {"dob": "19******12", "ref": "QZ********* C", "town": "Leeds"}
