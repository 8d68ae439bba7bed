"""A client's mistake gets a clear error and leaves one line in the server log: its
request id, never a traceback, the query text or a personal number."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from graphql import GraphQLError
from starlette.testclient import TestClient

from hub.access import Role
from hub.settings import Settings
from resolvers import guard
from tests.conftest import bearer

CARD = "6228480012345678 95"  # fails the Luhn check
MISTAKES = [
    # (query, code, message)
    ("{ persn { name } }", "GRAPHQL_VALIDATION_FAILED", "Cannot query field 'persn'"),
    ('{ node(id: "UGVyc29uOjE") { id } }', "BAD_USER_INPUT", "is not an id of this API"),
    ('{ nodes(ids: ["@@"]) { id } }', "BAD_USER_INPUT", "'@@' is not an id of this API"),
    ('{ person(idNumber: "411623198503120015") { name } }', "BAD_USER_INPUT",
     "idNumber: check digit is 5, expected 4"),
    (f'{{ account(number: "{CARD}") {{ bank }} }}', "BAD_USER_INPUT", "number: Luhn check fails"),
    (f'{{ moneyFlow(account: "{CARD}") {{ truncated }} }}', "BAD_USER_INPUT",
     "account: Luhn check fails"),
    ('{ phone(number: "12") { number } }', "BAD_USER_INPUT", "number: "),
]  # fmt: skip


@pytest.mark.parametrize(("query", "code", "message"), MISTAKES)
def test_a_mistake_is_a_clear_error_and_one_log_line(
    serve: Callable[..., TestClient],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    query: str,
    code: str,
    message: str,
) -> None:
    client = serve()
    caplog.set_level(logging.DEBUG)
    response = client.post("/graphql", json={"query": query}, headers=bearer(settings))
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == code
    assert message in error["message"]
    request = error["extensions"]["requestId"]
    lines = [r for r in caplog.records if request in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "Traceback" not in text and query not in text
    assert "6228480012345678" not in text.replace(" ", "")


def test_a_typo_of_a_field_is_not_a_refusal(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    response = serve().post(
        "/graphql", json={"query": "{ persn { name } }"}, headers=bearer(settings, Role.analyst)
    )
    codes = {e["extensions"]["code"] for e in response.json()["errors"]}
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}


def test_a_failure_of_the_hubs_own_is_logged_with_its_code_lines_not_its_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def fail() -> None:
        raise RuntimeError(f"no answer for card {CARD} at bolt://10.0.0.7")

    try:
        fail()
    except RuntimeError as exc:
        error = GraphQLError("no answer", original_error=exc, path=["person"])
    caplog.set_level(logging.DEBUG)

    class Context:
        request_id = "r-1"

    guard.report(error, Context())
    (line,) = caplog.records
    assert line.levelno == logging.ERROR
    text = line.getMessage()
    assert text.startswith("request r-1: RuntimeError at person: no answer for card 622848*")
    assert "in fail" in text and "6228480012345678" not in text.replace(" ", "")
