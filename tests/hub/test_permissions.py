"""The permission table: every root field is listed, roles are checked as it says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from neo4j import Driver
from starlette.testclient import TestClient

from hub import permissions
from hub.access import Role
from hub.errors import ConfigError
from hub.settings import Settings
from resolvers.schema import schema
from tests.conftest import gql

PERSON = '{ person(idNumber: "411623198503120014") { name } }'


def test_every_root_field_of_the_schema_is_in_the_table() -> None:
    table = permissions.table()
    for root in ("Query", "Mutation", "Subscription"):
        type_ = schema._schema.get_type(root)
        for name in getattr(type_, "fields", {}) or {}:
            assert f"{root}.{name}" in table.fields, f"{root}.{name} is not in permissions.yaml"


def test_unlisted_root_fields_are_closed_and_other_fields_open() -> None:
    table = permissions.table()
    assert not table.may_select(Role.admin, "Query", "somethingNew")
    assert table.may_select(Role.analyst, "Person", "name")
    assert table.may_select(Role.admin, "Query", "auditEvents")
    assert not table.may_select(Role.investigator, "Query", "auditEvents")


def test_a_bad_table_is_refused_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "permissions.yaml"
    path.write_text("queries:\n  person: [investigator, sherlock]\n")
    with pytest.raises(ConfigError, match=r"queries\.person"):
        permissions.load(path)


@pytest.mark.parametrize(
    ("role", "query", "field"),
    [
        (Role.connector, '{ person(idNumber: "x") { name } }', "Query.person"),
        (Role.investigator, "{ auditEvents { seq } }", "Query.auditEvents"),
        (Role.analyst, "{ auditEvents { seq } }", "Query.auditEvents"),
    ],
)
def test_a_role_without_the_permission_gets_a_typed_forbidden_error(
    serve: Callable[..., TestClient], settings: Settings, role: Role, query: str, field: str
) -> None:
    body = gql(serve(), settings, query, role)
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"] == f"the role {role} may not query {field}"


def test_a_partly_forbidden_query_runs_nothing(
    serve: Callable[..., TestClient], settings: Settings, graph: Driver
) -> None:
    body = gql(serve(), settings, '{ auditEvents { seq } person(idNumber: "x") { name } }')
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


def test_a_listed_look_up_needs_a_justification(
    serve: Callable[..., TestClient],
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "permissions.yaml"
    text = permissions.PATH.read_text().replace(
        "justification: {}", "justification:\n  Query.person: [investigator]"
    )
    path.write_text(text)
    monkeypatch.setattr(permissions, "table", lambda: permissions.load(path))
    client = serve()
    refused = gql(client, settings, PERSON)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "JUSTIFICATION_REQUIRED"
    assert "X-Justification" in refused["errors"][0]["message"]
    justified = gql(client, settings, PERSON, headers={"x-justification": "case 2026-041"})
    assert justified["data"]["person"]["name"] == "张伟"
    # not listed for the analyst (who may not send a number): its request is looked at
    asked = gql(client, settings, '{ person(idNumber: "x") { name } }', Role.analyst)
    assert [e["extensions"]["code"] for e in asked["errors"]] == ["BAD_USER_INPUT"]
