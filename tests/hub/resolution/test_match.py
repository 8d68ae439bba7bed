"""`hub match`: an outside list without ID numbers, noisy names, matched to the graph."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from neo4j import Driver
from opencc import OpenCC  # type: ignore[import-untyped]

from hub.errors import ResolutionError
from hub.resolution import match, run
from hub.settings import Settings
from tests.connectors.simulator import HUB, Simulator
from tests.hub.resolution.conftest import unresolved
from tests.snapshot import Snapshot

MAPPING = """\
columns: {name: 姓名, birth_date: 出生日期, phone: 电话}
birth_format: "%Y/%m/%d"
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
                "姓名": name,
                "出生日期": p["birth_date"].strftime("%Y/%m/%d"),
                "电话": written,
                "truth": "P" + p["id_number"],
            }
        )
    return pl.DataFrame(rows)


def test_match_finds_the_person_for_noisy_rows_without_id_numbers(
    resolved: Driver, world: Path, tmp_path: Path
) -> None:
    rows = outside_list(world, resolved)
    assert rows.height >= 20
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    found = match.match_rows(resolved, None, rows.to_dicts(), match.load_mapping(mapping))
    best = [c[0].uid if c else None for c in found]
    right = sum(b == t for b, t in zip(best, rows.get_column("truth"), strict=True))
    assert right / rows.height >= 0.95
    top = found[0][0]
    assert top.comparisons["fields"]["birth"]["level"] == 2  # the birth date agrees


def test_hub_match_writes_candidates_with_score_and_explanation(
    resolved: Driver, world: Path, tmp_path: Path
) -> None:
    rows = outside_list(world, resolved)
    listed = tmp_path / "list.csv"
    rows.drop("truth").write_csv(listed)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    out = tmp_path / "candidates.csv"
    subprocess.run(
        [HUB, "match", str(listed), "--mapping", str(mapping), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    written = pl.read_csv(out)
    firsts = written.filter(pl.col("rank") == 1).sort("row")
    assert firsts.height == rows.height
    assert (firsts.get_column("uid") == rows.get_column("truth")).mean() >= 0.95  # type: ignore[operator]
    assert written.get_column("explanation").str.contains('"name"').all()


def test_a_mapping_without_the_name_column_is_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns: {phone: 电话}\n", encoding="utf-8")
    with pytest.raises(ResolutionError, match="name"):
        match.load_mapping(mapping)


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
