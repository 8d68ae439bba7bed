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

ADMIN = Principal("chen", Role.admin)


def find(settings: Settings, text: str, who: Principal = ADMIN) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        uri, auth = db.credentials(settings)
        async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
            return await search.search(driver, text, [], 0, 10, who.scope(), 10.0)

    return asyncio.run(run())


def test_what_the_asker_may_not_see_changes_no_score_or_order(
    graph: Driver, settings: Settings
) -> None:
    """The index weighs a word by how many documents hold it, hidden ones too: the hub's
    score is worked out from each hit alone, so another unit's cases named with a word
    change neither the scores nor the order of what the asker sees."""
    mine = Principal("wang", Role.investigator, unit="U1")
    graph.execute_query(
        "UNWIND $cases AS c CREATE (:Case {case_no: c[0], title: c[1], scope: [c[2]]})",
        cases=[["A1", "秘密 专案 甲", "unit:U1"], ["A2", "专案 乙", "unit:U1"]],
    )

    def seen() -> list[tuple[str, float]]:
        graph.execute_query("CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()")
        return [(r["props"]["case_no"], r["score"]) for r in find(settings, "秘密 专案", mine)]

    alone = seen()
    assert [c for c, _ in alone] == ["A1", "A2"]
    graph.execute_query(
        "UNWIND range(1, 30) AS i CREATE (:Case {case_no: 'B' + i, title: '秘密', "
        "scope: ['unit:U2']})"
    )
    assert seen() == alone
    assert any(r["props"]["case_no"].startswith("B") for r in find(settings, "秘密"))


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


def test_no_personal_value_changes_a_score(graph: Driver, settings: Settings) -> None:
    """A hit's score reads none of its personal values: with a guessed birth date beside
    the name, an analyst learnt from the score which digits a masked ID number holds."""
    graph.execute_query(
        "UNWIND $people AS p CREATE (:Person {uid: 'P' + p, name: '张伟', id_number: p})",
        people=["411623198503120014", "411623199001010011"],
    )
    graph.execute_query("CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()")
    for guess in ("19850312", "1985 03 12", "198503"):
        scores = {r["props"]["id_number"]: r["score"] for r in find(settings, f"张伟 {guess}")}
        assert len(scores) == 2 and len(set(scores.values())) == 1, (guess, scores)
