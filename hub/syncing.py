"""What one sync is, wherever it starts (`hub sync`, `hub demo`, `triggerSync`):

1. check that the graph's cursors belong to these sources (the sources file's `origin`):
   cursors saved for another county would make every stream fetch nothing, so another
   origin is refused before anything is written;
2. sync each connector's streams from their saved cursors (all of them with `full`); a
   source that does not answer fails alone: its failure is kept and the others go on;
3. derive the scope of everything restricted that changed (`hub.scope`): new records,
   cases that changed hands;
4. resolve identities, judging the new records against their candidates (a judgement
   is written with the scope of the records it cites; merges stay: a merged person's
   relationships are marked with the person they came from, and a sync writing to a
   merged person writes a person that resolution folds back in);
5. evaluate the alert rules, once everything above has committed, so that subscribers
   hear of what the sync raised;
6. give the data a new version (`hub.queries.generation`), whatever happened above.

With `bulk` (and always after a bulk load that was interrupted) a sync into an empty
graph of the project-run Neo4j writes step 2's rows through Neo4j's importer (`hub.bulk`)
rather than the loader; `Synced.notes` says why a sync asked to could not.

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
from connectors import state
from connectors.base import Failure
from connectors.sync import Progress, StreamReport, database_gone, sync_source
from hub import bulk as bulk_load
from hub import db, migrate, profiling, scope
from hub.errors import ConfigError, StateConflict
from hub.loader import Loader
from hub.queries import alerts, generation
from hub.resolution import records, run
from hub.settings import Settings

log = logging.getLogger(__name__)

ResolutionProgress = Callable[[str, int, int], None]


@dataclass
class Synced:
    streams: list[StreamReport]
    resolution: run.Report
    stages: dict[str, float] = field(default_factory=dict)  # seconds of each stage
    neo4j_cpu: float | None = None  # CPU seconds Neo4j used during the sync, if it says
    bulk: bool = False  # written through Neo4j's importer (hub.bulk)
    notes: list[str] = field(default_factory=list)  # how the sync went, worth saying

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
    bulk: bool = False,
    say: Callable[[str], None] | None = None,
) -> Synced:
    database = settings.neo4j_database
    stages: dict[str, float] = {}
    clock = time.perf_counter()

    def stage(name: str) -> None:
        nonlocal clock
        stages[name] = time.perf_counter() - clock
        clock = time.perf_counter()

    with database_gone("the sync"):
        try:
            cpu = await asyncio.to_thread(profiling.neo4j_cpu, driver, database)
            notes: list[str] = []
            collector: bulk_load.Collector | None = None
            if bulk or bulk_load.interrupted(settings):
                why = await asyncio.to_thread(bulk_load.why_not, driver, settings)
                if why is None:
                    await asyncio.to_thread(bulk_load.begin, driver, settings, say)
                    loader = collector = bulk_load.Collector(driver, settings)
                    full = True
                else:
                    notes.append(why)
                    if say:
                        say(why)
            await asyncio.to_thread(_claim, driver, settings, chosen)
            loader = loader or Loader.from_settings(driver, settings)
            reports: list[StreamReport] = []
            known = records.Known()  # person records' features, worked out as they are written
            if collector is None:
                for connector in chosen:
                    reports += await sync_source(
                        connector, loader, full=full, progress=progress, known=known
                    )
            else:  # frames only kept: the sources are fetched and normalised at once
                parts = collector.parts(len(chosen))
                try:
                    async with asyncio.TaskGroup() as group:
                        tasks = [
                            group.create_task(sync_source(c, part, full=True, progress=progress))
                            for c, part in zip(chosen, parts, strict=True)
                        ]
                except ExceptionGroup as failed:  # the others were cancelled: the first says
                    raise failed.exceptions[0] from None
                collector.absorb(parts)
                reports = [report for task in tasks for report in task.result()]
            stage("streams")
            landed = ahead = None
            if collector is not None:
                landed = await asyncio.to_thread(bulk_load.land, driver, settings, collector, say)
                stage("importing")
                cpu = None  # Neo4j was started again: its CPU counts from there
            # Records scoped first: a judgement is written with the scope of the records it
            # cites.
            try:  # after a bulk load that wrote every scope, nothing to refresh
                if landed is None or not landed.scoped:
                    await asyncio.to_thread(scope.refresh, driver, database)
            except BaseException:
                if landed is not None:
                    landed.close()
                raise
            stage("scoping")
            if landed is not None:
                ahead = await asyncio.to_thread(landed.ahead)  # trained and judged meanwhile
                stage("training and judging (rest)")
            resolved = await asyncio.to_thread(
                run.run, driver, settings, progress=resolving, ahead=ahead, known=known
            )
            stage("resolving")
            await asyncio.to_thread(
                alerts.evaluate_blocking, driver, settings.query_timeout, database
            )
            stage("alerts")
            if collector is not None:  # the full-text index, filled meanwhile
                await asyncio.to_thread(migrate.settle, driver, database)
                stage("indexes (rest)")
            after = await asyncio.to_thread(profiling.neo4j_cpu, driver, database)
            if collector is not None:
                bulk_load.finish(settings)
        finally:
            # 6. the data has a new version: answers the API keeps per version are computed
            # again (`resolvers.cached`), also after a sync that failed part of the way
            await asyncio.to_thread(generation.bump, driver, settings, "sync")
    used = after - cpu if after is not None and cpu is not None else None
    return Synced(reports, resolved, stages, used, collector is not None, notes)


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

    Raises ConfigError for an unknown or unconfigured source, StateConflict while a
    first load through the importer waits to be finished: it stops the database, which
    the API is serving from."""
    if bulk_load.interrupted(settings):
        raise StateConflict(
            "a first load through Neo4j's importer was interrupted: "
            "`hub sync` on the hub's host finishes it"
        )
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


__all__ = ["ConfigError", "Failure", "Synced", "running", "start", "sync", "wait"]
