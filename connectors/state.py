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
