"""What one sync is, wherever it starts (`hub sync`, `hub demo`, `triggerSync`):

1. check that the graph's cursors belong to these sources (the sources file's `origin`):
   cursors saved for another county would make every stream fetch nothing, so another
   origin is refused before anything is written;
2. split the merges identity resolution made, so that the loader's MERGEs find every
   relationship where a source put it;
3. sync each connector's streams from their saved cursors (all of them with `full`); a
   source that does not answer fails alone: its failure is kept and the others go on;
4. derive the scope of everything restricted that changed (`hub.scope`): new records,
   cases that changed hands;
5. resolve identities again, judging the new records against the graph (a judgement
   is written with the scope of the records it cites);
6. evaluate the alert rules, once everything above has committed, so that subscribers
   hear of what the sync raised.

The API runs it in the background, one run per source at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from neo4j import Driver

import connectors
from connectors import state
from connectors.base import SourceUnavailable
from connectors.sync import Progress, StreamReport, sync_files, sync_stream
from hub import db, scope
from hub.errors import ConfigError, StateConflict
from hub.loader import Loader
from hub.queries import alerts
from hub.resolution import apply, run
from hub.settings import Settings

log = logging.getLogger(__name__)

ResolutionProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Failure:
    """A source that could not be synced this time, and why."""

    source: str
    reason: str

    @property
    def hint(self) -> str:
        return (
            f"is {self.source} running and reachable? The other sources were synced; "
            f"`hub sync {self.source}` fetches what it missed once it answers."
        )


@dataclass
class Synced:
    streams: list[StreamReport]
    resolution: run.Report
    failures: list[Failure] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.failures)

    def summary(self) -> str:
        written = sum(r.written for r in self.streams)
        held = sum(r.quarantined for r in self.streams)
        text = f"{len(self.streams)} streams, {written} rows written, {held} quarantined"
        if self.failures:
            text += "; failed: " + ", ".join(f.source for f in self.failures)
        return text


async def sync(
    driver: Driver,
    settings: Settings,
    chosen: list[connectors.Connector],
    *,
    full: bool = False,
    progress: Progress | None = None,
    resolving: ResolutionProgress | None = None,
) -> Synced:
    database = settings.neo4j_database
    await asyncio.to_thread(_claim, driver, settings, chosen)
    await asyncio.to_thread(apply.unapply, driver, database)
    loader = Loader.from_settings(driver, settings)
    reports: list[StreamReport] = []
    failures: list[Failure] = []
    for connector in chosen:
        try:
            if isinstance(connector, connectors.FileConnector):
                # All feeds at once: their files load day by day, whatever the feed.
                reports += await sync_files(connector, loader, full=full, progress=progress)
            else:
                for stream in connector.mapping().streams:
                    reports.append(
                        await sync_stream(connector, stream, loader, full=full, progress=progress)
                    )
        except SourceUnavailable as exc:
            failures.append(Failure(connector.name, str(exc)))
    # Records scoped first: a judgement is written with the scope of the records it cites.
    await asyncio.to_thread(scope.refresh, driver, database)
    resolved = await asyncio.to_thread(run.run, driver, settings, progress=resolving)
    await asyncio.to_thread(alerts.evaluate_blocking, driver, settings.query_timeout, database)
    return Synced(reports, resolved, failures)


def _claim(driver: Driver, settings: Settings, chosen: list[connectors.Connector]) -> None:
    """Refuse to sync sources of another origin than the one the graph's cursors hold."""
    origins = {
        f"{c.name}/{stream}": c.origin
        for c in chosen
        if c.origin is not None
        for stream in c.mapping().streams
    }
    conflicts = state.claim(driver, origins, settings.neo4j_database)
    if conflicts:
        stream, held = next(iter(conflicts.items()))
        where = (
            f"the data folder {settings.data_dir}"
            if settings.embedded
            else f"the graph at {settings.neo4j_uri}"
        )
        raise StateConflict(
            f"{where} holds the sync state of {held!r}, but the sources in "
            f"{settings.sources_path} are {origins[stream]!r} ({len(conflicts)} streams, "
            f"{stream} first), whose records those cursors would skip. Start clean with "
            "`hub db reset`, or set HUB_DATA_DIR to a new folder."
        )


_running: dict[str, asyncio.Task[Synced]] = {}


def running(source: str) -> bool:
    task = _running.get(source)
    return task is not None and not task.done()


def start(settings: Settings, source: str) -> list[str]:
    """Start syncing `source` in the background; the names of its streams.

    Raises ConfigError for an unknown or unconfigured source."""
    connector = connectors.build(source, settings)
    _running[source] = asyncio.get_running_loop().create_task(_background(settings, connector))
    return list(connector.mapping().streams)


async def wait(source: str) -> list[StreamReport]:
    """The reports of the last run of `source` (for tests and shutdown)."""
    task = _running.get(source)
    return [] if task is None else (await task).streams


async def _background(settings: Settings, connector: connectors.Connector) -> Synced:
    driver = db.driver(settings)
    try:
        done = await sync(driver, settings, [connector])
        for failure in done.failures:
            log.warning("sync of %s incomplete: %s", failure.source, failure.reason)
        return done
    except Exception:
        log.exception("sync of %s failed", connector.name)
        raise
    finally:
        driver.close()


__all__ = ["ConfigError", "Failure", "Synced", "running", "start", "sync", "wait"]
