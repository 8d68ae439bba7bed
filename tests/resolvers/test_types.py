"""The GraphQL types and the graph schema agree."""

import pytest

from graph_schema import schema
from resolvers.types import ENTITY_TYPES, Entity

RELATIONSHIP_FIELDS = {"phones", "accounts"}


@pytest.mark.parametrize("type_", ENTITY_TYPES, ids=lambda t: t.__name__)
def test_each_entity_type_exposes_exactly_its_declared_properties(type_: type[Entity]) -> None:
    node = schema().node(type_.LABEL)
    fields = {f.python_name for f in type_.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    declared = set(node.properties) | set(schema().provenance)
    assert fields - RELATIONSHIP_FIELDS - {"_id"} == declared  # _id: the Relay global id


def test_graphql_types_are_named_after_their_labels() -> None:
    for type_ in ENTITY_TYPES:
        assert type_.__name__ == type_.LABEL
