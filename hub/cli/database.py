"""`hub db ...` and `hub config`: the graph's schema and the hub's settings."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from hub import db, migrate
from hub.settings import Settings, describe

app = typer.Typer(help="The graph database: schema migration.")
console = Console(highlight=False)


@app.command("migrate")
def migrate_command() -> None:
    """Create the constraints and indexes graph_schema declares (idempotent)."""
    settings = Settings.from_env()
    with db.connected(settings) as driver:
        report = migrate.migrate(driver, database=settings.neo4j_database)
    console.print(
        f"graph schema {report.version}/{report.digest}: {len(report.created)} created, "
        f"{len(report.kept)} already there, {len(report.replaced)} replaced, "
        f"{len(report.dropped)} no longer declared dropped"
    )


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
