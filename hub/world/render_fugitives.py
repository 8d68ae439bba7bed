"""The online fugitive list's tables (verbose English names, ISO 8601 times with an
offset): warrants, wanted persons and captures."""

from __future__ import annotations

import polars as pl

from hub.world import noise, rand
from hub.world.config import NoiseRates
from hub.world.fugitives import FugitiveWorld
from hub.world.records import Stream, assign_ids, finish, updated_at

__all__ = ["render"]

_TIME = "%Y-%m-%dT%H:%M:%S+08:00"
_T = pl.String


def _warrants(world: FugitiveWorld, case_refs: pl.DataFrame, persons: pl.DataFrame,
              rates: NoiseRates, key: int) -> Stream:  # fmt: skip
    latest = pl.max_horizontal("issued_at", "captured_at")
    frame = (
        world.warrants.join(case_refs, on="case_ref", how="left", maintain_order="left")
        .join(persons.select("_person", "_name", "_id", "_name_pinyin", "_name_trad"),
              left_on="person_id", right_on="_person", how="left", maintain_order="left")
        .pipe(noise.start)
        .with_columns(
            subject_name="_name",
            identity_number="_id",
            offence="offence",
            case_ref=pl.coalesce("case_no", "case_ref"),
            issuing_unit_code="unit_code",
            issuing_unit="unit_name",
            issuing_province="province",
            issued_at=pl.col("issued_at").dt.strftime(_TIME),
            escape_level="level",
            status=pl.when(pl.col("captured_at").is_null()).then(pl.lit("在逃"))
            .otherwise(pl.lit("已抓获")),
            updated_at=updated_at(latest, rand.salt(key, "updated")),
            _person="person_id",
            _warrant="warrant_no",
            _case="case_no",
            _at="issued_at",
        )
    )  # fmt: skip
    frame = noise.name(frame, "subject_name", rates, key)
    frame = noise.id_number(frame, "identity_number", rates, key)
    frame = noise.malform(frame, rates, key, ["issued_at"], ["identity_number"])
    frame = assign_ids(frame, ["_at"], lambda n: n, "_seq")
    cols = ["warrant_no", "subject_name", "identity_number", "offence", "case_ref",
            "issuing_unit_code", "issuing_unit", "issuing_province", "issued_at", "escape_level",
            "status", "updated_at"]  # fmt: skip
    return finish(frame.select(*cols, pl.col("^_.*$")), "fugitives", "warrants", "warrant_no")


def _wanted(world: FugitiveWorld, persons: pl.DataFrame, rates: NoiseRates,
            key: int) -> Stream:  # fmt: skip
    frame = (
        world.warrants.select("warrant_no", "person_id", "issued_at")
        .join(persons, left_on="person_id", right_on="_person", how="left",
              maintain_order="left")
        .pipe(noise.start)
    )  # fmt: skip
    frame = (
        noise.duplicate(frame, rates, key)
        .with_columns(
            full_name="_name",
            identity_number="_id",
            gender=pl.col("_sex").replace_strict({"M": "男性", "F": "女性"}, return_dtype=_T),
            date_of_birth="_birth",
            registered_address="_address",
            height_cm=pl.when(pl.col("_sex") == "M")
            .then(rand.randint(rand.salt(key, "hm"), 160, 186))
            .otherwise(rand.randint(rand.salt(key, "hf"), 150, 172)),
            phone_number=pl.when(rand.uniform(rand.salt(key, "phone")) < 0.5).then(
                pl.col("_phone")
            ),
            updated_at=updated_at(pl.col("issued_at"), rand.salt(key, "updated")),
            _person="person_id",
            _warrant="warrant_no",
            _at="issued_at",
        )
        .with_columns(_phone="phone_number")
    )
    frame = noise.name(frame, "full_name", rates, key)
    frame = noise.id_number(frame, "identity_number", rates, key)
    frame = noise.birth_date(frame, "date_of_birth", rates, key)
    frame = noise.address(frame, "registered_address", "_alt_address", rates, key)
    frame = noise.phone(frame, "phone_number", rates, key)
    frame = frame.with_columns(date_of_birth=pl.col("date_of_birth").dt.strftime("%Y%m%d"))
    frame = noise.unreadable(frame, "date_of_birth", rates, key)
    frame = noise.malform(frame, rates, key, [], ["full_name"])
    frame = assign_ids(
        frame, ["_at"], lambda n: pl.lit("WP") + n.cast(_T).str.zfill(8), "person_ref"
    )
    cols = ["person_ref", "warrant_no", "full_name", "identity_number", "gender",
            "date_of_birth", "registered_address", "height_cm", "phone_number",
            "updated_at"]  # fmt: skip
    return finish(frame.select(*cols, pl.col("^_.*$")), "fugitives", "wanted_persons", "person_ref")


def _captures(world: FugitiveWorld, rates: NoiseRates, key: int) -> Stream:
    frame = (
        world.warrants.filter(pl.col("captured_at").is_not_null())
        .pipe(noise.start)
        .with_columns(
            warrant_no="warrant_no",
            captured_at=pl.col("captured_at").dt.strftime(_TIME),
            captured_by_unit="captured_by",
            capture_location="capture_place",
            updated_at=updated_at(pl.col("captured_at"), rand.salt(key, "updated")),
            _person="person_id",
            _warrant="warrant_no",
            _unit="captured_by",
            _at="captured_at",
        )
    )
    frame = noise.malform(frame, rates, key, ["captured_at"], ["warrant_no"])
    frame = assign_ids(
        frame, ["_at"], lambda n: pl.lit("CP") + n.cast(_T).str.zfill(8), "capture_id"
    )
    cols = ["capture_id", "warrant_no", "captured_at", "captured_by_unit", "capture_location",
            "updated_at"]  # fmt: skip
    return finish(frame.select(*cols, pl.col("^_.*$")), "fugitives", "captures", "capture_id")


def render(
    world: FugitiveWorld,
    case_numbers: pl.DataFrame,
    persons: pl.DataFrame,
    rates: NoiseRates,
    seed: int,
) -> list[Stream]:
    """case_numbers: case → case_no, for the warrants of the county's own cases."""
    key = rand.salt(seed, "render-fugitives")
    refs = case_numbers.select(
        case_ref=pl.concat_str([pl.lit("#"), pl.col("case").cast(_T)]), case_no="case_no"
    )
    return [
        _warrants(world, refs, persons, rates, rand.salt(key, "warrants")),
        _wanted(world, persons, rates, rand.salt(key, "wanted")),
        _captures(world, rates, rand.salt(key, "captures")),
    ]
