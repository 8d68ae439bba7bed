"""API latency benchmark: a simple query through the whole stack, against its Cypher.

    python benchmarks/api.py [--requests 500]

Loads the demo graph, then in the same run, alternating in rounds, measures
  - the person look-up of the README over the whole HTTP stack (in process, no network):
    body limit, JWT check, rate limit, permission, limit and cost rules, masking, the
    DataLoaders' Cypher, and the audit event;
  - the same with an API key (its argon2 check is remembered after the first request);
  - the Cypher those requests run (the person, then their phones and accounts), sent
    straight through the async driver: the floor the API cannot beat.
It prints p50 and p99 in milliseconds and the ratio of each p50 to the floor's.

It runs on its own project-run Neo4j (Bolt port 7689 unless HUB_NEO4J_PORT says
otherwise), whose contents it deletes; with NEO4J_URI it refuses unless --wipe is given.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable

os.environ.setdefault("HUB_NEO4J_PORT", "7689")

import httpx

from hub import auth, db, demo, keys
from hub.access import Principal, Role
from hub.app import create_app
from hub.loader import Loader
from hub.migrate import migrate
from hub.queries import entities
from hub.settings import Settings

QUERY = (
    '{ person(idNumber: "411623198503120014") '
    "{ name idNumber phones(first: 10) { edges { node { number } } } "
    "accounts(first: 10) { edges { node { number bank } } } } }"
)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def measure(
    runs: dict[str, Callable[[], Awaitable[None]]], requests: int, rounds: int = 5
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():  # warm-up
        for _ in range(20):
            await run()
    for _ in range(rounds):
        for name, run in runs.items():
            for _ in range(requests // rounds):
                started = time.perf_counter()
                await run()
                times[name].append((time.perf_counter() - started) * 1000)
    return times


async def main(requests: int) -> None:
    settings = Settings.from_env()
    with db.connected(settings) as driver:
        if not settings.embedded and not args.wipe:
            raise SystemExit("NEO4J_URI is set: pass --wipe to let the benchmark empty it")
        driver.execute_query("MATCH (n) DETACH DELETE n")
        migrate(driver)
        demo.load(Loader(driver))
        key = keys.create(driver, "benchmark", Role.investigator, "DEMO").key
        app = create_app(settings)
        token = auth.issue(settings, "bench", Role.investigator, "DEMO")
        scope = Principal("bench", Role.investigator, "DEMO").scope()
        read = {"timeout": settings.query_timeout, "database": settings.neo4j_database}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:

            async def ask(credential: str) -> None:
                response = await client.post(
                    "/graphql",
                    json={"query": QUERY},
                    headers={"authorization": f"Bearer {credential}"},
                )
                assert response.status_code == 200 and "errors" not in response.json()

            async def cypher() -> None:
                found = await entities.by_property(
                    app.state.driver, "Person", "id_number", ["411623198503120014"], scope, **read
                )
                item = [(str(found[0]["uid"]), 0, 11)]  # type: ignore[index]
                for rel, target in (("HAS_PHONE", "Phone"), ("HOLDS", "BankAccount")):
                    spec = entities.LinkSpec("Person", (rel,), "out", (target,))
                    await entities.links(app.state.driver, spec, item, scope, **read)

            async def jwt() -> None:
                await ask(token)

            async def api_key() -> None:
                await ask(key)

            times = await measure({"cypher": cypher, "jwt": jwt, "api key": api_key}, requests)
        app.state.trail.flush()
        app.state.trail.close()
        await app.state.driver.close()
    floor = statistics.median(times["cypher"])
    print(f"{'run':<10} {'p50 ms':>8} {'p99 ms':>8} {'p50 / cypher':>13}")
    for name, values in times.items():
        p50 = statistics.median(values)
        print(f"{name:<10} {p50:8.2f} {percentile(values, 0.99):8.2f} {p50 / floor:13.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--wipe", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.requests))
