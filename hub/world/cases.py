"""The case-management system's world: criminal cases, telecom-fraud cases filed from
victims' reports, aiding cases against mule-card holders, and who was involved."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from hub.world import places, rand
from hub.world.config import HISTORY_START, REFERENCE
from hub.world.fraud import ANTI_FRAUD_UNIT, FraudWorld
from hub.world.rings import pid

__all__ = ["CaseWorld", "build"]

# kind, Chinese name, share, handling unit kind, victims, suspects, loss range, solve rate
_KINDS: list[tuple[str, str, float, str, tuple[int, int], tuple[int, int], tuple[int, int], float]]
_KINDS = [
    ("theft", "盗窃", 0.36, "station", (1, 1), (1, 2), (300, 30_000), 0.35),
    ("robbery", "抢劫", 0.03, "criminal_investigation", (1, 1), (1, 3), (200, 20_000), 0.6),
    ("fraud", "诈骗", 0.07, "station", (1, 2), (1, 2), (1_000, 100_000), 0.3),
    ("economic_crime", "非法吸收公众存款", 0.04, "economic_crime", (2, 6), (1, 3),
     (100_000, 5_000_000), 0.5),
    ("economic_crime", "合同诈骗", 0.03, "economic_crime", (1, 2), (1, 2),
     (50_000, 2_000_000), 0.5),
    ("injury", "故意伤害", 0.10, "station", (1, 1), (1, 3), (0, 0), 0.8),
    ("affray", "寻衅滋事", 0.08, "station", (0, 2), (1, 4), (0, 0), 0.85),
    ("gambling", "开设赌场", 0.07, "station", (0, 0), (1, 4), (0, 0), 0.95),
    ("drugs", "贩卖毒品", 0.03, "narcotics", (0, 0), (1, 2), (0, 0), 0.9),
    ("dangerous_driving", "危险驾驶", 0.12, "station", (0, 0), (1, 1), (0, 0), 1.0),
]  # fmt: skip
_MINUTE = timedelta(minutes=1)
_STOLEN = ["电动车", "手机", "现金", "摩托车", "家中财物", "电缆", "农用三轮车", "粮食"]


@dataclass(frozen=True, slots=True)
class CaseWorld:
    # case, kind, kind_cn, unit_code, accepted_at, filed_at, solved_at, closed_at, loss,
    # title_person, title_text, town, ring_id, relation, report
    cases: pl.DataFrame
    # case, role, person_id, account, at
    involved: pl.DataFrame
    # (person row, case, since): identified suspects of unsolved cases, still at large
    at_large: list[tuple[int, int, datetime]]


def _times(
    rng: random.Random, accepted: datetime, solve_rate: float, solve_by: datetime | None = None
) -> tuple[datetime | None, datetime | None, datetime | None]:
    filed = accepted + timedelta(hours=rng.randrange(2, 360)) if rng.random() < 0.88 else None
    solved = None
    if filed is not None and rng.random() < solve_rate:
        solved = solve_by or filed + timedelta(hours=rng.randrange(24, 24 * 180))
        solved = max(solved, filed + timedelta(hours=1))
    closed = (
        solved + timedelta(days=rng.randrange(15, 120)) if solved and rng.random() < 0.6 else None
    )
    clip = [t if t is not None and t < REFERENCE else None for t in (filed, solved, closed)]
    filed, solved, closed = clip
    solved = solved if filed else None
    closed = closed if solved else None
    return filed, solved, closed


def build(people: pl.DataFrame, fraud: FraudWorld, seed: int) -> CaseWorld:
    rng = rand.py_rng(seed, "cases")
    adults = people.filter(pl.col("age") >= 16)
    adult_rows = adults.select("pidx", "town").rows()
    suspects_pool = (
        adults.filter((pl.col("age") <= 60) & ((pl.col("sex") == "M") | (pl.col("pidx") % 4 == 0)))
        .get_column("pidx")
        .to_list()
    )
    cases: list[tuple[object, ...]] = []
    involved: list[tuple[int, str, str, str | None, datetime]] = []
    at_large: list[tuple[int, int, datetime]] = []
    span = int((REFERENCE - HISTORY_START).total_seconds()) - 86_400
    weights = [k[2] for k in _KINDS]
    units = places.units()
    for _ in range(max(60, round(people.height * 0.012))):
        kind, kind_cn, _, unit_kind, victims, suspects, loss_range, solve_rate = rng.choices(
            _KINDS, weights
        )[0]
        accepted = HISTORY_START + timedelta(seconds=rng.randrange(span))
        filed, solved, closed = _times(rng, accepted, solve_rate)
        case = len(cases) + 1
        victim_rows = [rng.choice(adult_rows) for _ in range(rng.randint(*victims))]
        suspect_rows = [int(rng.choice(suspects_pool)) for _ in range(rng.randint(*suspects))]
        town = victim_rows[0][1] if victim_rows else rng.choice(places.TOWN_NAMES)
        town = town or rng.choice(places.TOWN_NAMES)
        unit = (
            places.station_unit(town)
            if unit_kind == "station"
            else next(u.code for u in units if u.kind == unit_kind)
        )
        loss = round(rng.uniform(*loss_range), -1) if loss_range[1] else None
        if kind == "theft":
            title = (pid(victim_rows[0][0]), rng.choice(_STOLEN) + "被盗案")
        elif victim_rows and kind in ("robbery", "fraud", "injury"):
            title = (pid(victim_rows[0][0]), f"被{kind_cn}案")
        else:
            title = (pid(suspect_rows[0]), f"{'等人' if len(suspect_rows) > 1 else ''}{kind_cn}案")
        cases.append((case, kind, kind_cn, unit, accepted, filed, solved, closed, loss,
                      title[0], title[1], town, None, None, None))  # fmt: skip
        for pidx, _ in victim_rows:
            involved.append((case, "victim", pid(pidx), None, accepted))
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            involved.append((case, "witness", pid(rng.choice(adult_rows)[0]), None, accepted))
        known = suspect_rows if solved else suspect_rows[:1] if rng.random() < 0.3 else []
        for pidx in known:
            involved.append((case, "suspect", pid(pidx), None, solved or filed or accepted))
        if known and not solved and filed:
            at_large.append((known[0], case, filed))
    _fraud_cases(fraud, people, rng, cases, involved)
    t: pl.DataType = pl.String()
    at: pl.DataType = pl.Datetime("us")
    columns = {"case": pl.Int64(), "kind": t, "kind_cn": t, "unit_code": t, "accepted_at": at,
               "filed_at": at, "solved_at": at, "closed_at": at, "loss": pl.Float64(),
               "title_person": t, "title_text": t, "town": t, "ring_id": t, "relation": t,
               "report": pl.Int64()}  # fmt: skip
    return CaseWorld(
        cases=pl.DataFrame(cases, schema=columns, orient="row"),
        involved=pl.DataFrame(
            involved,
            schema={"case": pl.Int64(), "role": t, "person_id": t, "account": t, "at": at},
            orient="row",
        ),
        at_large=at_large,
    )


def _fraud_cases(
    fraud: FraudWorld,
    people: pl.DataFrame,
    rng: random.Random,
    cases: list[tuple[object, ...]],
    involved: list[tuple[int, str, str, str | None, datetime]],
) -> None:
    """A telecom-fraud case per victim report; an aiding case per mule of a struck ring."""
    reporters = fraud.reports.get_column("person_id")
    towns = dict(
        people.filter(pl.col("resident") & pl.col("person_id").is_in(reporters.implode()))
        .select("person_id", "town")
        .iter_rows()
    )
    rings = {r.ring_id: r for r in fraud.ring_world.rings}
    for person, _, card, ring_id, kind_cn, loss, at, _, report in fraud.reports.iter_rows():
        ring = rings[ring_id]
        town = towns.get(person)
        unit = places.station_unit(town) if town and rng.random() < 0.4 else ANTI_FRAUD_UNIT
        accepted = min(at + timedelta(minutes=rng.randrange(10, 180)), REFERENCE - _MINUTE)
        strike = ring.active_to + timedelta(days=rng.randrange(0, 30)) if ring.struck else None
        rate = 1.0 if strike and strike > accepted else 0.0
        filed, solved, closed = _times(rng, accepted, rate, strike)
        if loss < 3_000:  # accepted, but below the amount a fraud case is filed for
            filed = solved = closed = None
        case = len(cases) + 1
        cases.append((case, "telecom_fraud", f"电信网络诈骗({kind_cn})", unit, accepted, filed,
                      solved, closed, loss, person, "被电信网络诈骗案", town, ring_id,
                      "victim_report", report))  # fmt: skip
        involved.append((case, "victim", person, card, accepted))
        if solved:
            for p in (ring.organisers + ring.callers)[: rng.randrange(2, 5)]:
                involved.append((case, "suspect", pid(p), None, solved))
    mule_cards: dict[str, str] = {}
    for account, holder in fraud.ring_world.accounts.select(
        "account", "holder_person_id"
    ).iter_rows():
        mule_cards.setdefault(holder, account)
    for ring in fraud.ring_world.rings:
        if not ring.struck:
            continue
        for m in ring.mules:
            accepted = ring.active_to + timedelta(hours=rng.randrange(2, 240))
            filed, solved, closed = _times(rng, accepted, 0.9)
            if accepted >= REFERENCE:
                continue
            case = len(cases) + 1
            cases.append((case, "aiding_fraud", "帮助信息网络犯罪活动", "411623050000", accepted,
                          filed, solved, closed, None, pid(m), "帮助信息网络犯罪活动案", None,
                          ring.ring_id, "mule_case", None))  # fmt: skip
            involved.append((case, "suspect", pid(m), mule_cards.get(pid(m)), accepted))
