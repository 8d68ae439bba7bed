"""The big-data centre's daily feeds of people and vehicles: hotel check-ins, internet-cafe
log-ins, rail tickets and vehicle checkpoint passes, with the fugitives' sightings among
them. Each feed has its own column names and time format; files are per day.

Hotels, internet cafés and ticket offices take a person's identity from the ID card:
name, sex, ethnicity, birth date, address and number (a rail ticket keeps no address
or ethnicity), with the document-type code beside the number. Their noise is the noise
of that process: the card shows the address it was issued at, which for some people is
no longer where they live (`card_stale`); a card the reader could not read is keyed by
hand or scanned, with a digit of the number misread (`id_misread`), a wrong check digit,
a slipped birth date or a mistyped name; names of minorities and foreigners are
transliterated (`name_pinyin`, `name_trad`); rarely the number is not taken at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import polars as pl

from hub.world import noise, places, rand
from hub.world.config import REFERENCE, WINDOW_DAYS, WINDOW_START, NoiseRates
from hub.world.records import Stream, assign_ids, finish

__all__ = ["Feed", "checkpoint", "hotel", "netcafe", "rail", "window_times"]

_TEXT = pl.String
_SIGHTING_COLS = ["warrant_no", "person_id", "feed", "record_id", "file", "seen_at"]


@dataclass(frozen=True, slots=True)
class Feed:
    stream: Stream
    sightings: pl.DataFrame  # warrant_no, person_id, feed, record_id, file, seen_at


def window_times(key: int, count: int, start_hour: float, hours: float) -> pl.DataFrame:
    """count rows spread evenly over the window's days, at a random time of day each."""
    seconds = rand.uniform(rand.salt(key, "tod")) * hours * 3600 + start_hour * 3600
    frame = pl.DataFrame({"_i": pl.int_range(count, dtype=pl.Int64, eager=True)})
    return frame.select(
        _at=(
            pl.lit(WINDOW_START)
            + pl.duration(days=pl.col("_i") % WINDOW_DAYS, seconds=seconds.cast(pl.Int64))
        ).cast(pl.Datetime("us"))
    )


def _gather(pool: pl.Series, key: int, count: int) -> pl.Series:
    idx = pl.select(rand.randint(key, 0, pool.len(), pl.int_range(count))).to_series()
    return pool.gather(idx)


def _people_rows(
    pool: pl.Series, key: int, count: int, start_hour: float, hours: float
) -> pl.DataFrame:
    return window_times(key, count, start_hour, hours).with_columns(
        _pidx=_gather(pool, rand.salt(key, "who"), count),
        _sighting=pl.lit(None, dtype=_TEXT),
        _place=pl.lit(None, dtype=_TEXT),
    )


def _with_sightings(rows: pl.DataFrame, sightings: pl.DataFrame, feed: str) -> pl.DataFrame:
    seen = sightings.filter(pl.col("feed") == feed).select(
        _at=pl.col("at").cast(pl.Datetime("us")),
        _pidx=(pl.col("person_id").str.slice(1).cast(pl.Int64) - 1).cast(pl.UInt64),
        _sighting=pl.col("warrant_no"),
        _place=pl.col("place"),
    )
    return pl.concat([rows, seen], how="vertical_relaxed")


def _person_columns(
    rows: pl.DataFrame, people: pl.DataFrame, rates: NoiseRates, seed: int
) -> pl.DataFrame:
    # The address on a person's card: where it was issued, for some an older address.
    stale = (
        rand.uniform(rand.salt(seed, "card-stale"), pl.col("pidx")) < rates.card_stale
    ) & pl.col("alt_address").is_not_null()
    cols = people.select(
        _pidx="pidx",
        _person="person_id",
        _name="name",
        _name_pinyin="name_pinyin",
        _name_trad="name_trad",
        _id="id_number",
        _sex="sex",
        _ethnicity="ethnicity",
        _birth="birth_date",
        _card_address=pl.when(stale).then(pl.col("alt_address")).otherwise(pl.col("address")),
        _card_stale=stale,
    )
    return rows.join(cols, on="_pidx", how="left", maintain_order="left")


def _person_noise(frame: pl.DataFrame, rates: NoiseRates, key: int) -> pl.DataFrame:
    """The ID card's fields as a feed keeps them (xm, xb, mz, csrq, dz, zjlx, zjhm), with
    the noise of reading or keying them."""
    frame = noise.duplicate(noise.start(frame), rates, key).with_columns(
        _sighting=pl.when(pl.col("_dup_of_row").is_null()).then(pl.col("_sighting"))
    )
    frame = frame.with_columns(
        xm=pl.col("_name"),
        zjhm=pl.col("_id"),
        zjlx=pl.lit("11"),
        xb=pl.col("_sex").replace_strict({"M": "男", "F": "女"}, return_dtype=_TEXT),
        mz=pl.col("_ethnicity"),
        csrq=pl.col("_birth"),
        dz=pl.col("_card_address"),
        _noise=pl.concat_str(
            [pl.col("_noise"), pl.when(pl.col("_card_stale")).then(pl.lit("card_stale,"))],
            ignore_nulls=True,
        ),
    )
    frame = noise.name(frame, "xm", rates, key)
    frame = noise.misread(frame, "zjhm", rates, key)
    frame = noise.id_number(frame, "zjhm", replace(rates, id_missing=rates.feed_id_missing), key)
    frame = noise.birth_date(frame, "csrq", rates, key)
    return frame.with_columns(csrq=pl.col("csrq").dt.strftime("%Y%m%d"))


def _done(
    frame: pl.DataFrame,
    feed: str,
    id_col: str,
    prefix: str,
    fmt: str,
    make: Callable[[pl.DataFrame], pl.DataFrame],
) -> Feed:
    frame = assign_ids(
        frame,
        ["_at"],
        lambda n: pl.lit(prefix) + n.cast(pl.String).str.zfill(10),
        id_col,
    ).with_columns(_day=pl.col("_at").dt.date())
    frame = make(frame)
    stream = finish(frame, "bigdata", feed, id_col, daily=True, fmt=fmt)
    seen = (
        frame.filter(pl.col("_sighting").is_not_null())
        .select(
            warrant_no="_sighting",
            person_id="_person",
            feed=pl.lit(feed),
            record_id=pl.col(id_col),
            _day="_day",
            seen_at="_at",
        )
        .join(
            stream.links.select("record_id", "file"),
            on="record_id",
            how="left",
            maintain_order="left",
        )
        .select(_SIGHTING_COLS)
    )
    return Feed(stream, seen)


def hotel(people: pl.DataFrame, sightings: pl.DataFrame, rates: NoiseRates, seed: int) -> Feed:
    key = rand.salt(seed, "hotel")
    sites = places.hotels(places.hotel_count(people.height))
    guests = people.filter(pl.col("age") >= 16)
    pool = pl.concat([guests.filter(~pl.col("resident")).get_column("pidx")] * 3
                     + [guests.get_column("pidx")])  # fmt: skip
    count = max(20, people.height // 500) * WINDOW_DAYS
    rows = _with_sightings(_people_rows(pool, key, count, 11, 13), sightings, "hotel")
    frame = _person_noise(_person_columns(rows, people, rates, seed), rates, key)
    codes = [s.code for s in sites]
    nights = rand.weighted(rand.salt(key, "nights"), [0.6, 0.25, 0.1, 0.05]).cast(pl.Int64) + 1
    checkout = pl.col("_at").dt.truncate("1d") + pl.duration(
        days=nights, minutes=rand.randint(rand.salt(key, "out"), 420, 720)
    )
    frame = frame.with_columns(
        lgdm=pl.coalesce(pl.col("_place"), rand.choice(rand.salt(key, "site"), codes)),
        _out=pl.when(checkout < REFERENCE).then(checkout),
    ).with_columns(
        lgmc=pl.col("lgdm").replace_strict(codes, [s.name for s in sites], return_dtype=_TEXT),
        rzsj=pl.col("_at").dt.strftime("%Y%m%d%H%M"),
        tfsj=pl.col("_out").dt.strftime("%Y%m%d%H%M"),
        fh=(
            rand.randint(rand.salt(key, "floor"), 2, 9) * 100
            + rand.randint(rand.salt(key, "room"), 1, 30)
        ).cast(_TEXT),
    )
    frame = noise.malform(frame, rates, key, ["rzsj"], ["xm", "lgdm"])
    cols = ["lsh", "lgdm", "lgmc", "xm", "xb", "mz", "csrq", "dz", "zjlx", "zjhm", "rzsj",
            "tfsj", "fh"]  # fmt: skip
    return _done(frame, "hotel", "lsh", "LG", "parquet", lambda f: f.select(*cols, pl.col("^_.*$")))


def netcafe(people: pl.DataFrame, sightings: pl.DataFrame, rates: NoiseRates, seed: int) -> Feed:
    key = rand.salt(seed, "netcafe")
    sites = places.netcafes(places.netcafe_count(people.height))
    pool = people.filter(pl.col("age").is_between(16, 45)).get_column("pidx")
    count = max(15, people.height // 700) * WINDOW_DAYS
    rows = _with_sightings(_people_rows(pool, key, count, 8, 16), sightings, "netcafe")
    frame = _person_noise(_person_columns(rows, people, rates, seed), rates, key)
    codes = [s.code for s in sites]
    off = pl.col("_at") + pl.duration(minutes=rand.randint(rand.salt(key, "len"), 30, 420))
    frame = frame.with_columns(
        csdm=pl.coalesce(pl.col("_place"), rand.choice(rand.salt(key, "site"), codes)),
        sjsj=pl.col("_at").dt.strftime("%Y-%m-%d %H:%M:%S"),
        xjsj=pl.when(off < REFERENCE).then(off.dt.strftime("%Y-%m-%d %H:%M:%S")),
        zdh=pl.concat_str(
            [
                rand.choice(rand.salt(key, "zone"), ["A", "B", "C", "VIP"]),
                rand.randint(rand.salt(key, "seat"), 1, 80).cast(_TEXT).str.zfill(3),
            ]
        ),
    ).with_columns(
        csmc=pl.col("csdm").replace_strict(codes, [s.name for s in sites], return_dtype=_TEXT)
    )
    frame = noise.malform(frame, rates, key, ["sjsj"], ["csdm"])
    cols = ["sjxh", "csdm", "csmc", "xm", "xb", "mz", "csrq", "dz", "zjlx", "zjhm", "sjsj",
            "xjsj", "zdh"]  # fmt: skip
    return _done(frame, "netcafe", "sjxh", "WB", "csv", lambda f: f.select(*cols, pl.col("^_.*$")))


def rail(people: pl.DataFrame, sightings: pl.DataFrame, rates: NoiseRates, seed: int) -> Feed:
    key = rand.salt(seed, "rail")
    pool = people.filter(pl.col("age").is_between(14, 75)).get_column("pidx")
    count = max(20, people.height // 500) * WINDOW_DAYS
    rows = _with_sightings(_people_rows(pool, key, count, 6, 16), sightings, "rail")
    frame = _person_noise(_person_columns(rows, people, rates, seed), rates, key)
    home = pl.lit(places.STATIONS[0])
    away = pl.coalesce(pl.col("_place"), rand.choice(rand.salt(key, "stn"), places.STATIONS[1:]))
    inbound = pl.col("_place").is_not_null() | (rand.uniform(rand.salt(key, "dir")) < 0.5)
    # 12306's document codes: 1 resident ID card, B passport, C and G the permits
    frame = frame.rename(
        {"xm": "passenger", "zjhm": "cert_no", "xb": "sex", "csrq": "birth_date"}
    ).with_columns(
        cert_type=pl.lit("1"),
        train_no=pl.concat_str(
            [
                rand.choice(rand.salt(key, "type"), ["G", "D", "K"], [0.7, 0.2, 0.1]),
                rand.randint(rand.salt(key, "train"), 100, 3000).cast(_TEXT),
            ]
        ),
        from_station=pl.when(inbound).then(away).otherwise(home),
        to_station=pl.when(inbound).then(home).otherwise(away),
        depart=pl.col("_at").dt.strftime("%Y/%m/%d %H:%M"),
        coach_seat=pl.concat_str(
            [
                rand.randint(rand.salt(key, "coach"), 1, 17).cast(_TEXT).str.zfill(2),
                pl.lit("车"),
                rand.randint(rand.salt(key, "row"), 1, 20).cast(_TEXT).str.zfill(2),
                rand.choice(rand.salt(key, "seat"), ["A", "B", "C", "D", "F"]),
            ]
        ),
    )
    frame = noise.malform(frame, rates, key, ["depart"], ["passenger"])
    cols = ["ticket_id", "passenger", "sex", "birth_date", "cert_type", "cert_no", "train_no",
            "from_station", "to_station", "depart", "coach_seat"]  # fmt: skip
    return _done(frame, "rail", "ticket_id", "E", "csv", lambda f: f.select(*cols, pl.col("^_.*$")))


def checkpoint(
    vehicles: pl.DataFrame, sightings: pl.DataFrame, rates: NoiseRates, seed: int, people: int
) -> Feed:
    key = rand.salt(seed, "checkpoint")
    sites = places.checkpoints()
    local = vehicles.filter(pl.col("plate").str.starts_with("豫P")).get_column("plate")
    pool = pl.concat([local] * 19 + [vehicles.get_column("plate")])
    count = max(60, people // 70) * WINDOW_DAYS
    rows = window_times(key, count, 5, 18).with_columns(
        _vehicle=_gather(pool, rand.salt(key, "which"), count),
        _sighting=pl.lit(None, dtype=_TEXT),
        _place=pl.lit(None, dtype=_TEXT),
    )
    seen = sightings.filter(pl.col("feed") == "checkpoint").select(
        _at=pl.col("at").cast(pl.Datetime("us")),
        _vehicle="plate",
        _sighting="warrant_no",
        _place="place",
    )
    rows = pl.concat([rows, seen], how="vertical_relaxed").join(
        vehicles.select(_vehicle="plate", _person="person_id", _kind="kind", csys="colour"),
        on="_vehicle",
        how="left",
        maintain_order="left",
    )
    frame = noise.duplicate(noise.start(rows), rates, key).with_columns(
        _sighting=pl.when(pl.col("_dup_of_row").is_null()).then(pl.col("_sighting")),
        hphm=pl.col("_vehicle"),
    )
    frame = noise.plate(frame, "hphm", rates, key)
    codes = [s.code for s in sites]
    frame = frame.with_columns(
        kkbh=pl.coalesce(pl.col("_place"), rand.choice(rand.salt(key, "site"), codes)),
        hpzl=pl.when(pl.col("_kind") == "new_energy").then(pl.lit("52")).otherwise(pl.lit("02")),
        gcsj=pl.col("_at"),
        fxmc=rand.choice(rand.salt(key, "dir"), ["由东向西", "由西向东", "由南向北", "由北向南"]),
    ).with_columns(
        kkmc=pl.col("kkbh").replace_strict(codes, [s.name for s in sites], return_dtype=_TEXT)
    )
    frame = noise.malform(frame, rates, key, [], ["hphm", "gcsj"])
    cols = ["gcxh", "hphm", "hpzl", "kkbh", "kkmc", "gcsj", "fxmc", "csys"]
    return _done(
        frame, "checkpoint", "gcxh", "GC", "parquet", lambda f: f.select(*cols, pl.col("^_.*$"))
    )
