"""`hub sync` and `hub sources`: keeping the graph in step with the source systems.

`hub sync` exits 0 when everything was loaded; 3 when something could not be (a file
quarantined or held, a source that did not answer: each named on stderr with its reason
and what to do) and everything else was loaded, resolved and alerted; 75 when the
database stopped answering (run it again to resume); 1 when it could not run at all.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from neo4j import Driver
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table
from rich.text import Text

import connectors
from connectors import state
from connectors.sync import StreamReport
from hub import db, migrate, profiling, syncing
from hub.cli.resolve import show_resolution, stage_bars
from hub.cli.trail import recorded
from hub.settings import Settings

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)

PARTIAL = 3  # exit code of a sync in which something could not be loaded


def sync(
    sources: Annotated[
        list[str] | None, typer.Argument(help="Sources to sync; all by default.")
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Ignore the saved cursors.")] = False,
    profile: Annotated[
        bool,
        typer.Option(
            "--profile",
            help="Then print, per stream, the seconds spent fetching, transforming and "
            "waiting on Neo4j; the seconds of each stage; and Neo4j's CPU seconds.",
        ),
    ] = False,
) -> None:
    """Sync sources into the graph, incrementally from each stream's saved cursor; then
    resolve identities and raise alerts. Exit code 0: all loaded; 3: some files or
    sources could not be (named), the rest was loaded."""
    settings = Settings.from_env()
    chosen = [connectors.build(name, settings) for name in (sources or connectors.names())]
    with db.connected(settings) as driver:
        migrate.migrate(driver, database=settings.neo4j_database)
        done = run_sync(driver, settings, chosen, full=full)
    if profile:
        for line in profiling.lines(done):
            typer.echo(line)
    if done.partial:
        raise typer.Exit(PARTIAL)


def run_sync(
    driver: Driver, settings: Settings, chosen: list[connectors.Connector], *, full: bool = False
) -> syncing.Synced:
    """`hub.syncing.sync` with a progress bar per stream and per resolution stage, audited
    as one CLI action; then its figures, and on stderr what could not be loaded."""
    names = [c.name for c in chosen]
    with (
        recorded(driver, settings, "sync", sources=names, full=full) as extra,
        Progress(console=console, transient=False) as progress,
    ):
        tasks: dict[str, TaskID] = {}

        def stream(report: StreamReport) -> None:
            name = f"{report.source}/{report.stream}"
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=None)
            progress.update(
                tasks[name],
                completed=report.fetched,
                description=(
                    f"{name}: {report.written} written, "
                    f"{report.quarantined} quarantined, {report.rate:,.0f} rows/s"
                ),
            )

        resolving = stage_bars(progress)
        done = asyncio.run(
            syncing.sync(driver, settings, chosen, full=full, progress=stream, resolving=resolving)
        )
        for report in done.streams:
            progress.update(tasks[f"{report.source}/{report.stream}"], total=report.fetched)
        extra["reason"] = done.summary()
    show_reports(done.streams)
    show_resolution(done.resolution)
    show_failures(done)
    return done


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


def show_failures(done: syncing.Synced) -> None:
    """One line for each file or source that could not be loaded, and each notice."""
    for notice in dict.fromkeys(n for r in done.streams for n in r.notices):
        err.print(Text(notice), soft_wrap=True)
    for failure in done.failures:
        line = Text.assemble(("not loaded: ", "bold red"), str(failure))
        err.print(line, soft_wrap=True)
    if done.failures:
        err.print(f"partial sync: {len(done.failures)} not loaded, everything else was")


def sources() -> None:
    """Every stream with its cursor, last run and quarantine count (rows, and the files
    of a file feed quarantined or held as a whole)."""
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
            str(row["held"]) + (f" + {row['files_held']} file(s)" if row["files_held"] else ""),
        )
    console.print(table)
