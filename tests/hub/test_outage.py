"""The API with its database gone: in process, pointed at a Bolt port where nothing
listens (the real driver finds it so); and as `hub serve` with the suite's Neo4j stopped
under it and started again."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from neo4j import Driver
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from hub import demo, embedded
from hub.access import Role
from hub.app import create_app
from hub.loader import Loader
from hub.settings import Settings
from tests.conftest import bearer
from tests.hub.test_embedded import HUB, free_port

PERSON = '{ person(idNumber: "411623198503120014") { name } }'


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a /metrics page (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return 0.0


@pytest.fixture
def gone(tmp_path: Path, settings: Settings) -> Iterator[tuple[TestClient, Settings]]:
    nowhere = dataclasses.replace(settings, data_dir=tmp_path, neo4j_port=free_port())
    with TestClient(create_app(nowhere)) as client:
        yield client, nowhere


def test_a_request_that_finds_the_database_gone_says_so_with_a_code_and_no_driver_words(
    gone: tuple[TestClient, Settings],
) -> None:
    client, settings = gone
    response = client.post("/graphql", json={"query": PERSON}, headers=bearer(settings))
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    assert error["extensions"]["retryAfter"] >= 1
    assert error["message"].startswith("the database is unavailable: try again in")
    assert "connect" not in error["message"].lower()
    assert "127.0.0.1" not in response.text


def test_later_requests_are_refused_with_503_and_retry_after_until_it_is_back(
    gone: tuple[TestClient, Settings],
) -> None:
    client, settings = gone
    before = generate_latest().decode()  # this process's figures, before it asks
    client.post("/graphql", json={"query": PERSON}, headers=bearer(settings))
    for _ in range(3):
        response = client.post("/graphql", json={"query": PERSON}, headers=bearer(settings))
        assert response.status_code == 503
        assert int(response.headers["retry-after"]) >= 1
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200
    after = client.get("/metrics", headers=bearer(settings, Role.admin)).text
    assert sample(after, "hub_database_up") == 0
    assert (
        sample(after, "hub_database_outages_total") - sample(before, "hub_database_outages_total")
        == 1
    )
    refused = {"route": "/graphql", "status": "503"}
    assert (
        sample(after, "hub_http_responses_total", **refused)
        - sample(before, "hub_http_responses_total", **refused)
        == 3
    )
    unavailable = {"field": "Query.person", "outcome": "unavailable"}
    assert (
        sample(after, "hub_graphql_requests_total", **unavailable)
        - sample(before, "hub_graphql_requests_total", **unavailable)
        == 1
    )


def test_production_shows_the_same_code_and_message(
    gone: tuple[TestClient, Settings],
) -> None:
    _, settings = gone
    production = dataclasses.replace(settings, env="production")
    with TestClient(create_app(production)) as client:
        response = client.post("/graphql", json={"query": PERSON}, headers=bearer(production))
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    assert error["message"].startswith("the database is unavailable")


def ask(url: str, settings: Settings) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.post(
        f"{url}/graphql", json={"query": PERSON}, headers=bearer(settings), timeout=30
    )
    return response, time.monotonic() - started


@pytest.mark.journey  # minutes: the suite's Neo4j stopped and started under `hub serve`
@pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="stops the project's own Neo4j")
def test_a_served_hub_refuses_at_once_while_neo4j_is_stopped_and_recovers_when_it_starts(
    graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    """`hub serve --workers 2` with JSON logs; the suite's Neo4j stopped and started again
    under it."""
    demo.load(Loader(graph))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HUB_PORT": str(port), "HUB_LOG_FORMAT": "json"}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [HUB, "serve", "--workers", "2"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            time.sleep(0.3)
        answer = httpx.post(
            f"{url}/graphql",
            json={"query": PERSON},
            headers={**bearer(settings), "x-request-id": "case-4711.a"},
        )
        assert answer.json() == {"data": {"person": {"name": "张伟"}}}
        assert answer.headers["x-request-id"] == "case-4711.a"
        assert httpx.get(f"{url}/healthz").headers["x-request-id"]  # one is made

        embedded.stop(settings)
        try:
            answers = [ask(url, settings) for _ in range(20)]
            slowest = max(seconds for _, seconds in answers)
            print(f"\n20 requests with Neo4j stopped: slowest answer {slowest:.3f} s")
            assert slowest < 1.0
            for response, _ in answers:
                (error,) = response.json()["errors"]
                assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
                assert response.status_code in (200, 503)  # 200: it found the database gone
                if response.status_code == 503:
                    assert int(response.headers["retry-after"]) >= 1
            assert sum(r.status_code == 503 for r, _ in answers) >= 18  # one per worker
            down = httpx.get(f"{url}/metrics", headers=bearer(settings, Role.admin)).text
            assert sample(down, "hub_database_up") == 0
        finally:
            embedded.start(settings)
        started = time.monotonic()
        while time.monotonic() - started < 120:
            response, _ = ask(url, settings)
            if response.status_code == 200 and "errors" not in response.json():
                break
            time.sleep(0.2)
        print(f"answering again {time.monotonic() - started:.1f} s after Neo4j was up")
        assert response.json() == {"data": {"person": {"name": "张伟"}}}
        for _ in range(4):  # whichever worker answers
            response, _ = ask(url, settings)
            assert response.json() == {"data": {"person": {"name": "张伟"}}}
        up = httpx.get(f"{url}/metrics", headers=bearer(settings, Role.admin)).text
        assert sample(up, "hub_database_up") == 1
        ok = {"field": "Query.person", "outcome": "ok"}
        assert sample(up, "hub_graphql_requests_total", **ok) == 6  # both workers' summed
    finally:
        server.terminate()
        server.wait(timeout=60)

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert all(line.startswith("{") for line in log.read_text().splitlines()[2:])  # JSON only
    gone = [x for x in lines if x["message"].startswith("database unavailable")]
    back = [x for x in lines if x["message"].startswith("database back after")]
    assert 1 <= len(gone) <= 2  # at most one line per worker that noticed
    assert len({x["process"] for x in gone}) == len(gone)
    assert {x["process"] for x in back} == {x["process"] for x in gone}
    assert all(x["request_id"] for x in gone)  # the request that found it gone
    assert not any("request_id" in x for x in back)  # the probe's, no request's
    assert not any("exception" in x or x["level"] == "error" for x in lines)
