from neo4j import Driver

from graph_schema import schema
from hub.migrate import migrate, recorded_version, statements


def _indexes(driver: Driver) -> list[str]:
    records, _, _ = driver.execute_query("SHOW INDEXES YIELD name RETURN name")
    return [r["name"] for r in records]


def _constraints(driver: Driver) -> list[str]:
    records, _, _ = driver.execute_query("SHOW CONSTRAINTS YIELD name RETURN name")
    return [r["name"] for r in records]


def test_migrate_twice_creates_each_constraint_and_index_once(graph: Driver) -> None:
    gs = schema()
    second = migrate(graph)
    assert second.created == []
    indexes, constraints = _indexes(graph), _constraints(graph)
    assert len(indexes) == len(set(indexes))
    assert len(constraints) == len(set(constraints))
    declared = {st.name for st in statements(gs)} | {gs.fulltext_name}
    assert declared <= set(indexes)
    for node in gs.nodes.values():
        assert f"{node.label}_{node.key}_unique" in constraints


def test_schema_version_is_recorded(graph: Driver) -> None:
    gs = schema()
    assert recorded_version(graph) == (gs.version, gs.digest)


def test_fulltext_index_covers_names_and_numbers(graph: Driver) -> None:
    records, _, _ = graph.execute_query(
        "SHOW FULLTEXT INDEXES YIELD name, labelsOrTypes, properties "
        "WHERE name = $name RETURN labelsOrTypes, properties",
        name=schema().fulltext_name,
    )
    assert len(records) == 1
    assert {"Person", "Phone", "BankAccount", "Case"} <= set(records[0]["labelsOrTypes"])
    assert {"name", "name_pinyin", "id_number", "number", "title"} <= set(records[0]["properties"])


def test_a_changed_fulltext_definition_is_replaced(graph: Driver) -> None:
    graph.execute_query("DROP INDEX entity_text")
    graph.execute_query("CREATE FULLTEXT INDEX entity_text FOR (n:Person) ON EACH [n.name]")
    report = migrate(graph)
    assert report.replaced == ["entity_text"]
    records, _, _ = graph.execute_query(
        "SHOW FULLTEXT INDEXES YIELD name, properties WHERE name = 'entity_text' RETURN properties"
    )
    assert "number" in records[0]["properties"]


def test_indexes_the_schema_no_longer_declares_are_dropped(graph: Driver) -> None:
    graph.execute_query("CREATE CONSTRAINT Phone_uid_unique FOR (n:Phone) REQUIRE n.uid IS UNIQUE")
    graph.execute_query("CREATE INDEX Person_nickname FOR (n:Person) ON (n.nickname)")
    graph.execute_query("CREATE INDEX analyst_own FOR (n:Person) ON (n.shoe_size)")
    try:
        report = migrate(graph)
        assert report.dropped == ["Person_nickname", "Phone_uid_unique"]
        assert "Phone_uid_unique" not in _constraints(graph)
        assert "analyst_own" in _indexes(graph)
        assert migrate(graph).dropped == []
    finally:
        graph.execute_query("DROP INDEX analyst_own IF EXISTS")
