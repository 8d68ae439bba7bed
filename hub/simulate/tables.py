"""A source system's tables as the API serves them: rows in (updated_at, id) order, each
rendered to JSON once, and the opaque cursor that means "after this row".

A row is served with its own column names and stored values: strings stay strings (the
malformed ones too), numbers stay numbers, nulls stay null. Datetime columns (the
generator's ``updated_at``) are written as Beijing local time, "2026-10-01 08:00:00".
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import polars as pl

from hub.simulate.clock import as_local, format_local, parse_instant
from hub.simulate.errors import SimulateError

__all__ = [
    "CursorError",
    "Page",
    "Table",
    "decode_cursor",
    "encode_cursor",
    "load_system",
    "load_table",
]

UPDATED_AT = "updated_at"
RecordId = str | int


class CursorError(ValueError):
    """A cursor the simulator did not issue, or that no longer decodes."""


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return format_local(as_local(value))
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def _render(row: dict[str, object]) -> str:
    clean = {
        key: None if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in row.items()
    }
    return json.dumps(clean, ensure_ascii=False, separators=(",", ":"), default=_json_value)


def encode_cursor(updated_at: str, record_id: RecordId) -> str:
    """urlsafe base64 of the JSON [updated_at, id] of the last row served."""
    text = json.dumps([updated_at, record_id], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")


def decode_cursor(cursor: str) -> tuple[datetime, RecordId]:
    """The (updated_at, id) a cursor points after; CursorError when it is not one of ours."""
    try:
        padded = cursor.rstrip("=") + "=" * (-len(cursor.rstrip("=")) % 4)  # padding optional
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError) as exc:
        raise CursorError(f"not a cursor: {cursor!r}") from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], str)
        or isinstance(value[1], bool)
        or not isinstance(value[1], str | int)
    ):
        raise CursorError(f"not a cursor: {cursor!r}")
    try:
        updated = parse_instant(value[0])
    except ValueError as exc:
        raise CursorError(f"not a cursor: {cursor!r}") from exc
    return updated, value[1]


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[str]  # each row already rendered as a JSON object
    next_cursor: str | None  # None exactly when no more rows are visible now


@dataclass(frozen=True, slots=True)
class Table:
    """One stream: rows sorted by (updated_at, id), with the keys to search them."""

    name: str
    id_column: str
    updated: list[datetime]  # naive Beijing time, ascending
    updated_text: list[str]  # the same instants as written in the rows and cursors
    ids: list[RecordId]
    rows: list[str]

    @property
    def total(self) -> int:
        return len(self.rows)

    def visible(self, now: datetime) -> int:
        """How many rows have updated_at <= now."""
        return bisect_right(self.updated, now)

    def _after(self, updated: datetime, record_id: RecordId) -> int:
        lo = bisect_left(self.updated, updated)
        hi = bisect_right(self.updated, updated, lo=lo)
        try:
            return lo + bisect_right(self.ids[lo:hi], record_id)
        except TypeError as exc:  # an int id against str ids, or the reverse
            raise CursorError(f"cursor id {record_id!r} does not fit stream {self.name}") from exc

    def page(self, now: datetime, since: datetime | None, cursor: str | None, limit: int) -> Page:
        """Up to limit rows visible at now, updated at or after since, after the cursor."""
        start = 0 if since is None else bisect_left(self.updated, since)
        if cursor is not None:
            start = max(start, self._after(*decode_cursor(cursor)))
        end_visible = self.visible(now)
        end = min(start + limit, end_visible)
        if start >= end:
            return Page([], None)
        more = end < end_visible
        last = end - 1
        next_cursor = encode_cursor(self.updated_text[last], self.ids[last]) if more else None
        return Page(self.rows[start:end], next_cursor)


def _instants(column: pl.Series, path: Path) -> list[datetime]:
    if column.null_count():
        raise SimulateError(f"{path}: {column.null_count()} rows have no {UPDATED_AT}")
    if column.dtype == pl.String:
        try:
            return [parse_instant(text) for text in column.to_list()]
        except ValueError as exc:
            raise SimulateError(f"{path}: an {UPDATED_AT} is not ISO 8601: {exc}") from exc
    if isinstance(column.dtype, pl.Datetime):
        return [as_local(value) for value in column.to_list()]
    if column.dtype == pl.Date:
        return [datetime.combine(value, time()) for value in column.to_list()]
    raise SimulateError(f"{path}: {UPDATED_AT} has type {column.dtype}, not a date-time")


def load_table(path: Path) -> Table:
    """Read one stream's parquet file and order it for serving."""
    frame = pl.read_parquet(path)
    if UPDATED_AT not in frame.columns:
        raise SimulateError(f"{path}: no {UPDATED_AT} column to serve it by")
    id_column = frame.columns[0]
    ids_column = frame.get_column(id_column)
    if ids_column.null_count():
        raise SimulateError(f"{path}: {ids_column.null_count()} rows have no {id_column}")
    if ids_column.is_duplicated().any():
        raise SimulateError(f"{path}: {id_column} is not unique")
    if not (ids_column.dtype == pl.String or ids_column.dtype.is_integer()):
        raise SimulateError(f"{path}: record id {id_column} is {ids_column.dtype}")
    updated = _instants(frame.get_column(UPDATED_AT), path)
    ids: list[RecordId] = ids_column.to_list()
    order = sorted(range(frame.height), key=lambda i: (updated[i], ids[i]))
    records = frame.to_dicts()
    rows = [_render(records[i]) for i in order]
    sorted_updated = [updated[i] for i in order]
    if frame.get_column(UPDATED_AT).dtype == pl.String:
        texts = [str(records[i][UPDATED_AT]) for i in order]
    else:
        texts = [format_local(value) for value in sorted_updated]
    return Table(
        name=path.stem,
        id_column=id_column,
        updated=sorted_updated,
        updated_text=texts,
        ids=[ids[i] for i in order],
        rows=rows,
    )


def load_system(folder: Path) -> dict[str, Table]:
    """Every stream of one system: its folder's parquet files, by file stem."""
    if not folder.is_dir():
        raise SimulateError(f"{folder} does not exist: generate the world first")
    return {path.stem: load_table(path) for path in sorted(folder.glob("*.parquet"))}
