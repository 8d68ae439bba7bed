"""A sync started from the API (`triggerSync`): the sources' streams, then the alert
rules, in the API process, one run per source at a time."""

from __future__ import annotations

import asyncio
import logging

import connectors
from connectors.sync import StreamReport, sync_files, sync_stream
from hub import db
from hub.errors import ConfigError
from hub.loader import Loader
from hub.queries import alerts
from hub.settings import Settings

log = logging.getLogger(__name__)

_running: dict[str, asyncio.Task[list[StreamReport]]] = {}


def running(source: str) -> bool:
    task = _running.get(source)
    return task is not None and not task.done()


def start(settings: Settings, source: str) -> list[str]:
    """Start syncing `source` in the background; the names of its streams.

    Raises ConfigError for an unknown or unconfigured source."""
    connector = connectors.build(source, settings)
    _running[source] = asyncio.get_running_loop().create_task(_run(settings, connector))
    return list(connector.mapping().streams)


async def wait(source: str) -> list[StreamReport]:
    """The reports of the last run of `source` (for tests and shutdown)."""
    task = _running.get(source)
    return [] if task is None else await task


async def _run(settings: Settings, connector: connectors.Connector) -> list[StreamReport]:
    driver = db.driver(settings)
    try:
        loader = Loader.from_settings(driver, settings)
        if isinstance(connector, connectors.FileConnector):
            reports = await sync_files(connector, loader)
        else:
            reports = [
                await sync_stream(connector, stream, loader)
                for stream in connector.mapping().streams
            ]
        await asyncio.to_thread(
            alerts.evaluate_blocking, driver, settings.query_timeout, settings.neo4j_database
        )
        return reports
    except Exception:
        log.exception("sync of %s failed", connector.name)
        raise
    finally:
        driver.close()


__all__ = ["ConfigError", "running", "start", "wait"]
