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
    command = [HUB, "demo", "--people", "500", "--world", world, "--simulator-port", simulators]
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
        refused = httpx.post(f"{url}/graphql", json={"query": query})
        assert refused.status_code == 401
        token = next(
            line.split("=", 1)[1]
            for line in log.read_text().splitlines()
            if line.startswith("export HUB_TOKEN=")
        )
        answer = httpx.post(
            f"{url}/graphql", json={"query": query}, headers={"authorization": f"Bearer {token}"}
        ).json()
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


def test_keys_are_created_listed_and_revoked_and_each_step_audited(graph: Driver) -> None:
    def hub(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([HUB, *args], capture_output=True, text=True, timeout=120)

    created = hub("keys", "create", "--name", "fraud dashboard", "--role", "analyst")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    key_id = key.split("_")[1]
    assert key.startswith(f"hub_{key_id}_")
    listed = hub("keys", "list")
    assert key_id in listed.stdout and "fraud dashboard" in listed.stdout
    assert key not in listed.stdout
    assert hub("keys", "revoke", key_id).returncode == 0
    again = hub("keys", "revoke", "000000000000")
    assert again.returncode == 1 and "no API key" in again.stderr
    actions, _, _ = graph.execute_query(
        "MATCH (e:AuditEvent) RETURN e.action AS action, e.outcome AS outcome ORDER BY e.seq"
    )
    assert [(r["action"], r["outcome"]) for r in actions] == [
        ("keys create", "allowed"),
        ("keys list", "allowed"),
        ("keys revoke", "allowed"),
        ("keys revoke", "error"),
    ]
    assert hub("audit", "verify").returncode == 0
