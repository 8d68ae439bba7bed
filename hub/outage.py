"""The API with the database gone: refuse at once, say so once, come back by itself.

While Neo4j answers, nothing here runs. When a request finds it gone (the driver cannot
connect, a connection broke, the database is stopping), `Outage.down` notes the time,
writes one warning line and starts a probe that asks Neo4j `RETURN 1` every
PROBE seconds; until a probe is answered, every request to /graphql gets 503 with
`Retry-After` at once, without waiting for the driver (`Refuse`), and an answer that
was already under way when the database went carries the GraphQL error code
DATABASE_UNAVAILABLE (`resolvers.unavailable`). The first answered probe writes one
line (how long the outage lasted, how many requests were refused) and lets requests
through again: no restart, no traceback per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import math
import time
from dataclasses import dataclass, field

from neo4j import AsyncDriver, Query
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import metrics
from hub.db import unreachable

log = logging.getLogger("hub.outage")
CODE = "DATABASE_UNAVAILABLE"
PROBE = 0.5  # seconds between probes while the database is gone
MOST_RETRY_AFTER = 10  # seconds: a long outage asks clients to wait longer, up to this


@dataclass
class Outage:
    """Whether the database is gone, seen from this API process, and since when."""

    driver: AsyncDriver
    database: str | None = None
    since: float | None = None  # monotonic time the outage was noticed
    refused: int = 0  # requests refused during the current outage
    _probe: asyncio.Task[None] | None = field(default=None, repr=False)
    _went: asyncio.Event | None = field(default=None, repr=False)  # set when it goes

    def went(self) -> asyncio.Event:
        """Set as soon as the current run of the database is noticed gone."""
        if self._went is None:
            self._went = asyncio.Event()
        return self._went

    @property
    def is_down(self) -> bool:
        return self.since is not None

    def retry_after(self) -> int:
        """Seconds a client should wait: 1 at first, longer as the outage lasts."""
        if self.since is None:
            return 1
        lasted = time.monotonic() - self.since
        return max(1, min(MOST_RETRY_AFTER, math.ceil(lasted / 10)))

    def message(self) -> str:
        return f"the database is unavailable: try again in {self.retry_after()} s"

    def down(self, exc: BaseException) -> None:
        """Note that a request found the database gone; the first notice of an outage
        writes its one line and starts the probe."""
        if self.since is not None:
            return
        self.since = time.monotonic()
        self.refused = 0
        metrics.DATABASE_UP.set(0)
        metrics.OUTAGES.inc()
        self.went().set()
        reason = " ".join(str(exc).split()) or type(exc).__name__
        reason = reason if len(reason) <= 160 else reason[:159] + "…"
        log.warning(
            "database unavailable (%s: %s): answering 503 until it is back",
            type(exc).__name__,
            reason,
        )
        # The probe belongs to no request: its lines carry no request id.
        self._probe = asyncio.get_running_loop().create_task(
            self._wait_for_it(), context=contextvars.Context()
        )

    def refuse(self) -> None:
        self.refused += 1

    async def _wait_for_it(self) -> None:
        while True:
            await asyncio.sleep(PROBE)
            try:
                async with self.driver.session(database=self.database) as session:
                    result = await session.run(Query("RETURN 1", timeout=PROBE * 4))
                    await result.consume()
            except Exception as exc:  # anything but an answer: still gone
                if not unreachable(exc):
                    log.debug("probe: %s", exc)
                continue
            break
        assert self.since is not None
        log.warning(
            "database back after %.1f s; %d requests were answered 503 meanwhile",
            time.monotonic() - self.since,
            self.refused,
        )
        self.since = None
        self._went = None
        metrics.DATABASE_UP.set(1)

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._probe


def refusal(outage: Outage) -> JSONResponse:
    retry = outage.retry_after()
    return JSONResponse(
        {"errors": [{"message": outage.message(), "extensions": {"code": CODE}}]},
        status_code=503,
        headers={"retry-after": str(retry)},
    )


class Refuse:
    """In front of /graphql: while the database is gone, 503 at once; a request whose
    handling raised because the database went away gets 503 too, if nothing of its
    answer was sent yet (authentication by API key reads the database), and so does a
    request still under way when another finds the database gone: it is cancelled
    rather than left waiting for a Neo4j that is shutting down (which lets running
    transactions go on for up to 10 s) or for the driver's retries."""

    def __init__(self, app: ASGIApp, outage: Outage) -> None:
        self.app = app
        self.outage = outage

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.outage.is_down:
            self.outage.refuse()
            await refusal(self.outage)(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        work = asyncio.ensure_future(self.app(scope, receive, sending))
        went = asyncio.ensure_future(self.outage.went().wait())
        try:
            await asyncio.wait({work, went}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the client went away
            work.cancel()
            raise
        finally:
            went.cancel()
        if not work.done() and not started:
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await work
            if started:  # it answered something on its way out
                return
            self.outage.refuse()
            await refusal(self.outage)(scope, receive, send)
            return
        try:
            await work
        except Exception as exc:
            if started or not unreachable(exc):
                raise
            self.outage.down(exc)
            self.outage.refuse()
            await refusal(self.outage)(scope, receive, send)
