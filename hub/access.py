"""Who is asking, and which part of the graph they may see.

A `Principal` travels with every request and every CLI action. Need-to-know lives in
the data: every node of a type graph_schema does not declare public carries its scope,
the list of grants that may see it (`hub.scope` writes it: `unit:<code>`, `user:<name>`,
`any`). `Principal.scope()` is the `$scope` parameter of every read, and `visible` the
one predicate every query module applies to the nodes it reads; none writes its own.

- Investigators and supervisors hold `unit:<their unit>`, `user:<their name>` and
  `any`: their unit's cases, the cases of the open joint operations they are members
  of, and what derives from those (records, alerts, stop-payments).
- Analysts and admins see every unit: every restricted node that carries a scope.
- A restricted node without a scope (a new type nobody declared, a record loaded a
  moment before its scope) is seen by nobody: deny by default.
- A relationship is seen where both its ends are; a path, a neighbourhood, a count or a
  cluster never passes through a node the asker may not see.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from graph_schema import ident, schema

ANY = "any"


class Role(StrEnum):
    investigator = "investigator"
    analyst = "analyst"
    supervisor = "supervisor"
    connector = "connector"
    admin = "admin"


# Roles whose visibility is not limited to their unit and operations.
ALL_UNITS = frozenset({Role.analyst, Role.admin})


def unit_grant(code: str) -> str:
    return f"unit:{code}"


def user_grant(name: str) -> str:
    return f"user:{name}"


@dataclass(frozen=True)
class Principal:
    user: str
    role: Role
    unit: str | None = None
    client: str = "cli"

    def grants(self) -> list[str]:
        """The scope entries this principal holds."""
        held = [ANY, user_grant(self.user)]
        if self.unit:
            held.append(unit_grant(self.unit))
        return held

    def scope(self) -> dict[str, Any]:
        """The `$scope` parameter every visibility-filtered Cypher statement takes."""
        return {"all_units": self.role in ALL_UNITS, "grants": self.grants()}


# The hub itself (migrations, connector jobs run from the CLI, resolution).
SYSTEM = Principal(user="hub", role=Role.admin, client="cli")


def visible(var: str, labels: Iterable[str] | None = None) -> str:
    """A Cypher predicate: the node bound to `var` is visible under `$scope`.

    `var` is a variable name chosen by the hub's own code, never user input; `labels`,
    when the statement knows them, are the labels the node can have: a node that can
    only be public needs no test at all, one that can only be restricted no label test.
    The test reads one property of a node already bound, never a pattern."""
    return _visible(var, None if labels is None else frozenset(labels))


@cache
def _visible(var: str, labels: frozenset[str] | None) -> str:
    gs = schema()
    restricted = [label for label in gs.restricted() if labels is None or label in labels]
    if not restricted:
        return "true"
    prop = f"{var}.{ident(gs.scope_property)}"
    granted = (
        f"({prop} IS NOT NULL AND ($scope.all_units OR any(g IN $scope.grants WHERE g IN {prop})))"
    )
    if labels is not None and all(gs.node(label).restricted for label in labels):
        return granted
    return f"(NOT {var}:{'|'.join(ident(label) for label in restricted)} OR {granted})"


def visibility_key(principal: Principal) -> str:
    """What decides which elements `principal` sees, as one hashable value: an answer
    computed for one principal is reused for another only when their keys are equal
    (`resolvers.cached`). It is the `$scope` the visibility predicates read, so it
    follows whatever the scope comes to carry."""
    return json.dumps(principal.scope(), sort_keys=True, default=str)
