"""One source system as an HTTP service: bearer token, faults, then a page of a stream.

Every path answers in the system's own shapes: 401 without the right bearer token (before
anything else), an injected fault if the dice say so, 405 for anything but GET, 404 for
an unknown stream, 400 for a parameter that does not parse, else a page.
"""

from __future__ import annotations

import asyncio
import secrets

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.simulate.clock import parse_instant
from hub.simulate.simulation import Simulation
from hub.simulate.systems import DEFAULT_LIMIT, MAX_LIMIT
from hub.simulate.tables import CursorError

__all__ = ["system_app"]

_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_REASONS = {
    400: "bad request",
    401: "unauthorized",
    404: "not found",
    405: "method not allowed",
    429: "too many requests",
    500: "internal server error",
    502: "bad gateway",
    503: "service unavailable",
}


class _BadParameter(ValueError):
    pass


def _authorized(request: Request, token: str) -> bool:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        credentials.strip().encode("utf-8"), token.encode("utf-8")
    )


def _param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value or None


def _limit(text: str | None, name: str) -> int:
    if text is None:
        return DEFAULT_LIMIT
    try:
        limit = int(text)
    except ValueError as exc:
        raise _BadParameter(f"{name} must be a whole number, not {text!r}") from exc
    if limit < 1:
        raise _BadParameter(f"{name} must be at least 1, not {limit}")
    return min(limit, MAX_LIMIT)


def system_app(sim: Simulation, name: str) -> Starlette:
    """The ASGI app of one system (cases, fraud or fugitives) over the shared simulation."""
    state = sim.systems[name]
    system = state.system

    def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        state.counts[str(status)] += 1
        return Response(
            system.error(status, message),
            status_code=status,
            media_type="application/json",
            headers=headers,
        )

    async def endpoint(request: Request) -> Response:
        if not _authorized(request, state.token):
            return error(
                401, "missing or invalid bearer token", {"WWW-Authenticate": 'Bearer realm="api"'}
            )
        decision = state.injector.decide()
        if decision.kind == "429":
            retry = state.injector.faults.retry_after_header
            return error(429, f"rate limit exceeded, retry in {retry}s", {"Retry-After": retry})
        if decision.kind == "5xx":
            return error(decision.status, f"{_REASONS[decision.status]} (injected fault)")
        if decision.delay:
            state.counts[decision.kind] += 1
            await asyncio.sleep(decision.delay)
        return answer(request)

    def answer(request: Request) -> Response:
        if request.method != "GET":
            return error(405, f"{request.method} is not allowed; use GET", {"Allow": "GET"})
        stream = system.stream_of(request.url.path)
        table = None if stream is None else state.tables.get(stream)
        if table is None:
            known = ", ".join(system.prefix + s for s in state.tables)
            return error(404, f"no stream at {request.url.path}; streams: {known}")
        since_text = _param(request, system.since_param)
        try:
            since = None if since_text is None else parse_instant(since_text)
        except ValueError:
            return error(400, f"{system.since_param} is not an ISO 8601 date-time: {since_text!r}")
        try:
            limit = _limit(_param(request, system.limit_param), system.limit_param)
            page = table.page(sim.clock.now, since, _param(request, system.cursor_param), limit)
        except _BadParameter as exc:
            return error(400, str(exc))
        except CursorError as exc:
            return error(400, f"bad {system.cursor_param}: {exc}")
        state.counts["200"] += 1
        return Response(system.page(page.rows, page.next_cursor), media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=_METHODS)])
