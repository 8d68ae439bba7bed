"""The hub as its users run it: `scripts/demo` and `hub` commands as processes on loopback,
in a data folder of their own, with free ports; and what tells that they are gone."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
HUB = str(BIN / "hub")
READY_TIMEOUT = 900.0  # a first start on a busy 2-core machine: Neo4j, a county, its sync
PERSON = (
    '{ person(idNumber: "411623198503120014") '
    "{ name phones { totalCount } cases { edges { node { caseNo } } } } }"
)


def free_port(span: int = 1) -> int:
    """A port with the `span - 1` ports after it free on 127.0.0.1 (as far as one can tell)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + span <= 65535 and all(port_free(p) for p in range(port, port + span)):
            return port


def port_free(port: int) -> bool:
    """Nothing listens on `port` of 127.0.0.1 (a socket may still bind it as uvicorn does)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def alive(pid: int) -> bool:
    """`pid` runs (a zombie, exited but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, children first."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
        for child in children:
            found += [child, *descendants(child)]
    return found


def hub(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """A `hub` command, as a user types it."""
    return subprocess.run(
        [HUB, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def in_terminal(
    *args: str, env: dict[str, str], columns: int = 80, timeout: float = 600
) -> tuple[int, list[str]]:
    """A `hub` command in a pseudo-terminal `columns` wide: its exit code and every line
    the terminal showed (each redrawn frame of a progress display too), escapes removed."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    process = subprocess.Popen(
        [HUB, *args], env=env, stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    shown = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1.0)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the command has closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    text = re.sub(r"\x1b\[[0-9;]*m", "", shown.decode(errors="replace"))  # colours
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "\n", text)  # cursor moves end a frame's line
    return code, [line for line in re.split(r"[\r\n]+", text) if line.strip()]


@dataclass
class Demo:
    """`scripts/demo` in a data folder of its own, on free ports."""

    folder: Path
    port: int = field(default_factory=free_port)
    neo4j_port: int = field(default_factory=free_port)
    simulator_port: int = field(default_factory=lambda: free_port(4))
    starts: int = 0
    process: subprocess.Popen[bytes] | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    first_command: tuple[int, list[str]] | None = None
    quiet_command: tuple[subprocess.CompletedProcess[str], int] | None = None
    cache: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ports(self) -> list[int]:
        sims = range(self.simulator_port, self.simulator_port + 4)
        return [self.port, self.neo4j_port, *sims]

    @property
    def env(self) -> dict[str, str]:
        """The environment of a user of this data folder: the venv's `hub` on the PATH (as
        `source .venv/bin/activate` puts it), the project-run Neo4j, 80 columns."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HUB_SOURCES"))}
        return {
            **env,
            "PATH": f"{BIN}:{env.get('PATH', '')}",
            "HUB_DATA_DIR": str(self.folder),
            "HUB_PORT": str(self.port),
            "HUB_NEO4J_PORT": str(self.neo4j_port),
            "COLUMNS": "80",
            **self.tokens,
        }

    @property
    def log(self) -> Path:
        return self.folder / f"demo-{self.starts}.log"

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def world(self) -> Path:
        return self.folder / "world"

    def neo4j_pid(self) -> int | None:
        try:
            pid = int((self.folder / "instances" / str(self.neo4j_port) / "neo4j.pid").read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if alive(pid) else None

    def start(self) -> None:
        """`./scripts/demo --simulator-port N` (the only argument: other engineers' demos
        may hold 8700-8703), its output to a log of this start, in a session of its own
        so that a Ctrl-C reaches it and its children as a terminal sends it."""
        self.starts += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(REPO / "scripts" / "demo"), "--simulator-port", str(self.simulator_port)],
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        """Until /readyz answers 200; then the tokens it printed."""
        assert self.process is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the demo exited ({self.process.returncode}):\n{self.output}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(1)
        else:
            raise AssertionError(f"the demo was not ready in {READY_TIMEOUT:.0f}s:\n{self.output}")
        found = dict(re.findall(r"^export (HUB_\w*TOKEN)=(\S+)$", self.output, re.M))
        assert set(found) == {"HUB_TOKEN", "HUB_ANALYST_TOKEN"}, self.output
        self.tokens = found

    def stop(self, sig: signal.Signals, *, group: bool) -> tuple[int, list[int]]:
        """Send `sig` (to the whole process group, as a terminal's Ctrl-C does, or to the
        demo alone, as a service manager does); its exit code and the processes it ran."""
        assert self.process is not None
        started = descendants(self.process.pid)
        if group:
            os.killpg(self.process.pid, sig)
        else:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=180)
        self.process = None
        return code, started

    def kill(self) -> None:
        """Whatever is left after a failed test: the demo's group and its Neo4j."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=60)
        if self.neo4j_pid() is not None:
            hub("neo4j", "stop", env=self.env, timeout=120)

    def graphql(self, query: str, token: str = "HUB_TOKEN", **variables: Any) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {self.tokens[token]}"},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        assert "errors" not in body, body
        return body

    def sources(self) -> dict[str, Any]:
        """The simulators' sources file (`simulators.json`) as the demo's simulators wrote it."""
        found: dict[str, Any] = json.loads((self.world / "simulators.json").read_text())
        return found
