"""What the CLI shows while a command waits: starting Neo4j (fetching it the first time),
migrating the graph schema, syncing and resolving.

Progress goes to stderr, so that stdout holds only a command's answer (a token, a
table) and `export HUB_TOKEN=$(hub token ...)` works. In a terminal the lines move in
place and give way to the step's result when it ends; in a log or a pipe a line for
each step as it begins (fetching Neo4j, starting it), then the results. Every bar puts
its elapsed time first, so a narrow terminal cuts a description, never a timing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from neo4j import Driver
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from hub import db, embedded, migrate
from hub.cli.output import err
from hub.settings import Settings

_FIGURES = re.compile(r"\d[\d.,]*")


@contextmanager
def waiting(what: str, console: Console = err) -> Iterator[Callable[[str], None]]:
    """A step that waits, saying what for: in a terminal a status line that moves (the
    function given updates it); in a log or a pipe one line as the step begins."""
    if console.is_terminal:
        with console.status(what) as shown:
            yield shown.update
    else:
        # a line for each step it goes through (fetching, starting), not for each figure
        said = [_step(what)]

        def say(text: str) -> None:
            if _step(text) != said[-1]:
                said.append(_step(text))
                console.print(f"{text} ...", soft_wrap=True)

        console.print(f"{what} ...", soft_wrap=True)
        yield say


def _step(text: str) -> str:
    """`text` without its figures: what a step is, not how far it got."""
    return _FIGURES.sub("#", text)


def bars() -> Progress:
    """Bars for steps of unknown or known length, fitting an 80-column terminal."""
    return Progress(
        TimeElapsedColumn(),
        BarColumn(bar_width=12),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
    )


def start_neo4j(settings: Settings) -> bool:
    """Start the project-run Neo4j if it is not running, saying what it waits for (the
    first start fetches it). True if this call started it."""
    if not settings.embedded or embedded.status(settings).running:
        return False
    began = time.perf_counter()
    with waiting("starting Neo4j") as say:
        status = embedded.start(settings, say=say)
    err.print(
        f"Neo4j {status.version} started on {status.uri} (pid {status.pid}) "
        f"in {time.perf_counter() - began:.0f}s"
    )
    return True


@contextmanager
def connected(settings: Settings) -> Iterator[Driver]:
    """`hub.db.connected`, with the Neo4j start shown."""
    start_neo4j(settings)
    with db.connected(settings) as driver:
        yield driver


def migrated(driver: Driver, settings: Settings) -> migrate.MigrationReport:
    """`hub.migrate.migrate` under a status line (a fresh graph takes a few seconds)."""
    with waiting("checking the graph's constraints and indexes"):
        return migrate.migrate(driver, database=settings.neo4j_database)
