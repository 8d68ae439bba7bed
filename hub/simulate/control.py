"""The control server: read the simulators' state, move the clock, switch faults.

No token, but it answers loopback clients only (403 for anyone else).

- ``GET /status``: clock, faults per system, rows visible (and in total) per stream,
  requests per system by outcome, the drop folder and what it holds.
- ``POST /clock`` with ``{"now": ISO}`` or ``{"advance_hours": n}``: move the clock
  forward (backwards is refused with 400), drop the big-data files now due; answers the
  status.
- ``POST /faults/{system}`` with ``{"rate_429": 0..1, "retry_after": s, "rate_5xx": 0..1,
  "rate_slow": 0..1, "slow_seconds": s, "rate_timeout": 0..1, "timeout_seconds": s}``
  (missing keys: 0 or the defaults) replaces that system's faults;
  ``POST /faults/{system}/clear`` switches them off. Both answer the system's faults.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.simulate.clock import ClockError, parse_instant
from hub.simulate.faults import FaultError, Faults
from hub.simulate.simulation import Simulation

__all__ = ["LoopbackOnly", "control_app", "is_loopback"]


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


class LoopbackOnly:
    """ASGI middleware: 403 for every client that is not on this machine's loopback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            if not is_loopback(client[0] if client else None):
                response = JSONResponse(
                    {"error": "the control server answers loopback clients only"}, 403
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request) -> dict[str, object]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _clock_request(body: dict[str, object]) -> tuple[datetime | None, float | None]:
    unknown = sorted(set(body) - {"now", "advance_hours"})
    if unknown or len(body) != 1:
        raise ValueError('send exactly one of {"now": ISO 8601} or {"advance_hours": n}')
    if "now" in body:
        now = body["now"]
        if not isinstance(now, str):
            raise ValueError(f"now must be an ISO 8601 string, not {now!r}")
        try:
            return parse_instant(now), None
        except ValueError as exc:
            raise ValueError(f"now is not an ISO 8601 date-time: {now!r}") from exc
    hours = body["advance_hours"]
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        raise ValueError(f"advance_hours must be a number, not {hours!r}")
    return None, float(hours)


def control_app(sim: Simulation) -> ASGIApp:
    """The control server's ASGI app, loopback clients only."""

    async def status(request: Request) -> Response:
        return JSONResponse(sim.status())

    async def clock(request: Request) -> Response:
        try:
            now, hours = _clock_request(await _body(request))
            await sim.move_clock(now=now, hours=hours)
        except (ClockError, ValueError) as exc:
            return _error(400, str(exc))
        return JSONResponse(sim.status())

    async def faults(request: Request) -> Response:
        name = request.path_params["system"]
        state = sim.systems.get(name)
        if state is None:
            return _error(404, f"no system {name!r}; known: {', '.join(sim.systems)}")
        if request.url.path.endswith("/clear"):
            state.injector.faults = Faults()
        else:
            try:
                state.injector.faults = Faults.from_json(await _body(request))
            except (FaultError, ValueError) as exc:
                return _error(400, str(exc))
        return JSONResponse({name: state.injector.faults.as_json()})

    async def http_error(request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        return _error(code, f"{request.method} {request.url.path}: {exc}")

    app = Starlette(
        routes=[
            Route("/status", status, methods=["GET"]),
            Route("/clock", clock, methods=["POST"]),
            Route("/faults/{system}", faults, methods=["POST"]),
            Route("/faults/{system}/clear", faults, methods=["POST"]),
        ],
        exception_handlers={HTTPException: http_error},
    )
    return LoopbackOnly(app)
