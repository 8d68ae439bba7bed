"""The permission table (`hub/permissions.yaml`), loaded once and asked by role.

Root fields are closed unless listed; fields below the root are open unless listed.
Visibility of cases is not here: it is enforced inside Cypher (`hub.access`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

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

    def may_select(self, role: Role, type_name: str, field_name: str) -> bool:
        roles = self.fields.get(f"{type_name}.{field_name}")
        if roles is None:
            return type_name not in ROOTS  # closed at the root unless listed
        return role in roles

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
    for name, roles in (data.get("fields") or {}).items():
        if name.count(".") != 1:
            raise ConfigError(f"permissions.yaml: fields.{name} must be Type.field")
        fields[name] = _roles(roles, f"fields.{name}")
    return Permissions(_roles(data.get("personal_data", []), "personal_data"), fields)


@cache
def table() -> Permissions:
    return load()
