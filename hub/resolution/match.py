"""Matching an outside list of people (a seized ledger, another agency's list) against
the persons of the graph.

The list's layout names its columns the way a stream's `person:` block does
(``connectors.mapping.load_layout``), for example:

    row_id: 序号                    # the column that names a row (default: its number)
    person:
      name: 姓名                    # or several columns: [given_name, surname]
      birth_date: {column: 出生日期, format: "%Y/%m/%d"}
      sex: 性别
      address: [街道, 城市]
      phone: 电话
      account: 银行卡号
      identifiers:
        - {column: 身份证号, type: resident_id}
        - {column: 护照号, type: passport}
        - {column: ni_number, type: other, scheme: ni}

Each row's blocking keys are looked up among the graph's (``BlockKey``), so only the
records that share one are read; they are scored with the graph's trained model, the
same comparisons and weights as resolution. The best persons come back with their match
weight, whether it reaches the hub's merge weight, and the comparisons that made it; a
field of a row that could not be read is named in the row's `notes`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from neo4j import Driver

from connectors.mapping import MatchLayout, load_layout
from hub.errors import HubError, ResolutionError
from hub.queries import resolution as q
from hub.resolution import blocking, engine, records
from hub.resolution.engine import Thresholds
from hub.resolution.model import Model, Scorer

__all__ = [
    "ENCODINGS",
    "Candidate",
    "Matched",
    "Tally",
    "candidates",
    "find_layout",
    "match_file",
    "match_rows",
    "read_list",
]

ENCODINGS = ("utf-8", "gb18030")


@dataclass
class Tally:
    """What a match read: graph records, and pairs of a row and a record it scored."""

    records: int = 0
    pairs: int = 0


@dataclass(frozen=True)
class Candidate:
    uid: str
    name: str | None
    score: float  # match weight in bits
    match: bool  # at or above the merge weight, with more than a coincidence agreeing
    comparisons: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Matched:
    """One row of the list: its id, its best candidates, the fields that could not be
    read."""

    row_id: str
    candidates: list[Candidate]
    notes: list[str]


def find_layout(name: str, mappings_dir: Path | None) -> Path:
    """A layout's file: `name` itself if it is a file, else `<name>.yaml` in the
    mappings folder (HUB_MAPPINGS_DIR or --mappings)."""
    given = Path(name)
    if given.is_file():
        return given
    if mappings_dir is not None:
        for suffix in (".yaml", ".yml", ""):
            found = mappings_dir / f"{name}{suffix}"
            if found.is_file():
                return found
    where = f" or in {mappings_dir}" if mappings_dir else " (no HUB_MAPPINGS_DIR set)"
    raise ResolutionError(f"no layout {name!r}: not a file{where}")


def _decode(path: Path, data: bytes, encoding: str | None) -> str:
    if encoding is not None:
        try:
            return data.decode("utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ResolutionError(f"{path}: cannot be read as {encoding}: {exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ResolutionError(
            f"{path}: neither UTF-8 nor GB18030; name the encoding with --encoding"
        ) from None


def read_list(path: Path, encoding: str | None = None) -> pl.DataFrame:
    """A CSV (UTF-8 or GB18030, as Excel saves it on a Chinese Windows; detected unless
    `encoding` is given) or Parquet list, every column as text."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pl.read_parquet(path)
            return frame.with_columns(pl.all().cast(pl.String))
        if suffix in (".csv", ".txt"):
            text = _decode(path, path.read_bytes(), encoding)
            rows = list(csv.reader(io.StringIO(text)))
            if not rows:
                raise ResolutionError(f"{path}: the list is empty")
            header, body = rows[0], rows[1:]
            width = len(header)
            short = next((i for i, r in enumerate(body, 2) if len(r) not in (width, 0)), None)
            if short is not None:
                raise ResolutionError(
                    f"{path}: line {short} has {len(body[short - 2])} fields, the header {width}"
                )
            return pl.DataFrame(
                [r for r in body if r], schema={h: pl.String for h in header}, orient="row"
            )
    except OSError as exc:
        raise ResolutionError(f"{path}: cannot read the list: {exc.strerror}") from None
    except (pl.exceptions.PolarsError, csv.Error) as exc:
        raise ResolutionError(f"{path}: cannot read the list: {exc}") from None
    raise ResolutionError(f"{path}: expected a .csv or .parquet file")


def _row_features(row_id: str, row: dict[str, Any], layout: MatchLayout) -> dict[str, Any]:
    return records.features_of(f"list:{row_id}", records.extract(layout.person, row))


# Keys whose blocks grow with the graph: a name's reading and a birth date are each
# shared by more records the more people the graph holds. The other keys (a document,
# a phone, an account, an address) stay about the same size however large it grows.
BROAD = ("n:", "b:")
# A broad block larger than this is used alone only by a row that finds nothing else.
NAME_BLOCK = 50


def row_candidates(row: dict[str, Any], blocks: dict[str, list[str]]) -> set[str]:
    """The graph records a row is compared with, from the graph's blocks of its keys:
    those that share a narrow key with it, or both a name reading and its birth date;
    only for a row that finds none that way, the records of its broad blocks up to
    NAME_BLOCK (and failing those, of its large ones: a row with nothing but a common
    name). So the records read and scored for a row stay about as many however large the
    graph grows."""
    mine = [k for k in blocking.keys_of(row) if k in blocks]
    narrow = {i for k in mine if not k.startswith(BROAD) for i in blocks[k]}
    named = {i for k in mine if k.startswith("n:") for i in blocks[k]}
    born = {i for k in mine if k.startswith("b:") for i in blocks[k]}
    found = narrow | (named & born)
    if not found:
        found = {i for k in mine if len(blocks[k]) <= NAME_BLOCK for i in blocks[k]}
    if not found:  # a row with nothing but a common name: its namesakes
        found = {i for k in mine for i in blocks[k]}
    return found


def _graph_candidates(
    driver: Driver,
    database: str | None,
    outside: pl.DataFrame,
    scope: dict[str, Any] | None = None,
) -> tuple[pl.DataFrame, dict[str, set[str]], dict[str, dict[str, Any]]]:
    """The graph's records that are a row's candidates (``row_candidates``: only those
    records are read), each row's candidates by its record id, and the person of each
    record's unit (only the records `scope` may see, when a user asks: `hub.access`)."""
    keys = sorted({k for r in outside.iter_rows(named=True) for k in blocking.keys_of(r)})
    blocks = q.blocks(driver, database, keys)
    chosen = {r["record_id"]: row_candidates(r, blocks) for r in outside.iter_rows(named=True)}
    ids = sorted({i for found in chosen.values() for i in found})
    rows = q.records_by_id(driver, database, ids, scope)
    feats = records.features((r["source"], r["stream"], r["record_id"], r["raw"]) for r in rows)
    units = sorted(set(feats.get_column("unit").to_list()))
    return feats, chosen, q.persons_of(driver, database, units)


def match_rows(
    driver: Driver,
    database: str | None,
    rows: list[dict[str, Any]],
    layout: MatchLayout,
    thresholds: Thresholds,
    *,
    top: int = 3,
    scope: dict[str, Any] | None = None,
    tally: Tally | None = None,
) -> list[Matched]:
    """The best `top` persons of the graph for every row, best first; judged only on the
    records `scope` may see, when a user asks (`hub.access`). What was read is added to
    `tally`."""
    body = q.load_model(driver, database)
    if body is None:
        raise ResolutionError("the graph has no trained model yet: run `hub resolve` first")
    outside, ids = _outside(rows, layout)
    feats, chosen, persons = _graph_candidates(driver, database, outside, scope)
    if tally is not None:
        read = set(feats.get_column("record_id").to_list())
        tally.records += len(read)
        tally.pairs += sum(len(found & read) for found in chosen.values())
    return candidates(
        Model.from_json(body), feats, chosen, persons, outside, ids, thresholds, top=top
    )


def _outside(rows: list[dict[str, Any]], layout: MatchLayout) -> tuple[pl.DataFrame, list[str]]:
    ids = [
        str(row.get(layout.row_id) or i + 1) if layout.row_id else str(i + 1)
        for i, row in enumerate(rows)
    ]
    feats = pl.DataFrame(
        [_row_features(i, row, layout) for i, row in zip(ids, rows, strict=True)],
        schema=records.FEATURES,
    )
    return feats, ids


def candidates(
    model: Model,
    feats: pl.DataFrame,
    chosen: dict[str, set[str]],
    persons: dict[str, dict[str, Any]],
    outside: pl.DataFrame,
    ids: list[str],
    thresholds: Thresholds,
    *,
    top: int = 3,
) -> list[Matched]:
    """The best `top` persons for every outside row among the graph records `feats`,
    `chosen` naming each row's candidates (by the row's record id) and `persons` the
    person each record's unit belongs to (uid and name); no database."""
    graph_rows = {r["record_id"]: r for r in feats.iter_rows(named=True)}
    pairs = []
    for row in outside.iter_rows(named=True):
        shared = chosen.get(row["record_id"], set())
        pairs += [(row["record_id"], g) for g in sorted(shared) if g in graph_rows]
    frame = pl.DataFrame(pairs, schema={"left": pl.String, "right": pl.String}, orient="row")
    both = pl.concat([outside, feats]).unique("record_id", keep="first")
    scored = Scorer(model).score(both, frame)
    best: dict[str, dict[str, Candidate]] = {}
    for s in scored.iter_rows(named=True):
        mine, theirs = (s["left"], s["right"]) if s["left"].startswith("list:") else (
            s["right"], s["left"])  # fmt: skip
        if theirs.startswith("list:"):
            continue
        unit = graph_rows[theirs]["unit"]
        person = persons.get(unit, {"uid": unit, "name": graph_rows[theirs]["name"]})
        fields = json.loads(s["fields"])
        weight = round(s["weight"], 3)
        evidence = bool(engine.evidence(fields, weight, thresholds))
        found = best.setdefault(mine, {})
        uid = person["uid"]
        if uid not in found or weight > found[uid].score:
            found[uid] = Candidate(
                uid,
                person.get("name"),
                weight,
                weight >= thresholds.merge and evidence,
                {"record": theirs, "fields": fields},
            )
    out = []
    for row_id, row in zip(ids, outside.iter_rows(named=True), strict=True):
        ranked = sorted(best.get(row["record_id"], {}).values(), key=lambda c: (-c.score, c.uid))
        out.append(Matched(row_id, ranked[:top], list(row["errors"])))
    return out


def match_file(
    driver: Driver,
    database: str | None,
    path: Path,
    layout_path: Path,
    thresholds: Thresholds,
    *,
    top: int = 3,
    encoding: str | None = None,
    tally: Tally | None = None,
) -> list[Matched]:
    try:
        layout = load_layout(layout_path)
    except HubError as exc:
        raise ResolutionError(str(exc)) from None
    frame = read_list(path, encoding)
    missing = sorted(layout.person.columns() - set(frame.columns))
    if layout.row_id and layout.row_id not in frame.columns:
        missing.append(layout.row_id)
    if missing:
        raise ResolutionError(
            f"{path}: the layout {layout_path.name} names columns the list lacks: "
            f"{', '.join(missing)} (the list has: {', '.join(frame.columns)})"
        )
    return match_rows(driver, database, frame.to_dicts(), layout, thresholds, top=top, tally=tally)
