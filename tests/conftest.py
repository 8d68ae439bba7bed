"""Fixtures shared by the whole suite: the real Neo4j the tests run against.

Without NEO4J_URI the suite uses the project-run Neo4j on Bolt port 7688 (or
HUB_NEO4J_PORT), never the demo's 7687, and starts it if it is not running. Tests that
need an empty graph take the `graph` fixture, which deletes everything first: point
NEO4J_URI only at a database you are happy to lose.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from neo4j import Driver

os.environ.setdefault("HUB_NEO4J_PORT", "7688")
os.environ.setdefault("HUB_NEO4J_HEAP", "1g")
os.environ.setdefault("HUB_NEO4J_PAGECACHE", "512m")

from hub import auth, db
from hub.access import Role
from hub.loader import Loader
from hub.migrate import migrate
from hub.settings import Settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def driver(settings: Settings) -> Iterator[Driver]:
    with db.connected(settings) as drv:
        yield drv


def wipe(driver: Driver) -> None:
    with driver.session() as session:
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()


@pytest.fixture
def graph(driver: Driver) -> Driver:
    """The driver, to an empty graph that carries the current schema."""
    wipe(driver)
    migrate(driver)
    return driver


@pytest.fixture
def loader(graph: Driver) -> Loader:
    return Loader(graph, batch_size=1000)


def bearer(
    settings: Settings,
    role: Role | str = Role.investigator,
    user: str = "tester",
    unit: str | None = "U1",
) -> dict[str, str]:
    """Headers of a request made with a development token."""
    return {"authorization": f"Bearer {auth.issue(settings, user, Role(role), unit)}"}
