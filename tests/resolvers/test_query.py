"""Look-ups, links and paging against the synced synthetic county."""

from __future__ import annotations

import dataclasses

import pytest

from tests.resolvers.county import County, ask, data, global_id

PERSON_LINKS = """
query($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Person {
      uid name
      phones(first: 5) { totalCount edges { node { number } link { type sources } } }
      accounts(first: 5) { totalCount edges { node { number status } } }
    }
  }
}
"""


def test_a_thousand_people_with_phones_and_accounts_take_three_statements(
    synced: County,
) -> None:
    rows, _, _ = synced.driver.execute_query(
        "MATCH (p:Person) RETURN p.uid AS uid "
        "ORDER BY EXISTS { (p)-[:HAS_PHONE|HOLDS]->() } DESC, uid LIMIT 1000"
    )
    assert len(rows) == 1000
    tokens = [global_id(synced.settings, "Person", r["uid"]) for r in rows]
    # more ids than a page, under limits raised for them: the batching is what is tested
    roomy = dataclasses.replace(synced.settings, max_page_size=1000, max_cost=100_000)
    answer = ask(roomy, PERSON_LINKS, ids=tokens)
    assert answer.errors is None
    people = answer.data["nodes"]
    assert [p["uid"] for p in people] == [r["uid"] for r in rows]
    assert sum(p["phones"]["totalCount"] > 0 for p in people) > 100
    assert sum(p["accounts"]["totalCount"] > 0 for p in people) > 10
    # one for the people, one for all their phones, one for all their accounts
    assert answer.statements == 3


LINKS = """
    uid name
    stays(first: 1) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { placeId name } link { ... on Stay { checkin room sources } } }
    }
    more: stays(first: 1, after: $after) { edges { cursor link { ... on Stay { checkin } } } }
    ... on Person { phones { totalCount edges { node { number } link { type firstSeen } } } }
    ... on Entity { accounts: records { totalCount } }
    ...Cases
"""
CASES = "fragment Cases on Person { cases(first: 3) { totalCount edges { node { caseNo } } } }"


def test_a_look_up_reads_the_links_it_selects_in_the_same_statement(synced: County) -> None:
    rows, _, _ = synced.driver.execute_query(
        "MATCH (p:Person) WHERE p.id_number IS NOT NULL "
        "AND COUNT { (p)-[:STAYED_AT]->() } >= 2 AND EXISTS { (p)-[:HAS_PHONE]->() } "
        "AND EXISTS { (p)-[:SUSPECT_IN|VICTIM_IN|WITNESS_IN]->() } "
        "RETURN p.uid AS uid, p.id_number AS id_number ORDER BY uid LIMIT 1"
    )
    person = rows[0]
    after = "YXQ6MA=="  # the cursor of the first link
    ahead = ask(
        synced.settings,
        f"query($n: String!, $after: String) {{ person(idNumber: $n) {{ {LINKS} }} }} {CASES}",
        n=person["id_number"],
        after=after,
    )
    one_by_one = ask(
        synced.settings,
        f"query($id: ID!, $after: String) {{ node(id: $id) {{ ... on Person {{ {LINKS} }} }} }} "
        + CASES,
        id=global_id(synced.settings, "Person", person["uid"]),
        after=after,
    )
    assert ahead.errors is None and one_by_one.errors is None
    assert ahead.data["person"] == one_by_one.data["node"]
    found = ahead.data["person"]
    stays = found["stays"]
    assert stays["totalCount"] >= 2 and stays["pageInfo"]["hasNextPage"]
    assert [e["cursor"] for e in found["more"]["edges"]] == ["YXQ6MQ=="]  # the second stay
    assert found["more"]["edges"][0]["link"]["checkin"] <= stays["edges"][0]["link"]["checkin"]
    assert found["phones"]["edges"] and found["cases"]["edges"]
    assert found["accounts"]["totalCount"] >= 1  # its records, under an alias
    assert (ahead.statements, one_by_one.statements) == (1, 5)

    # a page the field refuses is not read ahead: the field says what is wrong
    refused = ask(
        synced.settings,
        'query($n: String!) { person(idNumber: $n) { uid phones(after: "x") { totalCount } } }',
        n=person["id_number"],
    )
    assert refused.errors == ["after: 'x' is not a cursor of this list"]
    assert refused.data == {"person": None}


def test_look_ups_by_natural_key_normalise_what_is_typed(synced: County) -> None:
    account = synced.truth("money_path_hops").row(0, named=True)["to_account"]
    spaced = " ".join(account[i : i + 4] for i in range(0, len(account), 4))
    found = data(
        synced.settings,
        "query($n: String!) { account(number: $n) { number kind label } }",
        n=spaced,
    )
    assert found["account"] == {"number": account, "kind": "BankAccount", "label": account}

    rows, _, _ = synced.driver.execute_query(
        "MATCH (ph:Phone) WHERE ph.number STARTS WITH '+861' RETURN ph.number AS n LIMIT 1"
    )
    number = rows[0]["n"]
    local = f"{number[3:6]} {number[6:10]} {number[10:]}"
    found = data(synced.settings, "query($n: String!) { phone(number: $n) { number } }", n=local)
    assert found["phone"] == {"number": number}

    case_no = synced.truth("ring_cases").row(0, named=True)["case_no"]
    found = data(
        synced.settings,
        "query($c: String!) { case(caseNo: $c) { caseNo kind units { edges { node { code } } } } }",
        c=case_no,
    )
    assert found["case"]["caseNo"] == case_no
    assert len(found["case"]["units"]["edges"]) == 1

    warrant = synced.truth("fugitives").row(0, named=True)["warrant_no"]
    found = data(
        synced.settings,
        "query($w: String!) { warrant(warrantNo: $w) { warrantNo wanted { edges { node { idNumber } } } } }",
        w=warrant,
    )
    assert found["warrant"]["warrantNo"] == warrant
    assert found["warrant"]["wanted"]["edges"]

    plate = synced.truth("vehicles").row(0, named=True)["plate"]
    found = data(synced.settings, "query($p: String!) { vehicle(plate: $p) { plate } }", p=plate)
    assert found["vehicle"] in (None, {"plate": plate})  # only vehicles seen at a checkpoint


@pytest.mark.parametrize(
    ("field", "arg", "value"),
    [
        ("person", "idNumber", "110101199003071233"),
        ("account", "number", "6222020000000000000"),
        ("phone", "number", "+86 139 0000 0000"),
        ("vehicle", "plate", "豫Z00000"),
        ("case", "caseNo", "A000"),
        ("warrant", "warrantNo", ""),
    ],
)
def test_unknown_keys_find_nothing(synced: County, field: str, arg: str, value: str) -> None:
    query = f"query($v: String!) {{ {field}({arg}: $v) {{ id }} }}"
    assert data(synced.settings, query, v=value)[field] is None


@pytest.mark.parametrize(
    ("field", "arg", "value", "reason"),
    [
        ("person", "idNumber", "411623198503120019", "check digit is 9, expected 4"),
        ("account", "number", "6222 0216 0000 1234 55", "Luhn check fails"),
        ("phone", "number", "not a phone", "contains letters"),
        ("vehicle", "plate", "XX12345", "unknown province character"),
    ],
)
def test_a_key_that_cannot_be_one_says_why(
    synced: County, field: str, arg: str, value: str, reason: str
) -> None:
    query = f"query($v: String!) {{ {field}({arg}: $v) {{ id }} }}"
    answer = ask(synced.settings, query, v=value)
    assert answer.errors is not None and len(answer.errors) == 1
    assert answer.errors[0].startswith(f"{arg}: {reason}")


BUSY_PLACE = """
query($id: ID!, $first: Int, $after: String) {
  node(id: $id) {
    ... on Place {
      stays(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { uid } link { ... on Stay { checkin room sources } } }
      }
    }
  }
}
"""


def _busiest_hotel(county: County) -> str:
    rows, _, _ = county.driver.execute_query(
        "MATCH (h:Place)<-[s:STAYED_AT]-() RETURN h.place_id AS id, count(s) AS n "
        "ORDER BY n DESC, id LIMIT 1"
    )
    return global_id(county.settings, "Place", rows[0]["id"])


def test_pages_walk_a_busy_place_newest_first_without_gaps(synced: County) -> None:
    place = _busiest_hotel(synced)
    seen, after, total = [], None, None
    while True:
        page = data(synced.settings, BUSY_PLACE, id=place, first=7, after=after)["node"]["stays"]
        total = page["totalCount"]
        seen += [e["link"]["checkin"] for e in page["edges"]]
        assert all(e["link"]["sources"] == ["bigdata"] for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert total is not None and total > 7
    assert len(seen) == total
    assert seen == sorted(seen, reverse=True)


def test_a_page_over_the_cap_or_a_bad_cursor_is_refused(synced: County) -> None:
    place = _busiest_hotel(synced)
    cap = synced.settings.max_page_size
    answer = ask(synced.settings, BUSY_PLACE, id=place, first=cap + 1)
    assert answer.errors and f"pages hold 0 to {cap} items" in answer.errors[0]
    assert answer.statements == 0
    answer = ask(synced.settings, BUSY_PLACE, id=place, first=5, after="nonsense")
    assert answer.errors and "not a cursor" in answer.errors[0]
    empty = data(synced.settings, BUSY_PLACE, id=place, first=0)["node"]["stays"]
    assert empty["edges"] == [] and empty["pageInfo"]["hasNextPage"]
