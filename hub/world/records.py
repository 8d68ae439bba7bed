"""Source records and their links to the truth.

A stream is built as one working frame: the columns the source system shows, under its
own names, plus truth columns whose names start with an underscore (``_person``,
``_phone``, ...). ``finish`` splits the two: the source table keeps the first, and the
truth's ``record_links`` gets one row per record from the second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from hub.world import rand
from hub.world.config import REFERENCE

__all__ = ["LINKS_SCHEMA", "Stream", "assign_ids", "finish", "updated_at"]

# truth column in a working frame → column of record_links
_LINKED = {
    "_person": "person_id",
    "_phone": "phone",
    "_account": "account",
    "_vehicle": "vehicle",
    "_cp_person": "cp_person_id",
    "_cp_phone": "cp_phone",
    "_cp_account": "cp_account",
    "_case": "case_no",
    "_warrant": "warrant_no",
    "_unit": "unit_code",
}
LINKS_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "stream": pl.String(),
    "record_id": pl.String(),
    "file": pl.String(),
    **{name: pl.String() for name in _LINKED.values()},
    "noise": pl.String(),
    "duplicate_of": pl.String(),
    "malformed": pl.Boolean(),
    "malformed_reason": pl.String(),
}


@dataclass(frozen=True, slots=True)
class Stream:
    """One finished source table and its truth links.

    A daily stream (a big-data feed) keeps a ``_day`` column (the true date of each
    record) that the writer splits the files on and drops.
    """

    source: str
    stream: str
    table: pl.DataFrame
    links: pl.DataFrame
    daily: bool = False
    fmt: str = "parquet"

    def path(self) -> str:
        """Where the stream goes under the output directory (a folder when daily)."""
        if self.daily:
            return f"sources/{self.source}/{self.stream}"
        return f"sources/{self.source}/{self.stream}.{self.fmt}"


def updated_at(latest: pl.Expr, key: int) -> pl.Expr:
    """When the source last touched a record: minutes after its latest event, before today."""
    touched = latest + pl.duration(minutes=rand.randint(key, 1, 120))
    return (
        pl.when(touched < REFERENCE)
        .then(touched)
        .otherwise(pl.lit(REFERENCE) - pl.duration(seconds=1))
        .cast(pl.Datetime("us"))
        .alias("updated_at")
    )


def assign_ids(
    frame: pl.DataFrame, order: list[str], make_id: Callable[[pl.Expr], pl.Expr], id_col: str
) -> pl.DataFrame:
    """Sort by order then _row, number the rows and give each an id; fill _duplicate_of."""
    ordered = frame.sort([*order, "_row"], maintain_order=True).with_columns(
        make_id(pl.int_range(1, pl.len() + 1, dtype=pl.Int64)).alias(id_col)
    )
    ids = ordered.select(pl.col("_row").alias("_dup_of_row"), pl.col(id_col).alias("_duplicate_of"))
    return ordered.join(ids, on="_dup_of_row", how="left", maintain_order="left")


def finish(
    frame: pl.DataFrame,
    source: str,
    stream: str,
    id_col: str,
    *,
    daily: bool = False,
    fmt: str = "parquet",
) -> Stream:
    """Split a working frame (after assign_ids) into the source table and its links."""
    probe = Stream(source, stream, frame.head(0), frame.head(0), daily=daily, fmt=fmt)
    if daily:
        file = pl.concat_str(
            [pl.lit(probe.path() + "/"), pl.col("_day").dt.strftime("%Y-%m-%d"), pl.lit("." + fmt)]
        )
    else:
        file = pl.lit(probe.path())
    links = frame.select(
        source=pl.lit(source),
        stream=pl.lit(stream),
        record_id=pl.col(id_col).cast(pl.String),
        file=file,
        **{
            out: (pl.col(src) if src in frame.columns else pl.lit(None)).cast(pl.String)
            for src, out in _LINKED.items()
        },
        noise=pl.col("_noise").str.strip_chars_end(","),
        duplicate_of=pl.col("_duplicate_of").cast(pl.String),
        malformed=pl.col("_malformed").is_not_null(),
        malformed_reason=pl.col("_malformed"),
    )
    keep = [c for c in frame.columns if not c.startswith("_")] + (["_day"] if daily else [])
    return Stream(source, stream, frame.select(keep), links, daily=daily, fmt=fmt)
