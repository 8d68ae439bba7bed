"""What one sync is, wherever it starts (`hub sync`, `hub demo`, `triggerSync`):

1. sync each connector's streams from their saved cursors (all of them with `full`),
   each step splitting the merges identity resolution made of the persons it names,
   so that the loader's MERGEs find every relationship where a source put it;
2. resolve identities again, judging the new records against the graph;
3. evaluate the alert rules, once everything above has committed, so that subscribers
   hear of what the sync raised.

The API runs it in the background, one run per source at a time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from neo4j import Driver

import connectors
from connectors.base import Failure
from connectors.sync import Progress, StreamReport, database_gone, sync_source
from hub import db, profiling
from hub.errors import ConfigError
from hub.loader import Loader
from hub.queries import alerts
from hub.resolution import run
from hub.settings import Settings

log = logging.getLogger(__name__)

ResolutionProgress = Callable[[str, int, int], None]


@dataclass
class Synced:
    streams: list[StreamReport]
    resolution: run.Report
    stages: dict[str, float] = field(default_factory=dict)  # seconds of each stage
    neo4j_cpu: float | None = None  # CPU seconds Neo4j used during the sync, if it says

    @property
    def failures(self) -> list[Failure]:
        """What could not be loaded (a file, a source), each once, in the streams' order."""
        return list(dict.fromkeys(f for r in self.streams for f in r.failures))

    @property
    def partial(self) -> bool:
        """Something could not be loaded; everything else was, and resolved and alerted."""
        return bool(self.failures)

    def summary(self) -> str:
        written = sum(r.written for r in self.streams)
        held = sum(r.quarantined for r in self.streams)
        text = f"{len(self.streams)} streams, {written} rows written, {held} quarantined"
        if self.failures:
            text += "; not loaded: " + ", ".join(f.what for f in self.failures)
        return text


async def sync(
    driver: Driver,
    settings: Settings,
    chosen: list[connectors.Connector],
    *,
    full: bool = False,
    progress: Progress | None = None,
    resolving: ResolutionProgress | None = None,
    loader: Loader | None = None,
) -> Synced:
    database = settings.neo4j_database
    stages: dict[str, float] = {}
    clock = time.perf_counter()

    def stage(name: str) -> None:
        nonlocal clock
        stages[name] = time.perf_counter() - clock
        clock = time.perf_counter()

    with database_gone("the sync"):
        cpu = await asyncio.to_thread(profiling.neo4j_cpu, driver, database)
        loader = loader or Loader.from_settings(driver, settings)
        reports: list[StreamReport] = []
        for connector in chosen:
            reports += await sync_source(connector, loader, full=full, progress=progress)
        stage("streams")
        resolved = await asyncio.to_thread(run.run, driver, settings, progress=resolving)
        stage("resolving")
        await asyncio.to_thread(alerts.evaluate_blocking, driver, settings.query_timeout, database)
        stage("alerts")
        after = await asyncio.to_thread(profiling.neo4j_cpu, driver, database)
    used = after - cpu if after is not None and cpu is not None else None
    return Synced(reports, resolved, stages, used)


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
            log.warning("sync of %s: not loaded: %s", connector.name, failure)
        return done
    except Exception:
        log.exception("sync of %s failed", connector.name)
        raise
    finally:
        driver.close()


__all__ = ["ConfigError", "Synced", "running", "start", "sync", "wait"]
