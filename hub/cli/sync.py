"""`hub sync` and `hub sources`: keeping the graph in step with the source systems.

`hub sync` exits 0 when everything was loaded; 3 when something could not be (a file
quarantined or held, a source that did not answer: each named on stderr with its reason
and what to do) and everything else was loaded, resolved and alerted; 75 when the
database stopped answering (run it again to resume); 1 when it could not run at all.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from datetime import UTC, datetime
from typing import Annotated

import typer
from neo4j import Driver
from rich import box
from rich.table import Table
from rich.text import Text

import connectors
from connectors import state
from connectors.sync import StreamReport
from hub import db, migrate, profiling, schedule, syncing
from hub.cli.output import err, out
from hub.cli.progress import bars, connected, migrated
from hub.cli.resolve import show_resolution, stage_bars
from hub.cli.trail import recorded
from hub.errors import DatabaseUnavailable, HubError
from hub.settings import Settings

console = out
SAY_EVERY = 30.0  # seconds between a stream's lines when the output is no terminal

PARTIAL = 3  # exit code of a sync in which something could not be loaded


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
    bulk: Annotated[
        bool,
        typer.Option(
            "--bulk",
            help="Into an empty graph of the Neo4j the hub runs itself, load through "
            "Neo4j's offline importer (Neo4j is stopped and started again for it): the same "
            "graph as without. Otherwise (NEO4J_URI, or a graph with data) it says so in one "
            "line and syncs through the loader.",
        ),
    ] = False,
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
    known = connectors.known(settings)
    unknown = [name for name in sources or () if name not in known]
    if unknown:  # a wrong command line (exit code 2), not a sync that could not run
        raise typer.BadParameter(
            f"unknown source {unknown[0]!r}; known: {', '.join(known)}", param_hint="SOURCES"
        )
    chosen = [connectors.build(name, settings) for name in (sources or connectors.names(settings))]
    if every is not None:
        keep_syncing(settings, chosen, schedule.seconds(every), full=full)
        return
    with connected(settings) as driver:
        migrated(driver, settings)
        done = run_sync(driver, settings, chosen, full=full, bulk=bulk)
    if profile:
        for line in profiling.lines(done):
            typer.echo(line)
    if done.partial:
        raise typer.Exit(PARTIAL)


def run_sync(
    driver: Driver,
    settings: Settings,
    chosen: list[connectors.Connector],
    *,
    full: bool = False,
    bulk: bool = False,
) -> syncing.Synced:
    """`hub.syncing.sync` with a progress bar per stream and per resolution stage, audited
    as one CLI action; then its figures, and on stderr what could not be loaded."""
    names = [c.name for c in chosen]
    with (
        recorded(driver, settings, "sync", sources=names, full=full, bulk=bulk) as extra,
        bars() as progress,
    ):
        tasks = {
            f"{c.name}/{s}": progress.add_task(f"{c.name}/{s}: waiting", start=False, total=None)
            for c in chosen
            for s in c.mapping().streams
        }

        said: dict[str, float] = {}

        def stream(report: StreamReport) -> None:
            name = f"{report.source}/{report.stream}"
            task = tasks[name]
            progress.start_task(task)
            line = f"{name}: {report.written:,} written, {report.quarantined:,} quarantined"
            progress.update(task, completed=report.fetched, description=line)
            # in a log or a pipe the bars show nothing: a line when a stream starts
            # and then at most every SAY_EVERY seconds, so a long first sync is seen to move
            now = time.monotonic()
            if not progress.console.is_terminal and now - said.get(name, -SAY_EVERY) >= SAY_EVERY:
                said[name] = now
                progress.console.print(line, soft_wrap=True)

        done = asyncio.run(
            syncing.sync(
                driver,
                settings,
                chosen,
                full=full,
                progress=stream,
                resolving=stage_bars(progress),
                bulk=bulk,
                say=progress.console.print,
            )
        )
        extra["reason"] = done.summary()
    show_reports(done)
    show_resolution(done.resolution)
    show_failures(done)
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
        if done.partial:  # what was not loaded is retried sooner, as a failed round is
            return schedule.Round("failed", "; ".join(str(f) for f in done.failures))
        return schedule.Round("ok", done.summary())

    console.print(f"syncing {', '.join(c.name for c in chosen)} every {interval:g} s")
    try:
        schedule.every(interval, one, lambda line: console.print(line, soft_wrap=True), stop)
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        driver.close()


def show_reports(done: syncing.Synced) -> None:
    # no edges: the widest stream name and every figure fit 80 columns
    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False)
    widest = max((len(f"{r.source}/{r.stream}") for r in done.streams), default=6)
    table.add_column("stream", no_wrap=True, min_width=widest)  # a name is never cut
    for figure in ("fetched", "written", "unchanged", "quarantined", "seconds"):
        table.add_column(figure, justify="right")
    for r in done.streams:
        table.add_row(
            f"{r.source}/{r.stream}",
            f"{r.fetched:,}",
            f"{r.written:,}",
            f"{r.unchanged:,}",
            f"{r.quarantined:,}",
            f"{r.seconds:,.1f}",
        )
    console.print(table)
    written = sum(r.written for r in done.streams)
    held = sum(r.quarantined for r in done.streams)
    if not written and not held and not done.failures:
        console.print("nothing new: every stream was up to date, nothing was written")
    else:
        console.print(
            f"{written:,} records written, {held:,} quarantined "
            f"({sum(r.unchanged for r in done.streams):,} fetched again unchanged)"
        )
    failed = [f"{r.source}/{r.stream}" for r in done.streams if r.failures]
    if failed:
        console.print(
            f"not loaded in full, each file or source said on stderr: {', '.join(failed)}",
            soft_wrap=True,
        )


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
    with connected(settings) as driver, recorded(driver, settings, "sources"):
        rows = state.sources(driver, settings.neo4j_database)
    if not rows:
        console.print("no stream has been synced into this graph yet: `hub sync` syncs them")
        return
    # times in UTC to the second, so that the widest row fits 80 columns
    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False, collapse_padding=True)
    for column in ("stream", "cursor (UTC)", "last run (UTC)"):
        table.add_column(column, no_wrap=True)
    table.add_column("quarantined", justify="right", no_wrap=True)
    for row in rows:
        last = row["last_run"]
        table.add_row(
            Text(row["stream"]),
            Text(_moment(row["cursor"])),
            last.to_native().strftime("%Y-%m-%d %H:%M:%S") if last else "never",
            f"{row['held']:,}" + (f" + {row['files_held']} file(s)" if row["files_held"] else ""),
        )
    console.print(table)


def _moment(cursor: str | None) -> str:
    """A cursor that is an ISO time, in UTC to the second; any other (a file name) as is."""
    if cursor is None:
        return "none"
    try:
        moment = datetime.fromisoformat(cursor)
    except ValueError:
        return cursor
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment.tzinfo else cursor
