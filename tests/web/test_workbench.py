"""The investigators' workbench at /, driven as its users drive it: clicking and typing
in headless Chromium with no internet, against `hub serve` over a synced county; what
appears on screen is asserted (names, counts, the end accounts of a true money path, an
alert pushed after a sync, a refusal, a masked number)."""

from __future__ import annotations

import itertools
import json
import re
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from playwright.sync_api import Page, expect

from hub.access import Role
from hub.masking import mask
from hub.queries import alerts
from hub.queries import resolution as judgements
from hub.resolution.judgements import UNSURE, Judgement
from tests.resolvers.county import County, global_id
from tests.web.conftest import Hub, Offline, shot, sign_in

BEIJING = timedelta(hours=8)


def _victim(synced: County, unit: str) -> dict[str, Any]:
    """A person of the unit's cases with an ID number, a phone and an account."""
    rows, _, _ = synced.driver.execute_query(
        "MATCH (:Unit {code: $unit})<-[:HANDLED_BY]-(c:Case)<-[:VICTIM_IN|SUSPECT_IN]-(p:Person) "
        "WHERE p.id_number IS NOT NULL AND size(p.name) >= 2 "
        "AND EXISTS { (p)-[:HOLDS]->() } AND EXISTS { (p)-[:HAS_PHONE]->() } "
        "RETURN p.uid AS uid, p.name AS name, p.id_number AS id_number, c.title AS case "
        "ORDER BY p.uid LIMIT 1",
        unit=unit,
    )
    return dict(rows[0])


def _open_card(page: Page, person: dict[str, Any]) -> None:
    page.get_by_role("link", name="全局搜索").click()
    page.get_by_label("搜索", exact=True).fill(person["name"])
    page.get_by_role("button", name="搜索").click()
    people = page.get_by_role("region", name="人员结果")
    expect(people).to_contain_text(person["name"])
    people.get_by_role("listitem").filter(has_text=person["id_number"][-4:]).get_by_role(
        "link", name=person["name"]
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(person["name"])


def test_sign_in_by_pasting_a_token_shows_who_and_signs_out(
    page: Page, hub: Hub, unit: str
) -> None:
    page.goto(hub.url)
    page.get_by_label("令牌或 API 密钥").fill("not-a-token")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("登录已失效或令牌无效")
    page.get_by_label("令牌或 API 密钥").fill(f"Bearer {hub.token(unit=unit)}")
    page.get_by_role("button", name="登录").click()
    who = page.get_by_label("当前用户")
    expect(who).to_contain_text("李明")
    expect(who).to_contain_text("侦查员")
    expect(who).to_contain_text(f"单位 {unit}")
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    page.reload()  # signed out for good: the tab forgot the token
    expect(page.get_by_role("button", name="登录")).to_be_visible()


def test_the_sign_in_link_opens_the_first_view(
    page: Page, hub: Hub, unit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sign_in(page, hub, unit=unit)
    assert "token" not in page.url  # taken from the link, kept out of the history
    first_view = page.evaluate("performance.getEntriesByName('hub:first-view')[0].startTime")
    with capsys.disabled():  # a figure to read in every run, not an assertion
        print(f"\nfirst view shown {first_view:.0f} ms after navigation (loopback)")
    expect(page.get_by_label("搜索", exact=True)).to_be_visible()


def test_search_then_the_card_with_provenance_links_and_identity(
    page: Page, hub: Hub, synced: County, unit: str
) -> None:
    person = _victim(synced, unit)
    sign_in(page, hub, unit=unit)
    _open_card(page, person)
    basics = page.get_by_role("region", name="基本信息")
    expect(basics).to_contain_text(person["id_number"])  # in full for an investigator
    records = page.get_by_role("region", name="源记录")
    expect(records.get_by_role("row")).not_to_have_count(1)
    expect(records).to_contain_text("案件管理系统")
    records.get_by_role("button", name="查看").first.click()
    expect(records.locator("pre")).to_be_visible()  # the record as the source sent it
    links = page.get_by_role("region", name="关联关系")
    expect(links.get_by_role("region", name="持有账户")).to_be_visible()
    expect(links.get_by_role("region", name="涉及案件")).to_contain_text(person["case"])
    expect(page.get_by_role("region", name="身份研判")).to_contain_text("本档案由")
    shot(page, "card")


def test_an_analyst_sees_numbers_masked(page: Page, hub: Hub, synced: County, unit: str) -> None:
    person = _victim(synced, unit)
    sign_in(page, hub, Role.analyst)
    expect(page.get_by_label("当前用户")).to_contain_text("分析员")
    _open_card(page, person)
    shown = page.locator("dd[data-field=idNumber]").inner_text()
    assert shown == mask(person["id_number"], "resident_id") and "*" in shown
    records = page.get_by_role("region", name="源记录")
    records.get_by_role("button", name="查看").first.click()  # the record as the source sent it,
    expect(records.locator("pre")).to_contain_text(shown)  # its numbers masked
    assert person["id_number"] not in page.content()
    # a search by number is refused, and the page says why and what to do instead
    page.get_by_role("link", name="全局搜索").click()
    page.get_by_label("搜索", exact=True).fill(person["id_number"])
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_role("alert").first).to_contain_text("请按姓名或其他文字搜索")


def test_a_review_decision_from_the_card(page: Page, hub: Hub, synced: County, unit: str) -> None:
    person = _victim(synced, unit)
    rows, _, _ = synced.driver.execute_query(
        "MATCH (p:Person) WHERE p.uid <> $uid AND p.name IS NOT NULL "
        "RETURN p.uid AS uid, p.name AS name ORDER BY p.uid LIMIT 1",
        uid=person["uid"],
    )
    other = dict(rows[0])
    fields = {"name": {"level": 2, "weight": 4.0}, "birth_date": {"level": 0, "weight": -3.0}}
    unsure = Judgement.of(person["uid"], other["uid"], verdict=UNSURE, by="rule:model",
                          at=datetime.now(UTC), score=-3.5,
                          comparisons=json.dumps({"fields": fields}))  # fmt: skip
    judgements.write_judgements(synced.driver, None, [unsure.row()])
    try:
        sign_in(page, hub, unit=unit)
        _open_card(page, person)
        identity = page.get_by_role("region", name="身份研判")
        expect(identity).to_contain_text("待人工判定")
        expect(identity).to_contain_text(other["name"])
        decide = identity.get_by_role("button", name="不是同一人")
        expect(decide).to_be_disabled()  # a decision needs a reason
        identity.get_by_label("判定理由").fill("出生日期不同，经核实非同一人")
        decide.click()
        expect(identity.get_by_role("status")).to_contain_text("判定已保存")
        expect(identity).not_to_contain_text("待人工判定")
        stored, _, _ = synced.driver.execute_query(
            "MATCH (j:Judgement {judgement_id: $id}) RETURN j.verdict AS v, j.by AS by",
            id=unsure.id,
        )
        assert (stored[0]["v"], stored[0]["by"]) == ("negative", "user:李明")
    finally:
        synced.driver.execute_query(
            "MATCH (j:Judgement {judgement_id: $id}) DELETE j", id=unsure.id
        )


NODE_AT = """label => {
  const cy = window.__hubGraph;
  const node = cy.nodes().filter(n => n.data('label') === label)[0];
  const box = cy.container().getBoundingClientRect();
  const p = node.renderedPosition();
  return [box.left + p.x, box.top + p.y];
}"""


def _click_node(page: Page, label: str, add: bool = False) -> None:
    """Click where the graph draws the node (Shift adds it to the selection)."""
    x, y = page.evaluate(NODE_AT, label)
    if add:
        page.keyboard.down("Shift")
    page.mouse.click(x, y)
    if add:
        page.keyboard.up("Shift")


def _drawn(page: Page) -> None:
    """Wait until the graph has drawn its start: it is then selected in the inspector."""
    expect(page.get_by_label("选中对象").locator(".picked").first).to_be_visible()


def _counts(page: Page) -> tuple[int, int]:
    text = page.get_by_label("图中数量").inner_text()
    found = re.search(r"节点 (\d+) · 关系 (\d+)", text)
    assert found, text
    return int(found[1]), int(found[2])


def test_the_graph_expands_finds_paths_and_common_links_pins_hides_undoes_and_exports(
    page: Page, hub: Hub, synced: County, unit: str, tmp_path: Path
) -> None:
    person = _victim(synced, unit)
    sign_in(page, hub, unit=unit)
    _open_card(page, person)
    page.get_by_role("article").get_by_role("link", name="关系图谱").click()
    inspector = page.get_by_label("选中对象")
    _drawn(page)
    expect(inspector).to_contain_text(person["name"])
    nodes, _ = _counts(page)

    # Expand the person by one relationship type: their accounts (already there) and on.
    toolbar = page.get_by_role("toolbar", name="图谱工具")
    toolbar.get_by_label("展开的关系类型").select_option(label="使用号码")
    _click_node(page, person["name"])
    toolbar.get_by_role("button", name="展开").click()
    notice = inspector.get_by_label("提示")
    expect(notice).to_contain_text(f"{person['name']}")
    expect(notice).to_contain_text("使用号码")

    # A case of the person: expanding it brings its people in.
    _click_node(page, person["case"])
    toolbar.get_by_label("展开的关系类型").select_option(label="全部关系")
    toolbar.get_by_role("button", name="展开").click()
    expect(notice).to_contain_text(f"已展开 {person['case']} 的全部关系")
    grown, _ = _counts(page)
    assert grown > nodes

    # Paths between two selected nodes (the person and the unit handling their case);
    # then the common links of the two (the case).
    (other,) = page.evaluate(
        "window.__hubGraph.nodes('[kind = \"Unit\"]').map(n => n.data('label'))"
    )
    _click_node(page, person["name"])
    _click_node(page, other, add=True)
    expect(inspector).to_contain_text(other)
    toolbar.get_by_role("button", name="查找路径").click()
    expect(notice).to_contain_text("最短路径，每条 2 步")
    toolbar.get_by_role("button", name="共同关联").click()
    expect(notice).to_contain_text(f"共同关联 1 个：{person['case']}")
    shot(page, "graph")

    # Pin, hide and undo.
    _click_node(page, person["name"])
    toolbar.get_by_role("button", name="固定").click()
    assert page.evaluate(
        "l => window.__hubGraph.nodes().filter(n => n.data('label') === l)[0].locked()",
        person["name"],
    )
    before = _counts(page)
    toolbar.get_by_role("button", name="隐藏").click()
    expect(inspector.get_by_label("图中数量")).not_to_have_text(
        f"节点 {before[0]} · 关系 {before[1]}"
    )
    assert _counts(page)[0] == before[0] - 1
    toolbar.get_by_role("button", name="撤销").click()
    expect(inspector.get_by_label("图中数量")).to_have_text(f"节点 {before[0]} · 关系 {before[1]}")

    # Exports: the picture and the data, as files.
    files = {}
    for kind in ("PNG", "SVG", "CSV", "JSON"):
        with page.expect_download() as download:
            toolbar.get_by_role("button", name=kind, exact=True).click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        files[kind] = path.read_bytes()
    assert files["PNG"].startswith(b"\x89PNG")
    assert b"<svg" in files["SVG"] and person["name"].encode() in files["SVG"]
    assert "起点,起点类别,关系,终点" in files["CSV"].decode("utf-8-sig").replace('"', "")
    exported = json.loads(files["JSON"])
    assert len(exported["nodes"]) == before[0] and len(exported["edges"]) == before[1]


def test_a_busy_node_is_drawn_collapsed_and_500_nodes_pan_smoothly(
    page: Page, hub: Hub, synced: County, unit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rows, _, _ = synced.driver.execute_query(
        "MATCH (p:Place) RETURN p.place_id AS key, p.name AS name "
        "ORDER BY COUNT { (p)--() } DESC LIMIT 1"
    )
    station = dict(rows[0])
    sign_in(page, hub, unit=unit)
    # The busiest place, drawn from a traveller who left from it: collapsed.
    traveller, _, _ = synced.driver.execute_query(
        "MATCH (p:Person)-[:TRAVELLED]->(:Place {place_id: $key}) RETURN p.uid AS uid LIMIT 1",
        key=station["key"],
    )
    page.goto(f"{hub.url}/#/graph?id={global_id(synced.settings, 'Person', traveller[0]['uid'])}")
    inspector = page.get_by_label("选中对象")
    _drawn(page)
    _click_node(page, station["name"])
    expect(inspector).to_contain_text("已折叠")

    # The county's busiest places drawn at once (an answer holds a page of each one's
    # neighbourhood): 500 nodes and more on screen.
    busiest, _, _ = synced.driver.execute_query(
        "MATCH (p:Place) RETURN p.place_id AS key ORDER BY COUNT { (p)--() } DESC LIMIT 25"
    )
    ids = ",".join(global_id(synced.settings, "Place", row["key"]) for row in busiest)
    page.goto(f"{hub.url}/#/graph?ids={ids}")
    counts = inspector.get_by_label("图中数量")
    expect(counts).to_have_text(re.compile(r"节点 ([5-9]\d\d|\d{4,}) · 关系 \d+"))
    expect(inspector.get_by_label("提示")).to_contain_text("关系过多")
    shot(page, "graph-500")
    canvas = page.get_by_label("关系图").bounding_box()
    assert canvas is not None
    page.evaluate(
        "() => { window.__frames = []; const tick = t => { window.__frames.push(t);"
        " if (window.__frames.length < 400) requestAnimationFrame(tick); };"
        " requestAnimationFrame(tick); }"
    )
    x, y = canvas["x"] + 40, canvas["y"] + 40  # background near a corner: a pan
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(60):
        page.mouse.move(x + 5 * step, y + 3 * step)
    page.mouse.up()
    frames = page.evaluate("window.__frames")
    gaps = [b - a for a, b in itertools.pairwise(frames)]
    assert len(gaps) > 30
    panned = page.evaluate("window.__hubGraph.pan()")
    assert panned["x"] != 0 or panned["y"] != 0
    with capsys.disabled():
        print(
            f"\n500-node graph while panning: frame time median {statistics.median(gaps):.1f} ms, "
            f"p95 {sorted(gaps)[int(0.95 * len(gaps))]:.1f} ms over {len(gaps)} frames"
        )


ENDS = """query($account: String!, $since: DateTime) {
  moneyFlow(account: $account, since: $since) { endAccounts { outcome } } }"""


def _truth_path(synced: County, hub: Hub) -> dict[str, Any]:
    """A true money path whose victim's card paid nothing else that day, and where some
    of the money still sits in an end account (one to stop)."""
    paths = synced.truth("money_paths").with_columns(day=pl.col("started_at").dt.date())
    alone = paths.group_by("victim_account", "day").len().filter(pl.col("len") == 1)
    for path in (
        paths.join(alone, on=["victim_account", "day"]).sort("path_id").iter_rows(named=True)
    ):
        since = datetime.combine(path["day"], datetime.min.time(), UTC) - BEIJING
        flow = hub.ask(ENDS, account=path["victim_account"], since=since.isoformat())
        if any(e["outcome"] == "unknown" for e in flow["moneyFlow"]["endAccounts"]):
            return path
    raise AssertionError("no money path of the county ends in an account still holding money")


def test_money_flow_reaches_the_true_end_accounts_and_asks_for_a_stop_payment(
    page: Page, hub: Hub, synced: County
) -> None:
    path = _truth_path(synced, hub)
    sign_in(page, hub, Role.admin)
    page.get_by_role("link", name="资金流向").click()
    page.get_by_label("起始账户").fill(path["victim_account"])
    page.get_by_label("起始日期").fill(path["day"].isoformat())
    page.get_by_role("button", name="追踪资金").click()
    flow = page.locator(".flow")
    ends = page.get_by_role("region", name="资金落地账户")
    expect(ends).to_be_visible()
    # Every account where the true path ended is reached (money that later moved on
    # makes it a hop, not an end); an end account emptied at a cash machine says so.
    for account, outcome in zip(path["end_accounts"], path["end_outcomes"], strict=True):
        expect(flow).to_contain_text(account)
        row = ends.get_by_role("row").filter(has_text=account)
        if outcome == "cash_out" and row.count():
            expect(row).to_contain_text("已取现")
    expect(page.get_by_role("region", name="第 1 层")).to_contain_text(path["txn_ids"][0])
    shot(page, "money")
    form = ends.get_by_role("form").first  # an end account that still holds money
    holding = (form.get_attribute("aria-label") or "").removeprefix("止付 ")
    form.get_by_label("止付事由").fill(f"报案 {path['report_id']}")
    form.get_by_role("button", name="请求紧急止付").click()
    expect(ends.get_by_role("status")).to_contain_text("已提交紧急止付申请")
    stored, _, _ = synced.driver.execute_query(
        "MATCH (s:StopPayment)-[:STOPS]->(:BankAccount {number: $n}) RETURN s.reason AS r",
        n=holding,
    )
    assert f"报案 {path['report_id']}" in [r["r"] for r in stored]


# The texts of the elements given whose content runs out of their box.
SPILLING = "els => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent)"


def test_case_clusters_open_as_a_joint_operation_that_is_run_and_closed(
    page: Page, hub: Hub
) -> None:
    sign_in(page, hub, Role.admin)
    page.get_by_role("link", name="串并案").click()
    first = page.get_by_role("region", name="集群 1")
    heading = first.get_by_role("heading").inner_text()
    size = int(re.search(r"(\d+) 起案件", heading)[1])  # type: ignore[index]
    assert size >= 2
    shot(page, "clusters")
    first.get_by_role("button", name="发起合成作战").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("串并案集群打击 1")
    included = page.get_by_role("region", name="纳入对象")
    expect(included.get_by_role("heading")).to_contain_text(str(size))
    expect(page.locator(".status")).to_have_text("进行中")

    # Take one case out, and back in through a search.
    removed = included.get_by_role("listitem").first.get_by_role("link").inner_text()
    included.get_by_role("button", name=f"移出 {removed}").click()
    expect(included.get_by_role("heading")).to_contain_text(str(size - 1))
    included.get_by_label("查找要纳入的对象").fill(removed)
    included.get_by_role("button", name="查找").click()
    included.get_by_role("listitem").filter(has_text=removed).get_by_role(
        "button", name="纳入"
    ).first.click()
    expect(included.get_by_role("heading")).to_contain_text(str(size))
    shot(page, "operation")
    # each of its properties keeps to its own cell (a 32-character id ran over 成员)
    assert page.locator(".props > div").evaluate_all(SPILLING) == []

    # Its timeline, then close it.
    page.get_by_role("link", name="作战时间轴").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("时间轴")
    expect(page.locator(".event").filter(has_text="发起作战")).to_have_count(1)
    expect(page.locator(".event").filter(has_text="案件受理")).not_to_have_count(0)
    page.go_back()
    page.get_by_role("button", name="结束作战").click()
    expect(page.locator(".status")).to_have_text("已结束")
    page.get_by_role("link", name="合成作战").click()
    expect(page.get_by_role("table")).to_contain_text("已结束")
    chosen = page.locator("button.on").first
    chosen.hover()  # a chosen filter's label stays readable under the pointer
    colour, background = chosen.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
    )
    assert colour != background


def test_an_analyst_may_not_open_an_operation_and_is_told_so(page: Page, hub: Hub) -> None:
    sign_in(page, hub, Role.analyst)
    page.get_by_role("link", name="串并案").click()
    cluster = page.get_by_role("region", name="集群 1")
    cluster.get_by_role("button", name="发起合成作战").click()
    expect(cluster.get_by_role("alert")).to_contain_text("无权限：您的角色不能执行此操作")


def _wanted(synced: County) -> dict[str, Any]:
    rows, _, _ = synced.driver.execute_query(
        "MATCH (p:Person)-[:WANTED_BY]->(w:Warrant {status: '在逃'}) "
        "WHERE p.id_number IS NOT NULL AND p.name IS NOT NULL "
        "RETURN p.name AS name, p.id_number AS id, w.warrant_no AS warrant ORDER BY p.uid LIMIT 1"
    )
    return dict(rows[0])


def test_an_alert_raised_by_a_triggered_sync_arrives_live_with_its_badge(
    page: Page, hub: Hub, synced: County, unit: str
) -> None:
    person = _wanted(synced)
    # What the county already holds is raised before anyone listens, as after any sync.
    alerts.evaluate_blocking(synced.driver, 60.0)
    sign_in(page, hub, unit=unit)
    page.get_by_role("link", name="预警").click()
    expect(page.get_by_role("button", name="未处理")).to_be_visible()
    page.wait_for_timeout(1000)  # the subscription is open
    badge = page.locator(".badge")
    before = int(badge.inner_text()) if badge.count() else 0

    # A hotel check-in of the wanted person lands in the big-data drop; a connector job
    # triggers the sync, as a scheduler would.
    hotel = synced.world / "sources" / "bigdata" / "hotel"
    now = datetime.now(UTC) + BEIJING  # a new stay each run: a new alert
    row = (
        pl.read_parquet(sorted(hotel.glob("*.parquet"))[-1])
        .head(1)
        .with_columns(
            lsh=pl.lit(f"LG{now:%m%d%H%M%S}"),
            xm=pl.lit(person["name"]),
            zjhm=pl.lit(person["id"]),
            rzsj=pl.lit(f"{now:%Y%m%d%H%M}"),
            tfsj=pl.lit(None, pl.String),
        )
    )
    (hub.drop / "hotel").mkdir(exist_ok=True)
    row.write_parquet(hub.drop / "hotel" / f"{now:%Y-%m-%d}.parquet")  # the feed names files by day
    started = hub.ask('mutation { triggerSync(source: "bigdata") { __typename } }', Role.connector)
    assert started["triggerSync"]["__typename"] == "SyncStarted"

    seen = f"{now - BEIJING:%Y-%m-%dT%H:%M}:00Z"  # the stay's alert, by its id
    live = page.get_by_role(
        "listitem", name=f"预警 fugitive_seen:{person['warrant']}:STAYED_AT:{seen}"
    )
    expect(live).to_be_visible(timeout=180_000)
    expect(live).to_have_class(re.compile("live"))
    expect(live).to_contain_text("在逃人员现身")
    expect(live).to_contain_text(person["name"])
    expect(badge).to_be_visible()
    assert int(badge.inner_text()) > before
    shot(page, "alerts")
    count = int(badge.inner_text())
    live.get_by_role("button", name="签收").click()
    expect(live).to_contain_text("已签收")
    expect(badge).to_have_text(str(count - 1))


def test_the_timeline_of_a_person_filters_by_kind_and_period(
    page: Page, hub: Hub, synced: County, unit: str
) -> None:
    person = _victim(synced, unit)
    sign_in(page, hub, unit=unit)
    _open_card(page, person)
    page.get_by_role("article").get_by_role("link", name="时间轴").click()
    events = page.locator(".event")
    expect(events.first).to_be_visible()
    total = events.count()
    times = [t for t in page.locator(".event time").all_inner_texts()]
    assert times == sorted(times, key=_chinese_time)
    expect(events.filter(has_text="案件受理")).not_to_have_count(0)
    page.get_by_label("源记录").uncheck()
    expect(events).not_to_have_count(total)
    assert events.filter(has_text="记录").count() == 0
    page.get_by_label("开始日期").fill("2099-01-01")
    expect(page.get_by_text("所选范围内没有事件。")).to_be_visible()


def _chinese_time(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text))


def test_the_dashboard_shows_the_year_earlier_change_as_charts(
    page: Page, hub: Hub, unit: str
) -> None:
    sign_in(page, hub, unit=unit)
    page.get_by_role("link", name="态势大屏").click()
    page.get_by_role("button", name="本年度").click()
    figures = page.locator(".figure")
    expect(figures).to_have_count(9)
    expect(page.locator(".period")).to_contain_text("年1月1日")
    period = page.locator(".period").inner_text()
    year = int(re.search(r"(\d{4})年1月1日", period)[1])  # type: ignore[index]
    start = datetime(year, 1, 1, tzinfo=UTC) - BEIJING
    answer = hub.ask(
        "query($f: DateTime!, $t: DateTime!) { stats(from: $f, to: $t) { figures { name value previous } } }",
        Role.investigator,
        unit,
        f=start.isoformat(),
        t=datetime.now(UTC).isoformat(),
    )
    wanted = {f["name"]: f for f in answer["stats"]["figures"]}
    accepted = page.get_by_label("受理案件")
    expect(accepted).to_contain_text(f"去年同期 {int(wanted['casesAccepted']['previous']):,}")
    expect(page.get_by_role("img", name=re.compile("案件与预警")).locator("canvas")).to_be_visible()
    shot(page, "dashboard")


def test_production_pages_break_no_rule_of_their_content_security_policy(
    page: Page, hub_process: Any, synced: County, unit: str, offline: Offline
) -> None:
    production = hub_process(HUB_ENV="production")
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' at '"
        " + e.sourceFile + ':' + e.lineNumber))"
    )
    person = _victim(synced, unit)
    sign_in(page, production, unit=unit)
    _open_card(page, person)
    page.get_by_role("article").get_by_role("link", name="关系图谱").click()
    _drawn(page)
    page.get_by_role("link", name="预警").click()
    page.wait_for_timeout(1500)  # the subscription's WebSocket is open (or refused)
    page.get_by_role("link", name="态势大屏").click()
    expect(page.locator(".figure")).to_have_count(9)
    assert not offline.errors, offline.errors
