"""The `hub` command: every command group assembled, errors as one line.

A group's module imports what its commands need (the driver, polars, the web stack,
pypinyin...), which takes seconds for all of them together: `hub sync` assembles the
`sync` command only; `hub`, `hub --help` and an unknown command assemble every one.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Iterable

import typer
from rich.console import Console

from hub.errors import HubError

# Each command of `hub` and where it is: module of hub.cli, attribute (a typer app for a
# group of commands, else a function), in the order `hub --help` lists them.
COMMANDS = {
    "neo4j": ("neo4j", "app"),
    "db": ("database", "app"),
    "world": ("world", "app"),
    "simulate": ("simulate", "app"),
    "review": ("resolve", "review"),
    "keys": ("access", "keys_app"),
    "audit": ("access", "audit_app"),
    "serve": ("serve", "serve"),
    "demo": ("serve", "demo"),
    "config": ("database", "config"),
    "sync": ("sync", "sync"),
    "sources": ("sync", "sources"),
    "resolve": ("resolve", "resolve"),
    "match": ("resolve", "match"),
    "token": ("access", "token"),
}


def assemble(names: Iterable[str] = COMMANDS) -> typer.Typer:
    """The `hub` command with the commands `names`."""
    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)

    @app.callback()
    def hub() -> None:
        """County intelligence hub: sources fused into one Neo4j graph, served over GraphQL."""

    for name in names:
        module, attribute = COMMANDS[name]
        found = getattr(importlib.import_module(f"hub.cli.{module}"), attribute)
        if isinstance(found, typer.Typer):
            app.add_typer(found, name=name)
        else:
            app.command(name)(found)
    return app


def main() -> None:
    # The driver's messages on each retry and each lost connection: a command that fails
    # says in one line what failed.
    for name in ("neo4j.io", "neo4j.pool", "neo4j.session"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    asked = sys.argv[1:2]
    try:
        assemble(asked if asked and asked[0] in COMMANDS else COMMANDS)()
    except HubError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
