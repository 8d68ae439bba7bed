"""What one sync is, wherever it starts (`hub sync`, `hub demo`, `triggerSync`):

1. split the merges identity resolution made, so that the loader's MERGEs find every
   relationship where a source put it;
2. sync each connector's streams from their saved cursors (all of them with `full`);
3. resolve identities again, judging the new records against the graph;
4. evaluate the alert rules, once everything above has committed, so that subscribers
   hear of what the sync raised;
5. give the data a new version (`hub.queries.generation`), whatever happened above.

The API runs it in the background, one run per source at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from neo4j import Driver

import connectors
from connectors.sync import Progress, StreamReport, sync_files, sync_stream
from hub import db
from hub.errors import ConfigError
from hub.loader import Loader
from hub.queries import alerts, generation
from hub.resolution import apply, run
from hub.settings import Settings

log = logging.getLogger(__name__)

ResolutionProgress = Callable[[str, int, int], None]


@dataclass
class Synced:
    streams: list[StreamReport]
    resolution: run.Report

    def summary(self) -> str:
        written = sum(r.written for r in self.streams)
        held = sum(r.quarantined for r in self.streams)
        return f"{len(self.streams)} streams, {written} rows written, {held} quarantined"


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
    try:
        await asyncio.to_thread(apply.unapply, driver, database)
        loader = Loader.from_settings(driver, settings)
        reports: list[StreamReport] = []
        for connector in chosen:
            if isinstance(connector, connectors.FileConnector):
                # All feeds at once: their files load day by day, whatever the feed.
                reports += await sync_files(connector, loader, full=full, progress=progress)
            else:
                for stream in connector.mapping().streams:
                    reports.append(
                        await sync_stream(connector, stream, loader, full=full, progress=progress)
                    )
        resolved = await asyncio.to_thread(run.run, driver, settings, progress=resolving)
        await asyncio.to_thread(alerts.evaluate_blocking, driver, settings.query_timeout, database)
    finally:
        # 5. the data has a new version: answers the API keeps per version are computed
        # again (`resolvers.cached`), also after a sync that failed part of the way
        await asyncio.to_thread(generation.bump, driver, "sync", database)
    return Synced(reports, resolved)


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
        return await sync(driver, settings, [connector])
    except Exception:
        log.exception("sync of %s failed", connector.name)
        raise
    finally:
        driver.close()


__all__ = ["ConfigError", "Synced", "running", "start", "sync", "wait"]
