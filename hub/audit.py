"""The audit trail: one event per GraphQL operation or CLI action, in a keyed chain
anchored outside the graph.

Each event records who (user, role, unit, client), what (action, SHA-256 of the query
text, variables and justification with personal numbers redacted, ids of the entities
returned), how it ended (allowed, denied, error, and why) and how long it took. Events
are numbered from 1 and each carries the previous event's hash and its own: an HMAC
over all its fields with a key the database does not hold (`HUB_AUDIT_KEY`, `Seal`).
Editing or deleting an event breaks the chain there, and someone who can write to the
database cannot seal a rewritten chain again without the key.

The head of the chain (its last sequence number and hash) is also written outside the
graph, to an append-only file (`HUB_AUDIT_ANCHOR`) and the log, every
`HUB_AUDIT_ANCHOR_EVERY` seconds and when the API stops: `verify` checks the chain
against every anchor, so that even deleting the latest events and their head is found.

The API does not wait for the trail: `Writer.record` queues the event and a thread
appends queued events in order, a batch per transaction; `close` (on SIGTERM, as the
server stops) writes what is still queued. Each append locks the chain's head node
first, so the API's writer and CLI commands (`append`) never interleave.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import queue
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from neo4j import Driver, ManagedTransaction

from hub import db, keyfile, masking
from hub.access import Principal
from hub.queries import audit as queries
from hub.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ALLOWED, DENIED, ERROR = "allowed", "denied", "error"
# Longest text an event keeps of a request's variables, reason and action: a client
# cannot make the trail store a megabyte per request.
MAX_VARIABLES, MAX_REASON, MAX_ACTION = 4096, 1000, 200


@dataclass(frozen=True)
class Seal:
    """What seals the chain and where its head is anchored."""

    key: bytes
    anchor: Path | None = None
    every: float = 60.0  # seconds between anchors written by the API's writer

    @classmethod
    def of(cls, settings: Settings) -> Seal:
        return cls(_key(settings), settings.audit_anchor_path, settings.audit_anchor_every)

    def mac(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def anchor_head(self, seq: int, hash_: str) -> None:
        """Write the chain's head outside the graph: a line of the anchor file (appended,
        never rewritten) and of the log."""
        log.info("audit head %d %s", seq, hash_)
        if self.anchor is None or seq == 0:
            return
        line = json.dumps({"at": datetime.now(UTC).isoformat(), "seq": seq, "hash": hash_})
        self.anchor.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.anchor, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as out:
            out.write(line + "\n")

    def anchors(self) -> Iterator[tuple[int, str, str]]:
        """(seq, hash, when) of every anchor written so far."""
        if self.anchor is None or not self.anchor.exists():
            return
        for line in self.anchor.read_text().splitlines():
            try:
                found = json.loads(line)
                yield int(found["seq"]), str(found["hash"]), str(found.get("at", ""))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash


def _key(settings: Settings) -> bytes:
    """HUB_AUDIT_KEY, or a key generated once in the data directory."""
    if settings.audit_key:
        return settings.audit_key.encode()
    return _generated(settings.data_dir / "audit-key")


@cache
def _generated(path: Path) -> bytes:
    return keyfile.made_once(path, lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)))


def _default() -> Seal:
    return Seal.of(Settings.from_env())


def _capped(text: str | None, most: int) -> str | None:
    if text is None or len(text) <= most:
        return text
    return f"{text[:most]}... ({len(text)} characters)"


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
    """An event for `principal` (None: not authenticated), with personal numbers redacted.

    Never raises (fail closed): a part that cannot be recorded (redacted, written as
    JSON) is left out and the event's reason says which and why, so that whatever a
    request sent, what it did leaves an event."""
    lost: list[str] = []

    def made(part: str, build: Callable[[], T]) -> T | None:
        try:
            return build()
        except Exception as exc:
            lost.append(f"{part}: {type(exc).__name__}")
            return None

    shown_action = made("action", lambda: _capped(masking.redact(action), MAX_ACTION))
    query_hash = (
        made("query hash", lambda: hashlib.sha256(str(query).encode()).hexdigest())
        if query is not None
        else None
    )
    shown_variables = made("variables", lambda: _variables(variables)) if variables else None
    entity_ids = made("entities", lambda: tuple(dict.fromkeys(entities)))
    said = made("reason", lambda: _capped(masking.redact(reason), MAX_REASON)) if reason else None
    justified = (
        made("justification", lambda: _capped(masking.redact(justification), MAX_REASON))
        if justification
        else None
    )
    return Event(
        at=datetime.now(UTC),
        user=principal.user if principal else "",
        role=str(principal.role) if principal else "",
        unit=principal.unit if principal else None,
        client=client or (principal.client if principal else ""),
        action=shown_action or "",
        outcome=outcome,
        query_hash=query_hash,
        variables=shown_variables,
        entities=entity_ids or (),
        reason=_lacking(said, lost),
        duration_ms=round((time.perf_counter() - started) * 1000, 3) if started else 0.0,
        justification=justified,
    )


def _variables(variables: Mapping[str, Any]) -> str | None:
    text = json.dumps(masking.redact(dict(variables)), ensure_ascii=False, sort_keys=True)
    return _capped(text, MAX_VARIABLES)


def _lacking(reason: str | None, lost: list[str]) -> str | None:
    """The event's reason, and what it lacks."""
    if not lost:
        return reason
    lacks = f"the audit event lacks its {', '.join(lost)}"
    return f"{reason}; {lacks}" if reason else lacks


def _micros(at: datetime) -> int:
    return (at - EPOCH) // timedelta(microseconds=1)


def digest(fields: Mapping[str, Any], seal: Seal) -> str:
    """The hash of an event: the HMAC of every property but `hash` itself, canonically,
    with `at` in microseconds since the epoch."""
    body = {k: v for k, v in fields.items() if k != "hash"}
    body["entities"] = list(body.get("entities") or [])
    return seal.mac(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")))


def _chain(
    events: list[Event], seq: int, prev: str, seal: Seal
) -> tuple[list[dict[str, Any]], int, str]:
    """The rows to store, `at` in microseconds (the statement makes it a datetime): the
    writer shares the interpreter with the requests, and `asdict` (a deep copy) and the
    driver's conversion of a datetime were most of its time."""
    rows = []
    for e in events:
        seq += 1
        row = {k: _storable(v) for k, v in vars(e).items() if v is not None}
        row.update(at=_micros(e.at), entities=list(e.entities), seq=seq, prev_hash=prev)
        row["hash"] = prev = digest(row, seal)
        rows.append(row)
    return rows, seq, prev


def _storable(value: Any) -> Any:
    """Text as the database and the HMAC can take it: a lone surrogate (a command line's
    undecodable bytes, a request's broken escape) becomes "?" rather than an event that
    can never be written, holding back every event after it."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def _writer_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{time.time_ns()}"


def _append(
    driver: Driver,
    events: list[Event],
    database: str | None,
    seal: Seal,
    after: tuple[int, str] | None = None,
) -> tuple[int, str]:
    """Append `events`; the new head. `after`: where this writer last left the chain:
    while no other writer appended since, one statement appends (one round trip rather
    than four: the API's writer shares the interpreter and the database with the
    requests); otherwise the head is locked and read first."""
    with driver.session(database=database) as session:
        if after is not None:
            rows, last, last_hash = _chain(events, *after, seal)
            if queries.append_after(session, _writer_id(), after, rows, last, last_hash):
                return last, last_hash

        def work(tx: ManagedTransaction) -> tuple[int, str]:
            seq, prev = queries.head(tx, _writer_id())
            rows, last, last_hash = _chain(events, seq, prev, seal)
            queries.append(tx, rows, last, last_hash)
            return last, last_hash

        return session.execute_write(work)


def append(
    driver: Driver, events: list[Event], database: str | None = None, seal: Seal | None = None
) -> int:
    """Append events to the chain in one transaction and anchor the new head (a CLI
    action is rare); the sequence number of the last."""
    seal = seal or _default()
    seq, hash_ = _append(driver, events, database, seal)
    seal.anchor_head(seq, hash_)
    return seq


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

    def __init__(
        self, driver: Driver, database: str | None = None, seal: Seal | None = None
    ) -> None:
        self._driver = driver
        self._database = database
        self._seal = seal or _default()
        self._head: tuple[int, str] | None = None  # the last appended, not yet anchored
        self._end: tuple[int, str] | None = None  # where this writer left the chain
        self._anchored = time.monotonic()
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
        """Write what is queued, anchor the head, and stop; after `wait` seconds give up
        (the database is gone) and say how many events were not written."""
        self._queue.put(None)
        self._thread.join(wait)
        if self._thread.is_alive():
            self._given_up.set()
            log.warning(
                "audit: %d or more events were not written: the database did not answer for %.0f s",
                max(0, self._queue.qsize() - 1),  # the queue holds the stop sign too
                wait or 0,
            )
            return
        self._anchor()

    def _anchor(self) -> None:
        if self._head is not None:
            self._seal.anchor_head(*self._head)
            self._head = None
        self._anchored = time.monotonic()

    def _next(self) -> Event | None:
        """The next event recorded; while a head waits to be anchored, the wait ends
        when it is due (the head of a chain that fell quiet is anchored too)."""
        while True:
            if self._head is None:
                return self._queue.get()
            due = self._anchored + self._seal.every - time.monotonic()
            try:
                return self._queue.get(timeout=max(due, 0.0))
            except queue.Empty:
                self._anchor()

    def _run(self) -> None:
        while True:
            first = self._next()
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
        end = self._end
        waiting = False
        while not self._given_up.is_set():
            try:
                self._head = self._end = _append(
                    self._driver, batch, self._database, self._seal, end
                )
                if time.monotonic() - self._anchored >= self._seal.every:
                    self._anchor()
                return
            except Exception as exc:  # the trail must not be lost for a passing outage
                end = None  # the chain's end is read again: did the failed append commit?
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


def verify(
    driver: Driver, database: str | None = None, page: int = 5000, seal: Seal | None = None
) -> Verdict:
    """Check the whole chain, and the chain against its anchors; the first event that
    does not fit, and why."""
    seal = seal or _default()
    anchored: dict[int, tuple[str, str]] = {}
    for number, hash_, at in seal.anchors():
        anchored.setdefault(number, (hash_, at))
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
                if digest(native, seal) != native.get("hash"):
                    verdict.broken, verdict.why = (
                        seq,
                        "it was changed after it was written (or sealed with another "
                        "HUB_AUDIT_KEY)",
                    )
                    return verdict
                if seq in anchored and anchored[seq][0] != native["hash"]:
                    verdict.broken, verdict.why = (
                        seq,
                        f"it is not the event anchored at {anchored[seq][1]}: the chain "
                        "was rewritten from there",
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
    beyond = [number for number in anchored if number >= expected_seq]
    if beyond:
        verdict.broken = expected_seq
        verdict.why = (
            f"the chain ends at event {expected_seq - 1} but event {max(beyond)} was "
            f"anchored at {anchored[max(beyond)][1]}: later events were deleted"
        )
    return verdict
