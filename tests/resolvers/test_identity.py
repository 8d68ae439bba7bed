"""`identity` (why a person's records are one person, and the pairs waiting for review)
and `viewer` (who asks, and what their role may do)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hub.access import Principal, Role
from hub.queries import resolution as queries
from hub.resolution.judgements import UNSURE, Judgement
from tests.resolvers.county import County, ask, data, global_id
from tests.resolvers.test_resolution import DECIDE, INVESTIGATOR, _people_with_phones

IDENTITY = """
query($id: ID!) {
  identity(person: $id) {
    units
    judgements { left right verdict by score comparisons { field level weight } }
    reviews { left right verdict score comparisons { field level } other { uid name } }
  }
}
"""


def test_identity_explains_a_merge_and_lists_the_pairs_waiting_for_review(
    synced: County,
) -> None:
    a, b, c = (p["uid"] for p in _people_with_phones(synced, 3))
    gid = {uid: global_id(synced.settings, "Person", uid) for uid in (a, b, c)}
    alone = {
        uid: data(synced.settings, IDENTITY, INVESTIGATOR, id=gid[uid])["identity"]
        for uid in (a, b)
    }
    assert a in alone[a]["units"]  # with any record merged into it before
    for j in alone[a]["judgements"]:
        assert {j["left"], j["right"]} <= set(alone[a]["units"])

    data(synced.settings, DECIDE, INVESTIGATOR, a=gid[a], b=gid[b], same=True, reason="核实")
    head = min(a, b)  # whichever stays, the merged one's id still finds the person
    merged = data(synced.settings, IDENTITY, INVESTIGATOR, id=gid[head])["identity"]
    assert merged["units"] == sorted(alone[a]["units"] + alone[b]["units"])
    verdicts = {(j["left"], j["right"]): (j["verdict"], j["by"]) for j in merged["judgements"]}
    assert verdicts[(min(a, b), max(a, b))] == ("positive", "user:wang")
    data(synced.settings, DECIDE, INVESTIGATOR, a=gid[a], b=gid[b], same=False, reason="分开")

    # An automatic run left a and c unsure: each sees the other waiting for review.
    fields = {"name": {"level": 3, "weight": 5.2}, "birth_date": {"level": 0, "weight": -4.1}}
    unsure = Judgement.of(a, c, verdict=UNSURE, by="rule:model", at=datetime.now(UTC),
                          score=-3.0, comparisons=json.dumps({"fields": fields}))  # fmt: skip
    queries.write_judgements(synced.driver, None, [unsure.row()])
    try:
        analyst = Principal("chen", Role.analyst)
        for me, other in ((a, c), (c, a)):
            found = data(synced.settings, IDENTITY, analyst, id=gid[me])["identity"]
            assert all("*" in u for u in found["units"] if u.startswith("P"))  # masked
            (review,) = [r for r in found["reviews"] if r["other"]["uid"] == other]
            assert (review["verdict"], review["score"]) == ("unsure", -3.0)
            assert {f["field"]: f["level"] for f in review["comparisons"]} == {
                "name": 3,
                "birth_date": 0,
            }
    finally:
        synced.driver.execute_query(
            "MATCH (j:Judgement {judgement_id: $id}) DELETE j", id=unsure.id
        )


def test_identity_of_nobody_is_null_and_connectors_may_not_ask(synced: County) -> None:
    nobody = global_id(synced.settings, "Person", "P000000000000000000")
    assert data(synced.settings, IDENTITY, INVESTIGATOR, id=nobody)["identity"] is None
    refused = ask(synced.settings, IDENTITY, Principal("job", Role.connector), id=nobody)
    assert refused.errors and "Query.identity" in refused.errors[0]


VIEWER = "{ viewer { user role unit seesPersonalData may } }"


def test_viewer_says_who_asks_and_what_the_role_may_do(synced: County) -> None:
    me = data(synced.settings, VIEWER, INVESTIGATOR)["viewer"]
    assert (me["user"], me["role"], me["unit"], me["seesPersonalData"]) == (
        "wang",
        "investigator",
        "U1",
        True,
    )
    assert {"Query.search", "Mutation.requestStopPayment", "Record.raw"} <= set(me["may"])
    assert "Query.auditEvents" not in me["may"]
    analyst = data(synced.settings, VIEWER, Principal("chen", Role.analyst))["viewer"]
    assert analyst["unit"] is None and analyst["seesPersonalData"] is False
    assert "Mutation.acknowledgeAlert" in analyst["may"]
    assert not {"Mutation.resolveAlert", "Record.raw"} & set(analyst["may"])
    connector = data(synced.settings, VIEWER, Principal("job", Role.connector))["viewer"]
    assert connector["may"] == ["Mutation.triggerSync", "Query.viewer"]
