"""Two units' worlds, built from graph_schema alone: every node type and relationship
type, restricted material of each unit, and personal numbers everywhere.

Each world ("own", of unit U1 and user `a`; "other", of unit U2 and user `z`) holds two
nodes of every label that the API can show, every declared relationship type between
every pair of its labels (node 1 to node 1 of the other label, or to node 2 of its own
label: never a loop), and, between the worlds, every relationship type whose ends are
public (own node 1 to other node 2: a phone, an account, a stay at the same hotel at the
same time; and within each world node 1 to node 2 of another label), so that every
traversal can walk from one unit's world into the other's. Properties get values from their
declared type; those a visibility rule or a query gives a meaning to (a unit code,
members, an open operation, a frozen stop-payment, a fraud record's fields) get the
value that makes the rule or the query apply. Every text property holds the world's
resident ID numbers, phones and cards, written with spaces and dashes as a source would.

A new label or relationship type is in both worlds without a line here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from neo4j import Driver
from stdnum import luhn
from stdnum.cn import ric

from graph_schema import GraphSchema, NodeType, Property, schema
from graph_schema.model import INTERNAL
from hub import scope
from hub.access import Principal, Role
from hub.loader import Loader
from hub.resolution import run
from hub.settings import Settings
from resolvers.types import BY_LABEL

SEEN = datetime(2026, 1, 1, tzinfo=UTC)
BEFORE = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)  # nodes' own times (a warrant's issue)
AT = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)  # every event: stays, transfers, passes
NAMES = {"own": ["张三", "张三丰"], "other": ["李四", "李四光"]}
WORD = "probe"  # in every text property, so that one search finds every node


def _resident_id(n: int) -> str:
    body = f"411623199609{11 + n:02d}47{n % 10}"
    return body + ric.calc_check_digit(body + "0")  # it reads all but the last character


def _card(n: int) -> str:
    body = f"62284850358680247{n}"
    return body + luhn.calc_check_digit(body)


def _phone(n: int) -> str:
    return f"+86130707656{50 + n}"


@dataclass
class World:
    name: str
    unit: str
    user: str
    ids: list[str]
    phones: list[str]
    cards: list[str]
    plates: list[str]
    # label -> [key of node 1, key of node 2]
    keys: dict[str, list[str]] = field(default_factory=dict)

    @property
    def principal(self) -> Principal:
        return Principal(self.user, Role.investigator, self.unit)

    def numbers(self) -> list[str]:
        """The personal numbers of this world, in their normal form."""
        return [*self.ids, *self.phones, *self.cards]

    def restricted(self, gs: GraphSchema) -> list[tuple[str, str]]:
        """(label, key) of every restricted node of this world."""
        return [
            (label, k)
            for label, keys in self.keys.items()
            if gs.node(label).restricted
            for k in keys
        ]


# Every personal date (a birth date) of the worlds: an analyst must find it nowhere.
BIRTH = date(1987, 4, 23)
BIRTH_FORMS = ("19870423", "1987-04-23", "1987/04/23")


def worlds() -> dict[str, World]:
    made = {}
    for i, name in enumerate(("own", "other")):
        n = 2 * i
        made[name] = World(
            name=name,
            unit=f"U{i + 1}",
            user="a" if name == "own" else "z",
            ids=[_resident_id(n), _resident_id(n + 1)],
            phones=[_phone(n), _phone(n + 1)],
            cards=[_card(n), _card(n + 1)],
            plates=[f"豫P1234{n}", f"豫P1234{n + 1}"],
        )
    return made


def spaced(number: str) -> str:
    """A number as a person writes it: in groups of four with spaces, or dashes."""
    digits = number.removeprefix("+86")
    groups = " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
    return ("+86 " + groups) if number.startswith("+86") else groups.replace(" ", "-")


def _text(world: World, i: int, label: str, prop: str) -> str:
    """Free text full of the node's numbers, in the forms sources write them."""
    return (
        f"{WORD} {world.name} {label}.{prop} 身份证 {world.ids[i]} 电话 {spaced(world.phones[i])} "
        f"卡号 {spaced(world.cards[i])} 手机{world.phones[i].removeprefix('+86')}"
    )


def _key(gs: GraphSchema, world: World, label: str, i: int) -> str:
    node = gs.node(label)
    prop = node.properties[node.key]
    if prop.normaliser == "phone":
        return world.phones[i]
    if prop.normaliser == "bank_card":
        return world.cards[i]
    if prop.normaliser == "plate":
        return world.plates[i]
    if label == "Person":
        return f"P{world.ids[i]}"  # as identity resolution names a person with an ID number
    if _reached_by_units(gs, label):
        return world.unit if i == 0 else f"{world.unit}x"
    if label == "Alert":  # as the rules name them: the number they are about
        return f"shared_across_units:Phone:{world.phones[i]}:{world.name}-{i}"
    return f"{label}-{world.name}-{i}"


def _reached_by_units(gs: GraphSchema, label: str) -> bool:
    """Whether a visibility rule reads unit codes off nodes of this label."""
    return any(
        label in (*gs.relationship(t).sources, *gs.relationship(t).targets)
        for node in gs.nodes.values()
        for t in node.visibility.units
        if node.label != label
    )


def value(gs: GraphSchema, world: World, node: NodeType, prop: Property, i: int) -> Any:
    if prop.normaliser == "resident_id":
        return world.ids[i]
    if prop.normaliser == "phone":
        return world.phones[i]
    if prop.normaliser == "bank_card":
        return world.cards[i]
    if prop.normaliser == "plate":
        return world.plates[i]
    if prop.normaliser == "person_name":
        return NAMES[world.name][i]
    if prop.type == "datetime":
        return BEFORE
    if prop.type == "date" and prop.personal:
        return BIRTH
    if prop.type == "date":
        return date(1996, 9, 11)
    if prop.type == "integer":
        return 1
    if prop.type == "float":
        return 1000.0
    if prop.type == "boolean":
        return True
    if prop.type == "string[]":
        return [_text(world, i, node.label, prop.name)]
    return _text(world, i, node.label, prop.name)


def _meaning(gs: GraphSchema, world: World, label: str, i: int) -> dict[str, Any]:
    """Values a visibility rule or a query gives a meaning to."""
    node = gs.node(label)
    rule = node.visibility
    values: dict[str, Any] = {}
    for prop in rule.users:
        many = node.properties[prop].type == "string[]"
        values[prop] = [world.user] if many else world.user
    for prop in rule.unit:
        values[prop] = world.unit
    for other in gs.nodes.values():  # conditions other rules put on this label
        for type_, condition in other.visibility.share.items():
            rel = gs.relationship(type_)
            if label in (*rel.sources, *rel.targets) and label != other.label:
                values.update(condition)
    if rule.cites:
        prop, name, cited = rule.cites
        values[prop] = json.dumps({name: list(world.keys.get(cited, []))})
    return values | _QUERIES.get(label, lambda w, i: {})(world, i)


def _record(world: World, i: int) -> dict[str, Any]:
    fields = {
        "bjsj": "20260101180000",  # a fraud report at that time, Beijing time
        "sqsj": "20260101180000",
        "ssje": "1000",
        "djje": "500",
        "zfzt": "已冻结",  # the stop-payment froze the account
        "sfzh": world.ids[i],
        "lxdh": spaced(world.phones[i]),
        "zh": spaced(world.cards[i]),
        "csrq": BIRTH.strftime("%Y%m%d"),  # a birth date as the big-data feeds write it
        "birth_date": BIRTH.isoformat(),  # and as the case system does
    }
    stream = ("reports", "stop_payments")[i]
    return {"source": "fraud", "stream": stream, "raw": json.dumps(fields, ensure_ascii=False)}


# Values the queries read (hub/queries/*): a frozen stop-payment, the fraud centre's
# record streams, times inside the period the tests ask about.
_QUERIES: dict[str, Any] = {
    "Record": _record,
    "StopPayment": lambda w, i: {"status": "frozen"},
    "Case": lambda w, i: {"accepted_at": AT, "filed_at": AT, "solved_at": AT},
    "Person": lambda w, i: {"name_pinyin": ["zhangsan", "zhangsanfeng"][i]},
    # A pair of the world's persons (as identity resolution names them) waiting for review.
    "Judgement": lambda w, i: {
        "left": f"P{min(w.ids)}",
        "right": f"P{max(w.ids)}",
        "verdict": "unsure",
    },
}


def labels(gs: GraphSchema) -> list[str]:
    """The labels the API can show: those with an entity type, and those some user may
    be granted (a judgement, shown by `identity`); not the hub's internal ones."""
    return sorted(
        label for label in gs.nodes if label in BY_LABEL or gs.node(label).visibility != INTERNAL
    )


def _nodes(gs: GraphSchema, world: World) -> dict[str, pl.DataFrame]:
    for label in labels(gs):
        world.keys[label] = [_key(gs, world, label, i) for i in range(2)]
    frames = {}
    for label in labels(gs):
        node = gs.node(label)
        rows = []
        for i in range(2):
            row = {p.name: value(gs, world, node, p, i) for p in node.properties.values()}
            row.update(_meaning(gs, world, label, i))
            row[node.key] = world.keys[label][i]
            rows.append(row)
        frames[label] = pl.DataFrame(rows, schema=_polars(node))
    return frames


def _polars(node: NodeType) -> dict[str, pl.DataType]:
    kinds: dict[str, pl.DataType] = {
        "string": pl.String(),
        "integer": pl.Int64(),
        "float": pl.Float64(),
        "boolean": pl.Boolean(),
        "date": pl.Date(),
        "datetime": pl.Datetime("us", "UTC"),
        "string[]": pl.List(pl.String()),
    }
    return {p.name: kinds[p.type] for p in node.properties.values()}


def _rel_row(gs: GraphSchema, type_: str, start: str, end: str, tag: str) -> dict[str, Any]:
    rel = gs.relationship(type_)
    row: dict[str, Any] = {"start": start, "end": end}
    for prop in rel.properties.values():
        if prop.type == "datetime":
            row[prop.name] = AT
        elif prop.type in ("integer",):
            row[prop.name] = 1
        elif prop.type == "float":
            row[prop.name] = 1000.0
        else:
            row[prop.name] = f"{WORD} {tag}"
    if rel.key is not None and rel.properties[rel.key].type == "string":
        row[rel.key] = f"{type_}-{tag}"
    return row


def _pairs(gs: GraphSchema, type_: str) -> Iterator[tuple[str, str]]:
    rel = gs.relationship(type_)
    for start in rel.sources:
        for end in rel.targets:
            if start in BY_LABEL and end in BY_LABEL:
                yield start, end


def load(driver: Driver, gs: GraphSchema | None = None) -> dict[str, World]:
    """Both worlds in the (empty) graph, scoped as a sync leaves them."""
    gs = gs or schema()
    made = worlds()
    loader = Loader(driver)
    for world in made.values():
        for label, frame in _nodes(gs, world).items():
            loader.nodes(label, frame, source=WORD, seen_at=SEEN)
    own, other = made["own"], made["other"]
    for type_ in gs.relationships:
        for start, end in _pairs(gs, type_):
            rows = [  # node i to node i of another label, to the other node of its own
                _rel_row(gs, type_, w.keys[start][i], w.keys[end][j], f"{w.name}-{i}{j}")
                for w in made.values()
                for i in range(2)
                for j in [i if start != end else 1 - i]
            ]
            if not (gs.node(start).restricted or gs.node(end).restricted):  # bridges
                rows.append(_rel_row(gs, type_, own.keys[start][0], other.keys[end][1], "bridge"))
                if start != end:  # and within each world: node 1 meets node 2 (co-presence)
                    rows += [
                        _rel_row(gs, type_, w.keys[start][0], w.keys[end][1], f"{w.name}-01")
                        for w in made.values()
                    ]
            frame = pl.DataFrame(rows)
            loader.relationships(type_, frame, start=start, end=end, source=WORD, seen_at=SEEN)
    scope.refresh(driver)
    # resolution as a sync runs it: a model, blocking keys and judgements (scoped as the
    # records they cite), so that matching an outside list (`matchPersons`) is walked too
    run.run(driver, Settings.from_env())
    return made
