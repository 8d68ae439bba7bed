"""Telecom-fraud rings: who is in them, their mule accounts by layer and their phones."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl

from hub.world import assets, rand
from hub.world.config import HISTORY_START, REFERENCE
from hub.world.people import person_id

__all__ = [
    "ACTIVE_CARDS",
    "KINDS",
    "MAX_LAYERS",
    "Picker",
    "Ring",
    "RingWorld",
    "build",
    "pid",
    "spare_cards",
    "targets_per_ring",
]

MAX_LAYERS = 6
ACTIVE_CARDS = 2  # mule cards a ring uses at once per layer (one more on the first)
TARGETS_SHARE = 0.006  # people the rings call, as a share of the county


def targets_per_ring(people: int, rings: int) -> int:
    return max(10, round(people * TARGETS_SHARE / rings))


def spare_cards(targets: int) -> int:
    """Cards per layer a ring switches to when one is frozen: about one per six targets."""
    return max(5, targets // 6)


# kind, Chinese label, smallest and largest amount of one victim transfer (yuan)
KINDS: list[tuple[str, str, int, int]] = [
    ("police_impersonation", "冒充公检法", 20_000, 400_000),
    ("loan", "贷款", 2_000, 50_000),
    ("click_farming", "刷单返利", 500, 80_000),
    ("investment", "虚假投资理财", 10_000, 800_000),
    ("ecommerce_service", "冒充电商物流客服", 1_000, 60_000),
]


def pid(pidx: int) -> str:
    """The truth's person id of a person row number."""
    return f"P{pidx + 1:07d}"


class Picker:
    """Draws people from pools without drawing anyone twice across the whole world."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[int] = set()

    def pick(self, pool: list[int], k: int) -> list[int]:
        out: list[int] = []
        for _ in range(50 * k + 50):
            if len(out) == k or not pool:
                break
            candidate = pool[self.rng.randrange(len(pool))]
            if candidate not in self.used:
                self.used.add(candidate)
                out.append(candidate)
        return out


@dataclass(slots=True)
class Ring:
    ring_id: str
    kind: str
    kind_cn: str
    low: int
    high: int
    active_from: datetime
    active_to: datetime
    struck: bool
    organisers: list[int] = field(default_factory=list)
    callers: list[int] = field(default_factory=list)
    mules: list[int] = field(default_factory=list)
    # mule card numbers per layer, layer 1 first; in use first, then spares
    layers: list[list[str]] = field(default_factory=list)
    organiser_accounts: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)  # the callers' and organisers' SIMs


@dataclass(frozen=True, slots=True)
class RingWorld:
    rings: list[Ring]
    members: pl.DataFrame  # ring_id, kind, kind_cn, person_id, role
    accounts: pl.DataFrame  # like assets.accounts, role mule or organiser
    phones: pl.DataFrame  # like assets.phones, used by members, registered to others


def _pools(people: pl.DataFrame) -> dict[str, list[int]]:
    age, resident = pl.col("age"), pl.col("resident")
    conditions = {
        "organiser": age.is_between(25, 55),
        "caller": age.is_between(18, 40),
        "mule": age.is_between(18, 35) & resident,
        "sim_owner": age >= 55,
    }
    return {
        name: people.filter(cond).get_column("pidx").cast(pl.Int64).to_list()
        for name, cond in conditions.items()
    }


def build(
    people: pl.DataFrame, seed: int, phone_start: int, card_start: int, picker: Picker
) -> RingWorld:
    """Rings in proportion to the county's size, at least two."""
    rng = picker.rng
    pools = _pools(people)
    outsiders = people.filter(~pl.col("resident") & pl.col("age").is_between(25, 55))
    outsider_pool = outsiders.get_column("pidx").cast(pl.Int64).to_list()
    count = max(2, people.height // 20_000)
    spares = spare_cards(targets_per_ring(people.height, count))
    rings: list[Ring] = []
    member_rows: list[tuple[str, str, str, str, str]] = []
    account_rows: list[tuple[int, str, str, int | None, int]] = []
    phone_rows: list[tuple[int, str, str]] = []
    span = (datetime(2026, 6, 1) - HISTORY_START).days
    for r in range(count):
        kind, kind_cn, low, high = KINDS[r % len(KINDS)]
        start = HISTORY_START + timedelta(days=rng.randrange(span), minutes=rng.randrange(1440))
        end = start + timedelta(days=rng.randrange(180, 900))
        if r % 2 == 0 or end > REFERENCE:
            end = REFERENCE
        ring = Ring(f"R{r + 1:03d}", kind, kind_cn, low, high, start, end, end < REFERENCE)
        from_outside = rng.randrange(1, 3)
        ring.organisers = picker.pick(outsider_pool, from_outside)[:1]
        ring.organisers += picker.pick(pools["organiser"], rng.randrange(0, 2))
        ring.callers = picker.pick(pools["caller"], rng.randrange(3, 9))
        ring.mules = picker.pick(pools["mule"], rng.randrange(6, 13))
        for role, group in (("organiser", ring.organisers), ("caller", ring.callers),
                            ("mule", ring.mules)):  # fmt: skip
            member_rows += [(ring.ring_id, kind, kind_cn, pid(p), role) for p in group]
        # mule cards of every layer: the ones in use first, then spares for frozen ones
        cards = [
            (ring.mules[rng.randrange(len(ring.mules))], layer)
            for layer in range(1, MAX_LAYERS + 1)
            for _ in range(ACTIVE_CARDS + (layer == 1) + spares)
        ]
        ring.layers = [[] for _ in range(MAX_LAYERS)]
        for holder, layer in cards:
            account_rows.append((holder, ring.ring_id, "mule", layer, len(account_rows)))
        for holder in ring.organisers:
            account_rows.append((holder, ring.ring_id, "organiser", None, len(account_rows)))
        for holder in ring.organisers + ring.callers:
            for _ in range(rng.randrange(1, 4)):
                owner = pools["sim_owner"][rng.randrange(len(pools["sim_owner"]))]
                phone_rows.append((holder, ring.ring_id, pid(owner)))
        rings.append(ring)
    accounts = _ring_accounts(account_rows, card_start, rand.salt(seed, "ring-banks"))
    phones = pl.DataFrame(
        phone_rows,
        schema={"holder": pl.Int64, "ring_id": pl.String, "registered_person_id": pl.String},
        orient="row",
    ).with_row_index("item")
    phones = phones.select(
        phone=assets.phone_numbers(pl.col("item") + phone_start),
        person_id=person_id(pl.col("holder")),
        registered_person_id="registered_person_id",
        kind=pl.lit("mobile"),
        ring_id="ring_id",
    )
    by_ring = {ring.ring_id: ring for ring in rings}
    for acc, ring_id, role, layer in accounts.select(
        "account", "ring_id", "role", "layer"
    ).iter_rows():
        if role == "mule":
            by_ring[ring_id].layers[layer - 1].append(acc)
        else:
            by_ring[ring_id].organiser_accounts.append(acc)
    for phone, ring_id in phones.select("phone", "ring_id").iter_rows():
        by_ring[ring_id].phones.append(phone)
    members = pl.DataFrame(
        member_rows,
        schema={c: pl.String for c in ["ring_id", "kind", "kind_cn", "person_id", "role"]},
        orient="row",
    )
    return RingWorld(rings, members, accounts, phones)


def _ring_accounts(
    rows: list[tuple[int, str, str, int | None, int]], card_start: int, key: int
) -> pl.DataFrame:
    frame = pl.DataFrame(
        rows,
        schema={
            "holder": pl.Int64,
            "ring_id": pl.String,
            "role": pl.String,
            "layer": pl.Int64,
            "item": pl.Int64,
        },
        orient="row",
    ).with_columns(
        bank=rand.weighted(key, [b[3] for b in assets.BANKS]).cast(pl.Int64),
        card_index=pl.col("item") + card_start,
    )
    frame = assets.with_card_numbers(frame, "card_index", "bank", "account")
    return frame.select(
        "account",
        bank=pl.col("bank").replace_strict(
            list(range(len(assets.BANKS))), [b[1] for b in assets.BANKS], return_dtype=pl.String
        ),
        holder_person_id=person_id(pl.col("holder")),
        role="role",
        ring_id="ring_id",
        layer=pl.col("layer").cast(pl.Int32),
    )
