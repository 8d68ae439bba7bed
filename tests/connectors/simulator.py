"""A real simulator process over a generated county, for connector tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.hub.test_embedded import free_port

HUB = str(Path(sys.executable).with_name("hub"))
# One client for every request to a simulator's control API: a client of its own per
# request would build its TLS settings each time (a tenth of a second).
control = httpx.Client(timeout=10)


def generate(out: Path, people: int = 1500, seed: int = 3, noise: str = "hard") -> Path:
    subprocess.run(
        [
            HUB,
            "world",
            "generate",
            "--people",
            str(people),
            "--seed",
            str(seed),
            "--noise",
            noise,
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@dataclass
class Simulator:
    world: Path
    control: str

    @property
    def sources_file(self) -> Path:
        return self.world / "simulators.json"

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = control.post(f"{self.control}{path}", json=body)
        response.raise_for_status()
        return response.json()

    def status(self) -> Any:
        return control.get(f"{self.control}/status").json()


@contextmanager
def running(world: Path, *args: str) -> Iterator[Simulator]:
    base = free_port()
    while any(_taken(base + i) for i in range(4)):
        base = free_port()
    sources = world / "simulators.json"
    sources.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", "from hub.cli.simulate import app; app()", "--world", str(world),
         "--port-base", str(base), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        url = f"http://127.0.0.1:{base}"
        while time.monotonic() < deadline:
            try:
                if sources.exists() and control.get(f"{url}/status", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("the simulator did not start")
        json.loads(sources.read_text())
        yield Simulator(world, url)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _taken(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False
