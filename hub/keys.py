"""API keys of connector jobs and dashboard clients.

A key reads `hub_<key_id>_<secret>`: the key id is public (it names the key in
`hub keys list` and the audit trail), the secret is 32 random bytes. Only an argon2id
hash of the whole key is stored, so a copy of the database yields no usable key.
Checking a hash costs tens of milliseconds on purpose; the API process remembers a key
it has checked for `CACHE_SECONDS`, which is therefore also the longest a revoked key
may still work on a process that saw it just before. A key id that the graph does not
know costs a check of a hash all the same, and gets the same message as a wrong secret,
so that neither the time nor the answer tells a guesser which key ids exist. Wrong
secrets are counted per key id and client address, for key ids the graph knows and
those it does not alike: past `FAILURES_PER_MINUTE` of them from one address, a key of
that id is refused from that address (429, without a look-up) until the minute has
passed, so guessing is slowed while the key's owner, from another address, is not held
up, and a 429 tells no more than a 401 which key ids exist. An address that failed too
often to log in at all (`throttled`) has every key not checked in the last minute refused
without a look-up, a real key id or not. One hash is checked at a time, so that a flood
of bad keys takes at most one core from the users whose credentials are known; past
`HASHES_WAITING` keys waiting for it, a key is refused at once (429) without a look-up,
whether its id exists or not.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from neo4j import AsyncDriver, Driver

from hub.access import Principal, Role
from hub.errors import ConfigError, RateLimited, Unauthenticated
from hub.queries import keys as queries
from hub.ratelimit import RateLimiter

PREFIX = "hub_"
CACHE_SECONDS = 60.0
FAILURES_PER_MINUTE = 10
HASHES_WAITING = 4
REFUSED = "unknown, revoked or wrong API key"
_SHAPE = re.compile(r"^hub_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_hasher = PasswordHasher()


@cache
def _decoy() -> str:
    """What an unknown key id is checked against, so that it takes as long as a known one."""
    return _hasher.hash(secrets.token_urlsafe(32))


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
        self._failures = RateLimiter(FAILURES_PER_MINUTE)  # wrong secrets, by key id and address
        self._hashing = asyncio.Semaphore(1)
        self._waiting = 0  # keys being looked up or waiting for their hash to be checked
        _decoy()  # made now, or the first unknown key id would take two hashes' time

    def known(self, key: str) -> Principal | None:
        """The principal of a key checked within the last minute, if it is one."""
        cached = self._known.get(hashlib.sha256(key.encode()).hexdigest())
        return cached[1] if cached and cached[0] > time.monotonic() else None

    async def principal(self, key: str, address: str, throttled: bool = False) -> Principal:
        """The key's principal; `throttled`: its address failed too often to log in, so a
        key not checked in the last minute is refused without a look-up."""
        cached = self.known(key)
        if cached is not None:
            return cached
        match = _SHAPE.match(key)
        if not match:
            raise Unauthenticated("malformed API key: it reads hub_<key id>_<secret>")
        key_id = match.group(1)
        guesser = f"{key_id}|{address}"
        if self._failures.blocked(guesser):
            raise RateLimited(self._failures.retry_after(guesser) or 1)
        if throttled:  # answered 429 by the caller, whether the key id exists or not
            raise Unauthenticated(REFUSED)
        if self._waiting >= HASHES_WAITING:
            raise RateLimited(1)
        self._waiting += 1
        try:
            found = await queries.find(self._driver, key_id, self._database)
            async with self._hashing:
                await asyncio.to_thread(
                    _hasher.verify, _decoy() if found is None else found["hash"], key
                )
        except (VerificationError, InvalidHashError):
            self._failures.retry_after(guesser)  # counted alike for unknown key ids
            raise Unauthenticated(REFUSED) from None
        finally:
            self._waiting -= 1
        if found is None:  # the decoy cannot match a key: never reached
            raise Unauthenticated(REFUSED)
        principal = Principal(
            user=f"key:{found['name']}",
            role=Role(found["role"]),
            unit=found["unit"],
            client=f"key:{key_id}@{address}",
        )
        self._known[hashlib.sha256(key.encode()).hexdigest()] = (
            time.monotonic() + CACHE_SECONDS,
            principal,
        )
        return principal
