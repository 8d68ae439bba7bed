"""Cypher of identity resolution: person records in, judgements and merges out.

A merge of person M into person C moves every relationship of M to C, marked
`merged_from: M`, and turns M into a MergedPerson that remembers `merged_into: C`. A
split moves the marked relationships back and gives M its Person label again. Only
relationship types that graph_schema declares for Person are touched; their names are
checked against it before they reach a statement.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from neo4j import Driver, ManagedTransaction

from graph_schema import MOVED, GraphSchema, ident, schema
from hub import scope as scoping
from hub import survivorship
from hub.access import visible

__all__ = [
    "absorb",
    "add_blocks",
    "aliases",
    "blocks",
    "clear_blocks",
    "delete_automatic",
    "fresh_aliases",
    "heads",
    "judgements",
    "judgements_of",
    "load_model",
    "mark_resolved",
    "merges_around",
    "note_errors",
    "person_records",
    "person_uids",
    "persons_of",
    "records_by_id",
    "records_of",
    "release",
    "store_model",
    "units_of",
    "write_judgements",
]

_BATCH = 2000


def person_records(
    driver: Driver,
    database: str | None,
    only_new: bool = False,
    scope: dict[str, Any] | None = None,
) -> list[Any]:
    """(source, stream, record_id, raw, resolved) of every record of a person (that
    `scope` may see, when a user asks: `hub.access`)."""
    tests = ["r.resolved IS NULL"] * only_new + [visible("r", ["Record"])] * (scope is not None)
    where = f"WHERE {' AND '.join(tests)} " if tests else ""
    # the new ones are found from the persons' side, which holds fewer records to look at
    found = (
        "MATCH (:Person)<-[:RECORD_OF]-(r:Record) " + where + "WITH DISTINCT r "
        if only_new
        else "MATCH (r:Record) " + where + "WITH r WHERE EXISTS { (r)-[:RECORD_OF]->(:Person) } "
    )
    records, _, _ = driver.execute_query(
        found + "RETURN r.source AS source, r.stream AS stream, r.record_id AS record_id, "
        "r.raw AS raw, r.resolved AS resolved",
        scope=scope,
        database_=database,
    )  # fmt: skip
    return records


def records_by_id(
    driver: Driver, database: str | None, ids: list[str], scope: dict[str, Any] | None = None
) -> list[Any]:
    """(source, stream, record_id, raw) of the records with these ids (those `scope` may
    see, when a user asks: `hub.access`)."""
    where = f"WHERE {visible('r', ['Record'])} " if scope is not None else ""
    out: list[Any] = []
    for i in range(0, len(ids), _BATCH):
        records, _, _ = driver.execute_query(
            f"UNWIND $ids AS id MATCH (r:Record {{record_id: id}}) {where}"
            "RETURN r.source AS source, r.stream AS stream, r.record_id AS record_id, r.raw AS raw",
            ids=ids[i : i + _BATCH],
            scope=scope,
            database_=database,
        )
        out += records
    return out


def units_of(driver: Driver, database: str | None, ids: list[str]) -> dict[str, set[str]]:
    """The units (the persons they made, before any merge) of the records with these
    ids, as the graph holds them."""
    out: dict[str, set[str]] = {}
    for i in range(0, len(ids), 10 * _BATCH):
        records, _, _ = driver.execute_query(
            "UNWIND $ids AS id MATCH (r:Record {record_id: id})-[o:RECORD_OF]->(p:Person) "
            f"RETURN id, coalesce(o.{MOVED}, p.uid) AS unit",
            ids=ids[i : i + 10 * _BATCH],
            database_=database,
        )
        for r in records:
            out.setdefault(r["id"], set()).add(r["unit"])
    return out


def note_errors(driver: Driver, database: str | None, rows: list[dict[str, Any]]) -> None:
    """Note on each record (`record_id`, `errors`) the fields that could not be read."""
    for i in range(0, len(rows), _BATCH):
        driver.execute_query(
            "UNWIND $rows AS row MATCH (r:Record {record_id: row.record_id}) "
            "SET r.field_errors = row.errors",
            rows=rows[i : i + _BATCH],
            database_=database,
        )


def add_blocks(driver: Driver, database: str | None, rows: list[dict[str, Any]], cap: int) -> None:
    """Add each record (`record_id`, `keys`) to its blocking keys. A key keeps its
    records' ids while it has at most `cap`; past that only its count. Adding a record
    a key already lists changes nothing."""
    keyed = [{"key": k, "ids": ids} for k, ids in members(rows).items()]
    for i in range(0, len(keyed), 10 * _BATCH):
        # one row per key: no row reads what another row of the statement wrote
        driver.execute_query(
            "UNWIND $rows AS row MERGE (k:BlockKey {key: row.key}) "
            "WITH k, [x IN row.ids WHERE k.records IS NULL OR NOT x IN k.records] AS fresh "
            "WITH k, fresh, coalesce(k.count, 0) + size(fresh) AS n "
            "SET k.count = n, k.records = CASE WHEN n <= $cap "
            "THEN coalesce(k.records, []) + fresh ELSE null END",
            rows=keyed[i : i + 10 * _BATCH],
            cap=cap,
            database_=database,
        )


def members(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The records (`record_id`, `keys`) of each blocking key, sorted, keys in order."""
    found: dict[str, set[str]] = {}
    for row in rows:
        for key in row["keys"]:
            found.setdefault(key, set()).add(row["record_id"])
    return {k: sorted(ids) for k, ids in sorted(found.items())}


def blocks(driver: Driver, database: str | None, keys: list[str]) -> dict[str, list[str]]:
    """The records of each key that has at most the cap of them (others make no pairs)."""
    out: dict[str, list[str]] = {}
    for i in range(0, len(keys), 10 * _BATCH):
        records, _, _ = driver.execute_query(
            "UNWIND $keys AS key MATCH (k:BlockKey {key: key}) WHERE k.records IS NOT NULL "
            "RETURN collect([k.key, k.records]) AS found",
            keys=keys[i : i + 10 * _BATCH],
            database_=database,
        )
        out |= {k: list(ids) for k, ids in records[0]["found"]}
    return out


def clear_blocks(driver: Driver, database: str | None) -> None:
    """Delete every blocking key (a full run writes them all again)."""
    with driver.session(database=database) as session:  # batches need an implicit one
        session.run(
            "MATCH (k:BlockKey) CALL (k) { DELETE k } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()


def store_model(
    driver: Driver, database: str | None, body: str, records: int, summary: str
) -> None:
    driver.execute_query(
        "MERGE (m:ResolutionModel {model_id: 'person'}) "
        "SET m.json = $body, m.records = $records, m.summary = $summary, "
        "m.trained_at = datetime()",
        body=body,
        records=records,
        summary=summary,
        database_=database,
    )


def load_model(driver: Driver, database: str | None) -> str | None:
    found, _, _ = driver.execute_query(
        "MATCH (m:ResolutionModel {model_id: 'person'}) RETURN m.json AS body",
        database_=database,
    )
    return found[0]["body"] if found else None


def persons_of(driver: Driver, database: str | None, units: list[str]) -> dict[str, dict[str, Any]]:
    """The person (uid and name) each unit belongs to now, merged or not."""
    records, _, _ = driver.execute_query(
        "UNWIND $units AS unit OPTIONAL MATCH (m:MergedPerson {uid: unit}) "
        "WITH unit, coalesce(m.merged_into, unit) AS head MATCH (p:Person {uid: head}) "
        "RETURN collect([unit, p.uid, p.name]) AS found",
        units=units,
        database_=database,
    )
    return {u: {"uid": uid, "name": name} for u, uid, name in records[0]["found"]}


def person_uids(driver: Driver, database: str | None) -> list[str]:
    """The uid of every person, merged or not."""
    records, _, _ = driver.execute_query(
        "MATCH (p:Person) RETURN p.uid AS uid UNION MATCH (p:MergedPerson) RETURN p.uid AS uid",
        database_=database,
    )
    return [r["uid"] for r in records]


def mark_resolved(driver: Driver, database: str | None, record_ids: list[str]) -> None:
    for i in range(0, len(record_ids), _BATCH):
        driver.execute_query(
            "UNWIND $ids AS id MATCH (r:Record {record_id: id}) SET r.resolved = true",
            ids=record_ids[i : i + _BATCH],
            database_=database,
        )


def judgements(
    driver: Driver, database: str | None, scope: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every judgement (that `scope` may see, when a user asks)."""
    where = f"WHERE {visible('j', ['Judgement'])} " if scope is not None else ""
    records, _, _ = driver.execute_query(
        f"MATCH (j:Judgement) {where}RETURN properties(j) AS j ORDER BY j.judgement_id",
        scope=scope,
        database_=database,
    )
    return [dict(r["j"]) for r in records]


def judgements_of(driver: Driver, database: str | None, units: list[str]) -> list[dict[str, Any]]:
    """The judgements that name one of these units (left or right), each once."""
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(units), _BATCH):
        records, _, _ = driver.execute_query(
            "UNWIND $units AS unit CALL (unit) { MATCH (j:Judgement {left: unit}) RETURN j "
            "UNION MATCH (j:Judgement {right: unit}) RETURN j } "
            "RETURN DISTINCT properties(j) AS j",
            units=units[i : i + _BATCH],
            database_=database,
        )
        out |= {r["j"]["judgement_id"]: dict(r["j"]) for r in records}
    return [out[k] for k in sorted(out)]


def write_judgements(driver: Driver, database: str | None, rows: list[dict[str, Any]]) -> None:
    """Store judgements, each with its scope (who may see every record it cites); an
    automatic one never replaces a manual one."""
    scoped = scoping.assign("j", "Judgement")
    for i in range(0, len(rows), _BATCH):
        batch = rows[i : i + _BATCH]
        cited = scoping.citations(
            "Judgement", ({"key": r["judgement_id"], "value": r["comparisons"]} for r in batch)
        )
        driver.execute_query(
            "UNWIND $rows AS row MERGE (j:Judgement {judgement_id: row.judgement_id}) "
            "WITH j, row WHERE row.manual OR coalesce(j.manual, false) = false "
            f"SET j += row {scoped.cypher}RETURN count(j) AS n",
            {**scoped.params, "rows": batch, "cited": cited},
            database_=database,
        )


def delete_automatic(
    driver: Driver, database: str | None, keep: list[str], units: list[str] | None = None
) -> None:
    """Delete the automatic judgements not in `keep`: every one (a full run replaces
    them all) or, with `units`, those of these units (a run over new records)."""
    if units is None:
        driver.execute_query(
            "MATCH (j:Judgement) WHERE NOT j.manual AND NOT j.judgement_id IN $keep DELETE j",
            keep=keep,
            database_=database,
        )
        return
    driver.execute_query(
        "UNWIND $units AS unit CALL (unit) { MATCH (j:Judgement {left: unit}) RETURN j "
        "UNION MATCH (j:Judgement {right: unit}) RETURN j } "
        "WITH DISTINCT j WHERE NOT j.manual AND NOT j.judgement_id IN $keep DELETE j",
        units=units,
        keep=keep,
        database_=database,
    )


def aliases(driver: Driver, database: str | None) -> dict[str, str]:
    """Merged person uid -> the uid of the person it is merged into."""
    records, _, _ = driver.execute_query(
        "MATCH (m:MergedPerson) RETURN m.uid AS uid, m.merged_into AS into",
        database_=database,
    )
    return {r["uid"]: r["into"] for r in records}


def merges_around(driver: Driver, database: str | None, units: list[str]) -> dict[str, str]:
    """Merged person uid -> the uid it is merged into, for the merged persons that are
    among `units` or merged into one of them."""
    out: dict[str, str] = {}
    for i in range(0, len(units), _BATCH):
        records, _, _ = driver.execute_query(
            "UNWIND $units AS unit CALL (unit) { MATCH (m:MergedPerson {uid: unit}) RETURN m "
            "UNION MATCH (m:MergedPerson {merged_into: unit}) RETURN m } "
            "RETURN DISTINCT m.uid AS uid, m.merged_into AS into",
            units=units[i : i + _BATCH],
            database_=database,
        )
        out |= {r["uid"]: r["into"] for r in records}
    return out


def fresh_aliases(driver: Driver, database: str | None) -> dict[str, str]:
    """Merged persons that a sync wrote again as a Person (new records of theirs)."""
    records, _, _ = driver.execute_query(
        "MATCH (m:MergedPerson) MATCH (p:Person {uid: m.uid}) "
        "RETURN m.uid AS uid, m.merged_into AS into",
        database_=database,
    )
    return {r["uid"]: r["into"] for r in records}


def _person_types(gs: GraphSchema) -> tuple[list[str], list[str]]:
    """Relationship types that leave a Person, and those that reach one."""
    out = sorted(r.type for r in gs.relationships.values() if "Person" in r.sources)
    into = sorted(r.type for r in gs.relationships.values() if "Person" in r.targets)
    return out, into


def _widen(var: str) -> str:
    """After `SET n += properties(r)`, keep provenance widened by n's earlier values."""
    return (
        f"SET {var}.first_seen = CASE WHEN f IS NOT NULL AND f < {var}.first_seen "
        f"THEN f ELSE {var}.first_seen END, "
        f"{var}.last_seen = CASE WHEN l IS NOT NULL AND l > {var}.last_seen "
        f"THEN l ELSE {var}.last_seen END, "
        f"{var}.sources = CASE WHEN s IS NULL THEN {var}.sources "
        f"ELSE s + [x IN coalesce({var}.sources, []) WHERE NOT x IN s] END "
    )


def _move_statements(gs: GraphSchema) -> list[str]:
    outgoing, incoming = _person_types(gs)
    statements = []
    for type_, arrow in [(t, "out") for t in outgoing] + [(t, "in") for t in incoming]:
        rel = gs.relationship(type_)
        t = ident(rel.type)
        keyed = f", {ident(rel.key)}: r.{ident(rel.key)}" if rel.key else ""
        old = f"(m)-[r:{t}]->(x)" if arrow == "out" else f"(x)-[r:{t}]->(m)"
        new = (
            f"(c)-[n:{t} {{{MOVED}: p.member{keyed}}}]->(x)"
            if arrow == "out"
            else f"(x)-[n:{t} {{{MOVED}: p.member{keyed}}}]->(c)"
        )
        statements.append(
            "UNWIND $pairs AS p MATCH (m:Person {uid: p.member}) MATCH (c:Person {uid: p.target}) "
            f"MATCH {old} WHERE x <> c "
            f"MERGE {new} "
            "WITH r, n, n.first_seen AS f, n.last_seen AS l, n.sources AS s "
            "SET n += properties(r) " + _widen("n") + "DELETE r"
        )
    return statements


def _fold_statement(gs: GraphSchema) -> str:
    props = [p for p in gs.node("Person").properties if p != "uid"]
    return (
        "UNWIND $pairs AS p MATCH (m:Person {uid: p.member}) "
        "MATCH (t:MergedPerson {uid: p.member}) "
        "WITH p, m, t, t.first_seen AS f, t.last_seen AS l, t.sources AS s "
        + survivorship.keep_best("t", "m", props)  # each value by its claim
        + "SET t.merged_into = p.target, "
        "t.first_seen = CASE WHEN f IS NULL OR m.first_seen < f THEN m.first_seen ELSE f END, "
        "t.last_seen = CASE WHEN l IS NULL OR m.last_seen > l THEN m.last_seen ELSE l END, "
        "t.sources = coalesce(s, []) "
        "+ [x IN coalesce(m.sources, []) WHERE NOT x IN coalesce(s, [])] "
        "DETACH DELETE m"
    )


_RETIRE = (
    "UNWIND $pairs AS p MATCH (m:Person {uid: p.member}) "
    "WHERE NOT EXISTS { MATCH (:MergedPerson {uid: p.member}) } "
    "REMOVE m:Person SET m:MergedPerson, m.merged_into = p.target"
)


def absorb(driver: Driver, database: str | None, pairs: Iterable[tuple[str, str]]) -> None:
    """Merge each Person `member` into the Person `target` (see the module docstring);
    a member already merged once and written again by a sync is folded into its
    MergedPerson."""
    rows = [{"member": m, "target": t} for m, t in pairs if m != t]
    gs = schema()
    moves = _move_statements(gs)
    fold = _fold_statement(gs)
    for i in range(0, len(rows), _BATCH):
        chunk = rows[i : i + _BATCH]

        def work(tx: ManagedTransaction, chunk: list[dict[str, str]] = chunk) -> None:
            for statement in moves:
                tx.run(statement, pairs=chunk).consume()
            tx.run(fold, pairs=chunk).consume()
            tx.run(_RETIRE, pairs=chunk).consume()

        with driver.session(database=database) as session:
            session.execute_write(work)


def _back_statements(gs: GraphSchema) -> list[str]:
    outgoing, incoming = _person_types(gs)
    statements = []
    for type_, arrow in [(t, "out") for t in outgoing] + [(t, "in") for t in incoming]:
        t = ident(gs.relationship(type_).type)
        marked = f"(c)-[n:{t}]->(x)" if arrow == "out" else f"(x)-[n:{t}]->(c)"
        restored = f"(m)-[r:{t}]->(x)" if arrow == "out" else f"(x)-[r:{t}]->(m)"
        statements.append(
            "UNWIND $members AS uid MATCH (m:MergedPerson {uid: uid}) "
            f"MATCH (c:Person {{uid: m.merged_into}}) MATCH {marked} WHERE n.{MOVED} = uid "
            f"CREATE {restored} SET r = properties(n) REMOVE r.{MOVED} DELETE n"
        )
    return statements


_REVIVE = (
    "UNWIND $members AS uid MATCH (m:MergedPerson {uid: uid}) "
    "REMOVE m:MergedPerson, m.merged_into SET m:Person"
)


def release(driver: Driver, database: str | None, members: Iterable[str]) -> None:
    """Split each merged person off again: its relationships back, its label back."""
    uids = sorted(set(members))
    statements = _back_statements(schema())
    for i in range(0, len(uids), _BATCH):
        chunk = uids[i : i + _BATCH]

        def work(tx: ManagedTransaction, chunk: list[str] = chunk) -> None:
            for statement in statements:
                tx.run(statement, members=chunk).consume()
            tx.run(_REVIVE, members=chunk).consume()

        with driver.session(database=database) as session:
            session.execute_write(work)


def person_of(driver: Driver, database: str | None, uid: str) -> dict[str, Any] | None:
    """The person `uid` names (or the one a merged person belongs to), if there is one."""
    records, _, _ = driver.execute_query(
        "OPTIONAL MATCH (m:MergedPerson {uid: $uid}) "
        "WITH coalesce(m.merged_into, $uid) AS head "
        "MATCH (p:Person {uid: head}) RETURN p.uid AS person, p.name AS name",
        uid=uid,
        database_=database,
        routing_="r",
    )
    return records[0].data() if records else None


def records_of(
    driver: Driver, database: str | None, uid: str, scope: dict[str, Any] | None = None
) -> list[Any]:
    """The records of a person (or of the person a merged one belongs to), with the
    merged person each came through (those `scope` may see, when a user asks)."""
    where = f"WHERE {visible('r', ['Record'])} " if scope is not None else ""
    records, _, _ = driver.execute_query(
        "OPTIONAL MATCH (m:MergedPerson {uid: $uid}) "
        "WITH coalesce(m.merged_into, $uid) AS head "
        f"MATCH (r:Record)-[o:RECORD_OF]->(p:Person {{uid: head}}) {where}"
        "RETURN p.uid AS person, p.name AS name, r.record_id AS record_id, r.raw AS raw, "
        "coalesce(o.merged_from, p.uid) AS unit ORDER BY unit, record_id",
        uid=uid,
        scope=scope,
        database_=database,
    )
    return records


def heads(driver: Driver, database: str | None, units: list[str]) -> dict[str, str]:
    """The person each identity (a person's uid, or a merged one's) belongs to now."""
    records, _, _ = driver.execute_query(
        "UNWIND $units AS unit "
        "OPTIONAL MATCH (p:Person {uid: unit}) OPTIONAL MATCH (m:MergedPerson {uid: unit}) "
        "WITH unit, coalesce(p.uid, m.merged_into) AS head WHERE head IS NOT NULL "
        "RETURN unit, head",
        units=units,
        database_=database,
    )
    return {r["unit"]: r["head"] for r in records}
