"""Fixtures shared by the whole suite: the real Neo4j the tests run against.

Without NEO4J_URI the suite uses the project-run Neo4j on Bolt port 7688 (or
HUB_NEO4J_PORT), never the demo's 7687, and starts it if it is not running. Tests that
need an empty graph take the `graph` fixture, which deletes everything first: the suite
takes a project-run Neo4j only if its graph is empty or the suite's (`_claim`); point
NEO4J_URI only at a database you are happy to lose.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver
from starlette.testclient import TestClient

os.environ.setdefault("HUB_NEO4J_PORT", "7688")
os.environ.setdefault("HUB_NEO4J_HEAP", "1g")
os.environ.setdefault("HUB_NEO4J_PAGECACHE", "512m")

from graph_schema import ident
from hub import auth, db, demo, scope
from hub.access import Role
from hub.app import create_app
from hub.embedded import Instance
from hub.loader import Loader
from hub.migrate import migrate
from hub.settings import Settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


REPO = Path(__file__).parents[1]


def generator_digest() -> str:
    """What a generated county's bytes depend on besides its arguments: the generator's
    code and the pinned libraries that write its files."""
    digest = hashlib.sha256()
    code = sorted([*(REPO / "hub" / "world").rglob("*.py"), REPO / "hub" / "cli" / "world.py"])
    for path in [*code, REPO / "requirements.lock"]:
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def county_files(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Path]:
    """A generated county's files (`hub world generate`), each in a folder of its own.
    Generation is seeded, the same arguments and the same generator giving the same bytes:
    each county is generated once into the suite's data folder (`tests/counties`, named by
    its arguments and the generator's digest, so that every pytest run of `scripts/test`
    and later runs share it) and copied for every module that asks for it."""
    from tests.connectors.simulator import generate

    kept = settings.data_dir / "tests" / "counties"
    digest = generator_digest()

    def files(people: int, seed: int, noise: str) -> Path:
        name = f"{people}-{seed}-{noise}"
        made = kept / f"{name}-{digest}"
        if not (made / "manifest.json").exists():
            kept.mkdir(parents=True, exist_ok=True)
            for old in kept.glob(f"{name}-*"):  # an older generator's
                shutil.rmtree(old, ignore_errors=True)
            fresh = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=kept))
            fresh.chmod(0o755)
            generate(fresh, people, seed, noise)
            try:
                fresh.rename(made)
            except OSError:  # another run kept the same county meanwhile
                shutil.rmtree(fresh, ignore_errors=True)
        copy = tmp_path_factory.mktemp("world")
        shutil.copytree(made, copy, dirs_exist_ok=True)
        return copy

    return files


@pytest.fixture(scope="session")
def driver(settings: Settings) -> Iterator[Driver]:
    with db.connected(settings) as drv:
        _claim(drv, settings)
        yield drv


def _claim(driver: Driver, settings: Settings) -> None:
    """The suite empties its graph: a project-run Neo4j's is taken only when it is empty
    or the suite's already, never one that holds what something else wrote (the demo's,
    started on the same port and data folder). NEO4J_URI is taken as given."""
    if not settings.embedded:
        return
    mark = Instance(settings).scratch
    if mark.exists():
        return
    held = driver.execute_query("MATCH (n) RETURN count(n) > 0 AS held").records[0]["held"]
    if held:
        pytest.exit(
            f"the Neo4j on Bolt port {settings.neo4j_port} ({Instance(settings).folder}) holds "
            "a graph the tests did not write (the demo's?), and the tests empty theirs: run "
            "them on another port (HUB_NEO4J_PORT, 7688 when unset) or empty this one first "
            "(`hub db reset --yes`)",
            returncode=3,
        )
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.write_text("the test suite empties this graph as it runs\n")


def wipe(driver: Driver) -> None:
    """Empty the graph, and the file the audit trail's head is anchored in: a new graph
    starts a new trail."""
    with driver.session() as session:
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
    Settings.from_env().audit_anchor_path.unlink(missing_ok=True)


@pytest.fixture
def graph(driver: Driver) -> Driver:
    """The driver, to an empty graph that carries the current schema."""
    wipe(driver)
    migrate(driver)
    return driver


@pytest.fixture
def loader(graph: Driver) -> Loader:
    return Loader(graph, batch_size=1000)


def bearer(
    settings: Settings,
    role: Role | str = Role.investigator,
    user: str = "tester",
    unit: str | None = "U1",
) -> dict[str, str]:
    """Headers of a request made with a development token."""
    return {"authorization": f"Bearer {auth.issue(settings, user, Role(role), unit)}"}


@pytest.fixture
def serve(graph: Driver, settings: Settings) -> Iterator[Callable[..., TestClient]]:
    """Start the API on the demo graph, with settings changed as asked; closed after."""
    demo.load(Loader(graph))
    started: list[TestClient] = []

    def start(**changes: Any) -> TestClient:
        client = TestClient(create_app(dataclasses.replace(settings, **changes)))
        client.__enter__()
        started.append(client)
        return client

    yield start
    for client in started:
        client.__exit__(None, None, None)


def gql(
    client: TestClient,
    settings: Settings,
    query: str,
    role: Role | str = Role.investigator,
    headers: dict[str, str] | None = None,
    **variables: Any,
) -> dict[str, Any]:
    """The JSON answer to `query`, asked with a token of `role`."""
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={**bearer(settings, role), **(headers or {})},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def raise_alert(
    graph: Driver, label: str, key: str, value: str, summary: str, minutes: int = 0
) -> None:
    """An alert about the `label` node whose `key` is `value`, raised `minutes` from
    now, scoped as a sync leaves it."""
    graph.execute_query(
        f"MATCH (n:{ident(label)} {{{ident(key)}: $value}}) CREATE (:Alert {{alert_id: "
        "$summary, summary: $summary, raised_at: datetime() + duration({minutes: $minutes})})"
        "-[:ABOUT]->(n)",
        value=value,
        summary=summary,
        minutes=minutes,
    )
    scope.refresh(graph)
