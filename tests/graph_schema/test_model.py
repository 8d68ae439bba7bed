import shutil
from pathlib import Path

import pytest

from graph_schema import ident, load, schema
from graph_schema.model import HERE
from hub.errors import SchemaError
from hub.normalise import NORMALISERS


def test_the_design_node_types_are_declared() -> None:
    declared = set(schema().nodes)
    assert {
        "Person", "Phone", "BankAccount", "Vehicle", "Place", "Case",
        "Warrant", "Unit", "Operation", "Alert", "Record",
    } <= declared  # fmt: skip


def test_every_declared_normaliser_exists() -> None:
    assert schema().normalisers <= set(NORMALISERS)


def test_keys_and_endpoints_are_consistent() -> None:
    gs = schema()
    for node in gs.nodes.values():
        assert node.key in node.properties
    for rel in gs.relationships.values():
        assert set(rel.sources) | set(rel.targets) <= set(gs.nodes)


def copy(tmp_path: Path) -> Path:
    root = tmp_path / "schema"
    shutil.copytree(HERE, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("nodes/x.yaml", "label: X\nkey: nope\nproperties: {a: {type: string}}", "key 'nope'"),
        ("nodes/x.yaml", "label: X\nkey: a\nproperties: {a: {type: text}}", "unknown type 'text'"),
        (
            "nodes/x.yaml",
            "label: 'X) DETACH DELETE n //'\nkey: a\nproperties: {a: {type: string}}",
            "not a valid identifier",
        ),
        (
            "nodes/x.yaml",
            "label: Person\nkey: uid\nproperties: {uid: {type: string}}",
            "declared twice",
        ),
        (
            "relationships/x.yaml",
            "type: X\nsource: Person\ntarget: Ghost\nproperties: {}",
            "'Ghost' is not a declared node type",
        ),
        ("nodes/x.yaml", "label: [unclosed", "not valid YAML"),
        (
            "nodes/x.yaml",
            "label: X\nkey: a\nproperties: {a: {type: string}, at: {type: date}}",
            "'at' is a date here and a datetime elsewhere",
        ),
    ],
)
def test_bad_declarations_are_refused_with_the_file_named(
    tmp_path: Path, file: str, text: str, message: str
) -> None:
    root = copy(tmp_path)
    (root / file).write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError, match=message):
        load(root)


def test_the_digest_follows_the_declarations(tmp_path: Path) -> None:
    root = copy(tmp_path)
    before = load(root).digest
    assert before == schema().digest
    (root / "nodes" / "unit.yaml").write_text(
        "label: Unit\nkey: code\nproperties: {code: {type: string}, name: {type: string}}"
    )
    assert load(root).digest != before


def test_identifiers_are_checked_before_they_reach_cypher() -> None:
    assert ident("Person") == "`Person`"
    with pytest.raises(SchemaError):
        ident("Person`) DETACH DELETE n //")
