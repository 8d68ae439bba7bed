"""Full-text search: text too long for Lucene is bad input, refused before the index."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from neo4j import AsyncGraphDatabase, Driver

from graph_schema import schema
from hub import db, permissions
from hub.access import Principal, Role
from hub.errors import BadRequest
from hub.limits import MAX_SEARCH_TEXT
from hub.queries import search
from hub.settings import Settings

ADMIN = Principal("chen", Role.admin)
ANALYST = Principal("zhou", Role.analyst)
INVESTIGATOR = Principal("wang", Role.investigator, unit="U1")


def find(settings: Settings, text: str, who: Principal = ADMIN) -> list[dict[str, Any]]:
    """What `who` finds, with the personal values searched as the resolver does."""
    numbers = permissions.table().sees_personal_data(who.role)

    async def run() -> list[dict[str, Any]]:
        uri, auth = db.credentials(settings)
        async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
            return await search.search(driver, text, [], 0, 10, who.scope(), 10.0, numbers=numbers)

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


@pytest.mark.parametrize("who", [ADMIN, ANALYST])
@pytest.mark.parametrize(
    "longest",
    [
        "张" * MAX_SEARCH_TEXT,  # one clause a character at most
        " ".join(["a"] * (MAX_SEARCH_TEXT // 2)),  # many short words
        "张 " * (MAX_SEARCH_TEXT // 2),
    ],
)
def test_the_longest_text_allowed_is_searched(
    graph: Driver, settings: Settings, longest: str, who: Principal
) -> None:
    """By every role: a masked role's query names each non-personal property apart."""
    assert len(longest) <= MAX_SEARCH_TEXT
    assert find(settings, longest, who) == []


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


# A stored value of each kind of personal number: a foreign phone, which redaction does
# not read as a phone once its `+` is left out. A personal property of another kind gets
# a text of its own.
STORED = {
    "resident_id": "411623198503120014",
    "phone": "+85291234567",
    "bank_card": "6222021234567890128",
}


def personal_indexed() -> list[tuple[str, str]]:
    """Every (label, property) that the full-text index holds and graph_schema declares
    personal."""
    return [
        (node.label, p.name)
        for node in schema().nodes.values()
        for p in node.properties.values()
        if p.fulltext and p.personal
    ]


def test_every_personal_indexed_property_is_declared_somewhere() -> None:
    assert {"Person.id_number", "Phone.number", "BankAccount.number"} <= {
        f"{label}.{prop}" for label, prop in personal_indexed()
    }


@pytest.mark.parametrize(("label", "prop"), personal_indexed())
def test_a_masked_role_finds_nothing_by_a_personal_value_however_spelt(
    graph: Driver, settings: Settings, label: str, prop: str
) -> None:
    """With a foreign phone in the graph, an analyst searching its digits without the
    `+` found it (shown masked) and, guessing the hidden digits, confirmed the number:
    a role without the personal-data permission matches no personal property at all,
    while the investigator finds the entity by the same texts, and the analyst finds it
    by a non-personal word beside it."""
    node = schema().node(label)
    normaliser = node.properties[prop].normaliser
    stored = STORED.get(normaliser or "", f"{label.lower()}-{prop}-73310")
    props: dict[str, Any] = {prop: stored, "scope": ["any"]}
    if node.key != prop:
        props[node.key] = f"K-{label}"
    named = next(
        (
            p.name
            for p in node.properties.values()
            if p.fulltext and not p.personal and p.type == "string" and p.name != node.key
        ),
        None,
    )
    if named is not None:
        props[named] = "probeword"
    graph.execute_query(f"CREATE (n:{label}) SET n = $props", props=props)
    graph.execute_query("CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()")

    def holders(text: str, who: Principal) -> list[str]:
        return [r["props"].get(prop) for r in find(settings, text, who) if r["label"] == label]

    digits = "".join(c for c in stored if c.isalnum())
    spellings = sorted({stored, digits, digits[-8:], stored.lstrip("+")})
    for text in spellings:
        assert holders(text, ANALYST) == [], (label, prop, text)
    assert holders(stored, INVESTIGATOR) == [stored]
    assert holders(digits, INVESTIGATOR) == [stored]
    if named is not None:
        assert holders(f"probeword {digits}", ANALYST) == [stored]


@pytest.mark.parametrize("who", [ADMIN, ANALYST])
def test_a_chinese_character_typed_alone_finds_the_names_that_hold_it(
    graph: Driver, settings: Settings, who: Principal
) -> None:
    """The index holds Chinese text as pairs of characters, so a surname typed alone
    found nothing; it finds every name holding the character, first, within or last."""
    graph.execute_query(
        "UNWIND $names AS n CREATE (:Person {uid: 'R:' + n, name: n})",
        names=["张伟", "李张华", "王芳"],
    )
    graph.execute_query("CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()")

    def names(text: str) -> set[str]:
        return {r["props"]["name"] for r in find(settings, text, who)}

    assert names("张") == {"张伟", "李张华"}
    assert names("伟") == {"张伟"}
    assert names("华 芳") == {"李张华", "王芳"}
    assert names("赵") == set()
