"""matchPersons and decideSameEntity: resolution's matching and judgements over GraphQL."""

from __future__ import annotations

from typing import Any

from hub.access import Principal, Role, visible
from tests.resolvers.county import County, ask, data, global_id

INVESTIGATOR = Principal("wang", Role.investigator, unit="U1")
# Sees every unit's records, and personal numbers in full.
SUPERVISOR = Principal("boss", Role.admin)

MATCH = """
query($input: [PersonInput!]!, $first: Int!) {
  matchPersons(input: $input, first: $first) {
    input candidates {
      score matched person { uid idNumber } comparisons { field level label weight }
    }
  }
}
"""
DECIDE = """
mutation($a: ID!, $b: ID!, $same: Boolean!, $reason: String!) {
  decideSameEntity(a: $a, b: $b, same: $same, reason: $reason) {
    __typename ... on Decided { merged split } ... on MutationError { message }
  }
}
"""


def _people_with_phones(county: County, n: int) -> list[dict[str, Any]]:
    records, _, _ = county.driver.execute_query(
        "MATCH (p:Person)-[:HAS_PHONE]->(ph:Phone) WHERE p.id_number IS NOT NULL "
        "AND p.birth_date IS NOT NULL AND p.name IS NOT NULL "
        "WITH p, min(ph.number) AS phone ORDER BY p.uid LIMIT $n "
        "RETURN p.uid AS uid, p.name AS name, toString(p.birth_date) AS birth, "
        "p.id_number AS id_number, phone",
        n=n,
    )
    return [dict(r) for r in records]


def test_outside_records_without_an_id_number_find_their_person(resolved: County) -> None:
    synced = resolved
    people = _people_with_phones(synced, 6)
    assert len(people) == 6
    records = [
        {"name": p["name"], "birthDate": p["birth"], "phone": p["phone"][3:]} for p in people
    ]
    found = data(synced.settings, MATCH, SUPERVISOR, input=records, first=3)["matchPersons"]
    assert [m["input"] for m in found] == list(range(6))
    for person, match in zip(people, found, strict=True):
        best = match["candidates"][0]
        assert best["person"]["idNumber"] == person["id_number"]
        assert {c["field"] for c in best["comparisons"]} >= {"name", "phone"}
        assert best["matched"]
        scores = [c["score"] for c in match["candidates"]]
        assert scores == sorted(scores, reverse=True)


def test_matching_weighs_only_the_records_the_asker_may_see(resolved: County) -> None:
    """An investigator of a unit with no cases is matched against what every unit may see
    (the big-data feeds, the fugitive list): another unit's case records lend no score."""
    synced = resolved
    people = _people_with_phones(synced, 6)
    records = [{"name": p["name"], "phone": p["phone"][3:]} for p in people]

    def best(who: Principal) -> list[float]:
        found = data(synced.settings, MATCH, who, input=records, first=1)["matchPersons"]
        return [m["candidates"][0]["score"] if m["candidates"] else -99.0 for m in found]

    everything, mine = best(SUPERVISOR), best(INVESTIGATOR)
    assert mine != everything
    assert all(m <= e for m, e in zip(mine, everything, strict=True))


def test_matching_is_capped_and_refused_to_analysts(resolved: County) -> None:
    """An analyst sees ID numbers masked: scores and comparison labels against guessed
    birth dates would give the masked digits away, so matching is not theirs."""
    synced = resolved
    too_many = ask(synced.settings, MATCH, INVESTIGATOR, input=[{"name": "王"}] * 101, first=3)
    assert (
        too_many.errors
        and "input holds 101 items, more than the limit of 100" in (too_many.errors[0])
    )
    person = _people_with_phones(synced, 1)[0]
    analyst = Principal("chen", Role.analyst)
    refused = ask(synced.settings, MATCH, analyst, input=[{"name": person["name"]}], first=1)
    assert refused.errors and "may not query Query.matchPersons" in refused.errors[0]


def test_a_users_decision_merges_and_splits_two_persons(synced: County) -> None:
    a, b = (p["uid"] for p in _people_with_phones(synced, 2))
    ids = {
        "a": global_id(synced.settings, "Person", a),
        "b": global_id(synced.settings, "Person", b),
    }
    same = data(synced.settings, DECIDE, INVESTIGATOR, **ids, same=True, reason="案件 A1 核实")
    assert same["decideSameEntity"] == {"__typename": "Decided", "merged": 1, "split": 0}
    persons, _, _ = synced.driver.execute_query(
        "MATCH (p:Person) WHERE p.uid IN [$a, $b] RETURN count(p) AS n", a=a, b=b
    )
    assert persons[0]["n"] == 1
    kept, _, _ = synced.driver.execute_query(
        "MATCH (j:Judgement {left: $l, right: $r}) RETURN j.by AS by, j.comparisons AS why",
        l=min(a, b),
        r=max(a, b),
    )
    assert kept[0]["by"] == "user:wang" and "案件 A1 核实" in kept[0]["why"]
    apart = data(synced.settings, DECIDE, INVESTIGATOR, **ids, same=False, reason="不是同一人")
    assert apart["decideSameEntity"] == {"__typename": "Decided", "merged": 0, "split": 1}
    persons, _, _ = synced.driver.execute_query(
        "MATCH (p:Person) WHERE p.uid IN [$a, $b] RETURN count(p) AS n", a=a, b=b
    )
    assert persons[0]["n"] == 2


def test_decisions_refuse_bad_input_and_roles_without_the_permission(synced: County) -> None:
    a = global_id(synced.settings, "Person", _people_with_phones(synced, 1)[0]["uid"])
    unknown = global_id(synced.settings, "Person", "P000000000000000000")
    blank = data(synced.settings, DECIDE, INVESTIGATOR, a=a, b=unknown, same=True, reason=" ")
    assert blank["decideSameEntity"]["__typename"] == "InvalidInput"
    missing = data(synced.settings, DECIDE, INVESTIGATOR, a=a, b=unknown, same=True, reason="r")
    assert missing["decideSameEntity"]["__typename"] == "NotFound"
    itself = data(synced.settings, DECIDE, INVESTIGATOR, a=a, b=a, same=True, reason="r")
    assert itself["decideSameEntity"]["__typename"] == "InvalidInput"
    analyst = ask(synced.settings, DECIDE, Principal("chen", Role.analyst), a=a, b=a, same=True,
                  reason="r")  # fmt: skip
    assert analyst.errors and "decideSameEntity" in analyst.errors[0]
    assert analyst.statements == 0


def test_a_decision_is_for_persons_whose_records_the_asker_may_see(synced: County) -> None:
    """Another unit's suspects, known only from its cases, are no investigator's of this
    unit to merge or split: it sees none of the evidence (its `identity` is null)."""
    records, _, _ = synced.driver.execute_query(
        "MATCH (p:Person) WHERE EXISTS { (:Record)-[:RECORD_OF]->(p) } AND NOT EXISTS { "
        f"MATCH (r:Record)-[:RECORD_OF]->(p) WHERE {visible('r', ['Record'])} }} "
        "RETURN p.uid AS uid ORDER BY uid LIMIT 2",
        scope=INVESTIGATOR.scope(),
    )
    unseen = [global_id(synced.settings, "Person", r["uid"]) for r in records]
    seen = global_id(synced.settings, "Person", _people_with_phones(synced, 1)[0]["uid"])
    assert len(unseen) == 2
    for a, b in ((unseen[0], unseen[1]), (seen, unseen[0]), (unseen[1], seen)):
        refused = data(synced.settings, DECIDE, INVESTIGATOR, a=a, b=b, same=True, reason="r")
        assert refused["decideSameEntity"]["__typename"] == "NotFound", refused
        assert "none of this person's records" in refused["decideSameEntity"]["message"]
    persons, _, _ = synced.driver.execute_query(
        "MATCH (p:Person) WHERE p.uid IN $uids RETURN count(p) AS n",
        uids=[r["uid"] for r in records],
    )
    assert persons[0]["n"] == 2  # nothing merged
    # whoever sees every unit's records may decide
    merged = data(synced.settings, DECIDE, SUPERVISOR, a=unseen[0], b=unseen[1], same=False,
                  reason="核实")  # fmt: skip
    assert merged["decideSameEntity"]["__typename"] == "Decided", merged
