"""The data's version: one node in the graph whose random value changes with the data.

Some answers are computed from the whole graph and change only when the data does: case
clusters, dashboard figures, alert counts. An API process keeps them (`resolvers.cached`)
for as long as the version they were computed at is the graph's current one, which each
request reads (one small read). Every writer of such data gives the version a new value
once its writes have committed or in the same transaction: a sync when it ends
(`hub.syncing`), every write of the API (`entities.write`: operations, alerts,
stop-payments), identity resolution when it changes a merge (`hub.resolution.apply`).
Processes behind one load balancer therefore see each other's changes.

A graph without the node (loaded by other means than a sync) has no version: nothing is
kept then. A graph emptied and loaded again gets a new random value, never an old one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from neo4j import READ_ACCESS, AsyncDriver, AsyncManagedTransaction, Driver, Query

BUMP = (
    "MERGE (v:DataVersion {name: 'data'}) "
    "SET v.version = randomUUID(), v.changed_at = datetime(), v.reason = $reason"
)
CURRENT = (
    "MATCH (v:DataVersion {name: 'data'}) RETURN v.version AS version, v.changed_at AS changed_at"
)


@dataclass(frozen=True)
class Version:
    value: str
    changed_at: datetime


def bump(driver: Driver, reason: str, database: str | None = None) -> None:
    """Give the data a new version (for the synchronous driver of syncs and resolution)."""
    driver.execute_query(Query(BUMP), reason=reason, database_=database)


async def bump_in(tx: AsyncManagedTransaction, reason: str) -> None:
    """Give the data a new version inside a write transaction of the API."""
    await (await tx.run(BUMP, reason=reason)).consume()


async def current(
    driver: AsyncDriver, timeout: float, database: str | None = None
) -> Version | None:
    """The data's version now; None if the graph has none (one auto-commit read)."""
    async with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
        record = await (await session.run(Query(CURRENT, timeout=timeout))).single()
    if record is None:
        return None
    return Version(record["version"], record["changed_at"].to_native())
