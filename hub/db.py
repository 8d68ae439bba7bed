"""The connection to Neo4j: the server NEO4J_URI names, or the one the hub runs itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import neo4j
from neo4j import Driver, GraphDatabase

from hub import embedded
from hub.errors import DatabaseUnavailable
from hub.settings import Settings


def unreachable(exc: BaseException | None) -> bool:
    """Whether `exc` (or what caused it) says the database cannot be reached: not
    running, a connection lost, the database stopping, no connection to be had; as
    opposed to a query that failed on its own (a syntax error, a timeout, a constraint)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(
            exc,
            neo4j.exceptions.ServiceUnavailable
            | neo4j.exceptions.SessionExpired
            | neo4j.exceptions.DatabaseUnavailable
            | neo4j.exceptions.ConnectionAcquisitionTimeoutError
            | ConnectionError,
        ):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def credentials(settings: Settings) -> tuple[str, tuple[str, str]]:
    """URI and (user, password) to reach Neo4j, without starting anything."""
    if settings.embedded:
        inst = embedded.Instance(settings)
        return inst.uri, ("neo4j", inst.password())
    if settings.neo4j_password is None:
        raise DatabaseUnavailable("NEO4J_URI is set but NEO4J_PASSWORD is not")
    assert settings.neo4j_uri is not None
    return settings.neo4j_uri, (settings.neo4j_user, settings.neo4j_password)


def driver(settings: Settings) -> Driver:
    """A driver for the configured Neo4j; creating it does not contact the server."""
    uri, auth = credentials(settings)
    # Concurrent loads that share nodes deadlock now and then; Neo4j breaks the cycle and
    # the driver retries the loser. On a busy machine 30 s (the default) of retries is
    # not always enough for every writer to get through (HUB_DATABASE_WAIT).
    return GraphDatabase.driver(
        uri, auth=auth, user_agent="county-hub", max_transaction_retry_time=settings.database_wait
    )


def connect(settings: Settings) -> Driver:
    """A driver to a reachable Neo4j, starting the project-run one if needed."""
    if settings.embedded:
        embedded.start(settings)
    drv = driver(settings)
    try:
        drv.verify_connectivity()
    except neo4j.exceptions.AuthError:
        drv.close()
        raise DatabaseUnavailable(
            f"Neo4j at {credentials(settings)[0]} refused the credentials"
        ) from None
    except (neo4j.exceptions.ServiceUnavailable, OSError) as exc:
        drv.close()
        raise DatabaseUnavailable(
            f"Neo4j at {credentials(settings)[0]} is unreachable: {exc}"
        ) from None
    return drv


@contextmanager
def connected(settings: Settings) -> Iterator[Driver]:
    drv = connect(settings)
    try:
        yield drv
    finally:
        drv.close()


def empty(driver: Driver, database: str | None = None) -> int:
    """Delete every node and relationship, in transactions of 10,000 nodes; how many."""
    with driver.session(database=database) as session:
        counted = session.run("MATCH (n) RETURN count(n) AS n").single()
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
    return int(counted["n"]) if counted else 0
