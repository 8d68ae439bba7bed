"""`hub db ...` and `hub config`: the graph's schema, starting clean, the hub's settings."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hub import backup, db, migrate
from hub.cli.output import out
from hub.cli.progress import connected, migrated, waiting
from hub.cli.trail import recorded
from hub.errors import HubError
from hub.queries import generation
from hub.settings import Settings, describe

app = typer.Typer(help="The graph database: schema migration, starting clean, backup and restore.")
console = out


@app.command("migrate")
def migrate_command() -> None:
    """Create the constraints and indexes graph_schema declares (idempotent)."""
    settings = Settings.from_env()
    with connected(settings) as driver:
        report = migrated(driver, settings)
    console.print(
        f"graph schema {report.version}/{report.digest}: {len(report.created)} created, "
        f"{len(report.kept)} already there, {len(report.replaced)} replaced, "
        f"{len(report.dropped)} no longer declared dropped"
    )


@app.command("reset")
def reset(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Empty the graph (data, sync cursors, API keys, audit trail) and migrate it again:
    a clean start, e.g. before syncing another county into this data folder."""
    settings = Settings.from_env()
    where = f"Neo4j at {db.credentials(settings)[0]}" + (
        f" (data folder {settings.data_dir})" if settings.embedded else ""
    )
    if not yes:
        if not sys.stdin.isatty():
            raise HubError(f"`hub db reset` empties the graph of {where}; add --yes to do it")
        typer.confirm(f"Empty the graph of {where}?", abort=True)
    with connected(settings) as driver:
        with waiting("deleting every node"):
            deleted = db.empty(driver, settings.neo4j_database)
        with recorded(driver, settings, "db reset", deleted=deleted):
            migrate.migrate(driver, database=settings.neo4j_database)
        generation.stamped(settings)  # answers API processes keep are of the old graph
    console.print(f"emptied the graph of {where}: {deleted:,} nodes deleted, schema in place")


@app.command("backup")
def backup_command(
    folder: Annotated[Path, typer.Argument(help="Folder the dump and its manifest go to.")],
) -> None:
    """Dump the project-run Neo4j's database into FOLDER (Neo4j is stopped meanwhile)."""
    with waiting("backing up (Neo4j stops for the dump and starts again)"):
        made = backup.backup(Settings.from_env(), folder)
    console.print(
        f"database {made.database} backed up to {made.dump} "
        f"({made.size:,} bytes, sha256 {made.sha256[:16]})"
    )


@app.command("restore")
def restore_command(
    folder: Annotated[Path, typer.Argument(help="Folder of a backup made by `hub db backup`.")],
) -> None:
    """Replace the project-run Neo4j's database by the backup in FOLDER."""
    settings = Settings.from_env()
    with waiting("restoring (Neo4j stops for it if it runs)"):
        made, running = backup.restore(settings, folder)
    console.print(f"database {made.database} restored from the backup of {made.made_at}")
    if not running:
        console.print("start it with `hub neo4j start` (or any command that needs it)")


def config() -> None:
    """Show every HUB_* / NEO4J_* setting, its value and meaning."""
    settings = Settings.from_env()
    table = Table("variable", "value", "meaning")
    for (variable, _, meaning), field_value in zip(
        describe(), vars(settings).values(), strict=True
    ):
        shown = "***" if "PASSWORD" in variable and field_value else str(field_value)
        table.add_row(variable, shown, meaning)
    console.print(table)
