"""A small generated county: reproducible, valid, with the truth linking every record."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from stdnum.cn import ric
from typer.testing import CliRunner

from hub import normalise
from hub.cli.world import app
from hub.world import WorldConfig, generate
from hub.world.config import NOISE_LEVELS, REFERENCE

PEOPLE = 2_000
# stream → column holding a person's name, and the one holding an ID number
NAMED = {
    ("cases", "involved"): ("name", "id_no"),
    ("fraud", "reports"): ("shrxm", "sfzh"),
    ("fugitives", "warrants"): ("subject_name", "identity_number"),
    ("fugitives", "wanted_persons"): ("full_name", "identity_number"),
    ("bigdata", "hotel"): ("xm", "zjhm"),
    ("bigdata", "netcafe"): ("xm", "zjhm"),
    ("bigdata", "rail"): ("passenger", "cert_no"),
}
# stream → its text date columns and their format, for the quarantine check
DATES = {
    ("cases", "cases"): {"accepted_at": "%Y-%m-%d %H:%M:%S"},
    ("cases", "involved"): {"birth_date": "%Y-%m-%d"},
    ("cases", "status_changes"): {"changed_at": "%Y-%m-%d %H:%M:%S"},
    ("fraud", "reports"): {"bjsj": "%Y%m%d%H%M%S"},
    ("fraud", "transfers"): {"jysj": "%Y%m%d%H%M%S"},
    ("fraud", "warnings"): {"yjsj": "%Y%m%d%H%M%S"},
    ("fraud", "dissuasions"): {"qzsj": "%Y%m%d%H%M%S"},
    ("fraud", "stop_payments"): {"sqsj": "%Y%m%d%H%M%S"},
    ("fugitives", "warrants"): {"issued_at": "%Y-%m-%dT%H:%M:%S+08:00"},
    ("fugitives", "wanted_persons"): {"date_of_birth": "%Y%m%d"},
    ("fugitives", "captures"): {"captured_at": "%Y-%m-%dT%H:%M:%S+08:00"},
    ("bigdata", "hotel"): {"rzsj": "%Y%m%d%H%M"},
    ("bigdata", "netcafe"): {"sjsj": "%Y-%m-%d %H:%M:%S"},
    ("bigdata", "rail"): {"depart": "%Y/%m/%d %H:%M"},
    ("bigdata", "cdr"): {"start_time": "%Y%m%d%H%M%S"},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seed1")
    generate(WorldConfig(people=PEOPLE, seed=1, out=out))
    return out


@pytest.fixture(scope="module")
def links(world: Path) -> pl.DataFrame:
    return pl.read_parquet(world / "truth" / "record_links.parquet")


@pytest.fixture(scope="module")
def persons(world: Path) -> pl.DataFrame:
    return pl.read_parquet(world / "truth" / "persons.parquet")


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _read(path: Path) -> pl.DataFrame:
    if path.suffix == ".csv":
        return pl.read_csv(path, infer_schema=False)
    return pl.read_parquet(path)


def _records(world: Path, source: str, stream: str) -> pl.DataFrame:
    folder = world / "sources" / source / stream
    if folder.is_dir():
        return pl.concat([_read(p) for p in sorted(folder.iterdir())], how="vertical")
    return _read(next((world / "sources" / source).glob(f"{stream}.*")))


def _streams(world: Path) -> list[tuple[str, str]]:
    out = []
    for source in sorted((world / "sources").iterdir()):
        for item in sorted(source.iterdir()):
            out.append((source.name, item.name.split(".")[0]))
    return out


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(
    world: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    result = CliRunner().invoke(
        app, ["generate", "--people", str(PEOPLE), "--seed", "1", "--out", str(again)]
    )
    assert result.exit_code == 0, result.output
    assert "truth/record_links.parquet" in result.output
    first = _hashes(world)
    assert len(first) > 300  # daily files of five feeds, API tables and truth
    assert _hashes(again) == first
    other = tmp_path / "other"
    generate(WorldConfig(people=PEOPLE, seed=2, out=other))
    second = _hashes(other)
    assert first.keys() == second.keys()
    same = [name for name in first if first[name] == second[name]]
    assert same == ["sources/cases/units.parquet", "truth/README.md", "truth/units.parquet"]


def test_manifest_counts_rows(world: Path) -> None:
    import json

    manifest = json.loads((world / "manifest.json").read_text())
    assert manifest["people"] == PEOPLE and manifest["seed"] == 1
    assert manifest["reference_date"] == "2026-11-01"
    assert manifest["rows"]["truth/persons.parquet"] == PEOPLE
    assert manifest["rows"]["sources/bigdata/hotel"] == _records(world, "bigdata", "hotel").height


def test_truth_identifiers_are_valid(world: Path, persons: pl.DataFrame) -> None:
    for number, birth, sex in persons.select("id_number", "birth_date", "sex").iter_rows():
        result = normalise.resident_id(number)
        assert isinstance(result, normalise.Valid), (number, result)
        assert result.facts["birth_date"] == birth and result.facts["sex"] == sex
        assert ric.calc_check_digit(number) == number[-1]
    assert persons["id_number"].n_unique() == PEOPLE
    assert persons["region_code"].value_counts().sort("count")[-1, "region_code"] == "411623"
    for name in persons["name"]:
        valid = normalise.person_name(name)
        assert isinstance(valid, normalise.Valid) and valid.value == name
    truth = world / "truth"
    for table, column, kind in [
        ("phones", "phone", "phone"),
        ("accounts", "account", "bank_card"),
        ("vehicles", "plate", "plate"),
    ]:
        values = pl.read_parquet(truth / f"{table}.parquet")[column]
        assert values.n_unique() == values.len()
        for value in values:
            result = normalise.normalise(kind, value)
            assert isinstance(result, normalise.Valid) and result.value == value, value


def test_money_moves_forward_in_time_through_two_to_six_layers(world: Path) -> None:
    paths = pl.read_parquet(world / "truth" / "money_paths.parquet")
    hops = pl.read_parquet(world / "truth" / "money_path_hops.parquet")
    transfers = pl.read_parquet(world / "truth" / "transfers.parquet")
    assert paths.height > 10
    assert paths["mule_layers"].min() >= 2 and paths["mule_layers"].max() <= 6  # type: ignore[operator]
    assert set(paths.explode("end_outcomes")["end_outcomes"]) <= {"cash_out", "frozen", "unknown"}
    by_path: dict[str, list[tuple[datetime, str, str | None, float]]] = defaultdict(list)
    for path, at, src, dst, amount in hops.select(
        "path_id", "at", "from_account", "to_account", "amount"
    ).iter_rows():
        by_path[path].append((at, src, dst, amount))
    for path, amount, layers, ends in paths.select(
        "path_id", "amount", "mule_layers", "end_amounts"
    ).iter_rows():
        rows = sorted(by_path[path], key=lambda r: r[0])
        victim = rows[0][1]
        balance: dict[str, float] = defaultdict(float)
        arrived: dict[str, datetime] = {}
        for at, src, dst, share in rows:
            if src != victim:
                assert src in arrived and at > arrived[src], (path, src)
                balance[src] -= share
                assert balance[src] >= -0.005, (path, src)
            if dst is not None:
                balance[dst] += share
                arrived.setdefault(dst, at)
        assert sum(ends) <= amount + 0.005
        assert len(arrived) >= layers
    accounts = pl.read_parquet(world / "truth" / "accounts.parquet")
    frozen = set(accounts.filter(pl.col("status") == "frozen")["account"])
    ends = paths.explode("end_accounts", "end_outcomes")
    assert set(ends.filter(pl.col("end_outcomes") == "frozen")["end_accounts"]) <= frozen
    txn_amounts = dict(transfers.select("txn_id", "amount").iter_rows())
    shares = hops.group_by("txn_id").agg(pl.col("amount").sum())
    for txn, total in shares.iter_rows():
        assert total <= txn_amounts[txn] + 0.005


def test_every_source_record_has_exactly_one_link(world: Path, links: pl.DataFrame) -> None:
    assert links.select("source", "stream", "record_id").is_duplicated().sum() == 0
    for source, stream in _streams(world):
        records = _records(world, source, stream)
        ids = set(records[records.columns[0]])
        linked = set(
            links.filter((pl.col("source") == source) & (pl.col("stream") == stream))["record_id"]
        )
        assert ids == linked, (source, stream)
        assert len(ids) == records.height
    assert links.filter(pl.col("source") == "bigdata")["person_id"].null_count() == 0


def _name_noise_share(world: Path, links: pl.DataFrame, persons: pl.DataFrame) -> float:
    names = persons.select("person_id", true_name="name")
    differing = total = 0
    for (source, stream), (name_col, _) in NAMED.items():
        records = _records(world, source, stream)
        joined = (
            records.select(record_id=records.columns[0], raw=name_col)
            .join(links.filter((pl.col("source") == source) & (pl.col("stream") == stream)),
                  on="record_id")
            .join(names, on="person_id")
            .filter(~pl.col("malformed") & pl.col("raw").is_not_null())
        )  # fmt: skip
        changed = joined["raw"] != joined["true_name"]
        tagged = joined["noise"].str.contains("name_")
        assert (changed == tagged).all(), (source, stream)
        differing += int(changed.sum())
        total += joined.height
    return differing / total


def test_name_noise_is_at_the_configured_rate(
    world: Path, links: pl.DataFrame, persons: pl.DataFrame, tmp_path: Path
) -> None:
    rates = NOISE_LEVELS["default"]
    expected = rates.name_typo + rates.name_trad + rates.name_pinyin
    share = _name_noise_share(world, links, persons)
    assert 0.5 * expected <= share <= 1.6 * expected
    hard = tmp_path / "hard"
    generate(WorldConfig(people=PEOPLE, seed=1, noise="hard", out=hard))
    hard_share = _name_noise_share(
        hard,
        pl.read_parquet(hard / "truth" / "record_links.parquet"),
        pl.read_parquet(hard / "truth" / "persons.parquet"),
    )
    assert 1.8 * share <= hard_share <= 3.5 * share


def test_id_noise_is_flagged_and_near_its_rate(
    world: Path, links: pl.DataFrame, persons: pl.DataFrame
) -> None:
    ids = persons.select("person_id", true_id="id_number")
    rows = []
    for (source, stream), (_, id_col) in NAMED.items():
        records = _records(world, source, stream)
        rows.append(
            records.select(record_id=records.columns[0], raw=id_col)
            .join(links.filter((pl.col("source") == source) & (pl.col("stream") == stream)),
                  on="record_id")
            .join(ids, on="person_id")
            .filter(~pl.col("malformed"))
            .select("raw", "true_id", "noise")
        )  # fmt: skip
    frame = pl.concat(rows)
    missing = frame["raw"].is_null()
    assert (missing == frame["noise"].str.contains("id_missing")).all()
    wrong = frame.filter(pl.col("raw").is_not_null() & (pl.col("raw") != pl.col("true_id")))
    assert wrong["noise"].str.contains("id_bad_check|id_misread").all()
    assert wrong["noise"].str.contains("id_misread").any()
    for raw in wrong["raw"]:  # a misread number never passes for someone else's
        assert isinstance(normalise.resident_id(raw), normalise.Invalid)
    rates = NOISE_LEVELS["default"]
    # the feeds read the ID card and rarely miss the number; hand-kept records more often
    low, high = rates.feed_id_missing, rates.id_missing
    assert 0.5 * low <= missing.mean() <= 1.6 * high  # type: ignore[operator]
    assert wrong.height / frame.height <= 2 * (rates.id_bad_check + rates.id_misread)


# the ID card's fields as each people feed keeps them: name, sex, ethnicity, birth date,
# address, document type, number (a rail ticket keeps no ethnicity or address)
CARD = {
    "hotel": ("xm", "xb", "mz", "csrq", "dz", "zjlx", "zjhm"),
    "netcafe": ("xm", "xb", "mz", "csrq", "dz", "zjlx", "zjhm"),
    "rail": ("passenger", "sex", None, "birth_date", None, "cert_type", "cert_no"),
}


@pytest.mark.parametrize("feed", sorted(CARD))
def test_people_feeds_carry_the_id_card_and_its_noise_is_of_reading_it(
    world: Path, links: pl.DataFrame, persons: pl.DataFrame, feed: str
) -> None:
    name, sex, ethnicity, birth, address, doc_type, _ = CARD[feed]
    records = _records(world, "bigdata", feed)
    assert {c for c in CARD[feed] if c} <= set(records.columns)
    frame = (
        records.rename({records.columns[0]: "record_id"})
        .join(links.filter(pl.col("stream") == feed), on="record_id")
        .filter(~pl.col("malformed"))
        .join(persons.select("person_id", true_address="address"), on="person_id")
    )
    assert frame.height > 100
    # never a record stripped to a name: every row has what the card says
    for column in (name, sex, ethnicity, birth, address, doc_type):
        if column:
            assert frame[column].null_count() == 0, column
    if address:
        moved = frame.filter(pl.col(address) != pl.col("true_address"))
        assert moved.height > 0 and moved["noise"].str.contains("card_stale").all()


def test_fugitive_sightings_point_at_real_big_data_records(
    world: Path, links: pl.DataFrame
) -> None:
    sightings = pl.read_parquet(world / "truth" / "fugitive_sightings.parquet")
    warrants = pl.read_parquet(world / "truth" / "fugitives.parquet")
    assert sightings.height > 0
    wanted = dict(warrants.select("warrant_no", "person_id").iter_rows())
    issued = dict(warrants.select("warrant_no", "issued_at").iter_rows())
    captured = dict(warrants.select("warrant_no", "captured_at").iter_rows())
    for warrant, person, feed, record, file, seen in sightings.iter_rows():
        records = _read(world / file)
        assert record in set(records[records.columns[0]]), (feed, record)
        assert Path(file).stem == seen.strftime("%Y-%m-%d")
        link = links.filter((pl.col("stream") == feed) & (pl.col("record_id") == record))
        assert link["person_id"].to_list() == [person] == [wanted[warrant]]
        assert issued[warrant] < seen
        assert captured[warrant] is None or seen < captured[warrant]


def test_malformed_rows_are_flagged(world: Path, links: pl.DataFrame) -> None:
    flagged_total = 0
    for (source, stream), columns in DATES.items():
        records = _records(world, source, stream)
        id_col = records.columns[0]
        stream_links = links.filter((pl.col("source") == source) & (pl.col("stream") == stream))
        flagged = set(stream_links.filter(pl.col("malformed"))["record_id"])
        flagged_total += len(flagged)
        for column, fmt in columns.items():
            text = records[column].cast(pl.String)
            parsed = text.str.strptime(pl.Datetime, fmt, strict=False)
            bad = records.filter(text.is_not_null() & parsed.is_null())[id_col]
            assert set(bad) <= flagged, (source, stream, column)
        for record, reason in (
            stream_links.filter(pl.col("malformed"))
            .select("record_id", "malformed_reason")
            .iter_rows()
        ):
            kind, column = reason.split(":")
            value = records.filter(pl.col(id_col) == record)[column][0]
            if kind == "empty":
                assert value is None or value == "", (stream, record)
            else:
                assert datetime_or_none(value, columns[column]) is None, (stream, record)
    assert flagged_total > 0


def datetime_or_none(value: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(value, fmt)
    except ValueError:
        return None


def test_api_tables_have_updated_at_and_cases_span_years(world: Path) -> None:
    for source in ("cases", "fraud", "fugitives"):
        for path in (world / "sources" / source).glob("*.parquet"):
            updated = pl.read_parquet(path)["updated_at"]
            assert updated.null_count() == 0 and updated.max() < REFERENCE, path  # type: ignore[operator]
    cases = pl.read_parquet(world / "sources" / "cases" / "cases.parquet")
    months = set(cases["accepted_at"].str.slice(0, 7).drop_nulls())
    assert {"2024", "2025", "2026"} <= {m[:4] for m in months}
    assert {"telecom_fraud", "theft"} <= set(cases["kind"])
    ring_cases = pl.read_parquet(world / "truth" / "ring_cases.parquet")
    assert set(ring_cases["case_no"]) <= set(cases["case_no"])


def test_truth_readme_documents_every_table_and_column(world: Path) -> None:
    readme = (world / "truth" / "README.md").read_text(encoding="utf-8")
    for path in sorted((world / "truth").glob("*.parquet")):
        assert f"## {path.stem}" in readme, path.stem
        for column in pl.read_parquet_schema(path):
            assert f"`{column}`" in readme, (path.stem, column)


def test_cli_refuses_an_unknown_noise_level(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "--noise", "extreme", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert not (tmp_path / "manifest.json").exists()
