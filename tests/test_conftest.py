"""The suite's own safeguards: it empties only a graph that is its own."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from neo4j import Driver

from hub.embedded import Instance
from hub.settings import Settings
from tests.conftest import _claim, wipe


def test_the_suite_empties_no_graph_it_did_not_write(
    graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    """A demo started on the suite's port and data folder keeps its graph: the suite
    stops with a message that says why, and takes the graph once it is empty."""
    elsewhere = dataclasses.replace(settings, data_dir=tmp_path)  # no mark of the suite's
    graph.execute_query("CREATE (:Unit {code: 'kept'})")
    with pytest.raises(pytest.exit.Exception, match="hub db reset"):
        _claim(graph, elsewhere)
    assert (
        graph.execute_query("MATCH (n:Unit {code: 'kept'}) RETURN count(n) AS n").records[0]["n"]
        == 1
    )
    wipe(graph)
    _claim(graph, elsewhere)
    assert Instance(elsewhere).scratch.exists()
    _claim(graph, settings)  # the suite's own, whatever it holds
