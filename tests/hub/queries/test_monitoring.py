"""What `/metrics` reads of each stream: a file feed's cursor is its newest file loaded."""

from __future__ import annotations

import asyncio
from typing import Any

from neo4j import AsyncGraphDatabase, Driver

from connectors import state
from connectors.manifest import LOADED, Entry
from hub import db
from hub.queries import monitoring
from hub.settings import Settings


def streams(settings: Settings) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        uri, auth = db.credentials(settings)
        async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
            found, _ = await monitoring.state(driver, 10.0)
        return found

    return asyncio.run(run())


def test_a_file_feed_shows_the_same_cursor_as_hub_sources(
    graph: Driver, settings: Settings
) -> None:
    state.save_cursor(graph, "bigdata", "cdr", None, rows=5, quarantined=0)
    state.record_files(
        graph,
        "bigdata",
        [
            Entry("cdr", name, 1, 1, name, LOADED, name)
            for name in ("cdr_2026-11-01.csv", "cdr_2026-11-02.csv")
        ],
    )
    (cdr,) = streams(settings)
    assert (cdr["stream"], cdr["cursor"], cdr["rows"]) == ("bigdata/cdr", "cdr_2026-11-02.csv", 5)
    assert [r["cursor"] for r in state.sources(graph)] == [cdr["cursor"]]
