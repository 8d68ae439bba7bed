"""The project-run Neo4j: its life cycle and its one-line errors, with real processes."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from hub import db, embedded
from hub.app import create_app
from hub.errors import PortInUse
from hub.migrate import migrate
from hub.settings import Settings

HUB = str(Path(sys.executable).with_name("hub"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hub(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HUB, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def error_of(result: subprocess.CompletedProcess[str]) -> str:
    """A failed `hub neo4j start`'s error: one line, after the line of each step it began
    (in a pipe, "starting Neo4j ..."), and no traceback."""
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert all(line.endswith(" ...") for line in lines[:-1]), result.stderr
    assert lines[-1].startswith("error: "), result.stderr
    return lines[-1]


@pytest.fixture
def spare(settings: Settings) -> Iterator[Settings]:
    """Settings for a second project-run Neo4j on a free port, stopped afterwards."""
    spare = replace(settings, neo4j_port=free_port(), neo4j_uri=None)
    yield spare
    embedded.stop(spare)
    shutil.rmtree(embedded.Instance(spare).folder, ignore_errors=True)


@pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="runs the project's own Neo4j")
def test_start_status_stop_and_readiness(spare: Settings) -> None:
    app = create_app(spare)
    with TestClient(app) as client:
        down = client.get("/readyz")
        assert down.status_code == 503
        assert "neo4j unreachable" in down.json()["reason"]
        assert client.get("/healthz").status_code == 200

        status = embedded.start(spare)
        assert status.running and status.uri == f"bolt://127.0.0.1:{spare.neo4j_port}"
        assert embedded.status(spare).pid == status.pid
        password = embedded.Instance(spare).password_file
        assert stat.S_IMODE(password.stat().st_mode) == 0o600

        assert client.get("/readyz").json()["reason"].startswith("graph schema not migrated")
        with db.connected(spare) as driver:
            migrate(driver)
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text

        assert embedded.stop(spare) is True
        assert not embedded.status(spare).running
        assert client.get("/readyz").status_code == 503


def test_a_taken_port_is_refused_with_one_line(spare: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", spare.neo4j_port))
        sock.listen()
        with pytest.raises(PortInUse, match=f"port {spare.neo4j_port}"):
            embedded.start(spare)
        env = {**os.environ, "HUB_NEO4J_PORT": str(spare.neo4j_port)}
        env.pop("NEO4J_URI", None)
        result = hub("neo4j", "start", env=env)
    assert "is taken by another program" in error_of(result)


def test_missing_java_is_one_line(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "HUB_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    result = hub("neo4j", "start", env=env)
    assert error_of(result).startswith("error: Java 17+ is needed")


def test_missing_maven_is_one_line(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    java = shutil.which("java")
    assert java is not None
    (bin_dir / "java").symlink_to(java)
    env = {
        "PATH": str(bin_dir),
        "HUB_DATA_DIR": str(tmp_path / "data"),
        "HOME": str(tmp_path),
        "HUB_NEO4J_PORT": str(free_port()),
    }
    result = hub("neo4j", "start", env=env)
    assert error_of(result).startswith("error: Maven is needed")


def test_a_failed_download_is_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HUB_DATA_DIR": str(tmp_path),
        "HUB_NEO4J_VERSION": "0.0.0-no-such-release",
        "HUB_NEO4J_PORT": str(free_port()),
    }
    env.pop("NEO4J_URI", None)
    result = hub("neo4j", "start", env=env)
    assert error_of(result).startswith(
        "error: fetching Neo4j 0.0.0-no-such-release from Maven Central failed"
    )
