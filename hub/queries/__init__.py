"""Cypher, one module per concept; always parameterised, always with a timeout."""
