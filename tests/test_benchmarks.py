"""The benchmarks ask questions the API still answers (they run outside the suite)."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from graphql import parse, validate

from hub.settings import Settings
from resolvers.schema import schema

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def load(name: str) -> ModuleType:
    # conftest has set HUB_NEO4J_PORT already: a benchmark's default for it changes nothing
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # where dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_api_benchmark_document_is_valid() -> None:
    assert validate(schema._schema, parse(load("api").QUERY)) == []


def test_the_query_benchmark_documents_are_valid(settings: Settings) -> None:
    module = load("queries")
    inputs = dict.fromkeys(
        ("id_number", "name", "uid", "person", "victim", "end", "from", "to"), "x"
    )
    questions = module.questions({**inputs, "since": datetime.now(UTC)}, settings)
    assert len(questions) == 7  # the floor and the six questions of the issue
    for name, document, *_ in questions:
        assert validate(schema._schema, parse(document)) == [], name


def test_the_load_benchmark_document_is_valid() -> None:
    assert validate(schema._schema, parse(load("load").QUERY)) == []
