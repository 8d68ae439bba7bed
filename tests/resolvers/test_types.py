"""The GraphQL types and the graph schema agree."""

import pytest

from graph_schema import schema
from resolvers.links import LINK_TYPES, Link
from resolvers.types import ENTITY_TYPES, Entity

INTERFACE_FIELDS = {"_id", "kind", "label", "records"}  # _id: the Relay global id


def _plain_fields(type_: type) -> set[str]:
    fields = type_.__strawberry_definition__.fields  # type: ignore[attr-defined]
    return {f.python_name for f in fields if f.base_resolver is None}


@pytest.mark.parametrize("type_", ENTITY_TYPES, ids=lambda t: t.__name__)
def test_each_entity_type_exposes_exactly_its_declared_properties(type_: type[Entity]) -> None:
    node = schema().node(type_.LABEL)
    declared = {type_.RENAMED.get(p, p) for p in node.properties} | set(schema().provenance)
    assert _plain_fields(type_) - INTERFACE_FIELDS == declared


def test_graphql_types_are_named_after_their_labels() -> None:
    for type_ in ENTITY_TYPES:
        assert type_.__name__ == type_.LABEL
    # the hub's own bookkeeping: sync state, quarantine, API keys, the audit trail,
    # resolution's judgements and the persons it merged away
    bookkeeping = {"Quarantine", "SyncState", "ApiKey", "AuditEvent", "AuditHead", "LoadStripe"}
    bookkeeping |= {"SourceFile", "SyncLock", "DataVersion"}
    bookkeeping |= {"Judgement", "MergedPerson", "BlockKey", "ResolutionModel"}
    modelled = set(schema().nodes) - bookkeeping
    assert {t.LABEL for t in ENTITY_TYPES} == modelled


@pytest.mark.parametrize("type_", LINK_TYPES, ids=lambda t: t.__name__)
def test_each_link_type_exposes_exactly_its_declared_properties(type_: type[Link]) -> None:
    for rel_type in type_.TYPES:
        rel = schema().relationship(rel_type)
        declared = set(rel.properties) | set(schema().provenance) | {"type"}
        assert _plain_fields(type_) == declared


def test_every_relationship_type_has_a_link_type() -> None:
    covered = [t for type_ in LINK_TYPES for t in type_.TYPES]
    assert sorted(covered) == sorted(schema().relationships)
