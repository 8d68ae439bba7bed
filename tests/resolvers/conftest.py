from __future__ import annotations

from collections.abc import Iterator

import pytest
from neo4j import Driver

from hub.settings import Settings
from tests.resolvers.county import County, county


@pytest.fixture(scope="module")
def synced(
    tmp_path_factory: pytest.TempPathFactory, settings: Settings, driver: Driver
) -> Iterator[County]:
    """The county, synced once for the module; its tests must not wipe the graph."""
    yield from county(tmp_path_factory.mktemp("county"), settings, driver)
