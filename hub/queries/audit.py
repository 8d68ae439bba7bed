"""The audit chain in the graph: AuditEvent nodes and the AuditHead that orders them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from neo4j import AsyncDriver, ManagedTransaction, Query, RoutingControl, Session

# Writing `writer` takes the head's write lock for the rest of the transaction, so the
# head read next is the latest committed one and appends from several processes (the
# API's writer, CLI commands) queue up behind each other.
LOCK = (
    "MERGE (h:AuditHead {name: 'audit'}) ON CREATE SET h.seq = 0, h.hash = '' "
    "SET h.writer = $writer"
)
HEAD = "MATCH (h:AuditHead {name: 'audit'}) RETURN h.seq AS seq, h.hash AS hash"
# `at` comes in microseconds since the epoch.
APPEND = (
    "UNWIND $events AS e CREATE (a:AuditEvent) "
    "SET a = e {.*, at: datetime({epochSeconds: e.at / 1000000, "
    "                            nanosecond: e.at % 1000000 * 1000})} "
    "WITH count(a) AS n MATCH (h:AuditHead {name: 'audit'}) SET h.seq = $seq, h.hash = $hash"
)
# The same in one statement, if the chain still ends where the writer last left it: the
# head is locked (SET) before it is compared, and nothing is written if another writer
# appended since (no row comes back; the caller then appends as above).
APPEND_AFTER = (
    "MATCH (h:AuditHead {name: 'audit'}) SET h.writer = $writer "
    "WITH h WHERE h.seq = $after AND h.hash = $after_hash "
    "UNWIND $events AS e CREATE (a:AuditEvent) "
    "SET a = e {.*, at: datetime({epochSeconds: e.at / 1000000, "
    "                            nanosecond: e.at % 1000000 * 1000})} "
    "WITH h, count(a) AS n SET h.seq = $seq, h.hash = $hash RETURN n"
)
PAGE = "MATCH (e:AuditEvent) WHERE e.seq > $after RETURN properties(e) AS e ORDER BY e.seq LIMIT $n"
SEARCH = (
    "MATCH (e:AuditEvent) "
    "WHERE ($user IS NULL OR e.user = $user) AND ($entity IS NULL OR $entity IN e.entities) "
    "AND ($from IS NULL OR e.at >= $from) AND ($to IS NULL OR e.at < $to) "
    "RETURN properties(e) AS e ORDER BY e.seq DESC LIMIT $limit"
)


def head(tx: ManagedTransaction, writer: str) -> tuple[int, str]:
    """Lock the chain's end and read it."""
    tx.run(LOCK, writer=writer).consume()
    record = tx.run(HEAD).single(strict=True)
    return int(record["seq"]), str(record["hash"])


def append(tx: ManagedTransaction, events: list[dict[str, Any]], seq: int, hash_: str) -> None:
    tx.run(APPEND, events=events, seq=seq, hash=hash_).consume()


def append_after(
    session: Session,
    writer: str,
    after: tuple[int, str],
    events: list[dict[str, Any]],
    seq: int,
    hash_: str,
) -> bool:
    """APPEND_AFTER in a transaction of its own (one round trip); whether it appended."""
    params = {"writer": writer, "after": after[0], "after_hash": after[1]}
    result = session.run(APPEND_AFTER, params, events=events, seq=seq, hash=hash_)
    return result.single() is not None


def page(tx: ManagedTransaction, after: int, n: int) -> list[dict[str, Any]]:
    return [r["e"] for r in tx.run(PAGE, after=after, n=n)]


def chain_head(tx: ManagedTransaction) -> tuple[int, str] | None:
    record = tx.run(HEAD).single()
    return None if record is None else (int(record["seq"]), str(record["hash"]))


async def search(
    driver: AsyncDriver,
    *,
    user: str | None,
    entity: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    timeout: float,
    database: str | None = None,
) -> list[dict[str, Any]]:
    result = await driver.execute_query(
        Query(SEARCH, timeout=timeout),
        {"user": user, "entity": entity, "from": since, "to": until, "limit": limit},
        routing_=RoutingControl.READ,
        database_=database,
    )
    return [r["e"] for r in result.records]
