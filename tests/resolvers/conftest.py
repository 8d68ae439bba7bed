from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from hub.resolution import apply, run
from hub.settings import Settings
from tests.resolvers.county import PEOPLE, County, county


@pytest.fixture(scope="module")
def synced(
    county_files: Callable[..., Path], settings: Settings, driver: Driver
) -> Iterator[County]:
    """The county, synced once for the module; its tests must not wipe the graph."""
    yield from county(county_files(people=PEOPLE, seed=3, noise="hard"), settings, driver)


@pytest.fixture(scope="module")
def resolved(synced: County) -> Iterator[County]:
    """The county resolved (a model trained, blocking keys stored), and afterwards as
    its sync left it again, for the modules that share it."""
    run.run(synced.driver, synced.settings)
    yield synced
    apply.unapply(synced.driver, None)
    synced.driver.execute_query(
        "MATCH (n) WHERE n:Judgement OR n:BlockKey OR n:ResolutionModel DETACH DELETE n"
    )
    synced.driver.execute_query(
        "MATCH (r:Record) WHERE r.resolved IS NOT NULL OR r.field_errors IS NOT NULL "
        "REMOVE r.resolved, r.field_errors"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the modules that read the synced county one after another, before the ones
    that empty the graph (`graph`, `serve`): the county is then synced once, not again
    after each emptying."""
    here = Path(__file__).parent
    mine = [i for i, item in enumerate(items) if item.path.is_relative_to(here)]
    modules = [items[i].path for i in mine]
    reads = {items[i].path for i in mine if {"synced", "resolved"} & set(items[i].fixturenames)}
    first_seen = {path: n for n, path in reversed(list(enumerate(modules)))}
    ordered = sorted(
        (items[i] for i in mine), key=lambda it: (it.path not in reads, first_seen[it.path])
    )
    for slot, item in zip(mine, ordered, strict=True):
        items[slot] = item
