"""API keys in the graph: one ApiKey node per key, only the hash of its secret stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from neo4j import AsyncDriver, Driver, RoutingControl

CREATE = (
    "CREATE (k:ApiKey {key_id: $key_id, hash: $hash, name: $name, role: $role, unit: $unit, "
    "created_at: $created_at})"
)
LIST = (
    "MATCH (k:ApiKey) RETURN k.key_id AS key_id, k.name AS name, k.role AS role, "
    "k.unit AS unit, k.created_at AS created_at, k.revoked_at AS revoked_at "
    "ORDER BY k.created_at"
)
REVOKE = (
    "MATCH (k:ApiKey {key_id: $key_id}) SET k.revoked_at = coalesce(k.revoked_at, $at) "
    "RETURN k.key_id AS key_id"
)
FIND = (
    "MATCH (k:ApiKey {key_id: $key_id}) WHERE k.revoked_at IS NULL "
    "RETURN k.hash AS hash, k.name AS name, k.role AS role, k.unit AS unit"
)


def create(driver: Driver, database: str | None = None, **key: Any) -> None:
    driver.execute_query(CREATE, key, database_=database)


def listed(driver: Driver, database: str | None = None) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(LIST, database_=database, routing_=RoutingControl.READ)
    return [r.data() for r in records]


def revoke(driver: Driver, key_id: str, at: datetime, database: str | None = None) -> bool:
    records, _, _ = driver.execute_query(REVOKE, key_id=key_id, at=at, database_=database)
    return bool(records)


async def find(
    driver: AsyncDriver, key_id: str, database: str | None = None
) -> dict[str, Any] | None:
    """The unrevoked key with this id, or None."""
    records, _, _ = await driver.execute_query(
        FIND, key_id=key_id, database_=database, routing_=RoutingControl.READ
    )
    return records[0].data() if records else None
