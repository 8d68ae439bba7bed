"""The simulators as a child process, for `hub demo` and the benchmarks."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from hub.errors import HubError


@contextmanager
def running(
    world: Path, port_base: int = 8700, *args: str, log: Path | None = None
) -> Iterator[Path]:
    """The source systems serving `world` until the block ends; yields the sources file.

    Their output goes to `log` when given (the demo keeps its own output for itself)."""
    sources = world / "simulators.json"
    sources.unlink(missing_ok=True)
    command = [sys.executable, "-c", "from hub.cli.simulate import app; app()"]
    out = None if log is None else log.open("w", encoding="utf-8")
    try:
        process = subprocess.Popen(
            [*command, "--world", str(world), "--port-base", str(port_base), *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=None if out is None else subprocess.STDOUT,
        )
    finally:
        if out is not None:
            out.close()  # the child holds its own copy
    try:
        deadline = time.monotonic() + 120
        while not sources.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise HubError(
                    f"the source simulators did not start (port base {port_base})"
                    + ("" if log is None else f": {_last_line(log)} (see {log})")
                )
            time.sleep(0.2)
        httpx.get(f"http://127.0.0.1:{port_base}/status", timeout=10).raise_for_status()
        yield sources
    finally:
        process.terminate()
        process.wait(timeout=30)


def _last_line(log: Path) -> str:
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"
