"""The README's demo path, end to end: `hub demo` serves the demo graph over GraphQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from neo4j import Driver

from tests.hub.test_embedded import free_port

HUB = str(Path(sys.executable).with_name("hub"))


def test_db_migrate_reports_and_is_idempotent(graph: Driver) -> None:
    result = subprocess.run(
        [HUB, "db", "migrate"], capture_output=True, text=True, check=True, timeout=120
    )
    assert "0 created" in result.stdout


def test_demo_fills_the_graph_from_the_sources_and_serves_graphql(
    graph: Driver, tmp_path: Path
) -> None:
    port = free_port()
    env = {**os.environ, "HUB_PORT": str(port)}
    world = str(tmp_path / "world")
    simulators = str(free_port() + 10)
    command = [HUB, "demo", "--people", "1000", "--world", world, "--simulator-port", simulators]
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        demo = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        query = '{ person(idNumber: "411623198503120014") { name phones { totalCount } } }'
        answer = httpx.post(f"{url}/graphql", json={"query": query}).json()
        assert answer["data"]["person"]["name"] == "张伟"
        assert answer["data"]["person"]["phones"]["totalCount"] == 2
        synced, _, _ = graph.execute_query(
            "MATCH (r:Record) RETURN collect(DISTINCT r.source) AS sources, count(r) AS n"
        )
        assert set(synced[0]["sources"]) >= {"cases", "fraud", "fugitives"}
    finally:
        demo.terminate()
        demo.wait(timeout=60)
    output = log.read_text()
    assert "demo graph loaded" in output
    assert "cases/involved" in output  # the sync's report
