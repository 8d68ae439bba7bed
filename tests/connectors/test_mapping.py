from pathlib import Path

import pytest

from connectors.mapping import HERE, load
from hub.errors import SchemaError


@pytest.mark.parametrize("name", ["cases", "fraud", "fugitives"])
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
