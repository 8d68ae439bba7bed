"""Noise functions: harmless format noise normalises back to the truth, errors do not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import polars as pl

from hub import normalise
from hub.world import noise, rand
from hub.world.config import NOISE_LEVELS

ALL = replace(
    NOISE_LEVELS["default"],
    phone_format=1.0,
    card_format=1.0,
    plate_format=1.0,
    plate_misread=0.0,
    birth_slip=1.0,
    name_typo=0.0,
    name_trad=0.0,
    name_pinyin=1.0,
)


def _frame(column: str, values: Sequence[object]) -> pl.DataFrame:
    return noise.start(pl.DataFrame({column: values, "truth": values}))


def test_format_noise_normalises_back_to_the_truth() -> None:
    phones = noise.phone(_frame("p", ["+8613803941001"] * 50), "p", ALL, 1)
    assert phones["p"].n_unique() > 3 and (phones["_noise"] == "phone_format,").all()
    assert {normalise.phone(p).value for p in phones["p"]} == {"+8613803941001"}  # type: ignore[union-attr]
    cards = noise.card(_frame("c", ["622202160000123454"] * 5), "c", ALL, 1)
    assert cards["c"][0] == "6222 0216 0000 1234 54"
    assert {normalise.bank_card(c).value for c in cards["c"]} == {"622202160000123454"}  # type: ignore[union-attr]
    plates = noise.plate(_frame("v", ["豫PA1B23"] * 20), "v", ALL, 1)
    assert (plates["v"] != "豫PA1B23").all()
    assert {normalise.plate(v).value for v in plates["v"]} == {"豫PA1B23"}  # type: ignore[union-attr]


def test_misread_plates_and_slipped_birth_dates_differ_from_the_truth() -> None:
    misread = replace(ALL, plate_misread=1.0)
    plates = noise.plate(_frame("v", ["豫PA1B23", "豫PD12345"] * 20), "v", misread, 2)
    assert (plates["v"] != plates["truth"]).all()
    assert (plates["v"].str.len_chars() == plates["truth"].str.len_chars()).all()
    births = [date(1985, 3, 12), date(1990, 7, 7), date(1979, 12, 31), date(2001, 1, 25)]
    slipped = noise.birth_date(_frame("b", births), "b", ALL, 3)
    assert (slipped["b"] != slipped["truth"]).all()
    assert slipped["b"][0] == date(1985, 12, 3)  # day and month swapped


def test_uniform_is_a_pure_function_of_key_and_row() -> None:
    frame = pl.DataFrame({"i": range(100_000)})
    a = frame.select(rand.uniform(42)).to_series()
    b = frame.select(rand.uniform(42)).to_series()
    c = frame.select(rand.uniform(43)).to_series()
    assert a.equals(b) and not a.equals(c)
    assert a.min() >= 0.0 and a.max() < 1.0  # type: ignore[operator]
    assert abs(a.mean() - 0.5) < 0.01  # type: ignore[operator]
    counts = frame.select(rand.weighted(7, [1.0, 3.0])).to_series().value_counts()
    share = counts.filter(pl.col(counts.columns[0]) == 1)["count"][0] / 100_000
    assert abs(share - 0.75) < 0.01
