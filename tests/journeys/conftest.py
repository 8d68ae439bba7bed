"""The journeys share one demo, started once in a fresh data folder of its own (it starts
its own Neo4j on a free port, never the suite's), and stopped with everything it started
when the session ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.journeys.processes import Demo, hub

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.journey)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`./scripts/demo` answering in a fresh data folder. Before it, `hub --verbose sources`
    met the fresh graph there (and started its Neo4j, which the demo then finds running);
    its output is kept in `demo.first_command`."""
    made = Demo(tmp_path_factory.mktemp("data"))
    made.first_command = hub("--verbose", "sources", env=made.env)
    made.start()
    try:
        made.wait_ready()
        yield made
    finally:
        made.kill()
