"""Cursors: every malformed or out-of-range `after` is bad input, never a crash."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from hub.errors import BadRequest
from hub.settings import Settings
from resolvers.pages import MAX_OFFSET, cursor, offset
from tests.conftest import gql


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def test_a_cursor_the_hub_issued_starts_the_next_page_after_it() -> None:
    assert offset(None) == 0
    assert offset(cursor(0)) == 1
    assert offset(cursor(41)) == 42


@pytest.mark.parametrize(
    "after",
    [
        _b64("at:9223372036854775807"),
        _b64(f"at:{MAX_OFFSET}"),
        _b64("at:" + "9" * 5000),
        _b64("at:-1"),
        _b64("at: 3"),
        _b64("at:+3"),
        _b64("at:٣"),  # a digit Python's int() reads, not a cursor the hub writes
        _b64("at:"),
        _b64("offset:3"),
        "not base64!",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "",
    ],
)
def test_a_malformed_or_out_of_range_cursor_is_bad_user_input(after: str) -> None:
    with pytest.raises(BadRequest, match="is not a cursor of this list") as caught:
        offset(after)
    assert caught.value.extensions["code"] == "BAD_USER_INPUT"


def test_search_after_an_out_of_range_cursor_answers_bad_user_input(
    serve: Callable[..., TestClient], settings: Settings
) -> None:
    query = (
        'query($after: String) { search(text: "张", after: $after) { pageInfo { hasNextPage } } }'
    )
    answer = gql(serve(), settings, query, after=_b64("at:9223372036854775807"))
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "is not a cursor of this list" in error["message"]
