"""What a person record says about its person, as comparable features.

A record is read back from its raw JSON through its stream's `person:` layout
(``connectors.mapping.PersonLayout``: the columns of the name, birth date, sex,
ethnicity, address, phones, accounts and identity documents), so that features are the
same whether the records come from the graph, straight from a generated county's files,
or from an outside list (``hub.resolution.match``).

The record's *unit* is its deterministic identity: ``P<id number>`` for a valid resident
ID number (the one trusted identifier type, graph_schema's identifiers.yaml), else
``R:<record id>`` (``connectors.transform.person_uid``). Every document, valid or not,
is also a feature: ``<type>:<number>`` (``other/<scheme>:<number>`` for a scheme), so
a resident ID number with a misread digit is still compared, one character off.

A field that cannot be read (a date that is not one, a document number its type
refuses, an unknown document-type code) is left out and named in the record's
`errors`; the rest of the record is used.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache, lru_cache
from itertools import product
from typing import Any

import polars as pl
from pypinyin import Style, pinyin

from connectors.mapping import PERSON, IdentifierMap, PersonLayout, StreamMap
from connectors.transform import person_uid
from graph_schema import schema
from hub import normalise

__all__ = [
    "FEATURES",
    "Known",
    "extract",
    "features",
    "features_of",
    "person_streams",
    "readings",
    "record_features",
]

FEATURES: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    "unit": pl.String(),
    "name": pl.String(),
    "name_key": pl.String(),  # the name's first reading: pinyin, or a Latin name's letters
    "readings": pl.List(pl.String()),
    "birth": pl.String(),  # ISO date
    "sex": pl.String(),  # M or F
    "ethnicity": pl.String(),
    "doc": pl.String(),  # the first document, "<type>:<number>"
    "docs": pl.List(pl.String()),
    "address": pl.String(),  # compared form: lower case, no spaces or punctuation
    "phones": pl.List(pl.String()),
    "accounts": pl.List(pl.String()),
    "errors": pl.List(pl.String()),
}
_MAX_READINGS = 8
# normaliser of the key of the nodes a person's phone and account relationships reach
_KIND = {
    label: schema().node(label).properties[schema().node(label).key].normaliser or ""
    for label in ("Phone", "BankAccount")
}
_SEX = {
    "m": "M", "male": "M", "man": "M", "男": "M", "男性": "M", "1": "M",
    "f": "F", "female": "F", "woman": "F", "女": "F", "女性": "F", "2": "F",
}  # fmt: skip
_NOT_ADDRESS = re.compile(r"[\W_]+")


@cache
def person_streams() -> dict[tuple[str, str], StreamMap]:
    """Every stream whose records describe a person, by (source, stream)."""
    import connectors
    from hub.settings import Settings

    found = {}
    for source, spec in connectors.source_maps(Settings.from_env()).items():
        for stream in spec.streams.values():
            if stream.person or stream.identity.features or stream.identity.identifiers:
                found[(source, stream.name)] = stream
    return found


@cache
def readings(name: str) -> tuple[str, ...]:
    """The pinyin readings of a Chinese name, polyphonic characters included (at most
    a few combinations); for a Latin name its letters, and its words in sorted order
    (a family name written first or last)."""
    if not name:
        return ()
    if all(ch.isascii() for ch in name):
        words = ["".join(ch for ch in w.lower() if ch.isalpha()) for w in re.split(r"[\s·]+", name)]
        words = [w for w in words if w]
        return tuple(dict.fromkeys(["".join(words), "".join(sorted(words))]))
    letters = [c for c in name if c.isalpha()]
    per_char = [
        [r for r in options if r.isalpha()] or [ch]
        for ch, options in zip(
            letters, pinyin(letters, style=Style.NORMAL, heteronym=True), strict=False
        )
    ]
    out: list[str] = []
    for combo in product(*per_char):
        out.append("".join(combo))
        if len(out) >= _MAX_READINGS:
            break
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=262_144)
def _normal_text(kind: str, raw: str) -> str | None:
    result = normalise.normalise(kind, raw)
    return str(result.value) if isinstance(result, normalise.Valid) else None


@lru_cache(maxsize=262_144)
def _name(raw: str) -> str | None:
    result = normalise.normalise("person_name", raw)
    return str(result.value) if isinstance(result, normalise.Valid) else None


@lru_cache(maxsize=65_536)
def _document(type_: str, scheme: str | None, raw: str) -> tuple[str | None, str | None]:
    """(the feature "<type>:<number>", an error) of one document number."""
    kind = schema().identifier(type_)
    text = raw.strip()
    result = normalise.normalise(kind.normaliser, text)
    label = f"{type_}/{scheme}" if scheme else type_
    if isinstance(result, normalise.Valid):
        return f"{label}:{result.value}", None
    if kind.trusted:
        # not an identifier, but a number with a slipped digit is still evidence
        written = text.translate(normalise._FULLWIDTH).upper()
        if len(written) == 18 and written[:17].isdigit():
            return f"{label}:{written}", None
    return None, f"{label}: {result.reason}"


def _joined(record: Mapping[str, Any], columns: Iterable[str]) -> str | None:
    parts = [str(record[c]).strip() for c in columns if record.get(c) not in (None, "")]
    text = " ".join(p for p in parts if p)
    return text or None


def extract(
    layout: PersonLayout,
    record: Mapping[str, Any],
    phones: Iterable[Any] = (),
    accounts: Iterable[Any] = (),
) -> dict[str, Any]:
    """The raw person values of one record (a mapping of column to value) through its
    layout: name, address, birth_date (ISO), sex, ethnicity, documents, phone, account,
    and the errors of the fields that could not be read."""
    errors: list[str] = []
    values: dict[str, Any] = {}
    for feature, spec in layout.features.items():
        text = _joined(record, spec.columns)
        if text is None:
            continue
        if feature == "birth_date":
            try:
                values[feature] = (
                    datetime.strptime(text, spec.format or "%Y-%m-%d").date().isoformat()
                )
            except ValueError:
                errors.append(f"birth_date: not a date in the form {spec.format}")
        elif feature == "sex":
            sex = _SEX.get(text.lower())
            if sex is None:
                errors.append("sex: neither male nor female")
            values[feature] = sex
        else:
            values[feature] = text
    values["phone"] = [*phones, *([values.pop("phone")] if "phone" in values else [])]
    values["account"] = [*accounts, *([values.pop("account")] if "account" in values else [])]
    docs: list[str] = []
    for ident in layout.identifiers:
        doc, error = _read_document(ident, record)
        if doc:
            docs.append(doc)
        if error:
            errors.append(error)
    values["documents"] = docs
    values["errors"] = errors
    return values


def _read_document(
    ident: IdentifierMap, record: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    raw = record.get(ident.column)
    if raw in (None, ""):
        return None, None
    type_ = ident.type
    if ident.type_column:
        code = str(record.get(ident.type_column) or "").strip()
        found = schema().identifier_by_code(code)
        if found is None:
            return None, f"{ident.column}: unknown document type code {code!r}"
        type_ = found.name
    assert type_ is not None
    return _document(type_, ident.scheme, str(raw))


def record_features(stream: StreamMap, record_id: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """The features of one person record of a stream (its raw fields as a mapping)."""
    phones: list[Any] = []
    accounts: list[Any] = []
    for rel in stream.relationships:
        if rel.start == PERSON and not rel.aggregated and rel.end_label == "Phone":
            phones.append(record.get(rel.end))
        if rel.start == PERSON and not rel.aggregated and rel.end_label == "BankAccount":
            accounts.append(record.get(rel.end))
    return features_of(record_id, extract(stream.identity, record, phones, accounts))


def _many(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def address_form(text: str | None) -> str | None:
    """An address as it is compared: NFKC, lower case, without spaces and punctuation."""
    if not text:
        return None
    return _NOT_ADDRESS.sub("", unicodedata.normalize("NFKC", text).lower()) or None


def features_of(record_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Features from raw values (``extract``): name, birth_date (ISO), sex, ethnicity,
    address, documents ("<type>:<number>"), phone and account (one value or a list);
    `id_number` is read as a resident ID document."""
    docs = list(values.get("documents") or [])
    errors = list(values.get("errors") or [])
    if values.get("id_number"):
        doc, error = _document("resident_id", None, str(values["id_number"]))
        docs = [doc, *docs] if doc else docs
        errors += [error] if error else []
    trusted = next(
        (d.split(":", 1)[1] for d in docs if d.startswith("resident_id:") and _valid_id(d)), None
    )
    birth = values.get("birth_date") or None
    sex = values.get("sex") or None
    resident = next((d.split(":", 1)[1] for d in docs if d.startswith("resident_id:")), None)
    if resident:  # the number holds the birth date and the sex
        stamp = resident[6:14]
        if not birth and stamp.isdigit():
            birth = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:]}"
        if not sex and resident[16].isdigit():
            sex = "M" if int(resident[16]) % 2 else "F"
    raw_name = values.get("name")
    name = _name(raw_name) if isinstance(raw_name, str) else None
    if isinstance(raw_name, str) and raw_name.strip() and name is None:
        errors.append("name: not a name")
    said = readings(name or "")
    ethnicity = values.get("ethnicity")
    ethnicity = str(ethnicity).strip().removesuffix("族") or None if ethnicity else None
    phones = {_normal(_KIND["Phone"], v) for v in _many(values.get("phone"))}
    accounts = {_normal(_KIND["BankAccount"], v) for v in _many(values.get("account"))}
    docs = list(dict.fromkeys(docs))
    return {
        "record_id": record_id,
        "unit": person_uid(trusted, record_id),
        "name": name,
        "name_key": said[0] if said else None,
        "readings": list(said),
        "birth": birth,
        "sex": sex,
        "ethnicity": ethnicity,
        "doc": docs[0] if docs else None,
        "docs": docs,
        "address": address_form(values.get("address")),
        "phones": sorted(p for p in phones if p),
        "accounts": sorted(a for a in accounts if a),
        "errors": errors,
    }


def _valid_id(doc: str) -> bool:
    return _normal_text("resident_id", doc.split(":", 1)[1]) is not None


def _normal(kind: str, raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    return _normal_text(kind, str(raw))


class Known:
    """Features of person records worked out while a sync wrote them (in the thread that
    prepares a step, beside Neo4j writing the one before), by record id with the
    (source, stream, raw JSON) they were worked out from: a run of resolution reading
    one of them back exactly so takes these rather than working them out again."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[tuple[str, str, str], dict[str, Any]]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def add(
        self,
        nodes: Mapping[str, pl.DataFrame],
        relationships: Mapping[tuple[str, str, str], pl.DataFrame],
    ) -> None:
        """Work out the features of the person records among a step's frames: its
        Record rows that are RECORD_OF a Person."""
        record_of = relationships.get(("RECORD_OF", "Record", "Person"))
        frame = nodes.get("Record")
        if record_of is None or frame is None or record_of.is_empty():
            return
        persons = record_of.get_column("start").unique().implode()
        chosen = frame.filter(pl.col("record_id").is_in(persons))
        streams = person_streams()
        for source, stream_name, record_id, raw in chosen.select(
            "source", "stream", "record_id", "raw"
        ).iter_rows():
            stream = streams.get((source, stream_name))
            if stream is not None and raw is not None:
                row = record_features(stream, record_id, json.loads(raw))
                self._rows[record_id] = ((source, stream_name, raw), row)

    def get(self, source: str, stream: str, record_id: str, raw: str) -> dict[str, Any] | None:
        """The features worked out for this record, if they were from the same raw JSON."""
        found = self._rows.get(record_id)
        return found[1] if found is not None and found[0] == (source, stream, raw) else None


def features(
    records: Iterable[tuple[str, str, str, str]], known: Known | None = None
) -> pl.DataFrame:
    """Features of (source, stream, record id, raw JSON) person records; records of
    streams that describe no person are skipped. Those `known` holds for the same raw
    JSON are taken from it."""
    streams = person_streams()
    rows = []
    for source, stream_name, record_id, raw in records:
        stream = streams.get((source, stream_name))
        if stream is None:
            continue
        row = known.get(source, stream_name, record_id, raw) if known is not None else None
        rows.append(row if row is not None else record_features(stream, record_id, json.loads(raw)))
    return pl.DataFrame(rows, schema=FEATURES)
