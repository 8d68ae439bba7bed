"""The `hub` command: every command group assembled, errors as one line."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from hub.cli import access, database, neo4j, resolve, serve, simulate, sync, world
from hub.errors import HubError

app = typer.Typer(
    help="County intelligence hub: sources fused into one Neo4j graph, served over GraphQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(neo4j.app, name="neo4j")
app.add_typer(database.app, name="db")
app.add_typer(world.app, name="world")
app.add_typer(simulate.app, name="simulate")
app.add_typer(resolve.review, name="review")
app.add_typer(access.keys_app, name="keys")
app.add_typer(access.audit_app, name="audit")
app.command()(serve.serve)
app.command()(serve.demo)
app.command()(database.config)
app.command()(sync.sync)
app.command()(sync.sources)
app.command()(resolve.resolve)
app.command()(resolve.match)
app.command()(access.token)


def main() -> None:
    try:
        app()
    except HubError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
