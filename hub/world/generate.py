"""Build the whole county and write it: source tables per system, daily big-data files,
the ground truth and a manifest. The same config always writes the same bytes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict

import polars as pl

from hub.world import (
    assets,
    bigdata,
    cases,
    cdr,
    fraud,
    fugitives,
    people,
    rand,
    readme,
    render_cases,
    render_fraud,
    render_fugitives,
    truth,
)
from hub.world.config import REFERENCE_DAY, WINDOW_START, WorldConfig
from hub.world.records import LINKS_SCHEMA, Stream
from hub.world.rings import Picker

__all__ = ["generate"]

Report = Callable[[str, int, int], None]  # path, rows, files


def _write_stream(cfg: WorldConfig, stream: Stream, report: Report) -> int:
    path = cfg.out / stream.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not stream.daily:
        _write(stream.table, path, stream.fmt)
        report(stream.path(), stream.table.height, 1)
        return stream.table.height
    path.mkdir(parents=True, exist_ok=True)
    days = stream.table.partition_by("_day", maintain_order=True, as_dict=True)
    for (day,), part in sorted(days.items(), key=lambda kv: str(kv[0][0])):
        _write(part.drop("_day"), path / f"{day}.{stream.fmt}", stream.fmt)
    report(stream.path() + "/", stream.table.height, len(days))
    return stream.table.height


def _write(frame: pl.DataFrame, path: object, fmt: str) -> None:
    if fmt == "csv":
        frame.write_csv(str(path), datetime_format="%Y-%m-%d %H:%M:%S")
    else:
        frame.write_parquet(str(path), compression="zstd", statistics=True)


def generate(cfg: WorldConfig, report: Report | None = None) -> dict[str, int]:
    """Write the world under cfg.out; returns rows per written table."""
    say: Report = report or (lambda path, rows, files: None)
    for old in ("sources", "truth", "manifest.json"):
        target = cfg.out / old
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    cfg.out.mkdir(parents=True, exist_ok=True)
    n, seed, rates = cfg.people, cfg.seed, cfg.rates
    folk = people.generate(n, seed)
    phones = assets.phones(folk, seed)
    accounts = assets.accounts(folk, seed)
    vehicles = assets.vehicles(folk, seed)
    picker = Picker(rand.py_rng(seed, "picker"))
    fraud_world = fraud.build(folk, phones, accounts, seed, picker)
    all_phones = pl.concat([phones, fraud_world.ring_world.phones])
    all_accounts = pl.concat([accounts, fraud_world.ring_world.accounts])
    case_world = cases.build(folk, fraud_world, seed)
    numbers = render_cases.case_numbers(case_world)
    fugitive_world = fugitives.build(folk, vehicles, case_world, fraud_world, seed, picker)
    persons = people.attributes(folk, phones)
    report_cases = (
        case_world.cases.filter(pl.col("report").is_not_null())
        .join(numbers, on="case", how="left", maintain_order="left")
        .select(pl.col("report").cast(pl.Int64), "case_no")
    )
    fraud_streams, report_ids = render_fraud.render(
        fraud_world, report_cases, persons, all_phones, all_accounts, rates, seed
    )
    counts: dict[str, int] = {}
    links: list[pl.DataFrame] = []
    for stream in [
        *render_cases.render(case_world, numbers, folk, persons, rates, seed),
        *fraud_streams,
        *render_fugitives.render(fugitive_world, numbers, persons, rates, seed),
    ]:
        counts[stream.path()] = _write_stream(cfg, stream, say)
        links.append(stream.links)
    sightings: list[pl.DataFrame] = []
    feeds: list[Callable[[], bigdata.Feed]] = [
        lambda: bigdata.hotel(folk, fugitive_world.sightings, rates, seed),
        lambda: bigdata.netcafe(folk, fugitive_world.sightings, rates, seed),
        lambda: bigdata.rail(folk, fugitive_world.sightings, rates, seed),
        lambda: bigdata.checkpoint(vehicles, fugitive_world.sightings, rates, seed, n),
        lambda: cdr.cdr(all_phones, fraud_world.calls, rates, seed, n),
    ]
    for make in feeds:
        feed = make()
        counts[feed.stream.path()] = _write_stream(cfg, feed.stream, say)
        links.append(feed.stream.links)
        sightings.append(feed.sightings)
        del feed
    truth_tables = truth.tables(
        folk, all_phones, all_accounts, vehicles, fraud_world, case_world, numbers, report_ids,
        fugitive_world,
    )  # fmt: skip
    truth_tables["fugitive_sightings"] = pl.concat(sightings).sort(
        "seen_at", "record_id", maintain_order=True
    )
    truth_tables["record_links"] = pl.concat(
        [frame.select(list(LINKS_SCHEMA)) for frame in links]
    ).sort("source", "stream", "record_id", maintain_order=True)
    (cfg.out / "truth").mkdir(parents=True, exist_ok=True)
    for name in sorted(truth_tables):
        frame = truth_tables[name]
        _write(frame, cfg.out / "truth" / f"{name}.parquet", "parquet")
        counts[f"truth/{name}.parquet"] = frame.height
        say(f"truth/{name}.parquet", frame.height, 1)
    (cfg.out / "truth" / "README.md").write_text(readme.TEXT, encoding="utf-8")
    manifest = {
        "people": n,
        "seed": seed,
        "noise": cfg.noise,
        "noise_rates": asdict(cfg.rates),
        "reference_date": REFERENCE_DAY.isoformat(),
        "bigdata_window": [WINDOW_START.date().isoformat(), REFERENCE_DAY.isoformat()],
        "rows": dict(sorted(counts.items())),
    }
    (cfg.out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return counts
