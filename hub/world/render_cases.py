"""The case-management system's tables (English column names, its own status words):
cases, involved persons, status changes and police units."""

from __future__ import annotations

import polars as pl

from hub.world import noise, places, rand
from hub.world.cases import CaseWorld
from hub.world.config import HISTORY_START, NoiseRates
from hub.world.records import Stream, assign_ids, finish, updated_at

__all__ = ["STATUS", "case_numbers", "render"]

STATUS = {"accepted": "已受理", "filed": "已立案", "solved": "已破案", "closed": "已结案"}
_TIME = "%Y-%m-%d %H:%M:%S"
_T = pl.String


def case_numbers(world: CaseWorld) -> pl.DataFrame:
    """case → case_no: "A", unit code, year and month accepted, number in that unit-month."""
    month = pl.col("accepted_at").dt.strftime("%Y%m")
    seq = pl.int_range(1, pl.len() + 1).over("unit_code", month, order_by=["accepted_at", "case"])
    return world.cases.select(
        "case",
        case_no=pl.concat_str([pl.lit("A"), pl.col("unit_code"), month, seq.cast(_T).str.zfill(4)]),
    )


def _cases(world: CaseWorld, numbers: pl.DataFrame, people: pl.DataFrame, rates: NoiseRates,
           key: int) -> Stream:  # fmt: skip
    names = people.select(title_person="person_id", _title_name="name")
    status = (
        pl.when(pl.col("closed_at").is_not_null()).then(pl.lit(STATUS["closed"]))
        .when(pl.col("solved_at").is_not_null()).then(pl.lit(STATUS["solved"]))
        .when(pl.col("filed_at").is_not_null()).then(pl.lit(STATUS["filed"]))
        .otherwise(pl.lit(STATUS["accepted"]))
    )  # fmt: skip
    latest = pl.max_horizontal("accepted_at", "filed_at", "solved_at", "closed_at")
    theft_town = pl.when(pl.col("kind") == "theft").then(pl.col("town")).otherwise(pl.lit(""))
    frame = (
        world.cases.join(numbers, on="case", how="left", maintain_order="left")
        .join(names, on="title_person", how="left", maintain_order="left")
        .pipe(noise.start)
        .with_columns(
            case_no="case_no",
            title=pl.concat_str([theft_town.fill_null(""), pl.col("_title_name"), "title_text"]),
            kind="kind",
            kind_name="kind_cn",
            status=status,
            unit_code="unit_code",
            accepted_at=pl.col("accepted_at").dt.strftime(_TIME),
            filed_at=pl.col("filed_at").dt.strftime(_TIME),
            solved_at=pl.col("solved_at").dt.strftime(_TIME),
            closed_at=pl.col("closed_at").dt.strftime(_TIME),
            loss_yuan=pl.col("loss"),
            updated_at=updated_at(latest, rand.salt(key, "cases-updated")),
            _case="case_no",
            _unit="unit_code",
            _at=pl.col("accepted_at"),
        )
    )
    frame = noise.malform(frame, rates, rand.salt(key, "cases"), ["accepted_at"], ["title"])
    frame = assign_ids(frame, ["_at"], lambda n: n, "_seq")
    cols = ["case_no", "title", "kind", "kind_name", "status", "unit_code", "accepted_at",
            "filed_at", "solved_at", "closed_at", "loss_yuan", "updated_at"]  # fmt: skip
    return finish(frame.select(*cols, pl.col("^_.*$")), "cases", "cases", "case_no")


def _involved(world: CaseWorld, numbers: pl.DataFrame, persons: pl.DataFrame,
              rates: NoiseRates, key: int) -> Stream:  # fmt: skip
    frame = (
        world.involved.join(numbers, on="case", how="left", maintain_order="left")
        .join(persons, left_on="person_id", right_on="_person", how="left", maintain_order="left")
        .with_columns(_person="person_id")
        .pipe(noise.start)
    )
    frame = noise.duplicate(frame, rates, key)
    has_phone = rand.uniform(rand.salt(key, "has-phone")) < pl.when(
        pl.col("role") == "suspect"
    ).then(0.6).otherwise(0.9)
    frame = frame.with_columns(
        case_no="case_no",
        role="role",
        name="_name",
        id_no="_id",
        sex=pl.col("_sex").replace_strict({"M": "男", "F": "女"}, return_dtype=_T),
        birth_date="_birth",
        phone=pl.when(has_phone).then(pl.col("_phone")),
        account_no="account",
        address="_address",
        updated_at=updated_at(pl.col("at"), rand.salt(key, "inv-updated")),
        _case="case_no",
        _account="account",
        _at="at",
    ).with_columns(_phone="phone")
    frame = noise.name(frame, "name", rates, key)
    frame = noise.id_number(frame, "id_no", rates, key)
    frame = noise.birth_date(frame, "birth_date", rates, key)
    frame = noise.phone(frame, "phone", rates, key)
    frame = noise.card(frame, "account_no", rates, key)
    frame = noise.address(frame, "address", "_alt_address", rates, key)
    frame = frame.with_columns(birth_date=pl.col("birth_date").dt.strftime("%Y-%m-%d"))
    frame = noise.unreadable(frame, "birth_date", rates, key)
    frame = noise.malform(frame, rates, key, [], ["case_no", "name"])
    frame = assign_ids(
        frame, ["_at", "case_no"], lambda n: pl.lit("R") + n.cast(_T).str.zfill(9), "involved_id"
    )
    cols = ["involved_id", "case_no", "role", "name", "id_no", "sex", "birth_date", "phone",
            "account_no", "address", "updated_at"]  # fmt: skip
    return finish(frame.select(*cols, pl.col("^_.*$")), "cases", "involved", "involved_id")


def _status_changes(world: CaseWorld, numbers: pl.DataFrame, rates: NoiseRates,
                    key: int) -> Stream:  # fmt: skip
    steps = [(None, "accepted", "accepted_at"), ("accepted", "filed", "filed_at"),
             ("filed", "solved", "solved_at"), ("solved", "closed", "closed_at")]  # fmt: skip
    base = world.cases.join(numbers, on="case", how="left", maintain_order="left")
    parts = [
        base.filter(pl.col(col).is_not_null()).select(
            case_no="case_no",
            from_status=pl.lit(STATUS[before] if before else None, dtype=_T),
            to_status=pl.lit(STATUS[after]),
            _at=pl.col(col),
            unit_code="unit_code",
        )
        for before, after, col in steps
    ]
    frame = noise.start(pl.concat(parts)).with_columns(
        changed_at=pl.col("_at").dt.strftime(_TIME),
        updated_at=updated_at(pl.col("_at"), rand.salt(key, "sc-updated")),
        _case="case_no",
        _unit="unit_code",
    )
    frame = noise.malform(frame, rates, key, ["changed_at"], ["to_status"])
    frame = assign_ids(
        frame, ["_at", "case_no"], lambda n: pl.lit("S") + n.cast(_T).str.zfill(9), "change_id"
    )
    cols = ["change_id", "case_no", "from_status", "to_status", "changed_at", "unit_code",
            "updated_at"]  # fmt: skip
    return finish(frame.select(*cols, pl.col("^_.*$")), "cases", "status_changes", "change_id")


def _units() -> Stream:
    units = places.units()
    frame = noise.start(
        pl.DataFrame(
            {
                "unit_code": [u.code for u in units],
                "unit_name": [u.name for u in units],
                "unit_kind": [u.kind for u in units],
                "town": [u.town for u in units],
                "parent_code": [None if u.kind == "bureau" else "411623000000" for u in units],
            },
            schema={c: _T for c in ["unit_code", "unit_name", "unit_kind", "town", "parent_code"]},
        )
    ).with_columns(
        updated_at=pl.lit(HISTORY_START, dtype=pl.Datetime("us")),
        _unit="unit_code",
        _duplicate_of=pl.lit(None, dtype=_T),
    )
    return finish(frame, "cases", "units", "unit_code")


def render(
    world: CaseWorld, numbers: pl.DataFrame, people: pl.DataFrame, persons: pl.DataFrame,
    rates: NoiseRates, seed: int,
) -> list[Stream]:  # fmt: skip
    key = rand.salt(seed, "render-cases")
    return [
        _cases(world, numbers, people, rates, key),
        _involved(world, numbers, persons, rates, key),
        _status_changes(world, numbers, rates, key),
        _units(),
    ]
