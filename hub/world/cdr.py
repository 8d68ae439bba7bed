"""Call-detail records: the rings' dense calling among themselves and to their targets,
over sparse background traffic among everyone else, as the operator's raw rows."""

from __future__ import annotations

import polars as pl

from hub.world import noise, rand
from hub.world.bigdata import Feed, window_times
from hub.world.config import REFERENCE, WINDOW_DAYS, WINDOW_START, NoiseRates
from hub.world.records import assign_ids, finish

__all__ = ["cdr"]

_NEIGHBOURHOOD = 400  # people call those near them in the phone list (same village, kin)


def cdr(
    phones: pl.DataFrame,
    ring_calls: pl.DataFrame,
    rates: NoiseRates,
    seed: int,
    people: int,
) -> Feed:
    """One daily CSV of calls: background among the population's phones plus ring calls."""
    key = rand.salt(seed, "cdr")
    base = phones.filter(pl.col("ring_id").is_null()).get_column("phone")
    n = base.len()
    count = max(200, people * 3 // 100) * WINDOW_DAYS
    caller = rand.randint(rand.salt(key, "caller"), 0, n)
    near = caller + rand.randint(rand.salt(key, "near"), -_NEIGHBOURHOOD, _NEIGHBOURHOOD + 1)
    far = rand.randint(rand.salt(key, "far"), 0, n)
    local = rand.uniform(rand.salt(key, "local")) < 0.6
    callee = pl.when(local).then(near.clip(0, n - 1)).otherwise(far)
    minutes = (-(1.0 - rand.uniform(rand.salt(key, "len"))).log() * 2.5).clip(0.0, 90.0)
    picks = pl.DataFrame({"_n": pl.int_range(count, eager=True)}).select(
        _a=caller, _b=callee, _s=(minutes * 60).cast(pl.Int64) + 3
    )
    background = (
        window_times(key, count, 7, 16.5)
        .with_columns(
            _phone=base.gather(picks.get_column("_a")),
            _cp_phone=base.gather(picks.get_column("_b")),
            _seconds=picks.get_column("_s"),
        )
        .filter(pl.col("_phone") != pl.col("_cp_phone"))
    )
    rings = ring_calls.filter((pl.col("at") >= WINDOW_START) & (pl.col("at") < REFERENCE)).select(
        _at=pl.col("at").cast(pl.Datetime("us")),
        _phone="caller",
        _cp_phone="callee",
        _seconds=pl.col("seconds").cast(pl.Int64),
    )
    users = phones.select(_phone="phone", _person="person_id")
    rows = (
        pl.concat([background, rings], how="vertical_relaxed")
        .join(users, on="_phone", how="left", maintain_order="left")
        .join(
            users.rename({"_phone": "_cp_phone", "_person": "_cp_person"}),
            on="_cp_phone",
            how="left",
            maintain_order="left",
        )
    )
    frame = noise.duplicate(noise.start(rows), rates, key).with_columns(
        calling=pl.col("_phone"),
        called=pl.col("_cp_phone"),
        start_time=pl.col("_at").dt.strftime("%Y%m%d%H%M%S"),
        duration_s=pl.col("_seconds"),
    )
    frame = noise.phone(noise.phone(frame, "calling", rates, key), "called", rates, key)
    frame = noise.malform(frame, rates, key, ["start_time"], ["duration_s"])
    frame = assign_ids(
        frame, ["_at"], lambda i: pl.lit("CDR") + i.cast(pl.String).str.zfill(12), "cdr_id"
    ).with_columns(_day=pl.col("_at").dt.date())
    frame = frame.select("cdr_id", "calling", "called", "start_time", "duration_s", pl.col("^_.*$"))
    stream = finish(frame, "bigdata", "cdr", "cdr_id", daily=True, fmt="csv")
    no_sightings = pl.DataFrame(
        schema={
            "warrant_no": pl.String,
            "person_id": pl.String,
            "feed": pl.String,
            "record_id": pl.String,
            "file": pl.String,
            "seen_at": pl.Datetime("us"),
        }
    )
    return Feed(stream, no_sightings)
