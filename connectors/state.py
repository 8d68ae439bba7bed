"""What a sync remembers in the graph beside the data: each stream's cursor and last run,
each file feed's manifest (`connectors.manifest`), the quarantine, and who is syncing a
source (its lock)."""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from neo4j import Driver, ManagedTransaction

from connectors.manifest import Entry, Manifest
from hub.errors import HubError


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


def save_run(driver: Driver, source: str, streams: list[str], database: str | None = None) -> None:
    """Record that a sync looked at `streams` and found nothing new: their last run moves,
    their cursor and rows (those of the last run that wrote) stay."""
    if streams:
        driver.execute_query(
            "UNWIND $ids AS id MERGE (s:SyncState {stream_id: id}) SET s.last_run = $now",
            ids=[f"{source}/{stream}" for stream in streams],
            now=datetime.now(UTC),
            database_=database,
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


# The cursor a stream shows (`hub sources`, /metrics): a file feed keeps none, so its
# cursor is the newest file it loaded (the greatest name: the day is in the name).
CURSOR = (
    "OPTIONAL CALL (s) { MATCH (f:SourceFile) WHERE f.source + '/' + f.feed = s.stream_id "
    "  AND f.outcome = 'loaded' RETURN max(f.name) AS newest_file } "
    "WITH s, coalesce(s.cursor, newest_file) AS cursor "
)


def sources(driver: Driver, database: str | None = None) -> list[dict[str, Any]]:
    """Every stream's cursor (a file feed's: its newest file loaded), last run and
    quarantine count (rows, and for a file feed the files quarantined or held as a
    whole), for `hub sources`."""
    records, _, _ = driver.execute_query(
        "MATCH (s:SyncState) " + CURSOR + "OPTIONAL CALL (s) { MATCH (q:Quarantine) "
        "  WHERE q.source + '/' + q.stream = s.stream_id RETURN count(q) AS held } "
        "OPTIONAL CALL (s) { MATCH (f:SourceFile) WHERE f.source + '/' + f.feed = s.stream_id "
        "  AND f.outcome <> 'loaded' RETURN count(f) AS files_held } "
        "RETURN s.stream_id AS stream, cursor, s.last_run AS last_run, "
        "s.rows AS rows, held, files_held ORDER BY stream",
        database_=database,
        routing_="r",
    )
    return [r.data() for r in records]


# -- the manifest of file feeds ------------------------------------------------------------

_ENTRY = (
    "file_id", "feed", "name", "size", "mtime_ns", "checksum", "outcome", "loaded_checksum",
    "reason", "encoding", "rows", "written", "quarantined",
)  # fmt: skip


def load_manifest(
    driver: Driver, source: str, feeds: list[str], database: str | None = None
) -> Manifest:
    records, _, _ = driver.execute_query(
        "MATCH (f:SourceFile) WHERE f.source = $source AND f.feed IN $feeds "
        "RETURN collect(f {.*}) AS files",
        source=source,
        feeds=feeds,
        database_=database,
        routing_="r",
    )
    out: Manifest = {feed: {} for feed in feeds}
    for found in records[0]["files"]:
        entry = Entry(**{k: found.get(k) for k in _ENTRY if k != "file_id"})
        out[entry.feed][entry.name] = entry
    return out


def record_files(
    driver: Driver, source: str, entries: list[Entry], database: str | None = None
) -> None:
    """Write manifest entries; called only after the rows of a loaded file are written."""
    if not entries:
        return
    rows = [
        {**asdict(e), "file_id": f"{source}/{e.feed}/{e.name}", "source": source} for e in entries
    ]
    driver.execute_query(
        "UNWIND $rows AS row MERGE (f:SourceFile {file_id: row.file_id}) "
        "SET f += row, f.loaded_at = CASE WHEN row.outcome = 'loaded' "
        "AND row.loaded_checksum <> coalesce(f.loaded_checksum, '') "
        "THEN $now ELSE f.loaded_at END",
        rows=rows,
        now=datetime.now(UTC),
        database_=database,
    )


# -- one sync per source ---------------------------------------------------------------


class SourceBusy(HubError):
    """Another sync holds the source's lock."""


@dataclass(frozen=True)
class Holder:
    """A sync that holds (or wants) a source's lock."""

    host: str
    pid: int

    @property
    def name(self) -> str:
        return f"{self.host}:{self.pid}"

    @classmethod
    def me(cls) -> Holder:
        return cls(socket.gethostname(), os.getpid())


_TAKE = (
    "MERGE (l:SyncLock {source: $source}) "
    "WITH l, l.holder IS NULL OR l.holder = $holder OR l.expires_at < $now "
    "OR (l.host = $host AND l.pid = $gone) AS free "
    "FOREACH (_ IN CASE WHEN free THEN [1] ELSE [] END | "
    "  SET l.holder = $holder, l.host = $host, l.pid = $pid, "
    "  l.since = CASE WHEN l.holder = $holder THEN l.since ELSE $now END, "
    "  l.expires_at = $expires) "
    "RETURN free, l.holder AS holder, l.since AS since, l.expires_at AS expires_at, "
    "l.host AS host, l.pid AS pid"
)


def take_lock(
    driver: Driver,
    source: str,
    holder: Holder,
    ttl: float,
    database: str | None = None,
) -> None:
    """Take (or renew) the lock of `source` for `ttl` seconds. It is free when nobody
    holds it, when it expired (its holder stopped renewing it: killed), or when its
    holder's process is gone from this host. Raises SourceBusy naming the holder."""
    now = datetime.now(UTC)
    held, _, _ = driver.execute_query(
        "MATCH (l:SyncLock {source: $source}) RETURN l.host AS host, l.pid AS pid",
        source=source,
        database_=database,
    )
    gone = None
    if held and held[0]["host"] == holder.host and held[0]["pid"] != holder.pid:
        gone = held[0]["pid"] if not _running(held[0]["pid"]) else None
    records, _, _ = driver.execute_query(
        _TAKE,
        source=source,
        holder=holder.name,
        host=holder.host,
        pid=holder.pid,
        gone=gone,
        now=now,
        expires=now + timedelta(seconds=ttl),
        database_=database,
    )
    found = records[0]
    if not found["free"]:
        since = found["since"].to_native().strftime("%Y-%m-%d %H:%M:%S UTC")
        expires = found["expires_at"].to_native().strftime("%H:%M:%S UTC")
        raise SourceBusy(
            f"{source} is being synced by {found['holder']} since {since} (its lock runs "
            f"to {expires} and is renewed while it runs); wait for it to end"
        )


def release_lock(driver: Driver, source: str, holder: Holder, database: str | None = None) -> None:
    """Free the lock (once, without retries: if the database is gone, the lock expires)."""
    with driver.session(database=database) as session:
        session.run(
            "MATCH (l:SyncLock {source: $source, holder: $holder}) DELETE l",
            source=source,
            holder=holder.name,
        ).consume()


def _running(pid: int | None) -> bool:
    """Whether process `pid` of this host runs."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True
