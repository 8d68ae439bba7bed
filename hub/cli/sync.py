"""`hub sync` and `hub sources`: keeping the graph in step with the source systems."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table

import connectors
from connectors import state
from connectors.sync import StreamReport, sync_files, sync_stream
from hub import db, migrate
from hub.cli.resolve import resolve_with_progress
from hub.cli.trail import recorded
from hub.loader import Loader
from hub.queries import alerts
from hub.resolution import apply
from hub.settings import Settings

console = Console(highlight=False)


def sync(
    sources: Annotated[
        list[str] | None, typer.Argument(help="Sources to sync; all by default.")
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Ignore the saved cursors.")] = False,
) -> None:
    """Sync sources into the graph, incrementally from each stream's saved cursor."""
    settings = Settings.from_env()
    chosen = [connectors.build(name, settings) for name in (sources or connectors.names())]
    names = [c.name for c in chosen]
    with db.connected(settings) as driver:
        migrate.migrate(driver, database=settings.neo4j_database)
        with recorded(driver, settings, "sync", sources=names, full=full) as extra:
            loader = Loader.from_settings(driver, settings)
            apply.unapply(driver, settings.neo4j_database)
            reports = asyncio.run(run_sync(chosen, loader, full))
            extra["reason"] = summary(reports)
        show_reports(reports)
        resolve_with_progress(driver, settings)
        # after the sync's and the resolution's writes have committed: subscribers see
        # the alerts they raise
        alerts.evaluate_blocking(driver, settings.query_timeout, settings.neo4j_database)


def summary(reports: list[StreamReport]) -> str:
    written = sum(r.written for r in reports)
    held = sum(r.quarantined for r in reports)
    return f"{len(reports)} streams, {written} rows written, {held} quarantined"


def show_reports(reports: list[StreamReport]) -> None:
    table = Table("stream", "fetched", "written", "quarantined", "rows/s")
    for r in reports:
        table.add_row(
            f"{r.source}/{r.stream}",
            str(r.fetched),
            str(r.written),
            str(r.quarantined),
            f"{r.rate:,.0f}",
        )
    console.print(table)


async def run_sync(
    chosen: list[connectors.Connector], loader: Loader, full: bool
) -> list[StreamReport]:
    reports = []
    with Progress(console=console, transient=False) as progress:
        for connector in chosen:
            tasks = {
                stream: progress.add_task(f"{connector.name}/{stream}", total=None)
                for stream in connector.mapping().streams
            }

            def show(report: StreamReport, tasks: dict[str, TaskID] = tasks) -> None:
                progress.update(
                    tasks[report.stream],
                    completed=report.fetched,
                    description=(
                        f"{report.source}/{report.stream}: {report.written} written, "
                        f"{report.quarantined} quarantined, {report.rate:,.0f} rows/s"
                    ),
                )

            if isinstance(connector, connectors.FileConnector):
                # All feeds at once: their files load day by day, whatever the feed.
                done = await sync_files(connector, loader, full=full, progress=show)
            else:
                done = [
                    await sync_stream(connector, stream, loader, full=full, progress=show)
                    for stream in tasks
                ]
            for report in done:
                progress.update(tasks[report.stream], total=report.fetched)
            reports.extend(done)
    return reports


def sources() -> None:
    """Every stream with its cursor, last run and quarantine count."""
    settings = Settings.from_env()
    with db.connected(settings) as driver, recorded(driver, settings, "sources"):
        rows = state.sources(driver, settings.neo4j_database)
    table = Table("stream", "cursor", "last run", "rows", "quarantined")
    for row in rows:
        table.add_row(
            row["stream"],
            str(row["cursor"]),
            str(row["last_run"]),
            str(row["rows"]),
            str(row["held"]),
        )
    console.print(table)
