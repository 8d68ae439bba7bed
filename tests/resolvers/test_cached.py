"""Answers kept per data version (caseClusters, stats, alert counts): computed once per
change of the data, seen to change by every API process, never given to another scope."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from neo4j import AsyncGraphDatabase
from starlette.testclient import TestClient

from hub import db, syncing
from hub.access import Principal, Role, visibility_key
from hub.app import create_app
from hub.queries import generation
from resolvers.cached import Answers
from tests.conftest import bearer
from tests.resolvers.county import County, data, global_id
from tests.resolvers.test_mutations import _evaluate

KEPT = """
query($from: DateTime!, $to: DateTime!) {
  caseClusters { clusters { size cases { caseNo } } freshness { cached ageSeconds computedAt } }
  stats(from: $from, to: $to) { figures { name value previous } freshness { cached } }
  alerts(status: "new", first: 0) { totalCount freshness { cached } }
}
"""
PERIOD = {"from": "2000-01-01T00:00:00+08:00", "to": "2030-01-01T00:00:00+08:00"}


def _units(county: County) -> list[str]:
    rows, _, _ = county.driver.execute_query(
        "MATCH (c:Case)-[:HANDLED_BY]->(u:Unit) "
        "WHERE EXISTS { (c)<-[:SUSPECT_IN|VICTIM_IN|WITNESS_IN]-(:Person)-[:HOLDS]->() } "
        "RETURN u.code AS unit, count(c) AS n ORDER BY n DESC, unit LIMIT 2"
    )
    return [r["unit"] for r in rows]


def _ask(
    client: TestClient, county: County, role: Role, unit: str | None, user: str | None = None
) -> dict[str, Any]:
    response = client.post(
        "/graphql",
        json={"query": KEPT, "variables": PERIOD},
        headers=bearer(county.settings, role, user=user or f"user-of-{unit}", unit=unit),
    )
    body = response.json()
    assert "errors" not in body, body
    return dict(body["data"])


def _kept(answer: dict[str, Any]) -> list[bool]:
    return [
        answer["caseClusters"]["freshness"]["cached"],
        answer["stats"]["freshness"]["cached"],
        answer["alerts"]["freshness"]["cached"],
    ]


def _without(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer without its freshness."""
    return {k: {f: v for f, v in part.items() if f != "freshness"} for k, part in answer.items()}


def test_one_units_kept_answer_never_reaches_another(synced: County) -> None:
    a, b = _units(synced)
    asker = {u: Principal(f"user-of-{u}", Role.investigator, unit=u) for u in (a, b)}
    assert visibility_key(asker[a]) != visibility_key(asker[b])
    generation.bump(synced.driver, synced.settings, "test")
    with TestClient(create_app(synced.settings)) as client:
        first = _ask(client, synced, Role.investigator, a)
        assert _kept(first) == [False, False, False]
        again = _ask(client, synced, Role.investigator, a)
        assert _kept(again) == [True, True, True]
        assert _without(again) == _without(first)
        assert again["caseClusters"]["freshness"]["ageSeconds"] >= 0
        # the other unit, asking the same of the same process, gets its own answer
        other = _ask(client, synced, Role.investigator, b)
        assert _kept(other) == [False, False, False]
        assert _without(other) != _without(first)
        # ... the one it would be given with nothing kept at all
        for unit, answer in ((a, first), (b, other)):
            fresh = data(synced.settings, KEPT, asker[unit], **PERIOD)
            assert _without(fresh) == _without(answer)


def test_a_change_made_through_one_process_is_seen_by_another(synced: County) -> None:
    _evaluate(synced)  # new alerts to count and acknowledge
    generation.bump(synced.driver, synced.settings, "test")
    with (
        TestClient(create_app(synced.settings)) as one,
        TestClient(create_app(synced.settings)) as two,
    ):
        _ask(one, synced, Role.admin, None)
        counted = _ask(one, synced, Role.admin, None)["alerts"]
        assert counted["freshness"]["cached"] and counted["totalCount"] > 0
        listed = two.post(
            "/graphql",
            json={"query": '{ alerts(status: "new", first: 1) { edges { node { id } } } }'},
            headers=bearer(synced.settings, Role.admin),
        ).json()
        alert = listed["data"]["alerts"]["edges"][0]["node"]["id"]
        moved = two.post(
            "/graphql",
            json={
                "query": "mutation($a: ID!) { acknowledgeAlert(alert: $a) { __typename } }",
                "variables": {"a": alert},
            },
            headers=bearer(synced.settings, Role.admin),
        ).json()
        assert moved["data"]["acknowledgeAlert"]["__typename"] == "AlertPayload"
        after = _ask(one, synced, Role.admin, None)["alerts"]
        assert not after["freshness"]["cached"]
        assert after["totalCount"] == counted["totalCount"] - 1


OPERATION = """
mutation($member: String!, $ids: [ID!]) {
  createOperation(name: "kept", members: [$member], ids: $ids) {
    __typename ... on OperationPayload { operation { id } }
  }
}
"""
CLOSE = "mutation($op: ID!) { closeOperation(operation: $op) { __typename } }"


def test_an_operation_changes_what_its_members_are_given(synced: County) -> None:
    """Members of an operation see its cases of other units: opening and closing it
    changes the investigator's kept answers (the mutation's process writes the version's
    file once it has committed, and every process reads that file)."""
    a, b = _units(synced)
    rows, _, _ = synced.driver.execute_query(
        "MATCH (c:Case)-[:HANDLED_BY]->(:Unit {code: $unit}) RETURN c.case_no AS no", unit=b
    )
    cases = [global_id(synced.settings, "Case", r["no"]) for r in rows]
    user = f"member-{uuid.uuid4().hex[:8]}"  # of no operation yet, whatever ran before
    member = Principal(user, Role.investigator, unit=a)
    admin = Principal("boss", Role.admin)
    generation.bump(synced.driver, synced.settings, "test")
    with TestClient(create_app(synced.settings)) as client:
        _ask(client, synced, Role.investigator, a, user)
        before = _ask(client, synced, Role.investigator, a, user)
        assert _kept(before) == [True, True, True]
        made = data(synced.settings, OPERATION, admin, member=user, ids=cases)
        op = made["createOperation"]["operation"]["id"]
        try:
            opened = _ask(client, synced, Role.investigator, a, user)
            assert not any(_kept(opened))
            assert _without(opened) != _without(before)
            assert _without(opened) == _without(data(synced.settings, KEPT, member, **PERIOD))
        finally:
            closing = data(synced.settings, CLOSE, admin, op=op)["closeOperation"]
        assert closing["__typename"] == "OperationPayload"
        closed = _ask(client, synced, Role.investigator, a, user)
        assert not any(_kept(closed))
        assert _without(closed) == _without(before)


def test_a_sync_gives_the_data_a_new_version(synced: County) -> None:
    async def version() -> str | None:
        uri, auth = db.credentials(synced.settings)
        async with AsyncGraphDatabase.driver(uri, auth=auth) as driver:
            found = await generation.current(driver, 10.0)
            return None if found is None else found.value

    stamp = generation.stamp(synced.settings)  # what processes of this machine read
    generation.bump(synced.driver, synced.settings, "test")
    before = asyncio.run(version()), stamp.read_text() if stamp else None
    asyncio.run(syncing.sync(synced.driver, synced.settings, []))
    after = asyncio.run(version()), stamp.read_text() if stamp else None
    assert before[0] is not None and after[0] is not None and after[0] != before[0]
    assert stamp is None or after[1] != before[1]


def test_answers_asked_at_once_are_computed_once_and_kept_per_version() -> None:
    answers = Answers(size=2)
    computed: list[str] = []

    def computing(value: str) -> Any:
        async def compute() -> str:
            computed.append(value)
            await asyncio.sleep(0.01)
            return value

        return compute

    async def run() -> None:
        at_once = await asyncio.gather(*(answers.get("v1", "q", computing("a")) for _ in range(5)))
        assert [value for value, _ in at_once] == ["a"] * 5
        assert computed == ["a"]
        value, fresh = await answers.get("v1", "q", computing("b"))
        assert (value, fresh.cached) == ("a", True)
        value, fresh = await answers.get("v2", "q", computing("c"))  # the data changed
        assert (value, fresh.cached) == ("c", False)
        await answers.get("v2", "r", computing("d"))
        await answers.get("v2", "s", computing("e"))  # the oldest, "q", makes room
        value, fresh = await answers.get("v2", "q", computing("f"))
        assert (value, fresh.cached) == ("f", False)
        # a graph without a version keeps nothing
        for letter in "gh":
            value, fresh = await answers.get(None, "q", computing(letter))
            assert (value, fresh.cached) == (letter, False)

    asyncio.run(run())
    assert computed == list("acdefgh")


def test_a_kept_answer_shows_each_role_what_it_may_see(synced: County) -> None:
    """An administrator and an analyst of the same name see the same cases, so they are
    given the same kept clusters; the analyst's personal numbers are masked all the same."""
    query = (
        "{ caseClusters { clusters { links { kind ... on Phone { number } "
        "... on BankAccount { number } ... on Person { idNumber } } } freshness { cached } } }"
    )
    generation.bump(synced.driver, synced.settings, "test")
    with TestClient(create_app(synced.settings)) as client:
        seen = {}
        for role in (Role.admin, Role.analyst, Role.admin, Role.analyst):
            answer = client.post(
                "/graphql", json={"query": query}, headers=bearer(synced.settings, role, "boss")
            ).json()["data"]["caseClusters"]
            fresh = data(synced.settings, query, Principal("boss", role))["caseClusters"]
            assert answer["clusters"] == fresh["clusters"], role
            seen[role] = answer
        assert seen[Role.analyst]["freshness"]["cached"]  # the admin's, masked
        numbers = [
            link.get("number") or link.get("idNumber")
            for answer in (seen[Role.admin], seen[Role.analyst])
            for cluster in answer["clusters"]
            for link in cluster["links"]
        ]
        assert any("*" in n for n in numbers) and any("*" not in n for n in numbers)


def test_a_kept_answer_is_redacted_for_each_role_that_may_not_see_personal_numbers(
    synced: County,
) -> None:
    """A selection with no field masked of its own (an entity's label shows its number):
    the clusters kept for one role, given to another, are redacted, or not, as that
    role's answer computed afresh, whichever asked first."""
    queries = [
        "{ caseClusters { clusters { links { kind label } } freshness { cached } } }",
        "{ caseClusters { clusters { links { id label } cases { caseNo } } "
        "freshness { cached } } }",
    ]
    generation.bump(synced.driver, synced.settings, "test")
    with TestClient(create_app(synced.settings)) as client:
        for query, first, then in zip(
            queries, (Role.admin, Role.analyst), (Role.analyst, Role.admin), strict=True
        ):
            seen: dict[Role, list[Any]] = {}
            kept = []
            for role in (first, then, then, first):
                answer = client.post(
                    "/graphql", json={"query": query}, headers=bearer(synced.settings, role, "boss")
                ).json()["data"]["caseClusters"]
                fresh = data(synced.settings, query, Principal("boss", role))["caseClusters"]
                assert answer["clusters"] == fresh["clusters"], role
                seen[role] = answer["clusters"]
                kept.append(answer["freshness"]["cached"])
            assert kept[1:] == [True, True, True]  # the first asker's, kept
            labels = {
                role: [link["label"] for cluster in clusters for link in cluster["links"]]
                for role, clusters in seen.items()
            }
            assert any("*" in label for label in labels[Role.analyst])
            assert not any("*" in label for label in labels[Role.admin])


def test_the_audit_event_of_a_kept_answer_names_what_it_shows(synced: County) -> None:
    query = "{ caseClusters { clusters { cases { id } links { id } } freshness { cached } } }"
    user = f"reader-of-kept-clusters-{uuid.uuid4().hex[:8]}"  # its events only, whatever ran before
    generation.bump(synced.driver, synced.settings, "test")
    with TestClient(create_app(synced.settings)) as client:  # its audit trail written on exit
        answers = [
            client.post(
                "/graphql", json={"query": query}, headers=bearer(synced.settings, Role.admin, user)
            ).json()["data"]["caseClusters"]
            for _ in range(2)
        ]
    assert [answer["freshness"]["cached"] for answer in answers] == [False, True]
    shown = {e["id"] for c in answers[0]["clusters"] for e in c["cases"] + c["links"]}
    assert shown
    rows, _, _ = synced.driver.execute_query(
        "MATCH (e:AuditEvent {user: $user}) RETURN e.entities AS ids ORDER BY e.seq", user=user
    )
    assert [set(r["ids"]) for r in rows] == [shown, shown]
