"""Personal fields are masked for roles without the personal-data permission."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from hub import permissions
from hub.access import Role
from hub.masking import personal
from hub.settings import Settings
from resolvers.masking import MaskPersonal
from resolvers.types import ENTITY_TYPES
from tests.conftest import gql

PERSON = """
query($idNumber: String!) {
  person(idNumber: $idNumber) {
    id name idNumber
    phones { edges { node { number } } }
    accounts { edges { node { number } } }
  }
}
"""


def numbers(connection: dict[str, Any]) -> list[str]:
    return sorted(edge["node"]["number"] for edge in connection["edges"])


@pytest.mark.parametrize("role", [Role.investigator, Role.supervisor, Role.admin, Role.analyst])
def test_masking_follows_the_personal_data_permission(
    serve: Callable[..., TestClient], settings: Settings, role: Role
) -> None:
    person = gql(serve(), settings, PERSON, role, idNumber="411623198503120014")["data"]["person"]
    assert person["name"] == "张伟"
    full = permissions.table().sees_personal_data(role)
    assert full == (role is not Role.analyst)
    if full:
        assert person["idNumber"] == "411623198503120014"
        assert numbers(person["phones"]) == ["+8613803941001", "+8613903941002"]
        assert numbers(person["accounts"]) == ["622202160000123454"]
    else:
        assert person["idNumber"] == "411623********0014"
        assert numbers(person["phones"]) == ["+86138****1001", "+86139****1002"]
        assert numbers(person["accounts"]) == ["622202********3454"]


def test_the_global_id_is_the_same_whatever_the_role(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    client = serve()
    ids = {
        gql(client, settings, PERSON, role, idNumber="411623198503120014")["data"]["person"]["id"]
        for role in (Role.investigator, Role.analyst)
    }
    assert len(ids) == 1


def test_every_personal_property_of_every_entity_type_is_masked() -> None:
    for type_ in ENTITY_TYPES:
        for field in type_.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            declared = personal(type_.LABEL, field.python_name) is not None
            masked = any(isinstance(e, MaskPersonal) for e in field.extensions)
            assert declared == masked, f"{type_.LABEL}.{field.python_name}"


RAW = """
query($idNumber: String!) {
  person(idNumber: $idNumber) { records { edges { node { source raw } } } }
}
"""


@pytest.mark.parametrize("role", [Role.investigator, Role.analyst])
def test_raw_records_are_only_for_roles_that_see_personal_numbers(
    serve: Callable[..., TestClient], settings: Settings, role: Role
) -> None:
    answer = gql(serve(), settings, RAW, role, idNumber="411623198503120014")
    if permissions.table().sees_personal_data(role):
        assert "errors" not in answer and answer["data"]["person"]["records"] is not None
    else:
        assert answer.get("data") is None
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "Record.raw" in answer["errors"][0]["message"]
