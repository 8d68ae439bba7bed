"""Four uvicorn servers in one event loop: control on port-base, then cases, fraud and
fugitives on the next three ports; and ``simulators.json`` in the world folder once they
all listen, telling connectors where each one is and its token (mode 0600)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from hub.simulate.api import system_app
from hub.simulate.control import control_app, is_loopback
from hub.simulate.errors import SimulateError
from hub.simulate.simulation import Simulation

__all__ = ["OFFSETS", "Simulators", "write_private_json"]

OFFSETS = {"control": 0, "cases": 1, "fraud": 2, "fugitives": 3}
MANIFEST = "simulators.json"


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals alone: Simulators stops all four at once."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _bind(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when
    # the listening socket says it is TCP, and without it keep-alive answers wait ~40 ms.
    sock = socket.socket(_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SimulateError(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from exc
    return sock


def _url(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def write_private_json(path: Path, content: object) -> None:
    """Write JSON readable by the owner only (0600), replacing the file atomically."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)
            json.dump(content, out, ensure_ascii=False, indent=2)
            out.write("\n")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _origin(world: Path) -> str | None:
    """The county a world folder holds, as its manifest (`hub world generate`) names it."""
    try:
        made = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
        return f"county of {made['people']:,} people, seed {made['seed']}, noise {made['noise']}"
    except (OSError, ValueError, KeyError, TypeError):
        return None


class Simulators:
    """The control server and the three source systems over one Simulation."""

    def __init__(self, sim: Simulation, host: str = "127.0.0.1", port_base: int = 8700) -> None:
        if not 0 < port_base <= 65535 - 3:
            raise SimulateError(f"port base {port_base} leaves no room for four ports")
        self.sim = sim
        self.host = host
        # the control server needs no token: it listens on loopback whatever --host says
        self.control_host = host if is_loopback(host) else "127.0.0.1"
        self.ports = {name: port_base + offset for name, offset in OFFSETS.items()}
        self.ready = threading.Event()  # set once all four listen and the manifest is written
        self._servers: list[_Server] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def _host_of(self, name: str) -> str:
        return self.control_host if name == "control" else self.host

    def url(self, name: str) -> str:
        return _url(self._host_of(name), self.ports[name])

    def manifest(self) -> dict[str, dict[str, str]]:
        """The content of simulators.json; each source names the county it serves as its
        `origin`, which the hub's sync cursors remember."""
        content: dict[str, dict[str, str]] = {"control": {"url": self.url("control")}}
        origin = _origin(self.sim.world)
        named = {"origin": origin} if origin else {}
        for name, state in self.sim.systems.items():
            content[name] = {"url": self.url(name), "token": state.token, **named}
        content["bigdata"] = {"drop": str(self.sim.drop), **named}
        return content

    def _app(self, name: str) -> ASGIApp:
        return control_app(self.sim) if name == "control" else system_app(self.sim, name)

    async def serve(self, on_ready: Callable[[], None] | None = None) -> None:
        """Drop the files due, listen on all four ports, write simulators.json, serve until
        stop() (or SIGINT/SIGTERM when running on the main thread)."""
        self._loop = asyncio.get_running_loop()
        self.sim.drop.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self.sim.drop_due)
        sockets: list[socket.socket] = []
        try:
            for name, port in self.ports.items():
                sockets.append(_bind(self._host_of(name), port))
        except SimulateError:
            for sock in sockets:
                sock.close()
            raise
        self._servers = [
            _Server(
                uvicorn.Config(
                    self._app(name),
                    host=self._host_of(name),
                    port=port,
                    lifespan="off",
                    log_level="warning",
                    access_log=False,
                    proxy_headers=False,
                    server_header=False,
                    timeout_graceful_shutdown=2,
                )
            )
            for name, port in self.ports.items()
        ]
        tasks = [
            asyncio.create_task(server.serve(sockets=[sock]))
            for server, sock in zip(self._servers, sockets, strict=True)
        ]
        with self._signals():
            try:
                await self._started(tasks)
                write_private_json(self.sim.world / MANIFEST, self.manifest())
                self.ready.set()
                if on_ready is not None:
                    on_ready()
                await asyncio.gather(*tasks)
            finally:
                self._exit()
                await asyncio.gather(*tasks, return_exceptions=True)
                for sock in sockets:
                    sock.close()

    async def _started(self, tasks: list[asyncio.Task[None]]) -> None:
        while not all(server.started for server in self._servers):
            for task in tasks:
                if task.done():
                    task.result()  # raises what stopped it
                    raise SimulateError("a simulator server stopped while starting")
            await asyncio.sleep(0.01)

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread() or self._loop is None:
            yield
            return
        loop = self._loop
        handled = (signal.SIGINT, signal.SIGTERM)
        for sig in handled:
            loop.add_signal_handler(sig, self._exit)
        try:
            yield
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)

    def _exit(self) -> None:
        for server in self._servers:
            if server.should_exit:
                server.force_exit = True  # a second Ctrl+C: do not wait for slow answers
            server.should_exit = True

    def stop(self) -> None:
        """Ask all four servers to shut down; safe to call from any thread."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._exit)
