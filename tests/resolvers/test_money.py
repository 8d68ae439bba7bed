"""moneyFlow against the true money paths of the synthetic county."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.resolvers.county import County, ask, data

BEIJING = timedelta(hours=8)

FLOW = """
query($account: String!, $since: DateTime, $until: DateTime, $hops: Int!, $dir: Direction!, $min: Float!) {
  moneyFlow(account: $account, direction: $dir, maxHops: $hops, since: $since, until: $until, minAmount: $min) {
    truncated
    start { number }
    transfers { txnId fromAccount toAccount amount at hop }
    accounts { account { number } hop amount reachedAt }
    endAccounts { account { number } amount outcome }
  }
}
"""


def utc(local: datetime) -> str:
    """A truth time (Beijing, naive) as the API takes it."""
    return (local - BEIJING).replace(tzinfo=UTC).isoformat()


def flow(county: County, account: str, since: str | None = None, **extra: object) -> dict:
    args = {
        "account": account,
        "since": since,
        "until": None,
        "hops": 8,
        "dir": "FORWARD",
        "min": 0.0,
    }
    return data(county.settings, FLOW, **{**args, **extra})["moneyFlow"]  # type: ignore[arg-type]


def test_each_victims_money_is_followed_to_every_true_end_account(synced: County) -> None:
    paths = synced.truth("money_paths")
    assert paths.height > 5
    for path in paths.iter_rows(named=True):
        found = flow(synced, path["victim_account"], utc(path["started_at"]))
        reached = {a["account"]["number"] for a in found["accounts"]} | {path["victim_account"]}
        missing = set(path["end_accounts"]) - reached
        assert not missing, (path["path_id"], missing)
        assert set(path["txn_ids"]) & {t["txnId"] for t in found["transfers"]}
        _respects_time(found, path["victim_account"], utc(path["started_at"]))
        ends = {e["account"]["number"]: e for e in found["endAccounts"]}
        # the most money first, not in the order of the accounts' (masked) numbers
        amounts = [e["amount"] for e in found["endAccounts"]]
        assert amounts == sorted(amounts, reverse=True), path["path_id"]
        for account, outcome in zip(path["end_accounts"], path["end_outcomes"], strict=True):
            if account in ends and outcome != "unknown":
                assert ends[account]["outcome"] == outcome, (path["path_id"], account)


def _respects_time(found: dict, start: str, since: str) -> None:
    """Every transfer leaves its account after a transfer of the tree brought money in."""
    into: dict[str, list[str]] = {}
    for t in found["transfers"]:
        into.setdefault(t["toAccount"], []).append(t["at"])
    for t in found["transfers"]:
        if t["fromAccount"] == start:
            assert t["at"] >= since
        else:
            assert any(arrived < t["at"] for arrived in into[t["fromAccount"]]), t


def test_backward_from_an_end_account_finds_the_victim(synced: County) -> None:
    path = synced.truth("money_paths").row(0, named=True)
    end = path["end_accounts"][0]
    last = utc(max(path["end_at"]))
    found = flow(synced, end, None, until=last, dir="BACKWARD")
    assert path["victim_account"] in {a["account"]["number"] for a in found["accounts"]}
    for t in found["transfers"]:
        assert t["at"] <= last


def test_hops_amount_and_window_caps(synced: County) -> None:
    path = max(synced.truth("money_paths").iter_rows(named=True), key=lambda p: p["mule_layers"])
    since = utc(path["started_at"])
    one = flow(synced, path["victim_account"], since, hops=1)
    assert one["truncated"] and {t["hop"] for t in one["transfers"]} == {1}
    assert all(e["outcome"] for e in one["endAccounts"])
    big = flow(synced, path["victim_account"], since, min=10_000_000.0)
    assert big["transfers"] == [] and big["endAccounts"] == []
    later = flow(synced, path["victim_account"], utc(datetime(2030, 1, 1)))
    assert later["transfers"] == []
    answer = ask(
        synced.settings,
        FLOW,
        account=path["victim_account"],
        since=since,
        until=None,
        hops=9,
        dir="FORWARD",
        min=0.0,
    )
    assert answer.errors and "maxHops must be between 1 and 8" in answer.errors[0]
    assert flow(synced, "6222020000000000000") is None  # no such account
    refused = ask(synced.settings, FLOW, account="not a card", since=None, until=None,
                  hops=2, dir="FORWARD", min=0.0)  # fmt: skip
    assert refused.errors == ["account: contains characters other than digits, spaces and dashes"]
