"""Sync benchmark: a full sync of every source of a generated county, against the simulators.

    python benchmarks/sync.py [--people 100000] [--world DIR]

Generates a county (unless --world names one already generated), starts the source
simulators, empties its own Neo4j (Bolt port 7689 unless HUB_NEO4J_PORT says otherwise;
with NEO4J_URI it refuses unless --wipe is given), runs `hub sync --full` over every
source in this process and prints, per stream, rows fetched, written and quarantined and
rows/s; then the total wall time, the peak memory of this process (the connectors) and
of the Neo4j process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HUB_NEO4J_PORT", "7689")

import connectors
from hub import db, embedded, migrate, syncing
from hub.settings import Settings
from hub.simulate import process as simulators
from hub.world import WorldConfig, generate


def neo4j_peak_mib(settings: Settings) -> str:
    pid = embedded.status(settings).pid if settings.embedded else None
    if pid is None:
        return "n/a (not the project-run Neo4j)"
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return f"{int(line.split()[1]) / 1024:,.0f} MiB"
    return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--world", type=Path)
    parser.add_argument("--port-base", type=int, default=8760)
    parser.add_argument("--wipe", action="store_true", help="allow wiping NEO4J_URI's database")
    args = parser.parse_args()
    settings = Settings.from_env()
    if not settings.embedded and not args.wipe:
        raise SystemExit("NEO4J_URI is set: this benchmark empties the database; add --wipe")

    scratch = tempfile.TemporaryDirectory(prefix="hub-sync-")
    world = args.world or Path(scratch.name) / "world"
    if args.world is None:
        began = time.perf_counter()
        generate(WorldConfig(people=args.people, seed=1, out=world))
        print(f"county of {args.people:,} people generated in {time.perf_counter() - began:.0f}s")

    with simulators.running(world, args.port_base) as sources:
        os.environ["HUB_SOURCES"] = str(sources)
        settings = Settings.from_env()
        with db.connected(settings) as driver:
            with driver.session() as session:
                session.run(
                    "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS"
                ).consume()
            migrate.migrate(driver)
            chosen = [connectors.build(name, settings) for name in connectors.names()]
            began = time.perf_counter()
            synced = asyncio.run(syncing.sync(driver, settings, chosen, full=True))
            wall = time.perf_counter() - began
            reports = synced.streams

    print(f"\n{'stream':28s} {'fetched':>10s} {'written':>10s} {'quarantined':>12s} {'rows/s':>9s}")
    for r in reports:
        print(
            f"{r.source + '/' + r.stream:28s} {r.fetched:10,d} {r.written:10,d} "
            f"{r.quarantined:12,d} {r.rate:9,.0f}"
        )
    fetched = sum(r.fetched for r in reports)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\ntotal: {fetched:,} rows in {wall:,.1f}s ({fetched / wall:,.0f} rows/s)")
    print(f"peak memory: connectors {peak:,.0f} MiB, Neo4j {neo4j_peak_mib(settings)}")
    scratch.cleanup()


if __name__ == "__main__":
    main()
