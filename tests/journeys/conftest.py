"""The journeys share one demo, started once in a fresh data folder of its own (it starts
its own Neo4j on a free port, never the suite's), and stopped with everything it started
when the session ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.journeys.processes import Demo, hub, in_terminal

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.journey)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`./scripts/demo` answering in a fresh data folder. Before it, `hub --verbose sources`
    ran in an 80-column terminal with an empty download cache (`demo.cache`): it fetched
    Neo4j, started it (the demo then finds it running) and met the fresh graph; what it
    showed is `demo.first_command`; then `hub keys list` on that fresh graph: what it printed
    and how many notifications it sent to the debug log meanwhile, `demo.quiet_command`."""
    made = Demo(tmp_path_factory.mktemp("data"))
    made.cache = tmp_path_factory.mktemp("cache")
    fresh = {**made.env, "HUB_CACHE_DIR": str(made.cache)}
    made.first_command = in_terminal("--verbose", "sources", env=fresh)
    # the same fresh graph without --verbose: the notifications go only to the debug log
    log = made.folder / "logs" / "hub.log"
    before = log.read_text().count("Received notification")
    listed = hub("keys", "list", env=fresh)
    made.quiet_command = (listed, log.read_text().count("Received notification") - before)
    made.start()
    try:
        made.wait_ready()
        yield made
    finally:
        made.kill()
