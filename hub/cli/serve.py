"""`hub serve` and `hub demo`: the GraphQL service.

`hub demo` stops what it started when it is stopped (Ctrl-C or SIGTERM): the API, the
source simulators, and the project-run Neo4j if the demo started it. A Neo4j that was
running before is left running, and the demo says so and how to stop it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer

import connectors
from hub import auth, embedded, ids
from hub import demo as demo_graph
from hub.access import Role
from hub.cli.output import out
from hub.cli.progress import migrated, start_neo4j, waiting
from hub.cli.sync import run_sync
from hub.cli.trail import recorded
from hub.db import connected
from hub.errors import HubError
from hub.loader import Loader
from hub.settings import Settings
from hub.simulate import process as simulators
from hub.world import WorldConfig, generate

console = out

EXAMPLE = (
    "curl -s http://{host}:{port}/graphql -H 'content-type: application/json' \\\n"
    '  -H "authorization: Bearer $HUB_TOKEN" -d \'{{"query":\n'
    '  "{{ person(idNumber: \\"411623198503120014\\") '
    "{{ name phones {{ edges {{ node {{ number }} }} }} "
    "cases {{ edges {{ node {{ caseNo title }} }} }} }} }}\"}}'"
)


def uvicorn_options(settings: Settings, workers: int = 1) -> dict[str, Any]:
    """How `hub serve` runs uvicorn."""
    from hub import serverlog

    return {
        "factory": True,
        "workers": workers,
        "host": settings.host,
        "port": settings.port,
        "log_config": serverlog.log_config(settings),
        "access_log": False,
        "ws": "websockets-sansio",
        # uvicorn restarts a worker that does not answer its parent's ping within this
        # time: 5 s by default, less than a worker takes to start on a busy machine.
        "timeout_worker_healthcheck": 60,
        # The client's address is the peer's: X-Forwarded-For is believed only from
        # HUB_TRUSTED_PROXIES, by the hub itself (`hub.app.client_address`). uvicorn's own
        # proxy headers would believe it from loopback before the hub sees the request.
        "proxy_headers": False,
    }


def _run(settings: Settings, workers: int = 1) -> None:
    # Imported here: every other command starts a second sooner without the web stack.
    import uvicorn

    from hub import metrics

    # The secrets every worker must share are made once, before the workers start.
    auth.secret(settings)
    ids.codec(settings)
    if workers > 1:
        # Each worker keeps its figures in this folder; /metrics sums them.
        metrics.prepare_multiprocess(
            settings.data_dir / "metrics" / f"{settings.host}-{settings.port}"
        )
    # No access log: the audit trail records every GraphQL request with who sent it, and
    # a line per request on stdout cost ~5% of the API process's time. WebSockets (the
    # alerts subscription) through the `websockets` library, named so that its absence
    # is an error at start rather than a refused upgrade later.
    uvicorn.run("hub.app:from_env", **uvicorn_options(settings, workers))


def serve(
    production: Annotated[
        bool, typer.Option("--production", help="Same as HUB_ENV=production.")
    ] = False,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on.", show_default="HUB_HOST")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port to listen on.", show_default="HUB_PORT"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, help="API processes on the one port (default HUB_WORKERS)."
        ),
    ] = None,
) -> None:
    """Serve GraphQL at /graphql (its IDE outside production), the workbench at /,
    /healthz, /readyz and /metrics."""
    if production:
        os.environ["HUB_ENV"] = "production"
    settings = Settings.from_env()
    settings = dataclasses.replace(settings, host=host or settings.host, port=port or settings.port)
    _port_free(settings)
    start_neo4j(settings)
    with connected(settings):  # reachable, or a one-line error before uvicorn starts
        pass
    console.print(f"GraphQL at http://{settings.host}:{settings.port}/graphql")
    console.print(f"the workbench at http://{settings.host}:{settings.port}/")
    _run(settings, workers or settings.workers)


def _world(path: Path, people: int, seed: int) -> None:
    """Generate the county unless the same one is already there."""
    manifest = path / "manifest.json"
    if manifest.exists():
        made = json.loads(manifest.read_text(encoding="utf-8"))
        if (made.get("people"), made.get("seed")) == (people, seed):
            console.print(f"county of {people:,} people, seed {seed}: already in {path}")
            return
    began = time.perf_counter()
    # the files the simulators dropped from the county generated before
    shutil.rmtree(path / "drop", ignore_errors=True)
    with waiting(f"generating a county of {people:,} people, seed {seed}") as say:

        def report(written: str, rows: int, files: int) -> None:
            say(f"generating a county of {people:,} people: {written}, {rows:,} rows")

        generate(WorldConfig(people=people, seed=seed, out=path), report)
    console.print(
        f"county of {people:,} people, seed {seed}: generated in {path} "
        f"in {time.perf_counter() - began:.0f}s"
    )


def _port_free(settings: Settings) -> None:
    """Refuse to start when the API's port is taken, before minutes of syncing."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds it
        try:
            sock.bind((settings.host, settings.port))
        except OSError as exc:
            raise HubError(
                f"cannot listen on {settings.host} port {settings.port}: "
                f"{exc.strerror or exc}; stop what uses it, or choose another port "
                "(HUB_PORT, or `hub serve --port`)"
            ) from None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _show_sources(sources: Path, log: Path) -> None:
    listed = json.loads(sources.read_text(encoding="utf-8"))
    systems = ", ".join(f"{name} {listed[name]['url']}" for name in connectors.HTTP)
    console.print(f"source systems: {systems}")
    console.print(
        f"big-data drop folder {listed['bigdata']['drop']}; control {listed['control']['url']}; "
        f"their log: {log}",
        soft_wrap=True,
    )


def _tokens(settings: Settings, own: int, every: int) -> None:
    """Print an investigator's and an analyst's development token and what each sees."""
    hours = settings.token_ttl / 3600
    investigator = auth.issue(settings, "demo", Role.investigator, demo_graph.UNIT)
    analyst = auth.issue(settings, "demo-analyst", Role.analyst)
    console.print(f"Two development tokens, valid {hours:g} hours; paste a line into your shell.")
    console.print(
        f"An investigator of the anti-fraud centre (unit {demo_graph.UNIT}): its {own} of "
        f"the {every} cases, personal numbers in full:"
    )
    print(f"export HUB_TOKEN={investigator}", flush=True)
    console.print(f"An analyst: the {every} cases of every unit, personal numbers masked:")
    print(f"export HUB_ANALYST_TOKEN={analyst}", flush=True)
    base = f"http://{settings.host}:{settings.port}"
    console.print(
        "The investigators' workbench, signed in as the investigator (or paste a token into "
        "the sign-in page, or into the token field of the GraphQL IDE at /graphql):",
        soft_wrap=True,
    )
    print(f"{base}/#token={investigator}", flush=True)


def _stop_neo4j(settings: Settings) -> None:
    with waiting("stopping Neo4j"):
        stopped = embedded.stop(settings)
    if stopped:
        console.print("Neo4j stopped")


def _left_running(settings: Settings) -> None:
    status = embedded.status(settings)
    if status.running:
        console.print(
            f"Neo4j (pid {status.pid}, {status.uri}) was running before the demo and keeps "
            "running: `hub neo4j stop` stops it."
        )


def demo(
    people: Annotated[int, typer.Option(min=500, help="People in the generated county.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of the generated county.")] = 1,
    world: Annotated[
        Path | None, typer.Option(help="Where the county goes; default $HUB_DATA_DIR/world.")
    ] = None,
    simulator_port: Annotated[
        int, typer.Option(help="Port base of the simulators (this and the next three).")
    ] = 8700,
) -> None:
    """Generate a county, start its source systems, sync them all and serve GraphQL.

    Ctrl-C stops all of it, and Neo4j too if the demo started it."""
    settings = Settings.from_env()
    world = world or settings.data_dir / "world"
    _port_free(settings)
    # A SIGTERM before the server runs must stop everything as Ctrl-C does (uvicorn
    # handles both while it serves, then raises the signal again when it has stopped).
    signal.signal(signal.SIGTERM, _interrupt)
    with ExitStack() as started:  # what the demo started, stopped in reverse order
        try:
            _world(world, people, seed)
            log = world / "simulators.log"
            sources = started.enter_context(simulators.running(world, simulator_port, log=log))
            _show_sources(sources, log)
            os.environ["HUB_SOURCES"] = str(sources)
            settings = Settings.from_env()
            if settings.embedded:
                stop = _stop_neo4j if start_neo4j(settings) else _left_running
                started.callback(stop, settings)
            _prepare(settings)
            console.print(f"GraphQL at http://{settings.host}:{settings.port}/graphql; try:")
            console.print(EXAMPLE.format(host=settings.host, port=settings.port), soft_wrap=True)
            console.print("Ctrl-C stops the API, the source systems and the Neo4j it started.")
            _run(settings)  # returns when uvicorn was stopped by SIGINT or SIGTERM
        except KeyboardInterrupt:
            pass
        finally:
            console.print("stopping the demo")
            # Stopping takes seconds: a second Ctrl-C must not leave half of it running.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _prepare(settings: Settings) -> None:
    """Migrate, load the demo graph, sync every source, print the tokens."""
    if settings.embedded:
        embedded.Instance(settings).scratch.unlink(missing_ok=True)
    with connected(settings) as driver:
        migrated(driver, settings)
        loaded = demo_graph.load(Loader.from_settings(driver, settings))
        console.print(f"demo graph loaded: {sum(r.rows for r in loaded)} rows")
        chosen = [connectors.build(name, settings) for name in connectors.names()]
        run_sync(driver, settings, chosen)
        own, every = demo_graph.case_counts(driver, demo_graph.UNIT, settings.neo4j_database)
        with (
            recorded(driver, settings, "token", user="demo", role="investigator"),
            recorded(driver, settings, "token", user="demo-analyst", role="analyst"),
        ):
            _tokens(settings, own, every)
