"""The match model: Fellegi-Sunter weights learnt from the records at hand, with Splink.

Two records are compared field by field, each comparison giving a level (``LEVELS``,
strongest first, a missing value saying nothing); each level weighs log2(m/u) bits, m
the share of true matches at that level and u the share of non-matches, and a pair's
match weight is the sum plus the prior odds that two records are one person. Splink
(DuckDB backend) holds the comparisons and does the estimation, with no labels needed:

- ``u`` from random pairs of records, which are nearly all non-matches;
- the prior from pairs that share a document number or a name, birth date and address;
- ``m`` seeded from the pairs that share a trusted identifier (a valid resident ID
  number: graph_schema's identifiers.yaml), where there are any, then re-estimated by
  expectation-maximisation on the pairs of each blocking rule (same name reading, same
  birth date, same document, same address): the model learns from a list with no
  trusted identifier at all as well as from a county where most records have one;
- an exact name, birth date or address is weighed by how common the value is (term
  frequency): agreeing on 张伟 says less than agreeing on 欧阳晓梅. The frequencies are
  counted when the model is trained and kept with it, so a pair scores the same in
  whichever run it is scored.

A ``Model`` is Splink's model JSON plus those frequencies; it is trained on a full run
and stored in the graph (``ResolutionModel``), so runs over new records reuse it.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from hub.errors import ResolutionError

__all__ = ["LEVELS", "SAMPLE", "TF_COLUMNS", "Model", "Scorer", "sample", "scorer", "train"]

# comparison -> its levels' labels, strongest first; "missing" is the null level
LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("same", "same reading", "similar", "different"),
    "birth": ("same", "slip", "same year", "different"),
    "sex": ("same", "different"),
    "ethnicity": ("same", "different"),
    "doc": ("same", "one character off", "two characters off", "different"),
    "address": ("same", "similar", "different"),
    "phone": ("shared", "different"),
    "account": ("shared", "different"),
}
# what counts as more than a coincidence: agreement on something besides the name,
# birth date, sex and ethnicity (which namesakes born the same day share)
EVIDENCE: dict[str, tuple[str, ...]] = {
    "doc": ("same", "one character off", "two characters off"),
    "address": ("same", "similar"),
    "phone": ("shared",),
    "account": ("shared",),
}
TF_COLUMNS = ("name", "birth", "address")
_INPUT = ["unique_id", "unit", "label", *(c for c in [
    "name", "name_key", "readings", "birth", "sex", "ethnicity", "doc", "address",
    "phones", "accounts"])]  # fmt: skip
_RESIDENT_BOTH = "(doc_l LIKE 'resident_id:%' AND doc_r LIKE 'resident_id:%')"
_U_PAIRS = 2_000_000
# A larger list is learnt from a sample of its units (whole persons) of about this many
# records: the m and u of each level are shares that a sample estimates as well, and
# the pairs blocking makes for the estimation grow with the square of a block's size.
SAMPLE = 100_000
_EM_PAIRS = 200
_SCORED = {"left": pl.String, "right": pl.String, "weight": pl.Float64, "fields": pl.String}
log = logging.getLogger(__name__)


def _level(sql: str, label: str) -> cll.CustomLevel:
    return cll.CustomLevel(sql, label)


def _null(sql: str) -> Any:
    return cll.CustomLevel(sql, "missing").configure(is_null_level=True)


# Where nothing can be learnt (a list with no two records of one person), the m values a
# comparison starts from: most matches agree exactly, some nearly, few not at all.
_START_M = {2: [0.9, 0.1], 3: [0.85, 0.1, 0.05], 4: [0.8, 0.1, 0.06, 0.04]}


def _comparison(name: str, missing: str, levels: list[Any]) -> cl.CustomComparison:
    """A comparison: its null level (`missing`), then `levels` strongest first and the
    else level, each starting from a plausible m."""
    levels = [*levels, cll.ElseLevel().configure(label_for_charts="different")]
    started = [
        lv.configure(m_probability=m) for lv, m in zip(levels, _START_M[len(levels)], strict=True)
    ]
    return cl.CustomComparison(
        output_column_name=name, comparison_levels=[_null(missing), *started]
    )


def _settings() -> SettingsCreator:
    def tf(column: str, label: str) -> Any:
        return cll.ExactMatchLevel(column, term_frequency_adjustments=True).configure(
            label_for_charts=label
        )

    def overlap(name: str, column: str) -> cl.CustomComparison:
        missing = (
            f"{column}_l IS NULL OR {column}_r IS NULL "
            f"OR len({column}_l) = 0 OR len({column}_r) = 0"
        )
        return _comparison(
            name, missing, [_level(f"len(list_intersect({column}_l, {column}_r)) > 0", "shared")]
        )

    comparisons: list[Any] = [
        _comparison(
            "name",
            "name_l IS NULL OR name_r IS NULL",
            [
                tf("name", "same"),
                _level("len(list_intersect(readings_l, readings_r)) > 0", "same reading"),
                _level("jaro_winkler_similarity(name_key_l, name_key_r) >= 0.9", "similar"),
            ],
        ),
        _comparison(
            "birth",
            # a resident ID number holds the birth date: counted once, by `doc`
            f"birth_l IS NULL OR birth_r IS NULL OR {_RESIDENT_BOTH}",
            [
                tf("birth", "same"),
                _level(
                    "damerau_levenshtein(birth_l, birth_r) <= 1 OR ("
                    "substr(birth_l, 1, 4) = substr(birth_r, 1, 4) "
                    "AND substr(birth_l, 6, 2) = substr(birth_r, 9, 2) "
                    "AND substr(birth_l, 9, 2) = substr(birth_r, 6, 2))",
                    "slip",
                ),
                _level("substr(birth_l, 1, 4) = substr(birth_r, 1, 4)", "same year"),
            ],
        ),
        _comparison(
            "sex",
            f"sex_l IS NULL OR sex_r IS NULL OR {_RESIDENT_BOTH}",
            [_level("sex_l = sex_r", "same")],
        ),
        _comparison(
            "ethnicity",
            "ethnicity_l IS NULL OR ethnicity_r IS NULL",
            [_level("ethnicity_l = ethnicity_r", "same")],
        ),
        _comparison(
            "doc",
            # numbers of two types say nothing about each other
            "doc_l IS NULL OR doc_r IS NULL "
            "OR split_part(doc_l, ':', 1) <> split_part(doc_r, ':', 1)",
            [
                _level("doc_l = doc_r", "same"),
                _level("damerau_levenshtein(doc_l, doc_r) <= 1", "one character off"),
                # two misreadings of one number
                _level("damerau_levenshtein(doc_l, doc_r) <= 2", "two characters off"),
            ],
        ),
        _comparison(
            "address",
            "address_l IS NULL OR address_r IS NULL",
            [
                tf("address", "same"),
                # a typo, or a part left out (the house number, the postcode)
                _level(
                    "jaro_winkler_similarity(address_l, address_r) >= 0.95 OR ("
                    "least(len(address_l), len(address_r)) >= 0.6 * greatest(len(address_l), "
                    "len(address_r)) AND (contains(address_l, address_r) "
                    "OR contains(address_r, address_l)))",
                    "similar",
                ),
            ],
        ),
        overlap("phone", "phones"),
        overlap("account", "accounts"),
    ]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        additional_columns_to_retain=["unit"],
        max_iterations=25,
        em_convergence=0.001,
    )


@dataclass(frozen=True)
class Model:
    """Splink's model (settings with every m, u and the prior) and the term frequencies
    it was trained with (value -> share of records, for values seen twice or more)."""

    splink: dict[str, Any]
    tf: dict[str, dict[str, float]] = field(default_factory=dict)
    records: int = 0
    summary: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        body = {"splink": self.splink, "tf": self.tf, "records": self.records}
        return json.dumps(body | {"summary": self.summary}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Model:
        body = json.loads(text)
        return cls(body["splink"], body["tf"], body["records"], body.get("summary", {}))

    def describe(self) -> list[tuple[str, str, float | None, float | None, float | None]]:
        """(comparison, level, m, u, weight in bits) of every level, for the docs."""
        out = []
        for c in self.splink["comparisons"]:
            for level in c["comparison_levels"]:
                if level.get("is_null_level"):
                    continue
                m, u = level.get("m_probability"), level.get("u_probability")
                weight = math.log2(m / u) if m and u else None
                out.append((c["output_column_name"], level["label_for_charts"], m, u, weight))
        return out

    @property
    def prior(self) -> float:
        """The prior match weight: log2 of the odds that two random records match."""
        p = float(self.splink["probability_two_random_records_match"])
        return math.log2(p / (1 - p))


def _input(features: pl.DataFrame) -> pl.DataFrame:
    return features.select(
        unique_id="record_id",
        unit="unit",
        label=pl.when(pl.col("unit").str.starts_with("P")).then(pl.col("unit")),
        name="name",
        name_key="name_key",
        readings="readings",
        birth="birth",
        sex="sex",
        ethnicity="ethnicity",
        doc="doc",
        address="address",
        phones="phones",
        accounts="accounts",
    )


@contextmanager
def _linker(
    frame: pl.DataFrame, settings: SettingsCreator | dict[str, Any], *, validate: bool = True
) -> Iterator[tuple[Linker, DuckDBAPI, duckdb.DuckDBPyConnection]]:
    connection = duckdb.connect()
    try:
        connection.execute("SET threads TO 2")
        api = DuckDBAPI(connection=connection)
        table = api.register(_input(frame).to_arrow(), table_name="records")
        yield Linker(table, settings, validate_settings=validate, log_level=None), api, connection
    finally:
        connection.close()


def train(features: pl.DataFrame, seed: int = 1, size: int = SAMPLE) -> Model:
    """Learn the model from records' features (``records.FEATURES``), no labels needed;
    from a sample of about `size` records (`sample`) when there are more."""
    logging.getLogger("splink").setLevel(logging.ERROR)
    # in one order whatever order the records were read in: the same records, the same model
    everything = features.sort("record_id")
    features = sample(everything, size, seed)
    summary: dict[str, Any] = {"sampled": features.height}
    with _linker(features, _settings()) as (linker, _, _):
        training = linker.training
        # the prior: pairs that share a document, or a name, birth date and address;
        # one record in the whole list where none do
        floor = 1 / max(2, features.height)
        try:
            training.estimate_probability_two_random_records_match(
                [
                    block_on("doc"),
                    "l.name = r.name AND l.birth = r.birth AND l.address = r.address",
                ],
                recall=0.8,
            )
        except Exception as exc:  # Splink refuses a list with no such pair
            log.info("prior not estimated: %s", exc)
        core = linker._settings_obj
        if not core._probability_two_random_records_match > floor:
            core._probability_two_random_records_match = floor
        pairs = min(_U_PAIRS, max(10_000, features.height * 40))
        training.estimate_u_using_random_sampling(max_pairs=pairs, seed=seed)
        summary["u_pairs"] = pairs
        labelled = features.filter(pl.col("unit").str.starts_with("P"))
        seeds = labelled.height - labelled.get_column("unit").n_unique()
        if seeds >= 50:
            training.estimate_m_from_label_column("label")
        summary["seed_pairs"] = seeds
        rules = []
        for column in ("name_key", "birth", "doc", "address"):
            # a block of too few pairs teaches nothing (and Splink refuses it)
            sizes = features.filter(pl.col(column).is_not_null()).group_by(column).len()
            pairs_in_block = int((sizes["len"] * (sizes["len"] - 1) // 2).sum())
            if pairs_in_block < _EM_PAIRS:
                continue
            training.estimate_parameters_using_expectation_maximisation(block_on(column))
            rules.append(column)
        summary["em_rules"] = rules
        # matching pairs grow with the records, all pairs with their square: a sample of
        # a share of the units finds two random records matching that share less rarely
        share = (features.height - 1) / max(1, everything.height - 1)
        core._probability_two_random_records_match = max(
            1 / max(2, everything.height), core._probability_two_random_records_match * share
        )
        splink = _floored(linker.misc.save_model_to_json(), pairs)
        if [c["output_column_name"] for c in splink["comparisons"]] != list(LEVELS):
            raise ResolutionError("training lost a comparison; the model is not kept")
        tf = {}
        for column in TF_COLUMNS:
            counts = everything.filter(pl.col(column).is_not_null()).group_by(column).len()
            total = max(1, int(counts.get_column("len").sum()))
            tf[column] = {
                str(v): n / total for v, n in counts.filter(pl.col("len") > 1).iter_rows()
            }
            tf[column][""] = 1 / total  # any value seen once
    return Model(_plain(splink), tf, everything.height, summary)


def sample(features: pl.DataFrame, size: int, seed: int = 1) -> pl.DataFrame:
    """The records of a share of the units (all of a unit's records or none) of about
    `size` records; all of them when there are no more."""
    if features.height <= size:
        return features
    buckets = 1 << 20
    chosen = pl.col("unit").hash(seed) % buckets < int(buckets * size / features.height)
    return features.filter(chosen)


# No level may be certain: m and u below these (or never observed) are raised to them,
# so one disagreeing field costs at most ~7 bits and one agreeing field is worth at most
# what the random pairs could have shown.
_M_FLOOR = 0.01


def _floored(splink: dict[str, Any], u_pairs: int) -> dict[str, Any]:
    """No level certain: m and u raised to their floors. A comparison the random pairs
    never showed (a field no record of this graph has yet) weighs nothing until a model
    is trained on records that have it: its u is its m."""
    u_floor = 1 / u_pairs
    for comparison in splink["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        seen = any(lv.get("u_probability") for lv in levels)
        for level in levels:
            level["m_probability"] = max(float(level.get("m_probability") or 0.0), _M_FLOOR)
            u = float(level.get("u_probability") or 0.0)
            level["u_probability"] = max(u, u_floor) if seen else level["m_probability"]
    return splink


def _plain(splink: dict[str, Any]) -> dict[str, Any]:
    """The model JSON without this run's table names and ids."""
    splink = dict(splink)
    splink.pop("linker_uid", None)
    return splink


class Scorer:
    """Scores pairs of records with a model; one DuckDB connection, used once."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def score(self, features: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
        """(left, right, weight, fields) for each (left, right) pair of record ids in
        `pairs`: the match weight in bits, and per comparison (JSON) its `level` (-1
        missing, 0 no agreement, higher closer, as ``LEVELS`` lists them strongest
        first), the level's `label` and its `weight` in bits."""
        if pairs.height == 0:
            return pl.DataFrame(schema=_SCORED)
        # the model was checked when it was trained: scoring with it checks nothing again
        with _linker(features, self.model.splink, validate=False) as (linker, api, connection):
            for column in TF_COLUMNS:
                lookup = api.register(
                    self._tf(features, column).to_arrow(), table_name=f"tf_{column}"
                )
                linker.table_management.register_term_frequency_lookup(lookup, column)
            blocked = pairs.select(match_key=pl.lit("0"), join_key_l="left", join_key_r="right")
            linker.table_management.register_blocked_pairs_for_predict(
                api.register(blocked.to_arrow(), table_name="pairs")
            )
            predicted = linker.inference.predict(warning_mode="never")
            # the table's name is Splink's own, never input
            frame = pl.from_arrow(connection.table(predicted.physical_name).arrow())
        assert isinstance(frame, pl.DataFrame)
        return self._shape(frame)

    def _tf(self, features: pl.DataFrame, column: str) -> pl.DataFrame:
        known = self.model.tf[column]
        values = features.get_column(column).drop_nulls().unique().to_list()
        rare = known[""]
        return pl.DataFrame(
            {column: values, f"tf_{column}": [known.get(v, rare) for v in values]},
            schema={column: pl.String, f"tf_{column}": pl.Float64},
        )

    def _shape(self, frame: pl.DataFrame) -> pl.DataFrame:
        names = {
            c["output_column_name"]: [lv["label_for_charts"] for lv in c["comparison_levels"]]
            for c in self.model.splink["comparisons"]
        }
        rows = []
        for r in frame.iter_rows(named=True):
            fields: dict[str, dict[str, Any]] = {}
            for name, labels in names.items():
                gamma = int(r[f"gamma_{name}"])
                bits = float(r[f"mw_{name}"]) + float(r.get(f"mw_tf_adj_{name}") or 0.0)
                fields[name] = {
                    # Splink numbers levels from the weakest (0) up, -1 for missing
                    "level": gamma,
                    "label": "missing" if gamma == -1 else labels[len(labels) - 1 - gamma],
                    "weight": round(bits, 2),
                }
            left, right = sorted((r["unique_id_l"], r["unique_id_r"]))
            rows.append(
                {
                    "left": left,
                    "right": right,
                    "weight": float(r["match_weight"]),
                    "fields": json.dumps(fields, ensure_ascii=False),
                }
            )
        return pl.DataFrame(rows, schema=_SCORED)


def scorer(model: Model) -> Scorer:
    return Scorer(model)
