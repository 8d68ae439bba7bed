"""Who is asking, and which part of the graph they may see.

A `Principal` travels with every request and every CLI action. Visibility is enforced
inside Cypher: every read that can reach a Case takes the `$scope` parameter
(`Principal.scope()`) and filters cases with `case_visible(var)`. Cases belong to the
unit that handles them; an investigator or supervisor sees their own unit's cases and
those of open joint operations they are a member of; analysts and admins see all.
Entities that are not cases (people, phones, accounts, places, ...) are visible to
every role, but never through a case that is not: a path, a neighbourhood, a count or
a cluster that would pass through an invisible case leaves it out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    investigator = "investigator"
    analyst = "analyst"
    supervisor = "supervisor"
    connector = "connector"
    admin = "admin"


# Roles whose case visibility is not limited to their unit and operations.
ALL_UNITS = frozenset({Role.analyst, Role.admin})


@dataclass(frozen=True)
class Principal:
    user: str
    role: Role
    unit: str | None = None
    client: str = "cli"

    def scope(self) -> dict[str, Any]:
        """The `$scope` parameter every visibility-filtered Cypher statement takes."""
        return {"all_units": self.role in ALL_UNITS, "unit": self.unit, "user": self.user}


# The hub itself (migrations, connector jobs run from the CLI, resolution).
SYSTEM = Principal(user="hub", role=Role.admin, client="cli")


def case_visible(var: str) -> str:
    """A Cypher predicate: the Case bound to `var` is visible under `$scope`.

    `var` is a variable name chosen by the hub's own code, never user input.
    """
    return (
        f"($scope.all_units"
        f" OR EXISTS {{ MATCH ({var})-[:HANDLED_BY]->(u:Unit) WHERE u.code = $scope.unit }}"
        f" OR EXISTS {{ MATCH (o:Operation)-[:INCLUDES]->({var})"
        f" WHERE o.status = 'open' AND $scope.user IN o.members }})"
    )


def node_visible(var: str) -> str:
    """A Cypher predicate: any node bound to `var` is visible (only cases are scoped)."""
    return f"(NOT {var}:Case OR {case_visible(var)})"


def visibility_key(principal: Principal) -> str:
    """What decides which elements `principal` sees, as one hashable value: an answer
    computed for one principal is reused for another only when their keys are equal
    (`resolvers.cached`). It is the `$scope` the visibility predicates read, so it
    follows whatever the scope comes to carry."""
    return json.dumps(principal.scope(), sort_keys=True, default=str)
