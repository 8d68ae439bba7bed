"""Resolution of a generated county's person records, scored against its truth."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from hub.resolution import county, engine, records
from hub.resolution.engine import Outcome, Thresholds
from hub.resolution.judgements import POSITIVE
from hub.settings import Settings

NOISE_KINDS = [
    "name_typo",
    "name_trad",
    "name_pinyin",
    "phone_format",
    "id_missing",
    "id_bad_check",
    "birth_slip",
    "address_conflict",
    "duplicate",
]


@pytest.fixture(scope="module")
def world(county_files: Callable[..., Path]) -> Path:
    return county_files(people=3000, seed=11, noise="hard")


@pytest.fixture(scope="module")
def features(world: Path) -> pl.DataFrame:
    return records.features(county.person_records(world))


def thresholds() -> Thresholds:
    s = Settings.from_env({})
    return Thresholds(s.resolve_merge, s.resolve_review, s.resolve_block_cap)


@pytest.fixture(scope="module")
def outcome(features: pl.DataFrame) -> Outcome:
    return engine.resolve(features, thresholds(), at=datetime(2026, 11, 1, tzinfo=UTC))


def placed(features: pl.DataFrame, outcome: Outcome, world: Path) -> pl.DataFrame:
    """Each record with its true person and the canonical person resolution gave it."""
    return (
        features.select("record_id", "unit")
        .with_columns(pred=pl.col("unit").replace_strict(outcome.canonical))
        .join(county.truth(world), on="record_id")
    )


def test_records_with_each_kind_of_noise_join_their_person(
    features: pl.DataFrame, outcome: Outcome, world: Path
) -> None:
    frame = placed(features, outcome, world)
    # the person's own cluster: where most of that person's records went
    home = (
        frame.group_by("person_id", "pred")
        .len()
        .sort("len", "pred", descending=[True, False])
        .unique("person_id", keep="first")
        .select("person_id", home="pred", size="len")
    )
    frame = frame.join(home, on="person_id")
    for kind in NOISE_KINDS:
        noisy = frame.filter(pl.col("noise").str.contains(kind) & (pl.col("size") > 1))
        assert noisy.height > 0, kind
        joined = noisy.filter(pl.col("pred") == pl.col("home")).height / noisy.height
        # a name-only record with a common name cannot be told from a namesake
        assert joined >= (0.9 if kind == "id_missing" else 0.95), (kind, joined)


def test_pairwise_precision_and_recall(
    features: pl.DataFrame, outcome: Outcome, world: Path
) -> None:
    frame = placed(features, outcome, world)

    def pairs(*by: str) -> int:
        sizes = frame.group_by(*by).len().get_column("len")
        return int((sizes * (sizes - 1) // 2).sum())

    true_pairs = pairs("pred", "person_id")
    precision = true_pairs / pairs("pred")
    recall = true_pairs / pairs("person_id")
    assert precision >= 0.99 and recall >= 0.97, (precision, recall)


def _person(name: str, id_number: str | None, record: str, **more: object) -> dict[str, object]:
    return records.features_of(record, {"name": name, "id_number": id_number, **more})


def _with(features: pl.DataFrame, *rows: dict[str, object]) -> pl.DataFrame:
    return pl.concat([features, pl.DataFrame(list(rows), schema=records.FEATURES)])


def test_namesakes_born_the_same_year_are_not_merged(features: pl.DataFrame) -> None:
    known = _person("欧阳晓梅", "411623198503120014", "t:1", address="河南省周口市商水县城关乡1号")
    other = _person(
        "欧阳晓梅", None, "t:2", birth_date="1985-09-27", address="河南省郑州市金水区花园路8号"
    )
    outcome = engine.resolve(_with(features, known, other), thresholds())
    assert outcome.canonical[other["unit"]] != outcome.canonical[known["unit"]]


def test_a_record_of_the_same_person_without_id_number_is_merged(features: pl.DataFrame) -> None:
    known = _person("欧阳晓梅", "411623198503120014", "t:1", phone="13803941001")
    same = _person("歐陽曉梅", None, "t:2", birth_date="1985-12-03", phone="138 0394 1001")
    outcome = engine.resolve(_with(features, known, same), thresholds())
    assert (
        outcome.canonical[same["unit"]] == outcome.canonical[known["unit"]] == "P411623198503120014"
    )
    (judged,) = [j for j in outcome.judgements if same["unit"] in (j.left, j.right)]
    assert judged.verdict == POSITIVE
    assert '"phone"' in judged.comparisons and '"name"' in judged.comparisons


def test_a_wrong_check_digit_does_not_force_a_merge(features: pl.DataFrame) -> None:
    known = _person("欧阳晓梅", "411623198503120014", "t:1", phone="13803941001")
    # the first 17 characters of the number, another check digit, but another person
    stranger = _person("司马建国", "411623198503120015", "t:2", phone="13903941002")
    # and the same person with a slip of the check digit
    slip = _person("欧阳晓梅", "411623198503120015", "t:3")
    outcome = engine.resolve(_with(features, known, stranger, slip), thresholds())
    assert stranger["unit"] == "R:t:2"  # not trusted as an identifier
    assert outcome.canonical["R:t:2"] == "R:t:2"
    assert outcome.canonical["R:t:3"] == "P411623198503120014"
