"""Person records of a generated county read straight from its files, as a sync would
keep them (record id, raw JSON), with the truth about each: for the resolution
benchmark and tests, which need resolution without a sync before it.

Rows the truth marks malformed are left out: a sync quarantines them.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from connectors import manifest
from hub.resolution import records

__all__ = ["person_records", "truth"]


def _frame(world: Path, source: str, stream: str) -> pl.DataFrame:
    spec = records.person_streams()[(source, stream)]
    base = world / "sources" / source
    if not spec.is_file_feed:
        return pl.read_parquet(base / f"{stream}.parquet")
    named = manifest.pattern(spec)  # the feed's daily files, as a sync reads them
    files = sorted(f for f in (base / stream).iterdir() if named.match(f.name))
    frames = [
        pl.read_parquet(f) if f.suffix == ".parquet" else pl.read_csv(f, infer_schema=False)
        for f in files
    ]
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


def truth(world: Path) -> pl.DataFrame:
    """record_id (the hub's), person_id, noise and malformed of every source record."""
    links = pl.read_parquet(world / "truth" / "record_links.parquet")
    return links.select(
        record_id=pl.col("source") + ":" + pl.col("stream") + ":" + pl.col("record_id"),
        person_id="person_id",
        phone="phone",
        account="account",
        noise="noise",
        malformed="malformed",
    )


def person_records(world: Path) -> list[tuple[str, str, str, str]]:
    """(source, stream, record id, raw JSON) of every well-formed person record."""
    bad = set(truth(world).filter(pl.col("malformed")).get_column("record_id").to_list())
    out = []
    for (source, stream), spec in records.person_streams().items():
        frame = _frame(world, source, stream)
        for row in frame.iter_rows(named=True):
            record_id = f"{source}:{stream}:{row[spec.id]}"
            if record_id in bad:
                continue
            raw = json.dumps(row, ensure_ascii=False, sort_keys=True, default=str)
            out.append((source, stream, record_id, raw))
    return out
