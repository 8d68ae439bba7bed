"""`hub sync` and `hub sources`: keeping the graph in step with the source systems."""

from __future__ import annotations

import asyncio
import signal
import threading
from typing import Annotated

import typer
from neo4j import Driver
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table

import connectors
from connectors import state
from connectors.sync import StreamReport
from hub import db, migrate, schedule, syncing
from hub.cli.resolve import show_resolution, stage_bars
from hub.cli.trail import recorded
from hub.errors import DatabaseUnavailable, HubError
from hub.settings import Settings

console = Console(highlight=False)


def sync(
    sources: Annotated[
        list[str] | None, typer.Argument(help="Sources to sync; all by default.")
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Ignore the saved cursors.")] = False,
    every: Annotated[
        str | None,
        typer.Option(
            "--every",
            metavar="INTERVAL",
            help="Keep syncing, every INTERVAL (30s, 5m, 1h), retrying sooner after a "
            "failure, until stopped.",
        ),
    ] = None,
) -> None:
    """Sync sources into the graph, incrementally from each stream's saved cursor; then
    resolve identities and raise alerts."""
    settings = Settings.from_env()
    chosen = [connectors.build(name, settings) for name in (sources or connectors.names())]
    if every is not None:
        keep_syncing(settings, chosen, schedule.seconds(every), full=full)
        return
    with db.connected(settings) as driver:
        migrate.migrate(driver, database=settings.neo4j_database)
        run_sync(driver, settings, chosen, full=full)


def run_sync(
    driver: Driver, settings: Settings, chosen: list[connectors.Connector], *, full: bool = False
) -> syncing.Synced:
    """`hub.syncing.sync` with a progress bar per stream and per resolution stage, audited
    as one CLI action; then its figures."""
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
    return done


def keep_syncing(
    settings: Settings, chosen: list[connectors.Connector], interval: float, *, full: bool
) -> None:
    """`hub sync --every`: a round every `interval` seconds until SIGTERM or Ctrl-C
    (`hub.schedule`); a failed round is one line, and a retry."""
    stop = threading.Event()

    def interrupt(signum: int, frame: object) -> None:
        stop.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:  # the first round starts the project-run Neo4j, as `hub sync` does
        driver = db.connect(settings)
    except DatabaseUnavailable as exc:
        console.print(f"{exc}; waiting for it")
        driver = db.driver(settings)
    where = db.credentials(settings)[0]

    def one(number: int) -> schedule.Round:
        try:
            driver.verify_connectivity()
        except Exception as exc:
            if not db.unreachable(exc):
                raise
            return schedule.Round("failed", f"the database at {where} is unavailable")
        try:
            migrate.migrate(driver, database=settings.neo4j_database)
            done = run_sync(driver, settings, chosen, full=full and number == 1)
        except HubError as exc:
            return schedule.Round("failed", str(exc))
        except Exception as exc:  # a job on its own outlives what nobody foresaw
            if db.unreachable(exc):
                return schedule.Round("failed", f"the database at {where} went away")
            return schedule.Round("failed", f"{type(exc).__name__}: {exc}".splitlines()[0])
        return schedule.Round("ok", done.summary())

    console.print(f"syncing {', '.join(c.name for c in chosen)} every {interval:g} s")
    try:
        schedule.every(interval, one, lambda line: console.print(line, soft_wrap=True), stop)
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        driver.close()


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
