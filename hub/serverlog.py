"""The API server's log: one line per event, as text or as JSON (HUB_LOG_FORMAT=json),
each naming the request it belongs to.

Every HTTP request and WebSocket gets a request id: the client's `X-Request-Id` when it
sends a short one of letters, digits, `.`, `_` and `-` (a proxy's, so one request can be
followed from the proxy to the hub), else a new one. The answer carries it back in
`X-Request-Id`, and every line logged while the request is handled carries it as
`request_id`. A JSON line is one object: `time` (ISO 8601, UTC), `level`, `logger`,
`message`, `request_id` when there is one, `process`, and `exception` with the
traceback when one was logged.

The driver's own messages (a retry, a lost connection) are left out: the hub says in
one line when the database is gone and when it is back (`hub.outage`).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import db
from hub.settings import Settings

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
HEADER = b"x-request-id"
_GIVEN = re.compile(rb"[A-Za-z0-9._-]{1,64}")
# The driver logs each retry and each lost connection; during an outage of the database
# that is a line per request and per retry.
DRIVER = ("neo4j.io", "neo4j.pool", "neo4j.session")


def request_id() -> str | None:
    """The id of the request being handled, if any."""
    return REQUEST_ID.get()


class RequestIds:
    """Gives every HTTP request and WebSocket its id, and sends it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", []) if k == HEADER), b"")
        rid = given.decode() if _GIVEN.fullmatch(given) else uuid.uuid4().hex[:16]
        token = REQUEST_ID.set(rid)

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            REQUEST_ID.reset(token)


class WithRequestId(logging.Filter):
    """Puts the current request's id on every record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        return True


class NotTheOutage(logging.Filter):
    """Leaves out the traceback GraphQL would log for each request that found the
    database gone: `hub.outage` says it once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and db.unreachable(record.exc_info[1]))


class JsonLines(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid and rid != "-":
            line["request_id"] = rid
        line["process"] = record.process
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_config(settings: Settings) -> dict[str, Any]:
    """The logging configuration of `hub serve` (handed to uvicorn): uvicorn's lines and
    the hub's own, as text or JSON, on stderr, with the request id."""
    if settings.log_format == "json":
        formatter: dict[str, Any] = {"()": JsonLines}
    else:
        formatter = {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        }
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "hub",
        "filters": ["request_id"],
    }
    level = settings.log_level.upper()
    loggers: dict[str, Any] = {
        name: {"handlers": ["hub"], "level": level, "propagate": False}
        for name in ("uvicorn", "uvicorn.error", "hub", "resolvers", "strawberry", "neo4j")
    }
    loggers["strawberry.execution"] = {
        "handlers": ["hub"],
        "level": level,
        "propagate": False,
        "filters": ["outage"],
    }
    loggers["uvicorn.access"] = {"handlers": ["hub"], "level": "WARNING", "propagate": False}
    for name in DRIVER:
        loggers[name] = {"level": "CRITICAL", "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": WithRequestId}, "outage": {"()": NotTheOutage}},
        "formatters": {"hub": formatter},
        "handlers": {"hub": handler},
        "loggers": loggers,
    }
