import shutil
from pathlib import Path

import pytest

from graph_schema import ident, load, schema
from graph_schema.model import HERE, INTERNAL
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
        (
            "nodes/x.yaml",
            "label: X\nkey: a\nvisibility: {colour: red}\nproperties: {a: {type: string}}",
            "x.yaml: unknown visibility rules",
        ),
        (
            "nodes/x.yaml",
            "label: X\nkey: a\nvisibility: {inherit: HAS_PHONE}\nproperties: {a: {type: string}}",
            "'HAS_PHONE' is no relationship of X",
        ),
        (
            "nodes/x.yaml",
            "label: X\nkey: a\nvisibility: {users: [b]}\nproperties: {a: {type: string}}",
            "'b', not a property of X",
        ),
        (
            "nodes/x.yaml",
            "label: X\nkey: a\nproperties: {a: {type: string}, scope: {type: string}}",
            "'scope' is set by hub/scope.py",
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


def test_a_type_that_says_nothing_of_who_may_see_it_is_seen_by_nobody(tmp_path: Path) -> None:
    root = copy(tmp_path)
    (root / "nodes" / "x.yaml").write_text(
        "label: X\nkey: a\nproperties: {a: {type: string}}", encoding="utf-8"
    )
    declared = load(root)
    assert declared.node("X").restricted and "X" in declared.restricted()
    assert declared.node("X").visibility == INTERNAL


def test_scopes_deriving_from_each_other_in_a_cycle_are_refused(tmp_path: Path) -> None:
    root = copy(tmp_path)
    alert = (root / "nodes" / "alert.yaml").read_text(encoding="utf-8")
    record = (root / "nodes" / "record.yaml").read_text(encoding="utf-8")
    (root / "relationships" / "cites.yaml").write_text(
        "type: CITES\nsource: Record\ntarget: Alert\nproperties: {}", encoding="utf-8"
    )
    (root / "nodes" / "record.yaml").write_text(
        record.replace("inherit: RECORD_OF", "inherit: [RECORD_OF, CITES]"), encoding="utf-8"
    )
    (root / "nodes" / "alert.yaml").write_text(
        alert.replace("inherit: ABOUT", "inherit: [ABOUT, CITES]"), encoding="utf-8"
    )
    with pytest.raises(SchemaError, match="in a cycle"):
        load(root)
