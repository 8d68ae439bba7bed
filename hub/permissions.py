"""The permission table (`hub/permissions.yaml`), loaded once and asked by role.

Root fields are closed unless listed; fields below the root are open unless listed.
Visibility of cases is not here: it is enforced inside Cypher (`hub.access`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from hub.access import Role
from hub.errors import ConfigError

PATH = Path(__file__).with_name("permissions.yaml")
ROOTS = {"Query": "queries", "Mutation": "mutations", "Subscription": "subscriptions"}


@dataclass(frozen=True)
class Permissions:
    personal_data: frozenset[Role]
    # "Query.person" -> roles; root fields and restricted fields alike.
    fields: Mapping[str, frozenset[Role]]
    # "Query.person" -> roles that must send a justification to select it.
    justification: Mapping[str, frozenset[Role]] = field(default_factory=dict)

    def may_select(self, role: Role, type_name: str, field_name: str) -> bool:
        roles = self.fields.get(f"{type_name}.{field_name}")
        if roles is None:
            return type_name not in ROOTS  # closed at the root unless listed
        return role in roles

    def needs_justification(self, role: Role, type_name: str, field_name: str) -> bool:
        return role in self.justification.get(f"{type_name}.{field_name}", frozenset())

    def sees_personal_data(self, role: Role) -> bool:
        return role in self.personal_data


def _roles(value: object, where: str) -> frozenset[Role]:
    if not isinstance(value, list):
        raise ConfigError(f"permissions.yaml: {where} must be a list of roles")
    try:
        return frozenset(Role(v) for v in value)
    except ValueError as exc:
        raise ConfigError(f"permissions.yaml: {where}: {exc}") from None


def load(path: Path = PATH) -> Permissions:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    fields: dict[str, frozenset[Role]] = {}
    for root, section in ROOTS.items():
        for name, roles in (data.get(section) or {}).items():
            fields[f"{root}.{name}"] = _roles(roles, f"{section}.{name}")
    restricted = _by_field(data, "fields")
    fields.update(restricted)
    return Permissions(
        _roles(data.get("personal_data", []), "personal_data"),
        fields,
        _by_field(data, "justification"),
    )


def _by_field(data: dict[str, Any], section: str) -> dict[str, frozenset[Role]]:
    out = {}
    for name, roles in (data.get(section) or {}).items():
        if name.count(".") != 1:
            raise ConfigError(f"permissions.yaml: {section}.{name} must be Type.field")
        out[name] = _roles(roles, f"{section}.{name}")
    return out


@cache
def table() -> Permissions:
    return load()
