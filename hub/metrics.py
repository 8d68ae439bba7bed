"""What operations watch: `/metrics` of an API process, in the Prometheus text format.

Counted by the API as it answers (prometheus-client; with `hub serve --workers N` in its
multiprocess mode, every worker's figures summed, whichever worker the scrape reaches):

    hub_graphql_requests_total{field, outcome}   operations by root field (`Query.person`)
                                                  and outcome: ok, denied, invalid,
                                                  unavailable, error
    hub_graphql_request_seconds{field}            their latency (histogram)
    hub_http_responses_total{route, status}       every HTTP answer, 401, 413, 429, 503 too
    hub_http_request_seconds{route}               their latency (histogram)
    hub_database_errors_total{kind}               failed database calls: unavailable,
                                                  timeout, query
    hub_database_up                               0 while this API finds Neo4j gone
    hub_database_outages_total                    outages noticed
    hub_audit_queue_depth                         audit events waiting to be written

Read from the graph at each scrape (what every sync wrote, wherever it ran: `hub sync`,
`hub sync --every`, `triggerSync`), left out while the database is gone:

    hub_sync_rows{stream}                         rows written by the stream's last run
    hub_sync_quarantined{stream}                  rows it holds in quarantine
    hub_sync_last_run_timestamp_seconds{stream}   when it last ran
    hub_sync_cursor_lag_seconds{stream}           now minus its cursor, for a time cursor
    hub_alerts{rule, status}                      alerts raised, by rule and status

Labels carry names of the schema and of streams, never a value of a request.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)

REQUESTS = Counter(
    "hub_graphql_requests",
    "GraphQL operations by root field and outcome.",
    ["field", "outcome"],
)
LATENCY = Histogram(
    "hub_graphql_request_seconds",
    "Seconds from parsing a GraphQL operation to its answer, by root field.",
    ["field"],
    buckets=BUCKETS,
)
HTTP = Counter("hub_http_responses", "HTTP answers by route and status.", ["route", "status"])
HTTP_LATENCY = Histogram(
    "hub_http_request_seconds", "Seconds to answer an HTTP request.", ["route"], buckets=BUCKETS
)
DATABASE_ERRORS = Counter(
    "hub_database_errors", "Failed database calls of the API by kind.", ["kind"]
)
DATABASE_UP = Gauge(
    "hub_database_up",
    "1 while the API reaches Neo4j, 0 while it finds it gone.",
    multiprocess_mode="livemin",
)
OUTAGES = Counter("hub_database_outages", "Database outages the API noticed.")
AUDIT_QUEUE = Gauge(
    "hub_audit_queue_depth",
    "Audit events recorded but not yet written to the graph.",
    multiprocess_mode="livesum",
)


ROUTES = ("/graphql", "/healthz", "/readyz", "/metrics")


class Measured:
    """Counts and times every HTTP answer by route (the workbench's pages and assets are
    `page`) and status; after each, notes how many audit events wait to be written."""

    def __init__(self, app: ASGIApp, queued: Callable[[], int]) -> None:
        self.app = app
        self.queued = queued

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = scope["path"] if scope["path"] in ROUTES else "page"
        status = 500  # what the server answers when the app raises before it answers
        started = time.perf_counter()

        async def measured(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, measured)
        finally:
            HTTP.labels(route, str(status)).inc()
            HTTP_LATENCY.labels(route).observe(time.perf_counter() - started)
            AUDIT_QUEUE.set(self.queued())


def prepare_multiprocess(folder: Path) -> None:
    """Make `folder` the place where the worker processes about to be started keep their
    figures (before they import this module), emptied of an earlier run's."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROCESS] = str(folder)


def process_ends() -> None:
    """Leave out this worker's gauges from now on (its counters stay in the sums)."""
    if MULTIPROCESS in os.environ:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class GraphState(Collector):
    """Gauges of one scrape from what the graph holds (`hub.queries.monitoring`)."""

    def __init__(self, streams: list[dict[str, Any]], alerts: list[dict[str, Any]]) -> None:
        self.streams = streams
        self.alerts = alerts

    def collect(self) -> Iterable[GaugeMetricFamily]:
        now = datetime.now(UTC)
        rows = GaugeMetricFamily(
            "hub_sync_rows", "Rows written by the stream's last run.", labels=["stream"]
        )
        held = GaugeMetricFamily(
            "hub_sync_quarantined", "Rows of the stream in quarantine.", labels=["stream"]
        )
        last = GaugeMetricFamily(
            "hub_sync_last_run_timestamp_seconds",
            "When the stream was last synced (Unix time).",
            labels=["stream"],
        )
        lag = GaugeMetricFamily(
            "hub_sync_cursor_lag_seconds",
            "Seconds between now and the stream's cursor, for a cursor that is a time.",
            labels=["stream"],
        )
        for s in self.streams:
            name = [str(s["stream"])]
            rows.add_metric(name, float(s.get("rows") or 0))
            held.add_metric(name, float(s.get("held") or 0))
            ran = s.get("last_run")
            if ran is not None:
                last.add_metric(name, ran.to_native().timestamp())
            cursor = _moment(s.get("cursor"))
            if cursor is not None:
                lag.add_metric(name, (now - cursor).total_seconds())
        raised = GaugeMetricFamily(
            "hub_alerts", "Alerts raised, by rule and status.", labels=["rule", "status"]
        )
        for a in self.alerts:
            raised.add_metric([str(a["rule"]), str(a["status"])], float(a["alerts"]))
        return [rows, held, last, lag, raised]


def _moment(cursor: object) -> datetime | None:
    if not isinstance(cursor, str):
        return None
    try:
        moment = datetime.fromisoformat(cursor)
    except ValueError:
        return None  # a file name, a page token
    return moment if moment.tzinfo else None


def exposition(graph: GraphState | None) -> tuple[bytes, str]:
    """The body and content type of `/metrics`: this process's figures (every worker's
    in multiprocess mode) and, when the graph could be read, the graph's."""
    if MULTIPROCESS in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    if graph is not None:
        scraped = CollectorRegistry(auto_describe=False)
        scraped.register(graph)
        body += generate_latest(scraped)
    return body, CONTENT_TYPE_LATEST
