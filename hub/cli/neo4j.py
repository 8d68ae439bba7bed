"""`hub neo4j start | stop | status`: the Neo4j the hub runs itself."""

from __future__ import annotations

import typer

from hub import embedded
from hub.cli.output import out
from hub.cli.progress import waiting
from hub.errors import ConfigError
from hub.settings import Settings

app = typer.Typer(help="Run the project's own Neo4j on loopback (when NEO4J_URI is unset).")
console = out


def _settings() -> Settings:
    settings = Settings.from_env()
    if not settings.embedded:
        raise ConfigError(
            f"NEO4J_URI is set ({settings.neo4j_uri}): the hub runs no Neo4j of its own"
        )
    return settings


def _show(status: embedded.Status) -> None:
    state = f"[green]running[/] (pid {status.pid})" if status.running else "[yellow]stopped[/]"
    console.print(f"Neo4j {status.version}: {state}")
    console.print(f"  uri:         {status.uri}")
    console.print(f"  data folder: {status.data_dir}")


@app.command()
def start() -> None:
    """Fetch Neo4j once, start it in the background and wait until Bolt answers."""
    settings = _settings()
    with waiting("starting Neo4j") as say:
        status = embedded.start(settings, say=say)
    _show(status)


@app.command()
def stop() -> None:
    """Stop it cleanly."""
    stopped = embedded.stop(_settings())
    console.print("Neo4j stopped" if stopped else "Neo4j was not running")


@app.command()
def status() -> None:
    """Whether it runs, its version, URI and data folder."""
    _show(embedded.status(_settings()))
