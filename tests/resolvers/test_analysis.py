"""caseClusters, fugitiveHits, coPresence and stats against the county's ground truth."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import polars as pl

from tests.resolvers.county import County, ask, data, global_id

BEIJING = timedelta(hours=8)

CLUSTERS = """
query($since: DateTime, $min: Int!, $kinds: [String!]) {
  caseClusters(since: $since, minShared: $min, kinds: $kinds) {
    truncated
    clusters { size cases { caseNo } links { kind label } }
  }
}
"""


def _traceable(county: County) -> pl.DataFrame:
    """Ring cases the graph can link before identity resolution: victim reports, and mule
    cases whose card (as the case record names it) moved the ring's money. A mule case
    naming an idle card is tied to the ring only by its holder's name on other cards'
    transfers, which is identity resolution's to decide."""
    transfers = county.truth("transfers")
    moved = pl.concat([transfers["from_account"], transfers["to_account"]]).drop_nulls()
    involved = county.truth("record_links").filter(pl.col("stream") == "involved")
    cards = involved.filter(pl.col("account").is_in(moved.implode()))["case_no"]
    return county.truth("ring_cases").filter(
        (pl.col("relation") == "victim_report") | pl.col("case_no").is_in(cards.implode())
    )


def test_case_clusters_group_each_ring_and_never_join_two(synced: County) -> None:
    ring_cases = synced.truth("ring_cases")
    ring_of = dict(zip(ring_cases["case_no"], ring_cases["ring_id"], strict=True))
    found = data(synced.settings, CLUSTERS, since=None, min=1, kinds=None)["caseClusters"]
    sizes = [c["size"] for c in found["clusters"]]
    assert sizes == sorted(sizes, reverse=True)
    cluster_of: dict[str, int] = {}
    for i, cluster in enumerate(found["clusters"]):
        assert cluster["links"] and cluster["size"] == len(cluster["cases"]) >= 2
        rings = {ring_of[c["caseNo"]] for c in cluster["cases"] if c["caseNo"] in ring_of}
        assert len(rings) <= 1, rings  # never two rings in one cluster
        for case in cluster["cases"]:
            cluster_of[case["caseNo"]] = i
    traceable = _traceable(synced)
    grouped = 0
    for ring, cases in traceable.group_by("ring_id"):
        if cases.height < 2:
            continue
        clustered = {cluster_of.get(c) for c in cases["case_no"]}
        assert len(clustered) == 1 and None not in clustered, (ring, clustered)
        grouped += 1
    assert grouped >= 1


def test_case_clusters_filters_and_caps(synced: County) -> None:
    later = data(synced.settings, CLUSTERS, since="2099-01-01T00:00:00+00:00", min=1, kinds=None)
    assert later["caseClusters"]["clusters"] == []
    strict = data(synced.settings, CLUSTERS, since=None, min=1000, kinds=None)
    assert strict["caseClusters"]["clusters"] == []
    phones = data(synced.settings, CLUSTERS, since=None, min=1, kinds=["Phone"])["caseClusters"]
    assert all(link["kind"] == "Phone" for c in phones["clusters"] for link in c["links"])
    answer = ask(synced.settings, CLUSTERS, since=None, min=1, kinds=["Warrant"])
    assert answer.errors and "unknown kinds" in answer.errors[0]
    answer = ask(synced.settings, CLUSTERS, since="2024-01-01T00:00:00", min=1, kinds=None)
    assert answer.errors and "time zone" in answer.errors[0]


HITS = """
query($since: DateTime) {
  fugitiveHits(since: $since) {
    truncated
    hits { at person { idNumber } warrant { warrantNo } place { placeId category } event { type } }
  }
}
"""


def test_fugitive_hits_list_every_fugitive_seen_in_the_feeds(synced: County) -> None:
    sightings = synced.truth("fugitive_sightings")
    links = synced.truth("record_links").filter(~pl.col("malformed"))
    seen = sightings.join(links.select("record_id"), on="record_id")  # quarantined rows aside
    assert seen.height >= 3
    hits = data(synced.settings, HITS, since=None)["fugitiveHits"]["hits"]
    times = [h["at"] for h in hits]
    assert times == sorted(times, reverse=True)
    # to the minute: hotel and rail feeds give no seconds
    found = {(h["warrant"]["warrantNo"], h["at"][:16]) for h in hits}
    for s in seen.iter_rows(named=True):
        at = (s["seen_at"] - BEIJING).replace(tzinfo=UTC).isoformat()
        assert (s["warrant_no"], at[:16]) in found, s
    later = data(synced.settings, HITS, since="2099-01-01T00:00:00+08:00")
    assert later["fugitiveHits"] == {"truncated": False, "hits": []}


PRESENCE = """
query($id: ID!, $within: Int!, $places: [String!]) {
  coPresence(person: $id, within: $within, places: $places) {
    truncated present { at personAt person { uid } place { placeId category } event { type } }
  }
}
"""


def test_co_presence_finds_guests_of_the_same_hotel_in_the_window(synced: County) -> None:
    rows, _, _ = synced.driver.execute_query(
        "MATCH (a:Person)-[x:STAYED_AT]->(h:Place {kind: 'hotel'})<-[y:STAYED_AT]-(b:Person) "
        "WHERE a <> b AND abs(duration.inSeconds(x.checkin, y.checkin).seconds) < 1800 "
        "RETURN a.uid AS a, b.uid AS b, h.place_id AS place LIMIT 1"
    )
    assert rows
    me = global_id(synced.settings, "Person", rows[0]["a"])
    found = data(synced.settings, PRESENCE, id=me, within=30, places=["hotel"])["coPresence"]
    pairs = {(p["person"]["uid"], p["place"]["placeId"]) for p in found["present"]}
    assert (rows[0]["b"], rows[0]["place"]) in pairs
    for p in found["present"]:
        gap = abs(datetime.fromisoformat(p["at"]) - datetime.fromisoformat(p["personAt"]))
        assert gap <= timedelta(minutes=30) and p["place"]["category"] == "hotel"
    none = data(synced.settings, PRESENCE, id=me, within=30, places=["nowhere"])["coPresence"]
    assert none["present"] == []
    answer = ask(synced.settings, PRESENCE, id=me, within=0, places=None)
    assert answer.errors and "within must be" in answer.errors[0]
    unknown = global_id(synced.settings, "Person", "nobody")
    assert data(synced.settings, PRESENCE, id=unknown, within=30, places=None)["coPresence"] is None


STATS = """
query($from: DateTime!, $to: DateTime!, $unit: String) {
  stats(from: $from, to: $to, unit: $unit) { unit figures { name value previous changePercent } }
}
"""


def _source_cases(county: County) -> pl.DataFrame:
    return pl.read_parquet(county.world / "sources" / "cases" / "cases.parquet").with_columns(
        accepted=pl.col("accepted_at").str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False)
    )


def test_stats_count_cases_and_compare_with_a_year_earlier(synced: County) -> None:
    cases = _source_cases(synced).filter(pl.col("accepted").is_not_null())
    in_2025 = cases.filter(pl.col("accepted").dt.year() == 2025)
    in_2024 = cases.filter(pl.col("accepted").dt.year() == 2024)
    loaded, _, _ = synced.driver.execute_query("MATCH (c:Case) RETURN collect(c.case_no) AS nos")
    nos = set(loaded[0]["nos"])
    now = in_2025.filter(pl.col("case_no").is_in(list(nos))).height
    before = in_2024.filter(pl.col("case_no").is_in(list(nos))).height
    found = data(
        synced.settings,
        STATS,
        **{"from": "2025-01-01T00:00:00+08:00", "to": "2026-01-01T00:00:00+08:00", "unit": None},
    )["stats"]
    figures = {f["name"]: f for f in found["figures"]}
    assert figures["casesAccepted"]["value"] == now
    assert figures["casesAccepted"]["previous"] == before
    if before:
        assert figures["casesAccepted"]["changePercent"] == round(100 * (now - before) / before, 1)
    assert {
        "fraudReports",
        "fraudLosses",
        "warningsIssued",
        "victimsDissuaded",
        "stopPaymentAmount",
        "suspectsCaught",
    } <= set(figures)
    unit = in_2025.row(0, named=True)["unit_code"]
    per_unit = data(
        synced.settings,
        STATS,
        **{"from": "2025-01-01T00:00:00+08:00", "to": "2026-01-01T00:00:00+08:00", "unit": unit},
    )["stats"]
    accepted = {f["name"]: f["value"] for f in per_unit["figures"]}["casesAccepted"]
    assert (
        accepted
        == in_2025.filter(pl.col("unit_code") == unit, pl.col("case_no").is_in(list(nos))).height
    )
    answer = ask(
        synced.settings,
        STATS,
        **{"from": "2026-01-01T00:00:00+08:00", "to": "2025-01-01T00:00:00+08:00", "unit": None},
    )
    assert answer.errors and "from must be before to" in answer.errors[0]


def test_answers_cut_short_by_the_result_cap_say_so(synced: County) -> None:
    tight = dataclasses.replace(synced.settings, max_results=1)
    hits = data(tight, HITS, since=None)["fugitiveHits"]
    assert hits["truncated"] and len(hits["hits"]) == 1
    clusters = data(tight, CLUSTERS, since=None, min=1, kinds=None)["caseClusters"]
    assert clusters["truncated"] and len(clusters["clusters"]) == 1
    path = synced.truth("money_paths").row(0, named=True)
    flow = data(
        tight,
        "query($a: String!) { moneyFlow(account: $a, maxHops: 8) { truncated transfers { txnId } } }",
        a=path["victim_account"],
    )["moneyFlow"]
    assert flow["truncated"] and len(flow["transfers"]) == 1
