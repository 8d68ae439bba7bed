"""`hub sync --every`: rounds on a schedule, a failed round one line and a sooner retry,
stopped by SIGTERM; as a process against a real simulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from neo4j import Driver

from hub.errors import ConfigError
from hub.schedule import FIRST_RETRY, seconds, wait_after
from tests.connectors.simulator import HUB, running


@pytest.mark.parametrize(
    ("text", "expected"), [("90", 90), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("0.5s", 0.5)]
)
def test_intervals_are_read_as_seconds(text: str, expected: float) -> None:
    assert seconds(text) == expected


@pytest.mark.parametrize("text", ["", "5 minutes", "0s", "-1m", "m"])
def test_a_bad_interval_is_refused_with_a_line_that_shows_how(text: str) -> None:
    with pytest.raises(ConfigError, match=r"30s, 5m or 1h|longer than nothing"):
        seconds(text)


def test_failures_in_a_row_retry_sooner_doubling_up_to_the_interval() -> None:
    waits = [wait_after(300, failures) for failures in range(7)]
    assert waits == [300, *(FIRST_RETRY * 2**n for n in range(5)), 300]


def lines_until(process: subprocess.Popen[str], wanted: Callable[[str], bool]) -> list[str]:
    """The process's output lines up to the first that is wanted."""
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line.rstrip())
        if wanted(line):
            return seen
    raise AssertionError("\n".join(seen))


@pytest.mark.journey  # a minute or two: a county synced by scheduled rounds
def test_rounds_run_on_schedule_a_failing_source_is_retried_and_sigterm_stops_the_job(
    graph: Driver, county_files: Callable[..., Path], tmp_path: Path
) -> None:
    world = county_files(people=1000, seed=11, noise="default")
    with running(world) as sim:
        env = {**os.environ, "HUB_SOURCES": str(sim.sources_file), "COLUMNS": "200"}
        job = subprocess.Popen(
            [HUB, "sync", "fugitives", "--every", "1s"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            lines_until(job, lambda line: " round 2 ok " in line)
            written = graph.execute_query("MATCH (r:Record {source: 'fugitives'}) RETURN count(r)")
            assert written.records[0][0] > 0
        finally:
            job.send_signal(signal.SIGTERM)
            rest, _ = job.communicate(timeout=120)
        assert job.returncode == 0, rest
        assert rest.rstrip().endswith("stopped")

        # A source that refuses the hub's token fails every round at once.
        refused = json.loads(sim.sources_file.read_text())
        refused["fugitives"]["token"] = "not-the-token"
        bad = tmp_path / "sources.json"
        bad.write_text(json.dumps(refused))
        job = subprocess.Popen(
            [HUB, "sync", "fugitives", "--every", "1h"],
            env={**env, "HUB_SOURCES": str(bad)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            seen = lines_until(job, lambda line: "(failure 1 in a row)" in line)
        finally:
            job.send_signal(signal.SIGTERM)
            rest, _ = job.communicate(timeout=120)
    (failed,) = [line for line in seen if " round 1 failed " in line]
    assert "401" in failed and "fugitives" in failed
    assert f"next try in {FIRST_RETRY:.0f} s" in failed
    assert "Traceback" not in "\n".join(seen) + rest
    assert job.returncode == 0
