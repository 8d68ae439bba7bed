"""`hub serve` and `hub demo`: the GraphQL service."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

import connectors
from hub import auth, db, ids, migrate
from hub import demo as demo_graph
from hub.access import Role
from hub.cli.sync import run_sync
from hub.cli.trail import recorded
from hub.loader import Loader
from hub.settings import Settings
from hub.simulate import process as simulators
from hub.world import WorldConfig, generate

console = Console(highlight=False)

EXAMPLE = (
    "curl -s http://{host}:{port}/graphql -H 'content-type: application/json' \\\n"
    '  -H "authorization: Bearer $HUB_TOKEN" -d \'{{"query":\n'
    '  "{{ person(idNumber: \\"411623198503120014\\") '
    "{{ name phones {{ edges {{ node {{ number }} }} }} "
    "accounts {{ edges {{ node {{ number bank }} }} }} }} }}\"}}'"
)


def _run(settings: Settings, workers: int = 1) -> None:
    # Imported here: every other command starts a second sooner without the web stack.
    import uvicorn

    from hub import metrics, serverlog

    # The secrets every worker must share are made once, before the workers start.
    auth.secret(settings)
    ids.codec(settings)
    if workers > 1:
        # Each worker keeps its figures in this folder; /metrics sums them.
        metrics.prepare_multiprocess(
            settings.data_dir / "metrics" / f"{settings.host}-{settings.port}"
        )
    # No access log: the audit trail records every GraphQL request with who sent it, and
    # a line per request on stdout cost ~5% of the API process's time.
    uvicorn.run(
        "hub.app:from_env",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_config=serverlog.log_config(settings),
        access_log=False,
        # uvicorn restarts a worker that does not answer its parent's ping within this
        # time: 5 s by default, less than a worker takes to start on a busy machine.
        timeout_worker_healthcheck=60,
    )


def serve(
    production: Annotated[
        bool, typer.Option("--production", help="Same as HUB_ENV=production.")
    ] = False,
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
    with db.connected(settings):  # starts the project-run Neo4j if it is not running
        pass
    console.print(f"GraphQL at http://{settings.host}:{settings.port}/graphql")
    console.print(f"the workbench at http://{settings.host}:{settings.port}/")
    _run(settings, workers or settings.workers)


def _world(path: Path, people: int) -> None:
    """Generate the county unless the same one is already there."""
    manifest = path / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("people") == people:
        return
    with console.status(f"generating a county of {people:,} people"):
        generate(WorldConfig(people=people, seed=1, out=path))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def demo(
    people: Annotated[int, typer.Option(help="People in the generated county.")] = 10_000,
    world: Annotated[
        Path | None, typer.Option(help="Where the county goes; default $HUB_DATA_DIR/world.")
    ] = None,
    simulator_port: Annotated[int, typer.Option(help="Port base of the simulators.")] = 8700,
) -> None:
    """Generate a county, start its source systems, sync them all and serve GraphQL."""
    settings = Settings.from_env()
    world = world or settings.data_dir / "world"
    # A SIGTERM before the server runs must still stop the simulators (uvicorn installs
    # its own handler while it serves).
    signal.signal(signal.SIGTERM, _interrupt)
    _world(world, people)
    with simulators.running(world, simulator_port) as sources:
        os.environ["HUB_SOURCES"] = str(sources)
        settings = Settings.from_env()
        with console.status("starting Neo4j (the first start fetches it from Maven Central)"):
            driver = db.connect(settings)
        with driver:
            migrate.migrate(driver, database=settings.neo4j_database)
            loaded = demo_graph.load(Loader.from_settings(driver, settings))
            console.print(f"demo graph loaded: {sum(r.rows for r in loaded)} rows")
            chosen = [connectors.build(name, settings) for name in connectors.names()]
            run_sync(driver, settings, chosen)
            with recorded(driver, settings, "token", user="demo", role="investigator"):
                token = auth.issue(settings, "demo", Role.investigator, "DEMO")
        base = f"http://{settings.host}:{settings.port}"
        console.print(f"GraphQL at {base}/graphql")
        console.print("The investigators' workbench, signed in as the demo investigator:")
        print(f"{base}/#token={token}", flush=True)
        console.print(
            "A development token (investigator of unit DEMO); paste it into the GraphQL "
            "IDE's token field, or:"
        )
        print(f"export HUB_TOKEN={token}", flush=True)
        console.print("then try:")
        console.print(EXAMPLE.format(host=settings.host, port=settings.port), soft_wrap=True)
        _run(settings)
