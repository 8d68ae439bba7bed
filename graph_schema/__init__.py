"""The domain of the hub as data: one YAML declaration per node and relationship type."""

from graph_schema.model import (
    MOVED,
    GraphSchema,
    IdentifierType,
    NodeType,
    Property,
    RelationshipType,
    claim_name,
    ident,
    load,
    schema,
)

__all__ = [
    "MOVED",
    "GraphSchema",
    "IdentifierType",
    "NodeType",
    "Property",
    "RelationshipType",
    "claim_name",
    "ident",
    "load",
    "schema",
]
