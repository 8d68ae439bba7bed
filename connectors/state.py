"""Sync cursors and quarantine, kept in the graph beside the data they describe."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from neo4j import Driver, ManagedTransaction


def load_cursor(
    driver: Driver, source: str, stream: str, database: str | None = None
) -> str | None:
    records, _, _ = driver.execute_query(
        "MATCH (s:SyncState {stream_id: $id}) RETURN s.cursor AS cursor",
        id=f"{source}/{stream}",
        database_=database,
        routing_="r",
    )
    return records[0]["cursor"] if records else None


def _save(tx: ManagedTransaction, params: dict[str, Any]) -> None:
    tx.run(
        "MERGE (s:SyncState {stream_id: $id}) "
        "SET s.cursor = $cursor, s.last_run = $now, s.rows = $rows, s.quarantined = $quarantined",
        params,
    ).consume()


def save_cursor(
    driver: Driver,
    source: str,
    stream: str,
    cursor: str | None,
    rows: int,
    quarantined: int,
    database: str | None = None,
) -> None:
    """Called only after the rows the cursor covers are written."""
    with driver.session(database=database) as session:
        session.execute_write(
            _save,
            {
                "id": f"{source}/{stream}",
                "cursor": cursor,
                "now": datetime.now(UTC),
                "rows": rows,
                "quarantined": quarantined,
            },
        )


def unchanged(driver: Driver, rows: list[tuple[str, str]], database: str | None = None) -> set[str]:
    """Of `rows` (record id, raw content), the ids the graph already holds exactly so, as a
    record or in quarantine: a source asked for what changed at or after a cursor sends the
    record at the cursor again."""
    if not rows:
        return set()
    records, _, _ = driver.execute_query(
        "UNWIND $rows AS row "
        "OPTIONAL MATCH (r:Record {record_id: row[0]}) "
        "OPTIONAL MATCH (q:Quarantine {quarantine_id: row[0]}) "
        "WITH row WHERE r.raw = row[1] OR q.raw = row[1] "
        "RETURN collect(row[0]) AS ids",
        rows=[list(row) for row in rows],
        database_=database,
        routing_="r",
    )
    return set(records[0]["ids"])


def _claim(tx: ManagedTransaction, origins: dict[str, str]) -> dict[str, str]:
    held = tx.run(
        "UNWIND keys($origins) AS id MATCH (s:SyncState {stream_id: id}) "
        "WHERE s.origin IS NOT NULL AND s.origin <> $origins[id] "
        "RETURN s.stream_id AS id, s.origin AS origin ORDER BY id",
        origins=origins,
    )
    conflicts = {r["id"]: r["origin"] for r in held}
    if not conflicts:
        tx.run(
            "UNWIND keys($origins) AS id MERGE (s:SyncState {stream_id: id}) "
            "SET s.origin = $origins[id]",
            origins=origins,
        ).consume()
    return conflicts


def claim(driver: Driver, origins: dict[str, str], database: str | None = None) -> dict[str, str]:
    """Mark each stream (`source/stream`: origin) as synced from that origin, unless the
    graph holds cursors of another origin for any of them: then write nothing and return
    those streams with the origin they hold."""
    if not origins:
        return {}
    with driver.session(database=database) as session:
        return session.execute_write(_claim, origins)


def sources(driver: Driver, database: str | None = None) -> list[dict[str, Any]]:
    """Every stream's cursor, last run and quarantine count, for `hub sources`."""
    records, _, _ = driver.execute_query(
        "MATCH (s:SyncState) "
        "OPTIONAL CALL (s) { MATCH (q:Quarantine) "
        "  WHERE q.source + '/' + q.stream = s.stream_id RETURN count(q) AS held } "
        "RETURN s.stream_id AS stream, s.cursor AS cursor, s.last_run AS last_run, "
        "s.rows AS rows, held ORDER BY stream",
        database_=database,
        routing_="r",
    )
    return [r.data() for r in records]
