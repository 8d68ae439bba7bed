"""A synthetic county synced into Neo4j once per test module, and a way to ask the
schema questions as a given principal."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from neo4j import AsyncGraphDatabase, Driver
from strawberry import relay

import connectors
from connectors.sync import sync_files, sync_stream
from hub import db, ids, scope
from hub.access import SYSTEM, Principal
from hub.loader import Loader
from hub.migrate import migrate
from hub.settings import Settings
from resolvers.context import Context
from resolvers.schema import schema
from tests.conftest import wipe
from tests.connectors.simulator import running

PEOPLE = 2000


@dataclass
class County:
    world: Path
    settings: Settings
    driver: Driver

    def truth(self, table: str) -> pl.DataFrame:
        return pl.read_parquet(self.world / "truth" / f"{table}.parquet")


def sync(settings: Settings, driver: Driver) -> None:
    loader = Loader(driver, batch_size=5000)

    async def run() -> None:
        for name in connectors.names():
            made = connectors.build(name, settings)
            if isinstance(made, connectors.FileConnector):
                await sync_files(made, loader)
            else:
                for stream in made.mapping().streams:
                    await sync_stream(made, stream, loader)

    asyncio.run(run())


def await_fulltext(driver: Driver) -> None:
    """Wait until the eventually consistent full-text index has applied every update."""
    driver.execute_query("CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()")


MARK = f"tests/county-{PEOPLE}"


def county(world: Path, settings: Settings, driver: Driver) -> Iterator[County]:
    """The county of `world` (PEOPLE people, generated) in the graph. Generation is
    seeded, so a graph a previous module synced (and no test wiped since: the mark goes
    with everything else) is reused."""
    marked, _, _ = driver.execute_query(
        "MATCH (s:SyncState {stream_id: $mark}) RETURN s", mark=MARK
    )
    if not marked:
        wipe(driver)
        migrate(driver)
        with running(world) as sim:
            local = dataclasses.replace(settings, sources_file=sim.sources_file)
            sync(local, driver)
            scope.refresh(driver)
        driver.execute_query("CREATE (:SyncState {stream_id: $mark})", mark=MARK)
    migrate(driver)  # idempotent: a reused graph gets this schema's new constraints
    await_fulltext(driver)
    yield County(world, settings, driver)


def global_id(settings: Settings, label: str, key: str) -> str:
    """The id the API gives the `label` entity with this key."""
    return relay.to_base64(label, ids.codec(settings).encode(label, key))


class Asked:
    """The answer to one request, and how many Cypher statements it sent."""

    def __init__(self, data: Any, errors: list[Any] | None, statements: int) -> None:
        self.data = data
        self.errors = errors
        self.statements = statements


class CountingDriver:
    """The driver, counting each statement it is asked to run, whichever way."""

    def __init__(self, driver: Any) -> None:
        self._driver = driver
        self.statements = 0

    async def execute_query(self, *args: Any, **kwargs: Any) -> Any:
        self.statements += 1
        return await self._driver.execute_query(*args, **kwargs)

    def session(self, *args: Any, **kwargs: Any) -> CountingSession:
        return CountingSession(self, self._driver.session(*args, **kwargs))


class CountingSession:
    def __init__(self, counter: CountingDriver, session: Any) -> None:
        self._counter = counter
        self._session = session

    async def __aenter__(self) -> CountingSession:
        await self._session.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._session.__aexit__(*exc)

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        self._counter.statements += 1
        return await self._session.run(*args, **kwargs)

    async def execute_write(self, work: Any, *args: Any, **kwargs: Any) -> Any:
        """A write transaction whose statements are counted."""

        @functools.wraps(work)  # keeps what unit_of_work set on it (the timeout)
        async def counted(tx: Any, *a: Any, **k: Any) -> Any:
            return await work(CountingTransaction(self._counter, tx), *a, **k)

        return await self._session.execute_write(counted, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in ("execute_read", "begin_transaction"):
            raise AssertionError(f"{name}: statements run there would not be counted")
        return getattr(self._session, name)


class CountingTransaction:
    def __init__(self, counter: CountingDriver, tx: Any) -> None:
        self._counter = counter
        self._tx = tx

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        self._counter.statements += 1
        return await self._tx.run(*args, **kwargs)


def ask(
    settings: Settings,
    query: str,
    principal: Principal = SYSTEM,
    **variables: Any,
) -> Asked:
    """Execute `query` through the schema as `principal`, against the real Neo4j."""

    async def run() -> Asked:
        uri, auth = db.credentials(settings)
        async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
            counting = CountingDriver(driver)
            context = Context(
                settings=settings,
                driver=counting,  # type: ignore[arg-type]
                ids=ids.codec(settings),
                principal=principal,
            )
            result = await schema.execute(query, variable_values=variables, context_value=context)
            errors = [e.message for e in result.errors] if result.errors else None
            return Asked(result.data, errors, counting.statements)

    return asyncio.run(run())


def data(settings: Settings, query: str, principal: Principal = SYSTEM, **variables: Any) -> Any:
    """The data of an answer that must have no errors."""
    answer = ask(settings, query, principal, **variables)
    assert answer.errors is None, answer.errors
    return answer.data
