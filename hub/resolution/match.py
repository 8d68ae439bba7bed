"""Matching an outside list of people (a seized ledger, another agency's list) against
the persons of the graph.

A mapping YAML names the list's columns:

    columns:              # person feature -> column of the list; all optional but name
      name: 姓名
      id_number: 身份证号
      birth_date: 出生日期
      phone: 电话
      account: 银行卡号
      address: 住址
    birth_format: "%Y-%m-%d"   # how birth_date is written (default ISO)
    row_id: 序号               # column that names a row (default: its number)

Each row is compared with the graph's person records that share a blocking key with it,
with the same comparisons and weights as resolution; the best persons come back with
their score and the comparisons that made it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from neo4j import Driver

from hub.errors import ResolutionError
from hub.queries import resolution as q
from hub.resolution import blocking, records
from hub.resolution.model import Model, fit

__all__ = [
    "Candidate",
    "ListMapping",
    "candidates",
    "load_mapping",
    "match_file",
    "match_rows",
    "read_list",
]

FEATURE_COLUMNS = ("name", "id_number", "birth_date", "phone", "account", "address")


@dataclass(frozen=True)
class ListMapping:
    columns: dict[str, str]
    birth_format: str = "%Y-%m-%d"
    row_id: str | None = None


@dataclass(frozen=True)
class Candidate:
    uid: str
    name: str | None
    score: float
    comparisons: dict[str, Any] = field(default_factory=dict)


def load_mapping(path: Path) -> ListMapping:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ResolutionError(f"{path}: cannot read the mapping: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
        raise ResolutionError(f"{path}: a mapping needs 'columns', a map of feature to column")
    columns = {str(k): str(v) for k, v in data["columns"].items()}
    unknown = sorted(set(columns) - set(FEATURE_COLUMNS))
    if unknown:
        known = ", ".join(FEATURE_COLUMNS)
        raise ResolutionError(f"{path}: unknown features {unknown}; known: {known}")
    if "name" not in columns:
        raise ResolutionError(f"{path}: the mapping must name the column of the name")
    return ListMapping(columns, str(data.get("birth_format", "%Y-%m-%d")), data.get("row_id"))


def read_list(path: Path) -> pl.DataFrame:
    try:
        if path.suffix.lower() == ".parquet":
            return pl.read_parquet(path)
        if path.suffix.lower() == ".csv":
            return pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ResolutionError(f"{path}: cannot read the list: {exc}") from None
    raise ResolutionError(f"{path}: expected a .csv or .parquet file")


def _row_features(i: int, row: dict[str, Any], mapping: ListMapping) -> dict[str, Any]:
    cols = mapping.columns
    value = {k: row.get(c) for k, c in cols.items()}
    birth = value.get("birth_date")
    if birth not in (None, ""):
        try:
            value["birth_date"] = (
                datetime.strptime(str(birth), mapping.birth_format).date().isoformat()
            )
        except ValueError:
            value["birth_date"] = None
    value["phone"] = value.get("phone")
    value["account"] = value.get("account")
    return records.features_of(f"list:{i}", value)


def _graph(
    driver: Driver, database: str | None, scope: dict[str, Any] | None = None
) -> tuple[pl.DataFrame, dict[str, str]]:
    rows = q.person_records(driver, database, scope=scope)
    feats = records.features((r["source"], r["stream"], r["record_id"], r["raw"]) for r in rows)
    return feats, q.aliases(driver, database)


def match_rows(
    driver: Driver,
    database: str | None,
    rows: list[dict[str, Any]],
    mapping: ListMapping,
    *,
    top: int = 3,
    block_cap: int = 400,
    scope: dict[str, Any] | None = None,
) -> list[list[Candidate]]:
    """The best `top` persons of the graph for every row, best first; judged only on the
    records `scope` may see, when a user asks (`hub.access`)."""
    feats, alias = _graph(driver, database, scope)
    return candidates(feats, alias, rows, mapping, top=top, block_cap=block_cap)


def candidates(
    feats: pl.DataFrame,
    alias: dict[str, str],
    rows: list[dict[str, Any]],
    mapping: ListMapping,
    *,
    top: int = 3,
    block_cap: int = 400,
    model: Model | None = None,
) -> list[list[Candidate]]:
    """The best `top` persons for every row among the person records `feats` (merged
    persons named through `alias`), best first; no database."""
    model = model or fit(feats)
    outside = pl.DataFrame(
        [_row_features(i, row, mapping) for i, row in enumerate(rows)], schema=records.FEATURES
    )
    prof = blocking.profiles(feats)
    keys = blocking.keys(prof)
    sizes = keys.group_by("key").len().filter(pl.col("len") <= block_cap)
    mine = blocking.keys(outside)
    pairs = (
        mine.join(keys.join(sizes, on="key").drop("len"), on="key", suffix="_g")
        .select(left="record_id", right="record_id_g")
        .unique()
        .sort("left", "right")
    )
    graph_rows = {r["record_id"]: r for r in prof.to_dicts()}
    out_rows = {r["record_id"]: r for r in outside.to_dicts()}
    identified = feats.filter(pl.col("unit").str.starts_with("P"))["unit"].n_unique()
    prior = math.log2(max(2, identified))
    best: dict[str, dict[str, Candidate]] = {}
    for left, right in pairs.iter_rows():
        x, y = out_rows[left], graph_rows[right]
        score, levels, parts = model.score(x, y)
        uid = alias.get(y["unit"], y["unit"])
        found = best.setdefault(left, {})
        adjusted = round(score - prior, 3)
        if uid not in found or adjusted > found[uid].score:
            found[uid] = Candidate(
                uid,
                y["name"],
                adjusted,
                {
                    "record": right,
                    "fields": {f: {"level": levels[f], "weight": parts[f]} for f in levels},
                },
            )
    return [
        sorted(best.get(f"list:{i}", {}).values(), key=lambda c: (-c.score, c.uid))[:top]
        for i in range(len(rows))
    ]


def match_file(
    driver: Driver, database: str | None, path: Path, mapping_path: Path, top: int = 3
) -> tuple[pl.DataFrame, list[list[Candidate]]]:
    mapping = load_mapping(mapping_path)
    frame = read_list(path)
    missing = sorted(set(mapping.columns.values()) - set(frame.columns))
    if missing:
        raise ResolutionError(f"{path}: the mapping names columns the list lacks: {missing}")
    return frame, match_rows(driver, database, frame.to_dicts(), mapping, top=top)
