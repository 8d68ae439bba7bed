from pathlib import Path

import pytest

from connectors.mapping import HERE, load, load_layout
from graph_schema import schema
from hub.errors import SchemaError
from hub.resolution import records


@pytest.mark.parametrize("name", ["cases", "fraud", "fugitives", "bigdata"])
def test_the_shipped_mappings_load(name: str) -> None:
    mapping = load(HERE / f"{name}.yaml")
    assert mapping.source == name
    assert mapping.streams


BAD = [
    (
        "streams:\n  s:\n    id: a\n    cursor: u\n    nodes:\n      - {label: Suspect, key: a}\n",
        7,
        "unknown node label 'Suspect'",
    ),
    (
        "streams:\n  s:\n    id: a\n    cursor: u\n    nodes:\n      - {label: Phone, key: a, set: {colour: c}}\n",
        7,
        "Phone has no property 'colour'",
    ),
    (
        "streams:\n  s:\n    id: a\n    cursor: u\n    nodes:\n      - {label: Phone, key: a}\n    relationships:\n      - {type: HOLDS, start: person, end: a}\n",
        9,
        "HOLDS start 'person' is not a node",
    ),
    (
        "streams:\n  s:\n    id: a\n    cursor: u\n    person: {name: n}\n    nodes:\n      - {label: Phone, key: a}\n    relationships:\n      - {type: HOLDS, start: person, end: a}\n",
        10,
        "HOLDS cannot end at Phone",
    ),
    ("streams:\n  s:\n    cursor: u\n", 4, "needs 'id'"),
]


@pytest.mark.parametrize(("body", "line", "message"), BAD)
def test_a_bad_mapping_names_its_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    path = tmp_path / "feed.yaml"
    path.write_text("source: x\n" + body)  # so the body's line n is the file's n + 1
    with pytest.raises(SchemaError, match=f"feed.yaml:{line}: .*{message}"):
        load(path)


PERSON_BAD = [
    ("person: {shoe_size: s}", "'shoe_size' is not a person feature"),
    ("person: {name: n, identifiers: [{column: p, type: visa}]}", "unknown identifier type 'visa'"),
    ("person: {name: n, identifiers: [{column: p, type: other}]}", "needs a 'scheme'"),
    ("person: {name: n, identifiers: [{column: p}]}", "give 'type' or 'type_column'"),
    ("person: {name: n, sex: {column: s, format: x}}", "only birth_date takes a format"),
    ("person: {phone: p}", "the column of the name or of an identifier"),
]


@pytest.mark.parametrize(("body", "message"), PERSON_BAD)
def test_a_bad_person_layout_is_refused_with_its_reason(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "layout.yaml"
    path.write_text(body + "\n")
    with pytest.raises(SchemaError, match=message):
        load_layout(path)


def test_a_layout_builds_features_from_several_columns_and_declared_identifiers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "layout.yaml"
    path.write_text(
        "row_id: ref\nperson:\n  name: [given, family]\n"
        "  birth_date: {column: dob, format: '%d/%m/%Y'}\n"
        "  address: [street, town]\n  identifiers:\n"
        "    - {column: doc, type_column: doc_type}\n"
        "    - {column: ni, type: other, scheme: ni}\n"
    )
    layout = load_layout(path)
    assert layout.row_id == "ref"
    assert layout.person.columns() == {
        "given", "family", "dob", "street", "town", "doc", "doc_type", "ni",
    }  # fmt: skip
    row = {"given": "Ka Ming", "family": "Wong", "dob": "02/01/1990", "street": "1 Nathan Rd",
           "town": "Kowloon", "doc": "h1234567(8)", "doc_type": "16", "ni": "ab 12 34 56 c"}  # fmt: skip
    values = records.extract(layout.person, row)
    got = records.features_of("list:1", values)
    assert got["name"] == "Ka Ming Wong" and set(got["readings"]) == {"kamingwong"}
    assert got["birth"] == "1990-01-02"
    assert got["docs"] == ["hk_macao_permit:H12345678", "other/ni:AB123456C"]
    assert got["address"] == "1nathanrdkowloon"
    assert got["unit"] == "R:list:1" and got["errors"] == []
    bad = records.extract(layout.person, {**row, "dob": "1990-13-45", "doc_type": "77"})
    assert bad["errors"] == [
        "birth_date: not a date in the form %d/%m/%Y",
        "doc: unknown document type code '77'",
    ]
    assert "birth_date" not in bad and len(bad["documents"]) == 1


def test_every_identifier_type_is_declared_with_a_normaliser_the_hub_has() -> None:
    from hub.normalise import NORMALISERS

    declared = schema().identifiers
    assert {"resident_id", "passport", "hk_macao_permit", "taiwan_permit", "driving_licence",
            "other"} <= set(declared)  # fmt: skip
    assert [t.name for t in declared.values() if t.trusted] == ["resident_id"]
    for kind in declared.values():
        assert kind.normaliser in NORMALISERS
        for code in kind.codes:
            assert schema().identifier_by_code(code) == kind
