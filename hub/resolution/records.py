"""What a person record says about its person, as comparable features.

A record is read back from its raw JSON through its stream's mapping (the columns of the
person's name, ID number and address, the phone and account its person relationships
point to, and a date column named for a birth date), so that features are the same
whether the records come from the graph or straight from a generated county's files.

The record's *unit* is its deterministic identity: ``P<id number>`` for a valid resident
ID number, else ``R:<record id>`` (``connectors.transform.person_uid``). An ID number
that fails its check digit is not an identifier, but its first 17 characters (region,
birth date, sequence, sex) are kept as a comparable fragment.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache, lru_cache
from itertools import product
from typing import Any

import polars as pl
from pypinyin import Style, pinyin

from connectors import mapping as mappings
from connectors.mapping import PERSON, StreamMap
from connectors.transform import person_uid
from graph_schema import schema
from hub import normalise

__all__ = ["FEATURES", "features", "features_of", "person_streams", "readings", "record_features"]

FEATURES: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    "unit": pl.String(),
    "name": pl.String(),
    "pinyin": pl.String(),
    "readings": pl.List(pl.String()),
    "birth": pl.String(),
    "sex": pl.String(),
    "id17": pl.String(),
    "address": pl.String(),
    "phones": pl.List(pl.String()),
    "accounts": pl.List(pl.String()),
}
_MAX_READINGS = 8
# normaliser of the key of the nodes a person's phone and account relationships reach
_KIND = {
    label: schema().node(label).properties[schema().node(label).key].normaliser or ""
    for label in ("Phone", "BankAccount")
}


@cache
def person_streams() -> dict[tuple[str, str], StreamMap]:
    """Every stream whose records describe a person, by (source, stream)."""
    from connectors import FILES, HTTP

    found = {}
    for kind in [*HTTP.values(), *FILES.values()]:
        spec = mappings.load(mappings.HERE / kind.mapping_file)
        for stream in spec.streams.values():
            if stream.person:
                found[(kind.name, stream.name)] = stream
    return found


@cache
def readings(name: str) -> tuple[str, ...]:
    """The pinyin readings of a Chinese name, polyphonic characters included (at most
    a few combinations), or the lower-cased letters of a Latin name."""
    if not name:
        return ()
    if all(ch.isascii() for ch in name):
        return ("".join(ch for ch in name.lower() if ch.isalpha()),)
    per_char = [
        [r for r in options if r.isalpha()] or [ch]
        for ch, options in zip(
            [c for c in name if c.isalpha()],
            pinyin([c for c in name if c.isalpha()], style=Style.NORMAL, heteronym=True),
            strict=False,
        )
    ]
    out: list[str] = []
    for combo in product(*per_char):
        out.append("".join(combo))
        if len(out) >= _MAX_READINGS:
            break
    return tuple(dict.fromkeys(out))


def _normal(kind: str, raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    return _normal_text(kind, str(raw))


@lru_cache(maxsize=262_144)
def _normal_text(kind: str, raw: str) -> str | None:
    result = normalise.normalise(kind, raw)
    return str(result.value) if isinstance(result, normalise.Valid) else None


@lru_cache(maxsize=262_144)
def _name(raw: str) -> tuple[str, str] | None:
    """A name in its normal form and its pinyin key, or None if it is not a name."""
    result = normalise.normalise("person_name", raw)
    if isinstance(result, normalise.Valid):
        return str(result.value), str(result.facts["pinyin"])
    return None


def _birth(stream: StreamMap, record: Mapping[str, Any]) -> str | None:
    for column, fmt in stream.dates.items():
        if "birth" in column and record.get(column):
            try:
                return datetime.strptime(str(record[column]), fmt).date().isoformat()
            except ValueError:
                return None
    return None


def record_features(
    source: str, stream: StreamMap, record_id: str, record: Mapping[str, Any]
) -> dict[str, Any]:
    """The features of one person record (its raw fields as a mapping)."""
    columns = stream.person
    phones: list[Any] = []
    accounts: list[Any] = []
    for rel in stream.relationships:
        if rel.start == PERSON and not rel.aggregated and rel.end_label == "Phone":
            phones.append(record.get(rel.end))
        if rel.start == PERSON and not rel.aggregated and rel.end_label == "BankAccount":
            accounts.append(record.get(rel.end))
    values = {
        "name": record.get(columns.get("name", "")),
        "id_number": record.get(columns.get("id_number", "")),
        "birth_date": _birth(stream, record),
        "address": record.get(columns["address"]) if "address" in columns else None,
        "phone": phones,
        "account": accounts,
    }
    return features_of(record_id, values)


def _many(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def features_of(record_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Features from raw values: name, id_number, birth_date (ISO), address, and phone and
    account (one value or a list)."""
    id_raw = values.get("id_number")
    id_number = _normal("resident_id", id_raw)
    birth = values.get("birth_date") or None
    sex = id17 = None
    if id_number:
        id17 = id_number[:17]
    elif isinstance(id_raw, str):
        text = id_raw.strip().upper()
        if len(text) == 18 and text[:17].isdigit():
            id17 = text[:17]
    if id17:
        sex = "M" if int(id17[16]) % 2 else "F"
        stamp = id17[6:14]
        birth = birth or f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:]}"
    raw_name = values.get("name")
    named = _name(raw_name) if isinstance(raw_name, str) else None
    name, pinyin_key = named if named else (None, None)
    address = values.get("address")
    phones = {_normal(_KIND["Phone"], v) for v in _many(values.get("phone"))}
    accounts = {_normal(_KIND["BankAccount"], v) for v in _many(values.get("account"))}
    return {
        "record_id": record_id,
        "unit": person_uid(id_number, record_id),
        "name": name,
        "pinyin": pinyin_key,
        "readings": list(readings(name or "")),
        "birth": birth,
        "sex": sex,
        "id17": id17,
        "address": str(address) if address else None,
        "phones": sorted(p for p in phones if p),
        "accounts": sorted(a for a in accounts if a),
    }


def features(records: Iterable[tuple[str, str, str, str]]) -> pl.DataFrame:
    """Features of (source, stream, record id, raw JSON) person records; records of
    streams that describe no person are skipped."""
    streams = person_streams()
    rows = []
    for source, stream_name, record_id, raw in records:
        stream = streams.get((source, stream_name))
        if stream is None:
            continue
        rows.append(record_features(source, stream, record_id, json.loads(raw)))
    return pl.DataFrame(rows, schema=FEATURES)
