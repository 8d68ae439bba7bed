"""Search, neighbourhood, paths and common links against the synced county."""

from __future__ import annotations

import polars as pl

from tests.resolvers.county import County, ask, data, global_id

SEARCH = """
query($text: String!, $kinds: [String!], $first: Int, $after: String) {
  search(text: $text, kinds: $kinds, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { score node { kind label ... on Person { uid name namePinyin } ... on Case { caseNo }
                         ... on Phone { number } ... on BankAccount { number } } }
  }
}
"""


def _a_person(county: County) -> dict[str, str]:
    rows, _, _ = county.driver.execute_query(
        "MATCH (p:Person) WHERE p.id_number IS NOT NULL AND p.name_pinyin IS NOT NULL "
        "RETURN p.uid AS uid, p.name AS name, p.name_pinyin AS pinyin, p.id_number AS id "
        "ORDER BY p.uid LIMIT 1"
    )
    return dict(rows[0])


def test_search_finds_a_person_by_name_pinyin_and_id_number(synced: County) -> None:
    person = _a_person(synced)
    for text in (person["name"], person["pinyin"], person["id"]):
        hits = data(synced.settings, SEARCH, text=text, kinds=["Person"], first=50)["search"]
        uids = [e["node"]["uid"] for e in hits["edges"]]
        assert person["uid"] in uids, text
        scores = [e["score"] for e in hits["edges"]]
        assert scores == sorted(scores, reverse=True)


def test_search_finds_numbers_as_people_type_them_and_names_in_traditional_characters(
    synced: County,
) -> None:
    rows, _, _ = synced.driver.execute_query(
        "MATCH (ph:Phone) WHERE ph.number STARTS WITH '+861' WITH min(ph.number) AS phone "
        "MATCH (a:BankAccount) WHERE size(a.number) >= 16 "
        "RETURN phone, min(a.number) AS account"
    )
    phone, account = rows[0]["phone"], rows[0]["account"]
    national = phone.removeprefix("+86")
    grouped = " ".join(account[i : i + 4] for i in range(0, len(account), 4))
    for kind, number, typed in (
        ("Phone", phone, national),
        ("Phone", phone, f"{national[:3]}-{national[3:7]}-{national[7:]}"),
        ("BankAccount", account, grouped),
    ):
        hits = data(synced.settings, SEARCH, text=typed, kinds=[kind], first=5)["search"]
        assert number in [e["node"]["number"] for e in hits["edges"]], typed
    people, _, _ = synced.driver.execute_query(
        "MATCH (p:Person) WHERE p.name =~ '.*[张伟刘陈杨赵黄吴].*' "
        "RETURN p.uid AS uid, p.name AS name ORDER BY p.uid LIMIT 1"
    )
    uid, name = people[0]["uid"], people[0]["name"]
    traditional = name.translate(str.maketrans("张伟刘陈杨赵黄吴", "張偉劉陳楊趙黃吳"))
    assert traditional != name
    hits = data(synced.settings, SEARCH, text=traditional, kinds=["Person"], first=100)["search"]
    assert uid in [e["node"]["uid"] for e in hits["edges"]], traditional


def test_search_finds_pinyin_typed_in_syllables(synced: County) -> None:
    from pypinyin import lazy_pinyin

    person = _a_person(synced)
    spaced = " ".join(lazy_pinyin(person["name"]))
    assert " " in spaced
    hits = data(synced.settings, SEARCH, text=spaced, kinds=["Person"], first=100)["search"]
    assert person["uid"] in [e["node"]["uid"] for e in hits["edges"]]


def test_search_finds_a_case_by_title_and_pages_on(synced: County) -> None:
    case = synced.truth("ring_cases").row(0, named=True)["case_no"]
    rows, _, _ = synced.driver.execute_query(
        "MATCH (c:Case {case_no: $c}) RETURN c.title AS title", c=case
    )
    hits = data(synced.settings, SEARCH, text=rows[0]["title"], kinds=["Case"], first=100)
    assert case in [e["node"]["caseNo"] for e in hits["search"]["edges"]]
    first = data(synced.settings, SEARCH, text="诈骗", first=2)["search"]
    assert first["pageInfo"]["hasNextPage"]
    second = data(
        synced.settings, SEARCH, text="诈骗", first=2, after=first["pageInfo"]["endCursor"]
    )
    labels = [e["node"]["label"] for e in first["edges"] + second["search"]["edges"]]
    assert len(labels) == 4


def test_search_with_nothing_to_find_or_query_syntax_is_empty_not_an_error(synced: County) -> None:
    for text in ("", "   ", "zzqxjv", 'name:"x" OR ( *', "AND"):
        assert data(synced.settings, SEARCH, text=text)["search"]["edges"] == [], text


def test_search_refuses_unknown_kinds_and_pages_over_the_cap(synced: County) -> None:
    answer = ask(synced.settings, SEARCH, text="张", kinds=["Spaceship"])
    assert answer.errors and "unknown kinds" in answer.errors[0]
    cap = synced.settings.max_page_size
    answer = ask(synced.settings, SEARCH, text="张", first=cap + 1)
    assert answer.errors and f"a page of {cap + 1} is not allowed" in answer.errors[0]
    assert answer.statements == 0


NEIGHBOURHOOD = """
query($id: ID!, $depth: Int!, $types: [String!], $limit: Int) {
  neighbourhood(id: $id, depth: $depth, relationshipTypes: $types, limit: $limit) {
    truncated
    nodes { degree collapsed node { id kind label } }
    edges { source target link { type ... on Transfer { amount at } } }
  }
}
"""


def _first_hops(county: County) -> pl.DataFrame:
    return county.truth("money_path_hops").filter(pl.col("to_account").is_not_null())


def test_neighbourhood_of_a_victim_account_follows_the_transfers(synced: County) -> None:
    hops = _first_hops(synced)
    victim = synced.truth("money_paths").row(0, named=True)
    first_layer = hops.filter(pl.col("from_account") == victim["victim_account"])
    second_layer = hops.filter(pl.col("from_account").is_in(first_layer["to_account"].implode()))
    gid = global_id(synced.settings, "BankAccount", victim["victim_account"])
    sub = data(synced.settings, NEIGHBOURHOOD, id=gid, depth=2, types=["TRANSFERRED"])[
        "neighbourhood"
    ]
    labels = {n["node"]["label"] for n in sub["nodes"]}
    assert set(first_layer["to_account"]) | set(second_layer["to_account"]) <= labels
    ids = {n["node"]["id"] for n in sub["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in sub["edges"])
    assert {e["link"]["type"] for e in sub["edges"]} == {"TRANSFERRED"}
    assert not sub["truncated"]


def test_a_busy_place_is_collapsed_with_its_degree(synced: County) -> None:
    rows, _, _ = synced.driver.execute_query(
        "MATCH (h:Place)<-[s:STAYED_AT]-(p:Person) WITH h, count(s) AS n, collect(p)[0] AS guest "
        "WHERE n > $busy RETURN guest.uid AS uid, h.place_id AS place, n ORDER BY n DESC LIMIT 1",
        busy=synced.settings.busy_degree,
    )
    assert rows, "the county has a hotel busier than HUB_BUSY_DEGREE"
    gid = global_id(synced.settings, "Person", rows[0]["uid"])
    sub = data(synced.settings, NEIGHBOURHOOD, id=gid, depth=3, types=["STAYED_AT"])[
        "neighbourhood"
    ]
    hotel = global_id(synced.settings, "Place", rows[0]["place"])
    (node,) = [n for n in sub["nodes"] if n["node"]["id"] == hotel]
    assert node["collapsed"] and node["degree"] >= rows[0]["n"]
    # not expanded: the hotel's other guests are not in the answer
    assert len(sub["nodes"]) < rows[0]["n"]


def test_neighbourhood_caps_unknown_ids_and_limits(synced: County) -> None:
    victim = synced.truth("money_paths").row(0, named=True)["victim_account"]
    gid = global_id(synced.settings, "BankAccount", victim)
    answer = ask(
        synced.settings, NEIGHBOURHOOD, id=gid, depth=synced.settings.neighbourhood_depth + 1
    )
    assert answer.errors and "depth must be between 1 and 3" in answer.errors[0]
    answer = ask(synced.settings, NEIGHBOURHOOD, id=gid, depth=1, types=["LOVES"])
    assert answer.errors and "unknown relationship types" in answer.errors[0]
    unknown = global_id(synced.settings, "BankAccount", "0000")
    assert data(synced.settings, NEIGHBOURHOOD, id=unknown, depth=1)["neighbourhood"] is None
    small = data(synced.settings, NEIGHBOURHOOD, id=gid, depth=3, types=["TRANSFERRED"], limit=3)
    assert small["neighbourhood"]["truncated"] and len(small["neighbourhood"]["nodes"]) == 3
    answer = ask(synced.settings, NEIGHBOURHOOD, id="not-an-id", depth=1)
    assert answer.errors and "is not an id" in answer.errors[0]


PATHS = """
query($from: ID!, $to: ID!, $hops: Int!, $first: Int!) {
  paths(from: $from, to: $to, maxHops: $hops, relationshipTypes: ["TRANSFERRED"], first: $first) {
    truncated
    paths { length nodes { id label } edges { source target link { type } } }
  }
}
"""


def test_paths_from_a_victim_to_where_the_money_ended(synced: County) -> None:
    path = (
        synced.truth("money_paths")
        .explode("end_accounts", "end_outcomes")
        .filter(pl.col("end_accounts") != pl.col("victim_account"))
        .row(0, named=True)
    )
    a = global_id(synced.settings, "BankAccount", path["victim_account"])
    b = global_id(synced.settings, "BankAccount", path["end_accounts"])
    found = data(synced.settings, PATHS, **{"from": a, "to": b, "hops": 6, "first": 10})["paths"]
    assert found["paths"]
    for p in found["paths"]:
        assert p["nodes"][0]["id"] == a and p["nodes"][-1]["id"] == b
        assert p["length"] == len(p["edges"]) == len(p["nodes"]) - 1 <= path["mule_layers"] + 1
        assert len({p["length"] for p in found["paths"]}) == 1  # all shortest
        for edge, (x, y) in zip(
            p["edges"], zip(p["nodes"], p["nodes"][1:], strict=False), strict=True
        ):
            assert {edge["source"], edge["target"]} == {x["id"], y["id"]}
    answer = ask(synced.settings, PATHS, **{"from": a, "to": b, "hops": 7, "first": 10})
    assert answer.errors and "maxHops must be between 1 and 6" in answer.errors[0]
    unknown = global_id(synced.settings, "BankAccount", "1")
    none = data(synced.settings, PATHS, **{"from": a, "to": unknown, "hops": 6, "first": 1})
    assert none["paths"] == {"truncated": False, "paths": []}


COMMON = """
query($ids: [ID!]!, $min: Int!) {
  commonLinks(ids: $ids, minShared: $min, relationshipTypes: ["TRANSFERRED"]) {
    truncated links { shared node { label } linkedTo { label } }
  }
}
"""


def test_common_links_of_accounts_fed_by_one_account(synced: County) -> None:
    hops = _first_hops(synced)
    fanned = (
        hops.group_by("from_account")
        .agg(pl.col("to_account").unique())
        .filter(pl.col("to_account").list.len() >= 2)
        .row(0, named=True)
    )
    targets = sorted(fanned["to_account"])[:3]
    ids = [global_id(synced.settings, "BankAccount", t) for t in targets]
    found = data(synced.settings, COMMON, ids=ids, min=2)["commonLinks"]
    sources = {link["node"]["label"]: link for link in found["links"]}
    assert fanned["from_account"] in sources
    assert sources[fanned["from_account"]]["shared"] >= 2
    assert set(sources[fanned["from_account"]]["linkedTo"][i]["label"] for i in range(2)) <= set(
        targets
    )
    assert all(link["shared"] >= 2 for link in found["links"])
    answer = ask(synced.settings, COMMON, ids=ids, min=len(ids) + 1)
    assert answer.errors and "minShared must be between" in answer.errors[0]
