"""Full-text search: text too long for Lucene is bad input, refused before the index."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from neo4j import AsyncGraphDatabase, Driver

from hub import db
from hub.access import Principal, Role
from hub.errors import BadRequest
from hub.limits import MAX_SEARCH_TEXT
from hub.queries import search
from hub.settings import Settings


def find(settings: Settings, text: str) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        uri, auth = db.credentials(settings)
        async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
            scope = Principal("chen", Role.admin).scope()
            return await search.search(driver, text, [], 0, 10, scope, 10.0)

    return asyncio.run(run())


@pytest.mark.parametrize(
    "longest",
    [
        "张" * MAX_SEARCH_TEXT,  # one clause a character at most
        " ".join(["a"] * (MAX_SEARCH_TEXT // 2)),  # many short words
        "张 " * (MAX_SEARCH_TEXT // 2),
    ],
)
def test_the_longest_text_allowed_is_searched(
    graph: Driver, settings: Settings, longest: str
) -> None:
    assert len(longest) <= MAX_SEARCH_TEXT
    assert find(settings, longest) == []


@pytest.mark.parametrize(
    "text", [" ".join(["张"] * 1025), "张" * (MAX_SEARCH_TEXT + 1), "a " * 2000]
)
def test_longer_text_is_bad_user_input_not_lucene_too_many_clauses(
    graph: Driver, settings: Settings, text: str
) -> None:
    with pytest.raises(BadRequest, match=f"at most {MAX_SEARCH_TEXT} are searched") as caught:
        find(settings, text)
    assert caught.value.extensions["code"] == "BAD_USER_INPUT"
