"""Creates the constraints and indexes the graph schema calls for, idempotently.

Everything here is derived from `graph_schema`: a uniqueness constraint on the key
of every node type, a range index on every property declared with
`index: true` and on the key of every keyed relationship type, and one full-text index
over the properties declared `fulltext: true`. Indexes and constraints the hub named
after one of its labels or relationship types (`Label_property[_unique]`) that the
schema no longer declares are dropped: a stale uniqueness constraint would refuse
writes the schema allows, and every stale index slows every write. Indexes named
otherwise (the token lookups, a DBA's own) are left alone. The schema version and
digest are recorded on the single `(:HubSchema {name: 'graph'})` node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neo4j import Driver, ManagedTransaction

from graph_schema import GraphSchema, ident, schema


@dataclass(frozen=True)
class Statement:
    name: str
    cypher: str


@dataclass
class MigrationReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    version: int = 0
    digest: str = ""


def statements(gs: GraphSchema) -> list[Statement]:
    """The constraint and range-index statements, in a stable order."""
    out: list[Statement] = []
    for node in gs.nodes.values():
        label = ident(node.label)
        name = f"{node.label}_{node.key}_unique"
        out.append(
            Statement(
                name,
                f"CREATE CONSTRAINT {ident(name)} IF NOT EXISTS "
                f"FOR (n:{label}) REQUIRE n.{ident(node.key)} IS UNIQUE",
            )
        )
        for prop in node.properties.values():
            if prop.index and prop.name != node.key:
                name = f"{node.label}_{prop.name}"
                out.append(
                    Statement(
                        name,
                        f"CREATE INDEX {ident(name)} IF NOT EXISTS "
                        f"FOR (n:{label}) ON (n.{ident(prop.name)})",
                    )
                )
    for rel in gs.relationships.values():
        if rel.key:
            name = f"{rel.type}_{rel.key}"
            out.append(
                Statement(
                    name,
                    f"CREATE INDEX {ident(name)} IF NOT EXISTS "
                    f"FOR ()-[r:{ident(rel.type)}]-() ON (r.{ident(rel.key)})",
                )
            )
    return out


def _fulltext(gs: GraphSchema) -> Statement:
    labels, props = gs.fulltext_fields()
    on = ", ".join(f"n.{ident(p)}" for p in props)
    return Statement(
        gs.fulltext_name,
        f"CREATE FULLTEXT INDEX {ident(gs.fulltext_name)} IF NOT EXISTS "
        f"FOR (n:{'|'.join(ident(label) for label in labels)}) ON EACH [{on}] "
        "OPTIONS {indexConfig: {`fulltext.analyzer`: $analyzer, "
        "`fulltext.eventually_consistent`: $eventually_consistent}}",
    )


def _existing(tx: ManagedTransaction) -> dict[str, dict[str, object]]:
    rows = tx.run(
        "SHOW INDEXES YIELD name, type, labelsOrTypes, properties, options, owningConstraint "
        "RETURN name, type, labelsOrTypes, properties, options, owningConstraint"
    )
    return {r["name"]: dict(r) for r in rows}


def migrate(
    driver: Driver,
    gs: GraphSchema | None = None,
    database: str | None = None,
    *,
    fulltext_awaited: bool = True,
) -> MigrationReport:
    """Bring the database's constraints and indexes in line with the graph schema.

    What is missing is created in one transaction, so that Neo4j fills the new indexes
    together (one pass over the store) and is waited for once; the full-text index too
    unless `fulltext_awaited` is false (then `settle` waits for it: the first load
    through the importer fills it while identity resolution runs)."""
    gs = gs or schema()
    report = MigrationReport(version=gs.version, digest=gs.digest)
    with driver.session(database=database) as session:
        existing = session.execute_read(_existing)
        # Constraints own a backing index of the same name, so one listing covers both.
        declared = statements(gs)
        for name in _obsolete(gs, existing, {st.name for st in declared}):
            kind = "CONSTRAINT" if existing[name]["owningConstraint"] else "INDEX"
            session.run(f"DROP {kind} {ident(name)} IF EXISTS").consume()
            report.dropped.append(name)
        missing = []
        for st in declared:
            if st.name in existing:
                report.kept.append(st.name)
            else:
                report.created.append(st.name)
                missing.append(st)

        labels, props = gs.fulltext_fields()
        fulltext = _fulltext(gs)
        current = existing.get(gs.fulltext_name)
        if current is not None and (
            sorted(current["labelsOrTypes"] or []) != sorted(labels)  # type: ignore[call-overload]
            or list(current["properties"] or []) != props  # type: ignore[call-overload]
            or _config(current, "fulltext.analyzer") != gs.fulltext_analyzer
            or _config(current, "fulltext.eventually_consistent")
            != gs.fulltext_eventually_consistent
        ):
            session.run(f"DROP INDEX {ident(gs.fulltext_name)} IF EXISTS").consume()
            report.replaced.append(gs.fulltext_name)
            current = None
        if current is not None:
            report.kept.append(gs.fulltext_name)
        else:
            report.created.append(gs.fulltext_name)
        if missing or current is None:
            # schema commands cannot run in a managed transaction: an explicit one
            with session.begin_transaction() as tx:
                for st in missing:
                    tx.run(st.cypher).consume()
                if current is None:
                    tx.run(
                        fulltext.cypher,
                        analyzer=gs.fulltext_analyzer,
                        eventually_consistent=gs.fulltext_eventually_consistent,
                    ).consume()
                tx.commit()
        if fulltext_awaited:
            session.run("CALL db.awaitIndexes(600)").consume()
        else:
            for st in missing:
                session.run("CALL db.awaitIndex($name, 600)", name=st.name).consume()

        session.execute_write(_record_version, gs.version, gs.digest)
    return report


def settle(driver: Driver, database: str | None = None) -> None:
    """Wait until every index is filled (after `migrate` with `fulltext_awaited` false)."""
    with driver.session(database=database) as session:
        session.run("CALL db.awaitIndexes(600)").consume()


def _obsolete(
    gs: GraphSchema, existing: dict[str, dict[str, object]], declared: set[str]
) -> list[str]:
    """Names of hub-named indexes and constraints the schema does not declare."""
    owners = [*gs.nodes, *gs.relationships]
    return sorted(
        name
        for name in existing
        if name not in declared
        and name != gs.fulltext_name
        and any(name.startswith(f"{owner}_") for owner in owners)
    )


def _config(index: dict[str, object], name: str) -> object:
    options = index.get("options") or {}
    config = options.get("indexConfig", {}) if isinstance(options, dict) else {}
    return config.get(name)


def _record_version(tx: ManagedTransaction, version: int, digest: str) -> None:
    tx.run(
        "MERGE (m:HubSchema {name: 'graph'}) "
        "WITH m WHERE m.digest IS NULL OR m.digest <> $digest "
        "SET m.version = $version, m.digest = $digest, m.migrated_at = datetime()",
        version=version,
        digest=digest,
    ).consume()


def recorded_version(driver: Driver, database: str | None = None) -> tuple[int, str] | None:
    """The (version, digest) recorded in the graph, or None if never migrated."""
    records, _, _ = driver.execute_query(
        "MATCH (m:HubSchema {name: 'graph'}) RETURN m.version AS version, m.digest AS digest",
        database_=database,
        routing_="r",
    )
    if not records:
        return None
    return int(records[0]["version"]), str(records[0]["digest"])
