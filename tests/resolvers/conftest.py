from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from hub.settings import Settings
from tests.resolvers.county import PEOPLE, County, county


@pytest.fixture(scope="module")
def synced(
    county_files: Callable[..., Path], settings: Settings, driver: Driver
) -> Iterator[County]:
    """The county, synced once for the module; its tests must not wipe the graph."""
    yield from county(county_files(people=PEOPLE, seed=3, noise="hard"), settings, driver)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the modules that read the synced county one after another, before the ones
    that empty the graph (`graph`, `serve`): the county is then synced once, not again
    after each emptying."""
    here = Path(__file__).parent
    mine = [i for i, item in enumerate(items) if item.path.is_relative_to(here)]
    modules = [items[i].path for i in mine]
    reads = {items[i].path for i in mine if "synced" in items[i].fixturenames}
    first_seen = {path: n for n, path in reversed(list(enumerate(modules)))}
    ordered = sorted(
        (items[i] for i in mine), key=lambda it: (it.path not in reads, first_seen[it.path])
    )
    for slot, item in zip(mine, ordered, strict=True):
        items[slot] = item
