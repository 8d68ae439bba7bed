"""What the CLI says while it waits, in a log or a pipe."""

from __future__ import annotations

import io

from rich.console import Console

from hub.cli.progress import waiting


def test_a_wait_in_a_pipe_says_each_step_once_not_each_figure() -> None:
    """`hub neo4j start > log` named no step for a minute and a half: a first start
    fetches Neo4j, then starts it."""
    out = io.StringIO()
    with waiting("starting Neo4j", Console(file=out, width=80)) as say:
        say("fetching Neo4j 5.26 from Maven Central: 3 files, 1.5 MB")
        say("fetching Neo4j 5.26 from Maven Central: 40 files, 61.0 MB")
        say("starting Neo4j on bolt://127.0.0.1:7688 (3s)")
        say("starting Neo4j on bolt://127.0.0.1:7688 (9s)")
    assert out.getvalue().splitlines() == [
        "starting Neo4j ...",
        "fetching Neo4j 5.26 from Maven Central: 3 files, 1.5 MB ...",
        "starting Neo4j on bolt://127.0.0.1:7688 (3s) ...",
    ]
