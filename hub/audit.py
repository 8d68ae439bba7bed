"""The audit trail: one event per GraphQL operation or CLI action, in a hash chain.

Each event records who (user, role, unit, client), what (action, SHA-256 of the query
text, variables with personal numbers redacted, ids of the entities returned), how it
ended (allowed, denied, error, and why) and how long it took. Events are numbered
from 1 and each carries the previous event's hash and its own, a SHA-256 over all its
fields: editing or deleting an event breaks the chain there, and `verify` names the
first event that does not fit.

The API does not wait for the trail: `Writer.record` queues the event and a thread
appends queued events in order, a batch per transaction. Each append locks the chain's
head node first, so the API's writer and CLI commands (`append`) never interleave.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from neo4j import Driver, ManagedTransaction

from hub import db, masking
from hub.access import Principal
from hub.queries import audit as queries

log = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ALLOWED, DENIED, ERROR = "allowed", "denied", "error"


@dataclass(frozen=True)
class Event:
    at: datetime
    user: str
    role: str
    unit: str | None
    client: str
    action: str
    outcome: str
    query_hash: str | None = None
    variables: str | None = None
    entities: tuple[str, ...] = ()
    reason: str | None = None
    duration_ms: float = 0.0
    justification: str | None = None


def event(
    principal: Principal | None,
    action: str,
    outcome: str,
    *,
    client: str | None = None,
    query: str | None = None,
    variables: Mapping[str, Any] | None = None,
    entities: Iterable[str] = (),
    reason: str | None = None,
    started: float | None = None,
    justification: str | None = None,
) -> Event:
    """An event for `principal` (None: not authenticated), with personal numbers redacted."""
    return Event(
        at=datetime.now(UTC),
        user=principal.user if principal else "",
        role=str(principal.role) if principal else "",
        unit=principal.unit if principal else None,
        client=client or (principal.client if principal else ""),
        action=action,
        outcome=outcome,
        query_hash=hashlib.sha256(query.encode()).hexdigest() if query is not None else None,
        variables=json.dumps(masking.redact(dict(variables)), ensure_ascii=False, sort_keys=True)
        if variables
        else None,
        entities=tuple(dict.fromkeys(entities)),
        reason=masking.redact(reason) if reason else None,
        duration_ms=round((time.perf_counter() - started) * 1000, 3) if started else 0.0,
        justification=justification,
    )


def _micros(at: datetime) -> int:
    return (at - EPOCH) // timedelta(microseconds=1)


def digest(fields: Mapping[str, Any]) -> str:
    """The hash of an event: every property but `hash` itself, canonically, with `at` in
    microseconds since the epoch."""
    body = {k: v for k, v in fields.items() if k != "hash"}
    body["entities"] = list(body.get("entities") or [])
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _chain(events: list[Event], seq: int, prev: str) -> tuple[list[dict[str, Any]], int, str]:
    """The rows to store, `at` in microseconds (the statement makes it a datetime): the
    writer shares the interpreter with the requests, and `asdict` (a deep copy) and the
    driver's conversion of a datetime were most of its time."""
    rows = []
    for e in events:
        seq += 1
        row = {k: v for k, v in vars(e).items() if v is not None}
        row.update(at=_micros(e.at), entities=list(e.entities), seq=seq, prev_hash=prev)
        row["hash"] = prev = digest(row)
        rows.append(row)
    return rows, seq, prev


def _writer_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{time.time_ns()}"


def append(driver: Driver, events: list[Event], database: str | None = None) -> int:
    """Append events to the chain in one transaction; the sequence number of the last."""

    def work(tx: ManagedTransaction) -> int:
        seq, prev = queries.head(tx, _writer_id())
        rows, last, last_hash = _chain(events, seq, prev)
        queries.append(tx, rows, last, last_hash)
        return last

    with driver.session(database=database) as session:
        return session.execute_write(work)


class Writer:
    """Appends recorded events in the background, in the order they were recorded.

    After the first event of a batch it waits LINGER seconds for more, so that the
    API appends many events per transaction rather than one per request: each append is
    four round trips and a forced write of Neo4j's transaction log, from a thread that
    shares the interpreter with the requests (waiting 20 ms, an investigator's look-ups
    one after another each paid for their own: `person` took 15 ms over HTTP, waiting
    250 ms 11.6 ms). An event is in the graph at most LINGER after its request ends;
    `flush` and `close` wait for it."""

    BATCH = 500
    LINGER = 0.25

    def __init__(self, driver: Driver, database: str | None = None) -> None:
        self._driver = driver
        self._database = database
        self._queue: queue.Queue[Event | None] = queue.Queue()
        self._given_up = threading.Event()  # closed while the database was gone
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def record(self, event: Event) -> None:
        self._queue.put_nowait(event)

    def queued(self) -> int:
        """Events recorded and not yet written (about: the queue's own count)."""
        return self._queue.qsize()

    def flush(self) -> None:
        """Wait until every event recorded so far is in the graph."""
        self._queue.join()

    def close(self, wait: float | None = None) -> None:
        """Write what is queued and stop; after `wait` seconds give up (the database
        is gone) and say how many events were not written."""
        self._queue.put(None)
        self._thread.join(wait)
        if self._thread.is_alive():
            self._given_up.set()
            log.warning(
                "audit: %d or more events were not written: the database did not answer for %.0f s",
                max(0, self._queue.qsize() - 1),  # the queue holds the stop sign too
                wait or 0,
            )

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._queue.task_done()
                return
            # Sleeping rather than waiting on the queue: a wait wakes this thread, and
            # takes the interpreter lock from the requests, for every event recorded.
            time.sleep(self.LINGER)
            batch, stop = [first], False
            while len(batch) < self.BATCH and not stop:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    self._queue.task_done()
                else:
                    batch.append(more)
            self._write(batch)
            for _ in batch:
                self._queue.task_done()
            if stop:
                return

    def _write(self, batch: list[Event]) -> None:
        delay = 0.5
        waiting = False
        while not self._given_up.is_set():
            try:
                append(self._driver, batch, self._database)
                return
            except Exception as exc:  # the trail must not be lost for a passing outage
                if not db.unreachable(exc):
                    log.exception("audit: appending %d events failed; retrying", len(batch))
                elif not waiting:  # the outage itself is said once by the API (hub.outage)
                    log.info("audit: %d events wait for the database", len(batch))
                    waiting = True
                time.sleep(delay)
                # Tried again soon: the events must be written before the API stops.
                delay = min(delay * 2, 2.0)


@dataclass
class Verdict:
    checked: int = 0
    broken: int | None = None  # sequence number of the first event that does not fit
    why: str = ""

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(driver: Driver, database: str | None = None, page: int = 5000) -> Verdict:
    """Check the whole chain; the first event that does not fit, and why."""
    verdict = Verdict()
    expected_seq, prev = 1, ""
    with driver.session(database=database) as session:
        while True:
            rows = session.execute_read(queries.page, expected_seq - 1, page)
            for row in rows:
                native: dict[str, Any] = {
                    k: (_micros(v.to_native()) if k == "at" else v) for k, v in row.items()
                }
                seq = native.get("seq")
                if seq != expected_seq:
                    verdict.broken, verdict.why = (
                        expected_seq,
                        (f"event {expected_seq} is missing (next is {seq})"),
                    )
                    return verdict
                if native.get("prev_hash") != prev:
                    verdict.broken, verdict.why = seq, "does not follow the event before it"
                    return verdict
                if digest(native) != native.get("hash"):
                    verdict.broken, verdict.why = (
                        seq,
                        "it was changed after it was written",
                    )
                    return verdict
                prev = native["hash"]
                expected_seq += 1
                verdict.checked += 1
            if len(rows) < page:
                break
        head = session.execute_read(queries.chain_head)
    if head is not None and head != (expected_seq - 1, prev):
        verdict.broken = expected_seq
        verdict.why = (
            f"the chain ends at event {expected_seq - 1} but its head says {head[0]}: "
            "later events were deleted"
        )
    return verdict
