"""Where a sync's time went: per stream, waiting on the source, transforming records
into graph rows and waiting on Neo4j; for the whole sync, the stages around the streams
(resolving identities, alerts) and the parts of resolving (reading the person records,
writing their blocking keys, training a model beside that, judging, storing the
judgements, applying the merges); and the CPU Neo4j spent meanwhile.

Stages of one stream overlap (the next step is fetched while one is written), so a
stream's figures may add up to more than its wall time; a stage that stays near the wall
time while the others idle is the bottleneck.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neo4j import Driver
from neo4j.exceptions import Neo4jError

if TYPE_CHECKING:
    from hub.syncing import Synced

_CPU = (
    "CALL dbms.queryJmx('java.lang:type=OperatingSystem') YIELD attributes "
    "RETURN attributes.ProcessCpuTime.value AS nanos"
)


def neo4j_cpu(driver: Driver, database: str | None = None) -> float | None:
    """CPU seconds the Neo4j process has used since it started; None where the server
    does not say (JMX procedures not allowed to this user)."""
    try:
        records, _, _ = driver.execute_query(_CPU, database_=database)
    except Neo4jError:
        return None
    nanos = records[0]["nanos"] if records else None
    return nanos / 1e9 if isinstance(nanos, int | float) else None


def lines(synced: Synced) -> list[str]:
    """The profile of a sync as text lines, a table of streams then the totals."""
    out = [
        f"{'stream':28s} {'rows':>9s} {'rows/s':>8s} {'wall s':>8s} "
        f"{'fetch s':>8s} {'transform s':>12s} {'neo4j s':>8s}"
    ]
    for r in synced.streams:
        t = r.timings
        out.append(
            f"{r.source + '/' + r.stream:28s} {r.fetched:9,d} {r.rate:8,.0f} {r.seconds:8.1f} "
            f"{t.fetching:8.2f} {t.transforming:12.2f} {t.writing:8.2f}"
        )
    fetched = sum(r.fetched for r in synced.streams)
    total = sum(synced.stages.values())
    rate = fetched / total if total else 0.0
    out.append(
        "stages: "
        + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in synced.stages.items())
        + f"; {fetched:,} rows in {total:.1f}s ({rate:,.0f} rows/s)"
    )
    parts = synced.resolution.seconds
    if parts:
        out.append(
            "resolving: " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in parts.items())
        )
    if synced.neo4j_cpu is not None:
        share = synced.neo4j_cpu / total if total else 0.0
        out.append(f"Neo4j CPU: {synced.neo4j_cpu:.1f}s ({share:.2f} of the sync's wall time)")
    else:
        out.append("Neo4j CPU: not available (the server does not allow dbms.queryJmx)")
    return out
