"""Resolution of a generated county's person records, scored against its truth."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from hub.resolution import blocking, county, engine, records
from hub.resolution.engine import Outcome, Thresholds
from hub.resolution.judgements import POSITIVE, UNSURE
from hub.resolution.model import LEVELS, Model, Scorer, sample, train
from hub.settings import Settings
from hub.world.config import NoiseRates

# every kind of noise a person record can carry; each must still find its person
NOISE_KINDS = [
    "name_typo",
    "name_trad",
    "name_pinyin",
    "id_missing",
    "id_bad_check",
    "id_misread",
    "birth_slip",
    "address_conflict",
    "card_stale",
    "duplicate",
]


@pytest.fixture(scope="module")
def world(county_files: Callable[..., Path]) -> Path:
    return county_files(people=3000, seed=11, noise="hard")


@pytest.fixture(scope="module")
def features(world: Path) -> pl.DataFrame:
    return records.features(county.person_records(world))


@pytest.fixture(scope="module")
def model(features: pl.DataFrame) -> Model:
    return train(features)


def thresholds() -> Thresholds:
    s = Settings.from_env({})
    return Thresholds(s.resolve_merge, s.resolve_review, s.resolve_block_cap)


@pytest.fixture(scope="module")
def outcome(features: pl.DataFrame, model: Model) -> Outcome:
    return engine.resolve(features, thresholds(), model=model, at=datetime(2026, 11, 1, tzinfo=UTC))


def placed(features: pl.DataFrame, outcome: Outcome, world: Path) -> pl.DataFrame:
    """Each record with its true person and the canonical person resolution gave it."""
    return (
        features.select("record_id", "unit")
        .with_columns(pred=pl.col("unit").replace_strict(outcome.canonical))
        .join(county.truth(world), on="record_id")
    )


def pairwise(features: pl.DataFrame, outcome: Outcome, world: Path) -> tuple[float, float]:
    """Precision and recall of the pairs of records resolution put together."""
    frame = placed(features, outcome, world)

    def pairs(*by: str) -> int:
        sizes = frame.group_by(*by).len().get_column("len")
        return int((sizes * (sizes - 1) // 2).sum())

    true_pairs = pairs("pred", "person_id")
    return true_pairs / pairs("pred"), true_pairs / pairs("person_id")


def test_the_noise_kinds_listed_are_the_generators() -> None:
    generated = {"id_missing", "id_bad_check", "id_misread", "birth_slip", "card_stale"}
    assert generated <= set(NoiseRates.__dataclass_fields__)


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
    # a record that says nothing but a name and a birth date is for review, not a merge
    evidence = (
        pl.col("address").is_not_null()
        | (pl.col("phones").list.len() > 0)
        | (pl.col("accounts").list.len() > 0)
        | (pl.col("docs").list.len() > 0)
    )
    said = features.select("record_id", evidence=evidence)
    frame = frame.join(home, on="person_id").join(said, on="record_id")
    for kind in NOISE_KINDS:
        noisy = frame.filter(
            pl.col("noise").str.contains(kind) & (pl.col("size") > 1) & pl.col("evidence")
        )
        assert noisy.height > 0, kind
        joined = noisy.filter(pl.col("pred") == pl.col("home")).height / noisy.height
        assert joined >= 0.9, (kind, joined)


def test_pairwise_precision_and_recall(
    features: pl.DataFrame, outcome: Outcome, world: Path
) -> None:
    precision, recall = pairwise(features, outcome, world)
    assert precision >= 0.995 and recall >= 0.97, (precision, recall)


def test_a_model_learnt_from_a_sample_of_the_persons_resolves_as_well(
    features: pl.DataFrame, model: Model, world: Path
) -> None:
    # a county larger than the sample: the model is learnt from a third of its persons
    size = features.height // 3
    chosen = sample(features, size)
    assert 0.5 * size < chosen.height < 1.5 * size
    whole = features.filter(pl.col("unit").is_in(chosen.get_column("unit").unique().implode()))
    assert whole.height == chosen.height  # a unit's records are all in or all out
    sampled = train(features, size=size)
    assert sampled.records == features.height and sampled.summary["sampled"] == chosen.height
    assert sampled.tf == model.tf  # how common a value is: counted over every record
    # two random records of the county, not of the sample: the prior matches the whole's
    assert abs(sampled.prior - model.prior) < 1.0, (sampled.prior, model.prior)
    outcome = engine.resolve(features, thresholds(), model=sampled)
    precision, recall = pairwise(features, outcome, world)
    assert precision >= 0.995 and recall >= 0.97, (precision, recall)


def test_the_model_learns_weights_that_separate(model: Model) -> None:
    weights = {(c, level): w for c, level, _, _, w in model.describe() if w is not None}
    for comparison in ("name", "doc", "address"):
        assert weights[(comparison, "same")] > 5 > weights[(comparison, "different")]
    assert model.summary["seed_pairs"] > 0 and model.summary["em_rules"]
    # continuous scores: candidates can be ranked
    assert model.prior < -5


@pytest.mark.parametrize("column", ["name", "birth", "address"])
def test_agreeing_on_a_common_value_weighs_less_than_on_a_rare_one(
    model: Model, features: pl.DataFrame, column: str
) -> None:
    counts = features.get_column(column).drop_nulls().value_counts(sort=True)
    common, rare = counts.row(0)[0], counts.row(-1)[0]
    assert counts.row(0)[1] >= 5 and counts.row(-1)[1] == 1
    field = {"name": "name", "birth": "birth_date", "address": "address"}[column]
    pair = [
        records.features_of(f"t:{value}:{side}", {"name": "某", field: value})
        if column != "name"
        else records.features_of(f"t:{value}:{side}", {"name": value})
        for value in (common, rare)
        for side in "lr"
    ]
    frame = pl.DataFrame(pair, schema=records.FEATURES)
    ids = frame.get_column("record_id").to_list()
    scored = Scorer(model).score(frame, pl.DataFrame({"left": ids[0::2], "right": ids[1::2]}))
    weights = {
        r["left"].split(":")[1]: json.loads(r["fields"])[column]
        for r in scored.iter_rows(named=True)
    }
    assert weights[str(common)]["label"] == weights[str(rare)]["label"] == "same"
    assert weights[str(common)]["weight"] + 1 < weights[str(rare)]["weight"]


def _person(name: str, id_number: str | None, record: str, **more: object) -> dict[str, Any]:
    return records.features_of(record, {"name": name, "id_number": id_number, **more})


def _with(features: pl.DataFrame, *rows: dict[str, object]) -> pl.DataFrame:
    return pl.concat([features, pl.DataFrame(list(rows), schema=records.FEATURES)])


def _resolve(features: pl.DataFrame, model: Model, *rows: dict[str, object]) -> Outcome:
    units = {str(r["unit"]) for r in rows}
    return engine.resolve(_with(features, *rows), thresholds(), model=model, focus=units)


def test_namesakes_born_the_same_year_are_not_merged(features: pl.DataFrame, model: Model) -> None:
    known = _person("欧阳晓梅", "411623198503120014", "t:1", address="河南省周口市商水县城关乡1号")
    other = _person(
        "欧阳晓梅", None, "t:2", birth_date="1985-09-27", address="河南省郑州市金水区花园路8号"
    )
    outcome = _resolve(features, model, known, other)
    assert outcome.canonical[other["unit"]] != outcome.canonical[known["unit"]]


def _fields(**labels: str) -> dict[str, dict[str, object]]:
    return {name: {"label": labels.get(name, "missing")} for name in LEVELS}


def test_a_coincidence_is_never_evidence_enough_to_merge() -> None:
    limits = thresholds()
    rare = limits.merge + limits.coincidence
    # a name alone, however rare, is what namesakes share
    assert engine.evidence(_fields(name="same", sex="same"), 100.0, limits) == []
    # a name and a birth date: only when the model finds them rare together
    both = _fields(name="same", birth="same", sex="same")
    assert engine.evidence(both, rare - 0.5, limits) == []
    assert engine.evidence(both, rare, limits) == ["name and birth date, rare together"]
    assert engine.evidence(_fields(name="same", birth="slip"), 100.0, limits) == []
    # anything a namesake does not share is evidence
    assert engine.evidence(_fields(name="similar", address="similar"), 0.0, limits) == ["address"]
    assert engine.evidence(_fields(doc="two characters off", phone="shared"), 0.0, limits) == [
        "doc",
        "phone",
    ]


def test_a_high_weight_without_evidence_goes_to_review(
    features: pl.DataFrame, model: Model
) -> None:
    known = _person("欧阳晓梅", "411623198503120014", "t:1", address="河南省周口市商水县城关乡1号")
    alike = _person("欧阳晓梅", None, "t:2", birth_date="1985-03-12", sex="F")
    outcome = _resolve(features, model, known, alike)
    (judged,) = [j for j in outcome.judgements if alike["unit"] in (j.left, j.right)]
    limits = thresholds()
    why = json.loads(judged.comparisons)["why"]
    if judged.score is not None and judged.score >= limits.merge + limits.coincidence:
        assert judged.verdict == POSITIVE and "rare together" in why
    else:
        assert judged.verdict == UNSURE and outcome.canonical[alike["unit"]] == alike["unit"]


def test_a_record_of_the_same_person_without_id_number_is_merged(
    features: pl.DataFrame, model: Model
) -> None:
    known = _person("欧阳晓梅", "411623198503120014", "t:1", phone="13803941001")
    same = _person("歐陽曉梅", None, "t:2", birth_date="1985-12-03", phone="138 0394 1001")
    outcome = _resolve(features, model, known, same)
    assert (
        outcome.canonical[same["unit"]] == outcome.canonical[known["unit"]] == "P411623198503120014"
    )
    (judged,) = [j for j in outcome.judgements if same["unit"] in (j.left, j.right)]
    assert judged.verdict == POSITIVE
    fields = json.loads(judged.comparisons)["fields"]
    assert fields["phone"]["label"] == "shared" and fields["name"]["label"] == "same"


def test_a_wrong_check_digit_does_not_force_a_merge(features: pl.DataFrame, model: Model) -> None:
    known = _person("欧阳晓梅", "411623198503120014", "t:1", phone="13803941001")
    # the first 17 characters of the number, another check digit, but another person
    stranger = _person("司马建国", "411623198503120015", "t:2", phone="13903941002")
    # and the same person with a slip of the check digit
    slip = _person("欧阳晓梅", "411623198503120015", "t:3")
    outcome = _resolve(features, model, known, stranger, slip)
    assert stranger["unit"] == "R:t:2"  # not trusted as an identifier
    assert outcome.canonical["R:t:2"] == "R:t:2"
    assert outcome.canonical["R:t:3"] == "P411623198503120014"


def test_other_documents_are_compared_but_never_trusted(
    features: pl.DataFrame, model: Model
) -> None:
    a = records.features_of(
        "t:1",
        {"name": "Wong Ka Ming", "documents": ["passport:K12345678"], "birth_date": "1990-01-02"},
    )
    b = records.features_of(
        "t:2",
        {"name": "Ka Ming Wong", "documents": ["passport:K12345678"], "birth_date": "1990-01-02"},
    )
    c = records.features_of("t:3", {"name": "Wong Ka Ming", "documents": ["passport:E99887766"]})
    assert a["unit"] == "R:t:1"  # only a valid resident ID number is a uid
    outcome = _resolve(features, model, a, b, c)
    assert outcome.canonical["R:t:1"] == outcome.canonical["R:t:2"]
    assert outcome.canonical["R:t:3"] != outcome.canonical["R:t:1"]


def test_judging_a_units_pairs_alone_gives_what_judging_all_gives(
    features: pl.DataFrame, model: Model, outcome: Outcome
) -> None:
    loose = sorted(u for u in features.get_column("unit").unique() if u.startswith("R:"))[::7]
    focused = engine.resolve(features, thresholds(), model=model, focus=set(loose))
    everything = {j.id: j.verdict for j in outcome.judgements}
    assert focused.judgements
    for j in focused.judgements:
        assert everything.get(j.id) == j.verdict
    touching = {i for i, _ in everything.items() if set(i.split("|")) & set(loose)}
    assert touching == {j.id for j in focused.judgements}


def test_blocking_keys_of_records_and_frames_agree(features: pl.DataFrame) -> None:
    frame = blocking.keys(features.head(200))
    one = {(r["record_id"], k) for r in features.head(200).iter_rows(named=True)
           for k in blocking.keys_of(r)}  # fmt: skip
    assert set(frame.iter_rows()) == one
