"""`hub match`: an outside list without ID numbers, noisy names, matched to the graph."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from neo4j import Driver
from opencc import OpenCC  # type: ignore[import-untyped]

from connectors.mapping import load_layout
from hub.errors import SchemaError
from hub.resolution import blocking, match, run
from hub.settings import Settings
from tests.connectors.simulator import HUB, Simulator
from tests.hub.resolution.conftest import unresolved
from tests.snapshot import Snapshot

MAPPING = """\
row_id: 编号
person:
  name: 姓名
  birth_date: {column: 出生日期, format: "%Y/%m/%d"}
  phone: 电话
"""


@pytest.fixture(scope="module")
def resolved(
    driver: Driver, pristine: Snapshot, simulator: Simulator, world: Path, settings: Settings
) -> Iterator[Driver]:
    """The package's county, resolved. The audit trail of the commands run here is
    deleted afterwards: the county is left as its sync made it, but resolved."""
    unresolved(driver, pristine, simulator, world)
    run.run(driver, settings)
    yield driver
    driver.execute_query("MATCH (n) WHERE n:AuditEvent OR n:AuditHead DETACH DELETE n")


def outside_list(world: Path, driver: Driver) -> pl.DataFrame:
    """People the graph knows by ID number, written as another agency would: traditional
    characters or pinyin, slashed birth dates, phones with separators, no ID number."""
    known = {r["uid"] for r in driver.execute_query("MATCH (p:Person) RETURN p.uid AS uid").records}
    persons = pl.read_parquet(world / "truth" / "persons.parquet")
    unique = persons.group_by("name").len().filter(pl.col("len") == 1).select("name")
    phones = pl.read_parquet(world / "truth" / "phones.parquet").unique("person_id", keep="first")
    chosen = (
        persons.join(unique, on="name")
        .join(phones.select("person_id", "phone"), on="person_id", how="left")
        .filter(("P" + pl.col("id_number")).is_in(sorted(known)))
        .sort("person_id")
        .head(30)
    )
    t2s = OpenCC("s2t")
    rows = []
    for i, p in enumerate(chosen.iter_rows(named=True)):
        name = p["name_pinyin"] if i % 3 == 0 else t2s.convert(p["name"])
        phone = p["phone"]
        written = f"{phone[3:6]} {phone[6:10]} {phone[10:]}" if phone and i % 2 else None
        rows.append(
            {
                "编号": f"A{i:03d}",
                "姓名": name,
                "出生日期": p["birth_date"].strftime("%Y/%m/%d"),
                "电话": written,
                "truth": "P" + p["id_number"],
            }
        )
    return pl.DataFrame(rows)


def test_match_finds_the_person_for_noisy_rows_without_id_numbers(
    resolved: Driver, world: Path, tmp_path: Path, settings: Settings
) -> None:
    rows = outside_list(world, resolved)
    assert rows.height >= 20
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    layout = load_layout(mapping)
    found = match.match_rows(
        resolved, None, rows.to_dicts(), layout, run.thresholds(settings), top=3
    )
    assert [m.row_id for m in found] == rows.get_column("编号").to_list()
    best = [m.candidates[0].uid if m.candidates else None for m in found]
    right = sum(b == t for b, t in zip(best, rows.get_column("truth"), strict=True))
    assert right / rows.height >= 0.95
    top = found[0].candidates[0]
    assert top.comparisons["fields"]["birth"]["label"] == "same"
    for m in found:  # candidates ranked by a continuous score
        scores = [c.score for c in m.candidates]
        assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_hub_match_writes_candidates_with_score_and_explanation(
    resolved: Driver, world: Path, tmp_path: Path, encoding: str
) -> None:
    rows = outside_list(world, resolved)
    first = rows.get_column("编号")[0]  # a row id a spreadsheet would run as a formula
    rows = rows.with_columns(
        pl.when(pl.col("编号") == first)
        .then(pl.lit(f"=1+{first}"))
        .otherwise(pl.col("编号"))
        .alias("编号")
    )
    listed = tmp_path / "list.csv"
    # as Excel saves it: GB18030 on a Chinese Windows
    listed.write_bytes(rows.drop("truth").write_csv().encode(encoding))
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    (layouts / "agency.yaml").write_text(MAPPING, encoding="utf-8")
    out = tmp_path / "candidates.csv"
    subprocess.run(
        [HUB, "match", str(listed), "--mapping", "agency", "--mappings", str(layouts),
         "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )  # fmt: skip
    written = pl.read_csv(out, infer_schema=False)
    firsts = written.filter(pl.col("rank") == "1").sort("row_id")
    as_text = [f"'{r}" if r.startswith("=") else r for r in rows.get_column("编号")]
    assert firsts.get_column("row_id").to_list() == sorted(as_text)  # written as text
    truth = dict(zip(as_text, rows.get_column("truth"), strict=True))
    right = sum(truth[r] == u for r, u in firsts.select("row_id", "uid").iter_rows())
    assert right / rows.height >= 0.95
    assert written.get_column("explanation").str.contains('"name"').all()
    nowhere = subprocess.run(
        [HUB, "match", str(listed), "--mapping", "agency", "--mappings", str(layouts),
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert nowhere.returncode == 2 and "cannot write" in nowhere.stderr, nowhere.stderr
    assert "Traceback" not in nowhere.stderr


def test_a_row_reads_the_records_of_its_blocks_not_the_graph(
    resolved: Driver, world: Path, tmp_path: Path
) -> None:
    rows = outside_list(world, resolved).head(5)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    outside, _ = match._outside(rows.to_dicts(), load_layout(mapping))
    read, chosen, persons = match._graph_candidates(resolved, None, outside)
    everything = resolved.execute_query(
        "MATCH (r:Record) WHERE EXISTS { (r)-[:RECORD_OF]->(:Person) } RETURN count(r) AS n"
    ).records[0]["n"]
    wanted = {i for found in chosen.values() for i in found}
    assert 0 < read.height == len(wanted) < everything / 10
    assert set(read.get_column("record_id").to_list()) == wanted
    assert set(rows.get_column("truth")) <= {p["uid"] for p in persons.values()}
    # each candidate shares with its row a narrow key, or a name and the birth date
    keyed = blocking.keys(read)
    for row in outside.iter_rows(named=True):
        mine = set(blocking.keys_of(row))
        for record in chosen[row["record_id"]]:
            shared = set(keyed.filter(pl.col("record_id") == record).get_column("key")) & mine
            kinds = {k[:2] for k in shared}
            assert kinds - {"n:", "b:"} or {"n:", "b:"} <= kinds, (row["record_id"], record)


def test_hub_match_documents_its_layout() -> None:
    shown = subprocess.run([HUB, "match", "--help"], capture_output=True, text=True, check=True)
    for word in ("row_id", "identifiers", "GB18030", "--encoding", "--mappings", "scheme",
                 "[given_name, surname]", "[住址, 城市]"):  # fmt: skip
        assert word in shown.stdout, word


def test_a_bad_field_of_a_row_is_noted_and_the_row_still_matched(
    resolved: Driver, world: Path, tmp_path: Path, settings: Settings
) -> None:
    rows = outside_list(world, resolved).head(3).with_columns(出生日期=pl.lit("昨天"))
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    found = match.match_rows(
        resolved, None, rows.to_dicts(), load_layout(mapping), run.thresholds(settings)
    )
    for m in found:
        assert m.notes == ["birth_date: not a date in the form %Y/%m/%d"]
        assert m.candidates


def test_a_layout_without_a_name_or_identifier_is_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("person: {phone: 电话}\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="name"):
        load_layout(mapping)
    mapping.write_text("person: {name: 姓名, shoe_size: 鞋码}\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="shoe_size"):
        load_layout(mapping)


def test_explain_shows_the_records_and_judgements_of_a_merged_person(
    resolved: Driver, settings: Settings
) -> None:
    merged = resolved.execute_query(
        "MATCH (m:MergedPerson) RETURN m.uid AS uid, m.merged_into AS into LIMIT 1"
    ).records[0]
    found = run.explain(resolved, settings, merged["uid"])
    assert found["person"] == merged["into"]
    assert merged["uid"] in found["units"]
    assert any(j["verdict"] == "positive" for j in found["judgements"])
    shown = subprocess.run(
        [HUB, "resolve", "--explain", merged["uid"]], capture_output=True, text=True, check=True
    )
    assert merged["into"] in shown.stdout and "positive" in shown.stdout


def test_hub_match_names_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text("编号,名字\nA1,张三\n", encoding="utf-8")
    layout = tmp_path / "layout.yaml"
    layout.write_text(MAPPING, encoding="utf-8")
    shown = subprocess.run(
        [HUB, "match", str(listed), "--mapping", str(layout)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 1
    assert "names columns the list lacks: 出生日期, 姓名, 电话" in shown.stderr
    assert "Traceback" not in shown.stderr + shown.stdout
    unknown = subprocess.run(
        [HUB, "match", str(listed), "--mapping", "nowhere"], capture_output=True, text=True
    )
    assert unknown.returncode == 1 and "no layout 'nowhere'" in unknown.stderr
