"""Audit events of CLI commands: who ran what, appended to the same chain as the API's."""

from __future__ import annotations

import getpass
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from neo4j import Driver

from hub import audit
from hub.access import Principal, Role
from hub.errors import DatabaseUnavailable
from hub.settings import Settings


def principal() -> Principal:
    """Whoever runs the hub's CLI acts as an admin; the trail names the OS user."""
    return Principal(
        user=f"cli:{getpass.getuser()}", role=Role.admin, client=f"cli@{socket.gethostname()}"
    )


@contextmanager
def recorded(
    driver: Driver, settings: Settings, action: str, **details: Any
) -> Iterator[dict[str, Any]]:
    """Record `action` when the block ends: allowed, or error with the exception's text.

    The block may add `reason` or `entities` to the dict it gets.
    """
    started = time.perf_counter()
    extra: dict[str, Any] = {}
    try:
        yield extra
    except DatabaseUnavailable:
        raise  # the trail is in the database: it cannot take the event
    except Exception as exc:
        audit.append(
            driver,
            [
                audit.event(
                    principal(),
                    action,
                    audit.ERROR,
                    reason=f"{type(exc).__name__}: {exc}",
                    started=started,
                    variables=details,
                )
            ],
            settings.neo4j_database,
            audit.Seal.of(settings),
        )
        raise
    audit.append(
        driver,
        [
            audit.event(
                principal(),
                action,
                audit.ALLOWED,
                started=started,
                variables=details,
                reason=extra.get("reason"),
                entities=extra.get("entities", ()),
            )
        ],
        settings.neo4j_database,
        audit.Seal.of(settings),
    )
