"""API keys of connector jobs and dashboard clients.

A key reads `hub_<key_id>_<secret>`: the key id is public (it names the key in
`hub keys list` and the audit trail), the secret is 32 random bytes. Only an argon2id
hash of the whole key is stored, so a copy of the database yields no usable key.
Checking a hash costs tens of milliseconds on purpose; the API process remembers a key
it has checked for `CACHE_SECONDS`, which is therefore also the longest a revoked key
may still work on a process that saw it just before.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from neo4j import AsyncDriver, Driver

from hub.access import Principal, Role
from hub.errors import ConfigError, Unauthenticated
from hub.queries import keys as queries

PREFIX = "hub_"
CACHE_SECONDS = 60.0
_SHAPE = re.compile(r"^hub_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class NewKey:
    key_id: str
    key: str


def create(
    driver: Driver, name: str, role: Role, unit: str | None, database: str | None = None
) -> NewKey:
    """A new key; its full text is returned once and never stored."""
    if not name.strip():
        raise ConfigError("an API key needs a name: who or what uses it")
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    queries.create(
        driver,
        database,
        key_id=key_id,
        hash=_hasher.hash(key),
        name=name,
        role=str(role),
        unit=unit,
        created_at=datetime.now(UTC),
    )
    return NewKey(key_id, key)


def listed(driver: Driver, database: str | None = None) -> list[dict[str, Any]]:
    return queries.listed(driver, database)


def revoke(driver: Driver, key_id: str, database: str | None = None) -> bool:
    """Revoke the key; False if there is no such key."""
    return queries.revoke(driver, key_id, datetime.now(UTC), database)


def looks_like_key(token: str) -> bool:
    return token.startswith(PREFIX)


class KeyChecker:
    """Checks presented keys against the graph, remembering good ones for a minute."""

    def __init__(self, driver: AsyncDriver, database: str | None = None) -> None:
        self._driver = driver
        self._database = database
        self._known: dict[str, tuple[float, Principal]] = {}

    async def principal(self, key: str, address: str) -> Principal:
        digest = hashlib.sha256(key.encode()).hexdigest()
        cached = self._known.get(digest)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        match = _SHAPE.match(key)
        if not match:
            raise Unauthenticated("malformed API key")
        key_id = match.group(1)
        found = await queries.find(self._driver, key_id, self._database)
        if found is None:
            raise Unauthenticated(f"unknown or revoked API key {key_id}")
        try:
            await asyncio.to_thread(_hasher.verify, found["hash"], key)
        except (VerificationError, InvalidHashError):
            raise Unauthenticated(f"wrong secret for API key {key_id}") from None
        principal = Principal(
            user=f"key:{found['name']}",
            role=Role(found["role"]),
            unit=found["unit"],
            client=f"key:{key_id}@{address}",
        )
        self._known[digest] = (time.monotonic() + CACHE_SECONDS, principal)
        return principal
