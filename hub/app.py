"""The HTTP application: GraphQL at /graphql, liveness at /healthz, readiness at /readyz,
the workbench at / and the GraphQL IDE on a browser's GET of /graphql (`hub.web`).

A request to /graphql passes, in order: the body size limit (413), authentication
(401, `hub.auth`; 429 once its address has failed too often), the rate limit per
principal (429), then the GraphQL schema with its permissions, limits and audit
(`resolvers.guard`). A WebSocket authenticates with its Authorization header or, from a
browser, with `{"authorization": "Bearer …"}` as the payload of `connection_init`, under
the same failed-login throttle; each of its messages is held to the body size limit and
each operation to the rate limit and the schema's limits, as over HTTP. Its credentials
are checked again before each operation and each answer it is sent (`hub.sockets`), and
each operation runs with a context of its own. Only graphql-transport-ws is spoken.

The client's address is the peer's, unless the peer is one of HUB_TRUSTED_PROXIES: then
the last address in `X-Forwarded-For` that is not a trusted proxy. Failed logins count
against that address: past `FAILED_LOGINS_PER_MINUTE` (or the rate limit, if lower) they
get 429 and are no longer checked one by one (nor audited), while credentials checked
before keep working from the same address: a guesser is slowed, the colleagues behind
the same proxy are not.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import neo4j
import orjson
from cross_web import HTTPException
from neo4j import AsyncDriver, AsyncGraphDatabase, NotificationDisabledClassification, Query
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from graph_schema import schema as graph_schema
from hub import audit, db, ids, metrics, outage, serverlog, sockets, web
from hub.access import Principal, Role
from hub.auth import ANONYMOUS, Authenticator
from hub.errors import ConfigError, RateLimited, Unauthenticated
from hub.queries import generation, monitoring
from hub.ratelimit import RateLimiter
from hub.settings import Settings
from resolvers.cached import Answers
from resolvers.context import Context
from resolvers.schema import schema

log = logging.getLogger("hub.app")
PRINCIPAL = "hub.principal"  # where the gate leaves the principal in the ASGI scope
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
]
# An answer that is not a page may load nothing at all.
ANSWER_CSP = b"default-src 'none'; frame-ancestors 'none'"
# A page (the workbench) may load scripts, styles and images of the hub's own origin
# and talk to it (HTTP and WebSocket on /graphql); nothing inline, nothing elsewhere.
PAGE_CSP = (
    b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    b"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted(setting: str | None) -> list[Network]:
    """The networks of HUB_TRUSTED_PROXIES."""
    out = []
    for part in (setting or "").split(","):
        if part.strip():
            try:
                out.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ConfigError(
                    f"HUB_TRUSTED_PROXIES: {part.strip()!r} is not an address or network"
                ) from None
    return out


def _within(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(scope: Scope, proxies: list[Network]) -> str:
    """The client's address: the peer, or behind trusted proxies the last address in
    X-Forwarded-For that is not one of them (a client cannot choose what it says)."""
    client = scope.get("client")
    peer = str(client[0]) if client else "unknown"
    if not proxies or not _within(peer, proxies):
        return peer
    hops = [h.strip() for h in (_header(scope, b"x-forwarded-for") or "").split(",")]
    for hop in reversed([h for h in hops if h]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a mangled header names nobody
        if not _within(hop, proxies):
            return hop
    return peer


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


# Failed logins an address may make in a burst, then one every 60/this seconds: far
# fewer than a user's requests, as each costs a hash check (`hub.keys`).
FAILED_LOGINS_PER_MINUTE = 20


class Doorman:
    """Who may come in: authentication under the failed-login throttle, and the rate
    limit per principal; the same for HTTP requests and WebSockets."""

    def __init__(self, settings: Settings, authenticator: Authenticator, trail: audit.Writer):
        self.settings = settings
        self.authenticator = authenticator
        self.trail = trail
        self.limiter = RateLimiter(settings.rate_limit)
        self.failures = RateLimiter(min(settings.rate_limit, FAILED_LOGINS_PER_MINUTE))
        self.proxies = trusted(settings.trusted_proxies)

    def address(self, scope: Scope) -> str:
        return client_address(scope, self.proxies)

    async def admit(self, authorization: str | None, address: str, via: str) -> Principal:
        """The principal of these credentials; Unauthenticated (401, audited) or, once
        the address has failed too often, RateLimited (429)."""
        failures = f"failed-login|{address}"
        throttled = self.failures.blocked(failures)
        try:
            return await self.authenticator.authenticate(authorization, address, throttled)
        except Unauthenticated as exc:
            wait = self.failures.retry_after(failures)  # counts the failure
            if throttled or wait is not None:
                raise RateLimited(wait or 1) from None
            self.trail.record(
                audit.event(None, "login", audit.DENIED, client=f"{via}@{address}", reason=str(exc))
            )
            raise

    def too_many(self, principal: Principal) -> int | None:
        """Seconds the principal must wait before its next request or operation, or None
        (and the request is counted)."""
        return self.limiter.retry_after(f"{principal.user}|{principal.client.split('@')[0]}")


def _header_text(value: str | None) -> str | None:
    """A header's text: HTTP hands it over as Latin-1, clients send UTF-8 (a reason in
    Chinese); read as the UTF-8 it is, so that it is stored, and redacted, as written."""
    if value is None:
        return None
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


class GraphQLApp(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = sockets.Operations

    def __init__(self, settings: Settings, driver: AsyncDriver, doorman: Doorman) -> None:
        super().__init__(
            schema,
            graphql_ide=None if settings.production else "graphiql",
            # not the legacy graphql-ws, whose handler does not check credentials again
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.settings = settings
        self.driver = driver
        self.ids = ids.codec(settings)
        self.doorman = doorman
        self.trail = doorman.trail
        # an API process that stopped between a write's commit and the version's file
        # would leave the others keeping stale answers: starting, it writes the file
        generation.stamped(settings)
        self.answers = Answers(stamp=generation.stamp(settings))
        self.outage: outage.Outage | None = None

    def decode_json(self, data: str | bytes) -> object:
        """A request (an HTTP body, a WebSocket message) as JSON the hub can take: UTF-8,
        no lone surrogate, no infinite number, nested no deeper than the parser goes.
        Anything else is a JSONDecodeError saying what: a 400 over HTTP (`parse_json`),
        a closed socket (4400) over WebSocket, never a 500 or a text later code chokes on
        (an audit event that cannot be stored)."""
        try:
            value = json.loads(data)
            json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
        except json.JSONDecodeError:
            raise
        except UnicodeError as exc:
            raise json.JSONDecodeError("the text is not valid UTF-8 / Unicode", "", 0) from exc
        except RecursionError as exc:
            raise json.JSONDecodeError("the JSON is nested too deep", "", 0) from exc
        except ValueError as exc:  # an infinite or not-a-number value
            raise json.JSONDecodeError(f"a value JSON cannot hold ({exc})", "", 0) from exc
        return value

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return self.decode_json(data)
        except json.JSONDecodeError as exc:
            said = str(exc) if exc.doc else exc.msg  # with where, when there is a text
            reason = f"the request body is not JSON the hub takes: {said}"
            raise HTTPException(400, reason) from exc

    def encode_json(self, data: object) -> str:
        """An answer as JSON text, encoded by orjson: a county's case clusters (200 KB)
        in 2 ms rather than the json module's 30; text, for WebSocket frames too."""
        try:
            return orjson.dumps(data).decode()
        except orjson.JSONEncodeError:  # what orjson refuses (an integer over 64 bits)
            return json.dumps(data, separators=(",", ":"))

    async def render_graphql_ide(self, request: Request) -> Response:
        return web.page("ide.html")  # GraphiQL bundled from web/, not strawberry's CDN page

    def serves_ide(self, scope: Scope) -> bool:
        """Whether the request gets the GraphiQL page itself, which runs nothing: a
        browser's GET (it asks for HTML) that strawberry answers with the page, decided
        by strawberry's own test on the query parameters as it decodes them (`%71uery`
        is `query`: that request runs a query)."""
        if self.graphql_ide is None:
            return False
        request = Request(scope)
        return "text/html" in request.headers.get("accept", "") and self.should_render_graphql_ide(
            self.request_adapter_class(request)
        )

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        justification = _header_text(request.headers.get("x-justification"))
        context = Context(
            settings=self.settings,
            driver=self.driver,
            ids=self.ids,
            principal=request.scope.get(PRINCIPAL, ANONYMOUS),
            justification=justification[:500] if justification else None,
            trail=self.trail,
            address=self.doorman.address(request.scope),
            answers=self.answers,
            outage=self.outage,
        )
        if isinstance(request, WebSocket):  # each operation counts, as each request does
            context.throttle = lambda: self.doorman.too_many(context.principal)
            context.credentials = request.headers.get("authorization")
        return context

    async def refused(self, context: Context) -> Unauthenticated | RateLimited | None:
        """Why the credentials a WebSocket was admitted with are no longer accepted (an
        expired token, a revoked key: a failed login, audited), or None; checked as an
        HTTP request's are (`Doorman.admit`)."""
        try:
            await self.doorman.admit(context.credentials, context.address, "websocket")
        except (Unauthenticated, RateLimited) as exc:
            return exc
        return None

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        if context.principal is not ANONYMOUS:
            return await super().on_ws_connect(context)
        params = context.connection_params or {}
        authorization = params.get("authorization") or params.get("Authorization")
        credentials = authorization if isinstance(authorization, str) else None
        try:
            context.principal = await self.doorman.admit(credentials, context.address, "websocket")
        except (Unauthenticated, RateLimited) as exc:
            raise ConnectionRejectionError({"message": str(exc), "code": exc.code}) from None
        context.credentials = credentials
        return await super().on_ws_connect(context)


class Gate:
    """Body size, authentication and rate limit in front of the GraphQL app."""

    def __init__(self, app: GraphQLApp, settings: Settings, doorman: Doorman) -> None:
        self.app = app
        self.settings = settings
        self.doorman = doorman

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorization = _header(scope, b"authorization")
        if authorization is not None:  # otherwise connection_init must carry it
            try:
                scope[PRINCIPAL] = await self.doorman.admit(
                    authorization, self.doorman.address(scope), "websocket"
                )
            except (Unauthenticated, RateLimited) as exc:
                await WebSocket(scope, receive, send).send_denial_response(_refusal(exc))
                return
        await self.app(scope, *_message_limit(receive, send, self.settings.max_body))

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app.serves_ide(scope):  # the GraphiQL page itself; its queries carry the token
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.settings.max_body:
            await self._too_large(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > self.settings.max_body:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        try:
            principal = await self.doorman.admit(
                _header(scope, b"authorization"), self.doorman.address(scope), "http"
            )
        except (Unauthenticated, RateLimited) as exc:
            await _refusal(exc)(scope, receive, send)
            return
        wait = self.doorman.too_many(principal)
        if wait is not None:
            await _refusal(RateLimited(wait))(scope, receive, send)
            return
        scope[PRINCIPAL] = principal
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            _errors(
                f"the request body is larger than {self.settings.max_body} bytes (HUB_MAX_BODY)",
                "PAYLOAD_TOO_LARGE",
            ),
            status_code=413,
        )
        await response(scope, receive, send)


TOO_BIG = 1009  # WebSocket close code: message too big


def _message_limit(
    receive: Receive, send: Send, most: int
) -> tuple[Callable[[], Awaitable[Message]], Send]:
    """`receive` and `send` of a WebSocket whose every message is at most `most` bytes:
    a larger one closes the connection (1009) before the app reads it."""
    closed = False

    async def limited() -> Message:
        nonlocal closed
        message = await receive()
        if message["type"] == "websocket.receive":
            size = len(message.get("bytes") or b"") + len((message.get("text") or "").encode())
            if size > most:
                closed = True
                await send(
                    {
                        "type": "websocket.close",
                        "code": TOO_BIG,
                        "reason": f"message larger than {most} bytes (HUB_MAX_BODY)",
                    }
                )
                return {"type": "websocket.disconnect", "code": TOO_BIG}
        return message

    async def sending(message: Message) -> None:
        if not closed:
            await send(message)

    return limited, sending


def _errors(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def _scraper(settings: Settings, authorization: str | None) -> bool:
    """Whether the Authorization header carries HUB_METRICS_TOKEN."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    expected = settings.metrics_token
    return (
        bool(expected)
        and scheme.lower() == "bearer"
        and secrets.compare_digest(token.strip().encode(), (expected or "").encode())
    )


def _refusal(exc: Unauthenticated | RateLimited) -> Response:
    if isinstance(exc, RateLimited):
        return JSONResponse(
            _errors(str(exc), exc.code),
            status_code=429,
            headers={"retry-after": str(exc.retry_after)},
        )
    return JSONResponse(
        _errors(str(exc), exc.code),
        status_code=401,
        headers={"www-authenticate": 'Bearer realm="county-hub", error="invalid_token"'},
    )


class SecurityHeaders:
    """Headers that keep browsers from sniffing, framing or caching answers, and a
    content security policy: a page may load only from the hub, an answer nothing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                html = any(k == b"content-type" and v.startswith(b"text/html") for k, v in headers)
                csp = PAGE_CSP if html else ANSWER_CSP
                message["headers"] = [
                    *headers,
                    *SECURITY_HEADERS,
                    (b"content-security-policy", csp),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


async def readiness(settings: Settings, driver: AsyncDriver) -> tuple[bool, str]:
    """Whether Neo4j answers and carries the current graph schema; why not, if not."""
    # An auto-commit query: a probe must answer now, not after the driver's retries.
    query = "MATCH (m:HubSchema {name: 'graph'}) RETURN m.version AS version, m.digest AS digest"
    try:
        async with driver.session(database=settings.neo4j_database) as session:
            result = await session.run(Query(query, timeout=5))
            records = [record async for record in result]
    except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError) as exc:
        return False, f"neo4j unreachable: {type(exc).__name__}: {exc}".splitlines()[0]
    expected = graph_schema()
    if not records:
        return False, "graph schema not migrated: run `hub db migrate`"
    found = records[0]
    if found["digest"] != expected.digest:
        return False, (
            f"graph schema {found['version']}/{found['digest']} in the database, "
            f"{expected.version}/{expected.digest} expected: run `hub db migrate`"
        )
    return True, f"graph schema {expected.version}/{expected.digest}"


def create_app(settings: Settings) -> Starlette:
    uri, auth = db.credentials(settings)
    driver = AsyncGraphDatabase.driver(
        uri,
        auth=auth,
        user_agent="county-hub",
        connection_timeout=5,
        # A write (a mutation, an API key's look-up) is retried for half a second, not
        # the driver's 30: with the database gone an answer says so within a second.
        max_transaction_retry_time=0.5,
        initial_retry_delay=0.1,
        # Visibility predicates name relationship types and properties (INCLUDES,
        # members) that a graph without operations lacks; that is not worth a warning.
        notifications_disabled_classifications=[NotificationDisabledClassification.UNRECOGNIZED],
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(request: Request) -> Response:
        ready, reason = await readiness(settings, driver)
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "reason": reason},
            status_code=200 if ready else 503,
        )

    trail_driver = db.driver(settings)
    trail = audit.Writer(trail_driver, settings.neo4j_database, audit.Seal.of(settings))
    gone = outage.Outage(driver, settings.neo4j_database)

    async def metrics_page(request: Request) -> Response:
        """The figures, for the scraper (HUB_METRICS_TOKEN) and admins: they count the
        county's alerts and what each user's requests did."""
        authorization = request.headers.get("authorization")
        if not _scraper(settings, authorization):
            try:
                principal = await doorman.admit(
                    authorization, doorman.address(request.scope), "metrics"
                )
            except (Unauthenticated, RateLimited) as exc:
                return _refusal(exc)
            if principal.role != Role.admin:
                message = "/metrics is for admins and the scraper's HUB_METRICS_TOKEN"
                return JSONResponse(_errors(message, "FORBIDDEN"), status_code=403)
        body, kind = metrics.exposition(await _graph_state(settings, driver, gone))
        return Response(body, media_type=kind)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        metrics.DATABASE_UP.set(1)
        yield
        await gone.close()
        metrics.process_ends()
        trail.close(wait=5.0)
        trail_driver.close()
        await driver.close()

    doorman = Doorman(settings, Authenticator(settings, driver), trail)
    answers = GraphQLApp(settings, driver, doorman)
    answers.outage = gone
    graphql = outage.Refuse(Gate(answers, settings, doorman), gone)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_page),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *web.routes(),
        ],
        middleware=[
            Middleware(serverlog.RequestIds),
            Middleware(metrics.Measured, queued=trail.queued),
        ],
        lifespan=lifespan,
    )
    if settings.production:
        app.add_middleware(SecurityHeaders)
    app.state.driver = driver
    app.state.trail = trail
    return app


async def _graph_state(
    settings: Settings, driver: AsyncDriver, gone: outage.Outage
) -> metrics.GraphState | None:
    """What /metrics shows of the graph; None while the database is gone."""
    if gone.is_down:
        return None
    try:
        streams, alerts = await asyncio.wait_for(
            monitoring.state(driver, 2.0, settings.neo4j_database), timeout=3.0
        )
    except Exception as exc:  # a scrape shows what it can
        if db.unreachable(exc):
            gone.down(exc)
        else:
            log.warning("metrics: the graph's sync state could not be read: %s", exc)
        return None
    return metrics.GraphState(streams, alerts)


def from_env() -> Starlette:
    """The app of the settings in the environment: what uvicorn's workers import
    (`uvicorn --factory hub.app:from_env`)."""
    return create_app(Settings.from_env())
