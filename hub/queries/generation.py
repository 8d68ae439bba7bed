"""The data's version: a value that changes with the data.

Some answers are computed from the whole graph and change only when the data does: case
clusters, dashboard figures, alert counts. An API process keeps them (`resolvers.cached`)
for as long as the version they were computed at is the current one, which each request
reads. Every writer of such data gives the version a new value once its writes have
committed, or in the same transaction: a sync when it ends (`hub.syncing`), every write
of the API (`entities.write`: alerts, stop-payments; operations), identity resolution
when it changes a merge (`hub.resolution.apply`), `hub db reset` and `hub db restore`.
Processes behind one load balancer therefore see each other's changes.

The version is kept in two places:
- in the graph, one `DataVersion` node, set by every writer (in the write's own
  transaction where it can be);
- for the project-run Neo4j, also in a file of its instance folder (`stamp`), written
  by every writer after its writes have committed. That Neo4j listens on loopback only
  and its password is in the data folder: every process that can write to it runs on
  this machine with this folder, so the file is exact, and reading it costs a file read
  where reading the node cost a round trip to the database (on the loaded 2-core machine
  4-9 ms, most of a kept answer's time). An API process writes it again when it starts
  (it may have stopped between a commit and the file).
Against `NEO4J_URI` (processes may run on other machines) each request reads the node;
a project-run graph whose folder has no file yet (no writer has run since) reads it too.

A graph without the node (loaded by other means than a sync) has no version: nothing is
kept then. A graph emptied and loaded again gets a new random value, never an old one.
"""

from __future__ import annotations

import os
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from neo4j import READ_ACCESS, AsyncDriver, AsyncManagedTransaction, Driver, Query

from hub import embedded
from hub.settings import Settings

BUMP = (
    "MERGE (v:DataVersion {name: 'data'}) "
    "SET v.version = randomUUID(), v.changed_at = datetime(), v.reason = $reason"
)
CURRENT = (
    "MATCH (v:DataVersion {name: 'data'}) RETURN v.version AS version, v.changed_at AS changed_at"
)
STAMP = "data-version"
# The API request's writes that changed the version in their transaction (`bump_in`):
# the request writes the stamp once they have committed (`resolvers.cached.Stamping`).
CHANGED: ContextVar[list[str] | None] = ContextVar("changed", default=None)


@dataclass(frozen=True)
class Version:
    value: str
    changed_at: datetime


def stamp(settings: Settings) -> Path | None:
    """The file of the project-run Neo4j's data version; None against `NEO4J_URI`."""
    return embedded.Instance(settings).folder / STAMP if settings.embedded else None


def stamped(settings: Settings) -> None:
    """Give the stamp a new value (after the writes it stands for have committed); a
    reader sees the old file or the new one, never a part."""
    path = stamp(settings)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    written = path.with_name(f"{STAMP}.{os.getpid()}.{uuid.uuid4().hex}")
    written.write_text(uuid.uuid4().hex)
    os.replace(written, path)


def bump(driver: Driver, settings: Settings, reason: str) -> None:
    """Give the data a new version (for the synchronous driver of syncs and resolution),
    in the graph and then in the stamp."""
    driver.execute_query(Query(BUMP), reason=reason, database_=settings.neo4j_database)
    stamped(settings)


async def bump_in(tx: AsyncManagedTransaction, reason: str) -> None:
    """Give the data a new version inside a write transaction of the API. The stamp is
    written once the transaction has committed: by the GraphQL request it runs in
    (`resolvers.cached.Stamping`); outside one, the caller calls `stamped` itself."""
    await (await tx.run(BUMP, reason=reason)).consume()
    changed = CHANGED.get()
    if changed is not None:
        changed.append(reason)


async def current(
    driver: AsyncDriver, timeout: float, database: str | None = None
) -> Version | None:
    """The graph's data version now; None if it has none (one auto-commit read)."""
    async with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
        record = await (await session.run(Query(CURRENT, timeout=timeout))).single()
    if record is None:
        return None
    return Version(record["version"], record["changed_at"].to_native())


async def now(
    driver: AsyncDriver, path: Path | None, timeout: float, database: str | None = None
) -> str | None:
    """The data's version as a value to compare: the stamp at `path` where there is one,
    else the graph's; None if there is neither."""
    if path is not None:
        try:
            return f"stamp {path.read_text()}"
        except FileNotFoundError:
            pass
    found = await current(driver, timeout, database)
    return None if found is None else f"graph {found.value}"
