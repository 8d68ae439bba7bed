"""`hub serve` and `hub demo`: the GraphQL service."""

from __future__ import annotations

import os
import typing

import typer
import uvicorn
from rich.console import Console

from hub import db, migrate
from hub import demo as demo_graph
from hub.app import create_app
from hub.loader import Loader
from hub.settings import Settings

console = Console(highlight=False)

EXAMPLE = (
    "curl -s http://{host}:{port}/graphql -H 'content-type: application/json' -d '{{\"query\":\n"
    '  "{{ person(idNumber: \\"411623198503120014\\") '
    "{{ name phones {{ number }} accounts {{ number bank }} }} }}\"}}'"
)


def _run(settings: Settings) -> None:
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


def serve(
    production: typing.Annotated[
        bool, typer.Option("--production", help="Same as HUB_ENV=production.")
    ] = False,
) -> None:
    """Serve GraphQL at /graphql (GraphiQL outside production), /healthz and /readyz."""
    if production:
        os.environ["HUB_ENV"] = "production"
    settings = Settings.from_env()
    with db.connected(settings):  # starts the project-run Neo4j if it is not running
        pass
    console.print(f"GraphQL at http://{settings.host}:{settings.port}/graphql")
    _run(settings)


def demo() -> None:
    """Start Neo4j, migrate, load the built-in demo graph and serve GraphQL."""
    settings = Settings.from_env()
    with console.status("starting Neo4j (the first start fetches it from Maven Central)"):
        driver = db.connect(settings)
    with driver:
        migrate.migrate(driver, database=settings.neo4j_database)
        reports = demo_graph.load(Loader.from_settings(driver, settings))
    rows = sum(r.rows for r in reports)
    console.print(f"demo graph loaded: {rows} rows in {len(reports)} frames")
    console.print(f"GraphQL at http://{settings.host}:{settings.port}/graphql; try:")
    console.print(EXAMPLE.format(host=settings.host, port=settings.port), soft_wrap=True)
    _run(settings)
