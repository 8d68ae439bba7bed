"""Typed error results of mutations: a mutation answers with its payload or one of
these, never with a stack trace."""

from __future__ import annotations

import strawberry


@strawberry.interface(description="Why a mutation did not do what was asked.")
class MutationError:
    message: str


@strawberry.type(description="An argument is malformed or out of range.")
class InvalidInput(MutationError):
    field: str


@strawberry.type(description="Nothing with this id exists that the asker may see.")
class NotFound(MutationError):
    id: str


@strawberry.type(description="The thing exists but is not in a state that allows this.")
class Conflict(MutationError):
    status: str | None
