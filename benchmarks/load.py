"""Load benchmark: `hub serve` under concurrent clients, and through a database outage.

    python benchmarks/load.py [--clients 32] [--seconds 20] [--outage 20]

Loads the demo graph, then for `hub serve --workers 1` and `--workers 2` (real processes
on loopback, JSON logs) runs `--clients` concurrent clients, each asking the README's
person look-up again as soon as it has its answer, for `--seconds`, and prints
requests/s, p50 and p99 in milliseconds. Then, with two workers and the clients still
asking, it stops Neo4j for `--outage` seconds and starts it again, and prints how the
API behaved meanwhile: the slowest answer, how many answers were 503 or carried
DATABASE_UNAVAILABLE (anything else is counted as wrong), the log lines the outage
wrote, and the seconds from Neo4j answering again to the first and to the last failed
request (full recovery).

The API's rate limit is off for the run (HUB_RATE_LIMIT=0): the clients share one user.
It runs on its own project-run Neo4j (Bolt port 7690 unless HUB_NEO4J_PORT says
otherwise), whose contents it deletes; with NEO4J_URI it refuses.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HUB_NEO4J_PORT", "7690")

import httpx

from hub import auth, db, demo, embedded
from hub.access import Role
from hub.loader import Loader
from hub.migrate import migrate
from hub.settings import Settings

QUERY = '{ person(idNumber: "411623198503120014") { name phones(first: 10) { totalCount } } }'
HUB = str(Path(sys.executable).with_name("hub"))


@dataclass
class Answer:
    sent: float  # monotonic
    seconds: float
    status: int  # 0: no HTTP answer
    code: str | None  # extensions.code of the first error, if any

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.code is None


@dataclass
class Load:
    answers: list[Answer] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(workers: int, log: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "HUB_PORT": str(port), "HUB_LOG_FORMAT": "json", "HUB_RATE_LIMIT": "0"}
    with log.open("w") as out:
        server = subprocess.Popen(
            [HUB, "serve", "--workers", str(workers)], env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            time.sleep(0.3)
        else:
            raise SystemExit(f"hub serve did not get ready: see {log}")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=60)


async def client(url: str, headers: dict[str, str], load: Load) -> None:
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        while not load.stop.is_set():
            sent = time.monotonic()
            try:
                response = await http.post("/graphql", json={"query": QUERY})
            except httpx.TransportError:
                load.answers.append(Answer(sent, time.monotonic() - sent, 0, None))
                await asyncio.sleep(0.1)
                continue
            errors = response.json().get("errors") or [{}]
            code = (
                errors[0].get("extensions", {}).get("code") if "errors" in response.json() else None
            )
            load.answers.append(Answer(sent, time.monotonic() - sent, response.status_code, code))
            if response.status_code == 503:  # as a well-behaved client would, up to 1 s
                await asyncio.sleep(min(1.0, float(response.headers.get("retry-after", 1))))


async def steady(url: str, headers: dict[str, str], clients: int, seconds: float) -> Load:
    load = Load()
    tasks = [asyncio.create_task(client(url, headers, load)) for _ in range(clients)]
    await asyncio.sleep(2)  # warm-up, not counted
    load.answers.clear()
    await asyncio.sleep(seconds)
    load.stop.set()
    await asyncio.gather(*tasks)
    return load


async def outage(
    url: str, headers: dict[str, str], clients: int, settings: Settings, down_for: float
) -> tuple[Load, float, float, float]:
    """The load around an outage; (load, when Neo4j stopped, when it was stopped for
    good, when it answered again), monotonic."""
    load = Load()
    tasks = [asyncio.create_task(client(url, headers, load)) for _ in range(clients)]
    await asyncio.sleep(3)
    stopping = time.monotonic()
    await asyncio.to_thread(embedded.stop, settings)
    stopped = time.monotonic()
    await asyncio.sleep(down_for)
    await asyncio.to_thread(embedded.start, settings)
    back = time.monotonic()
    await asyncio.sleep(15)
    load.stop.set()
    await asyncio.gather(*tasks)
    return load, stopping, stopped, back


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--outage", type=float, default=20.0)
    args = parser.parse_args()
    settings = Settings.from_env()
    if not settings.embedded:
        raise SystemExit("load.py stops and starts Neo4j: it runs the project's own only")
    with db.connected(settings) as driver:
        with driver.session() as session:
            session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS").consume()
        migrate(driver)
        demo.load(Loader(driver))
    headers = {"authorization": f"Bearer {auth.issue(settings, 'load', Role.investigator, 'U1')}"}
    logs = Path(tempfile.mkdtemp(prefix="hub-load-"))
    print(f"{args.clients} clients, {args.seconds:g} s each; server logs in {logs}")
    print(f"{'workers':>7} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'failed':>6}")
    for workers in (1, 2):
        with serving(workers, logs / f"serve-{workers}.log") as url:
            load = asyncio.run(steady(url, headers, args.clients, args.seconds))
        times = [a.seconds * 1000 for a in load.answers if a.ok]
        failed = sum(not a.ok for a in load.answers)
        print(
            f"{workers:>7} {len(load.answers):>9} {len(times) / args.seconds:>7.0f} "
            f"{percentile(times, 0.5):>7.1f} {percentile(times, 0.99):>7.1f} {failed:>6}"
        )

    log = logs / "serve-outage.log"
    with serving(2, log) as url:
        load, stopping, stopped, back = asyncio.run(
            outage(url, headers, args.clients, settings, args.outage)
        )
    during = [a for a in load.answers if stopped <= a.sent < back]
    refused = [a for a in during if a.status == 503 or a.code == "DATABASE_UNAVAILABLE"]
    wrong = [a for a in during if a not in refused]
    failed_after = [a.sent + a.seconds for a in load.answers if a.sent >= back and not a.ok]
    first_ok = min((a.sent + a.seconds for a in load.answers if a.sent >= back and a.ok), default=0)
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    said = [x["message"] for x in lines if x["logger"] == "hub.outage"]
    print(
        f"\nNeo4j stopped under load ({stopped - stopping:.1f} s to stop), "
        f"{back - stopped:.1f} s down, 2 workers, {args.clients} clients:"
    )
    print(
        f"  answers while it was down: {len(during)}, slowest "
        f"{max((a.seconds for a in during), default=0) * 1000:.0f} ms, "
        f"p99 {percentile([a.seconds * 1000 for a in during] or [0], 0.99):.0f} ms"
    )
    print(
        f"  503 or DATABASE_UNAVAILABLE: {len(refused)}/{len(during)}; anything else: {len(wrong)}"
    )
    print(
        f"  log lines of the outage: {len(said)}, of {len(lines)} in all "
        f"(tracebacks: {sum('exception' in x for x in lines)})"
    )
    print(
        f"  first good answer {max(0.0, first_ok - back):.1f} s after Neo4j answered again; "
        f"last failed {max([0.0, *(t - back for t in failed_after)]):.1f} s after"
    )


if __name__ == "__main__":
    main()
