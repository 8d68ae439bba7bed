"""The benchmarks ask questions the API still answers (they run outside the suite)."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from graphql import ObjectTypeDefinitionNode, parse, validate

from graph_schema import schema as graph_schema
from hub.queries.graph import default_types
from hub.settings import Settings
from resolvers.schema import schema

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def load(name: str) -> ModuleType:
    # conftest has set HUB_NEO4J_PORT already: a benchmark's default for it changes nothing
    module_name = f"benchmark_{name.replace('/', '_')}"
    spec = importlib.util.spec_from_file_location(module_name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # a dataclass looks its module up while it is made
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


def test_the_peer_benchmark_asks_the_hub_valid_documents(settings: Settings) -> None:
    run = load("peer/run")
    questions = run.questions(settings)
    assert [q.name.split()[0] for q in questions] == ["person", "neighbourhood", "search", "paths"]
    for question in questions:
        assert validate(schema._schema, parse(question.hub)) == [], question.name
        parse(question.ref)  # the reference's own schema exists only in its server


def test_the_reference_type_definitions_follow_graph_schema() -> None:
    typedefs = load("peer/typedefs")
    document = parse(typedefs.sdl())
    fields = {
        definition.name.value: {f.name.value for f in definition.fields}
        for definition in document.definitions
        if isinstance(definition, ObjectTypeDefinitionNode)
    }
    gs = graph_schema()
    for type_ in default_types():
        rel = gs.relationship(type_)
        for source in rel.sources:
            assert typedefs.out_field(type_) in fields[source], (type_, source)
        for target in rel.targets:
            assert typedefs.in_field(type_) in fields[target], (type_, target)
    for label in typedefs.labels():
        declared = set(gs.node(label).properties) | set(gs.provenance)
        assert declared <= fields[label], label
    assert "accountPaths" in fields["Query"]


def test_the_load_benchmark_document_is_valid() -> None:
    assert validate(schema._schema, parse(load("load").QUERY)) == []
