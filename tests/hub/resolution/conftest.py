"""A county for resolution in the real graph, synced once for the package.

`test_match` and `test_run` read the same county: its sync is shared, and each test
starts from it with every resolution undone (`synced`), checked against the snapshot
taken right after the sync. A test that empties the graph takes the mark away with it,
and the next one to ask syncs the county again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from connectors import HTTP
from connectors.bigdata import BigData
from connectors.sync import sync_files, sync_stream
from hub.loader import Loader
from hub.migrate import migrate
from hub.resolution import apply
from hub.resolution.records import Known
from tests import snapshot as snapshots
from tests.conftest import wipe
from tests.connectors.simulator import Simulator, running
from tests.connectors.test_connectors import connector
from tests.snapshot import Snapshot, differences

MARK = "tests/resolution-county"


def sync(sim: Simulator, driver: Driver, bigdata: Path | None, known: Known | None = None) -> None:
    loader = Loader(driver, batch_size=2000)
    for name in sorted(HTTP):
        made = connector(sim, name, page_size=500)
        for stream in made.mapping().streams:
            asyncio.run(sync_stream(made, stream, loader, known=known))
    if bigdata is not None:
        # the feeds with person records; checkpoints and calls name none
        feeds = ["hotel", "netcafe", "rail"]
        asyncio.run(sync_files(BigData(bigdata), loader, streams=feeds, known=known))


def snapshot(driver: Driver) -> Snapshot:
    """Every node and relationship as sorted text; without judgements and sync state.
    `sources` is a set kept in arrival order, which differs between a sync in two steps
    and one in a single step: it is compared as a set."""
    return snapshots.snapshot(
        driver,
        leave_out={*snapshots.BOOKKEEPING, "Judgement"},
        volatile={"fetched_at", "resolved", "at", "last_run"},
        as_sets={"sources"},
    )


@pytest.fixture(scope="package")
def world(county_files: Callable[..., Path]) -> Path:
    return county_files(people=500, seed=7, noise="hard")


@pytest.fixture(scope="package")
def simulator(world: Path) -> Iterator[Simulator]:
    with running(world) as sim:
        yield sim


def sync_the_county(driver: Driver, simulator: Simulator, world: Path) -> None:
    wipe(driver)
    migrate(driver)
    sync(simulator, driver, world / "sources" / "bigdata")
    driver.execute_query("CREATE (:SyncState {stream_id: $mark})", mark=MARK)


@pytest.fixture(scope="package")
def pristine(driver: Driver, simulator: Simulator, world: Path) -> Snapshot:
    """The graph of one sync of the county, unresolved, as a snapshot."""
    sync_the_county(driver, simulator, world)
    return snapshot(driver)


def unresolved(driver: Driver, pristine: Snapshot, simulator: Simulator, world: Path) -> Driver:
    """The graph as the county's one sync left it: an earlier test's merges are split,
    its judgements deleted and its records unresolved, and the result is checked
    against the snapshot. After a test that emptied the graph, the county is synced
    again."""
    marked = driver.execute_query("MATCH (s:SyncState {stream_id: $mark}) RETURN s", mark=MARK)
    if not marked.records:
        sync_the_county(driver, simulator, world)
    apply.unapply(driver, None)
    driver.execute_query("MATCH (j:Judgement) DETACH DELETE j")
    driver.execute_query("MATCH (k:BlockKey) DELETE k")
    driver.execute_query(
        "MATCH (r:Record) WHERE r.resolved IS NOT NULL OR r.field_errors IS NOT NULL "
        "REMOVE r.resolved, r.field_errors"
    )
    assert differences(pristine, snapshot(driver)) == []
    return driver


@pytest.fixture
def synced(driver: Driver, pristine: Snapshot, simulator: Simulator, world: Path) -> Driver:
    """The county's graph, unresolved (see `unresolved`)."""
    return unresolved(driver, pristine, simulator, world)
