"""Turns a page of source records into graph rows, following the stream's mapping.

Each record is validated and normalised on the way: identifiers through the normaliser
graph_schema declares for them, times in the source's own format (Beijing time), numbers
as numbers. A record with a bad value is not loaded in part: it goes to quarantine whole,
with the reason. A person's ID number that fails its check is not trusted as an
identifier but does not stop the record: the person is then known by the record alone
until identity resolution links it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from connectors.mapping import PERSON, StreamMap
from graph_schema import GraphSchema, Property
from hub import normalise

BEIJING = timezone(timedelta(hours=8))


class BadValue(ValueError):
    pass


@dataclass
class Batch:
    """The graph rows of one page, keyed as the loader takes them."""

    nodes: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    relationships: dict[tuple[str, str, str], list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0
    high_water: str | None = None  # latest cursor-column value written, ISO 8601 UTC


def person_uid(id_number: str | None, record_id: str) -> str:
    """A valid resident ID number identifies a person; otherwise the record does."""
    return f"P{id_number}" if id_number else f"R:{record_id}"


def identity(source: str, mapping: StreamMap, record: dict[str, Any]) -> tuple[str, str]:
    """A source record's id in the graph and its raw content as the graph keeps it."""
    record_id = f"{source}:{mapping.name}:{record.get(mapping.id)}"
    return record_id, json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)


def parse_time(value: Any, fmt: str) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=BEIJING) if value.tzinfo is None else value
    try:
        parsed = (
            datetime.fromisoformat(value) if fmt == "iso" else datetime.strptime(str(value), fmt)
        )
    except (TypeError, ValueError):
        raise BadValue(f"{value!r} is not a time in the form {fmt}") from None
    return parsed.replace(tzinfo=BEIJING) if parsed.tzinfo is None else parsed


def _value(prop: Property, raw: Any, fmt: str) -> Any:
    if raw is None or raw == "":
        return None
    if prop.normaliser:
        result = normalise.normalise(prop.normaliser, raw)
        if isinstance(result, normalise.Invalid):
            raise BadValue(result.reason)
        return result.value
    if prop.type == "datetime":
        return parse_time(raw, fmt).astimezone(UTC)
    if prop.type in ("float", "integer"):
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise BadValue(f"{raw!r} is not a number") from None
        return int(number) if prop.type == "integer" else number
    return str(raw)


EXCERPT = 2000  # characters of an oversized record kept in its quarantine entry


def transform(
    source: str,
    mapping: StreamMap,
    records: list[dict[str, Any]],
    gs: GraphSchema,
    fetched: datetime,
    limit: int | None = None,
) -> Batch:
    """The graph rows of a page of records; a record larger than `limit` bytes (as JSON)
    is quarantined with its start."""
    batch = Batch()
    for record in records:
        raw_id = record.get(mapping.id)
        record_id, raw = identity(source, mapping, record)
        size = len(raw.encode("utf-8"))
        try:
            seen = parse_time(record.get(mapping.cursor), "iso").astimezone(UTC)
        except BadValue:
            seen = fetched  # quarantined below; this is when the hub saw it
        try:
            if limit is not None and size > limit:
                raw = raw[:EXCERPT]
                raise BadValue(
                    f"the record is {size:,} bytes, over HUB_MAX_RECORD_BYTES ({limit:,}); "
                    "raw holds its start"
                )
            if raw_id is None or raw_id == "":
                raise BadValue(f"no record id in column {mapping.id!r}")
            parse_time(record.get(mapping.cursor), "iso")
            _check(mapping, record)
            rows = _rows(source, mapping, record, record_id, gs)
        except BadValue as exc:
            batch.quarantine.append(
                {
                    "quarantine_id": f"{source}:{mapping.name}:{raw_id}",
                    "source": source,
                    "stream": mapping.name,
                    "reason": str(exc),
                    "raw": raw,
                    "_source": source,
                    "_seen_at": seen,
                }
            )
            continue
        nodes, rels = rows
        mark = seen.isoformat()
        batch.high_water = max(batch.high_water or mark, mark)
        prov = {"_source": source, "_seen_at": seen}
        batch.nodes["Record"].append(
            {
                "record_id": record_id,
                "source": source,
                "stream": mapping.name,
                "source_id": str(raw_id),
                "fetched_at": fetched,
                "raw": raw,
                **prov,
            }
        )
        for label, row in nodes:
            batch.nodes[label].append({**row, **prov})
            key = gs.node(label).key
            stated = {p: v for p, v in row.items() if p != key}  # the record's statements
            batch.relationships[("RECORD_OF", "Record", label)].append(
                {"start": record_id, "end": row[key], **stated, **prov}
            )
        for (type_, start_label, end_label), row in rels:
            batch.relationships[(type_, start_label, end_label)].append({**row, **prov})
        batch.rows += 1
    return batch


def _check(mapping: StreamMap, record: dict[str, Any]) -> None:
    for column in mapping.required:
        if record.get(column) in (None, ""):
            raise BadValue(f"column {column!r} is empty")
    for column in mapping.times:
        if record.get(column) not in (None, ""):
            try:
                parse_time(record[column], mapping.time_format)
            except BadValue as exc:
                raise BadValue(f"column {column!r}: {exc}") from None
    for column, fmt in mapping.dates.items():
        if record.get(column) not in (None, ""):
            try:
                datetime.strptime(str(record[column]), fmt)
            except ValueError:
                raise BadValue(
                    f"column {column!r}: {record[column]!r} is not a date {fmt}"
                ) from None


def _rows(
    source: str, mapping: StreamMap, record: dict[str, Any], record_id: str, gs: GraphSchema
) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[tuple[str, str, str], dict[str, Any]]]]:
    keys: dict[str, Any] = {}
    nodes: list[tuple[str, dict[str, Any]]] = []
    if mapping.person:
        person = _person(mapping, record, record_id, gs)
        keys[PERSON] = person["uid"]
        nodes.append(("Person", person))
    for node_map in mapping.nodes:
        node = gs.node(node_map.label)
        try:
            key = _value(node.properties[node.key], record.get(node_map.key), mapping.time_format)
        except BadValue as exc:
            raise BadValue(f"column {node_map.key!r}: {exc}") from None
        if key is None:
            continue
        keys[node_map.key] = key
        row = {node.key: key}
        for prop, column in node_map.properties.items():
            try:
                row[prop] = _value(node.properties[prop], record.get(column), mapping.time_format)
            except BadValue as exc:
                raise BadValue(f"column {column!r}: {exc}") from None
        nodes.append((node_map.label, row))
    rels = []
    for rel_map in mapping.relationships:
        if any(str(record.get(c)) != v for c, v in rel_map.when.items()):
            continue
        start, end = keys.get(rel_map.start), keys.get(rel_map.end)
        if start is None or end is None:
            continue
        rel = gs.relationship(rel_map.type)
        row = {"start": start, "end": end}
        for prop, column in rel_map.properties.items():
            try:
                row[prop] = _value(rel.properties[prop], record.get(column), mapping.time_format)
            except BadValue as exc:
                raise BadValue(f"column {column!r}: {exc}") from None
        rels.append(((rel_map.type, rel_map.start_label, rel_map.end_label), row))
    return nodes, rels


def _person(
    mapping: StreamMap, record: dict[str, Any], record_id: str, gs: GraphSchema
) -> dict[str, Any]:
    columns = mapping.person
    # every property the mapping can state is in the row, null when the record has no
    # sound value: the rows of a stream have the same columns, so the loader's
    # statements for them are the same text (planned once)
    person: dict[str, Any] = dict.fromkeys(
        [
            *(("id_number", "birth_date", "sex") if "id_number" in columns else ()),
            *(("name", "name_pinyin") if "name" in columns else ()),
            *(("address",) if "address" in columns else ()),
        ]
    )
    id_result = normalise.normalise("resident_id", record.get(columns.get("id_number", "")))
    if isinstance(id_result, normalise.Valid):
        person["id_number"] = id_result.value
        person["birth_date"] = id_result.facts["birth_date"]
        person["sex"] = id_result.facts["sex"]
    person["uid"] = person_uid(person.get("id_number"), record_id)
    name = normalise.normalise("person_name", record.get(columns.get("name", "")))
    if isinstance(name, normalise.Valid):
        person["name"] = name.value
        person["name_pinyin"] = name.facts["pinyin"]
    if "address" in columns and record.get(columns["address"]):
        person["address"] = str(record[columns["address"]])
    return person
