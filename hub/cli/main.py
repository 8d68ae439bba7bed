"""The `hub` command: every command group assembled, errors as one line.

A group's module imports what its commands need (the driver, polars, the web stack,
pypinyin...), which takes seconds for all of them together: `hub sync` assembles the
`sync` command only; `hub`, `hub --help` and an unknown command assemble every one.

Exit codes: 0 done; 1 an error, printed as one line (`HubError`); 2 a wrong command line
(typer's usage errors); 3 a partial sync (`hub sync`: some sources failed, the others
were synced); 130 stopped by Ctrl-C.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Iterable
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from hub import logs
from hub.errors import HubError
from hub.settings import Settings

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
    def hub(
        verbose: Annotated[
            bool,
            typer.Option(
                "--verbose",
                "-v",
                help="Also show on stderr what goes to the debug log "
                "($HUB_DATA_DIR/logs/hub.log): the database's notifications.",
            ),
        ] = False,
    ) -> None:
        """County intelligence hub: sources fused into one Neo4j graph, served over GraphQL."""
        logs.configure(Settings.from_env(), verbose=verbose)

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
    # the command is the first word that is not an option (`hub --verbose sync`)
    asked = [arg for arg in sys.argv[1:] if not arg.startswith("-")][:1]
    try:
        assemble(asked if asked and asked[0] in COMMANDS else COMMANDS)()
    except HubError as exc:
        error = Text.assemble(("error: ", "bold red"), str(exc))
        Console(stderr=True, highlight=False).print(error, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        Console(stderr=True, highlight=False).print("stopped")
        sys.exit(130)
