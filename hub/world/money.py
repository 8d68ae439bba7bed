"""Where a victim's money goes: layered mule accounts, split and merged, forward in time.

Each victim transfer starts a money path. Its money lands on a first-layer mule card
and moves on, layer by layer, until it reaches the path's depth (2 to 6 mule layers),
where it is withdrawn as cash, frozen by a stop-payment, or left where nobody saw it
go. A mule card sends on, minutes to hours after money first arrives, everything that
arrived meanwhile as one batch (merging the money of several paths), split over one to
three cards of the next layer, less a small commission. Events run in time order, so a
ring notices a frozen card half a day later and switches to a spare; money that reaches
a frozen card, or waits on it when the freeze comes, stays frozen there. Amounts are in
cents; each path's share of a transfer is tracked, so a path never sends on more than
it received.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hub.world.config import REFERENCE
from hub.world.rings import ACTIVE_CARDS, Ring

__all__ = ["Ledger", "Parcel", "VictimTransfer", "simulate"]

_DEPTHS = [2, 3, 4, 5, 6]
_DEPTH_WEIGHTS = [0.35, 0.28, 0.18, 0.11, 0.08]
_BATCH_SIZE = 4
_NOTICE = timedelta(hours=12)  # how long a ring takes to notice a frozen card


@dataclass(frozen=True, slots=True)
class VictimTransfer:
    account: str  # the victim's card
    cents: int
    at: datetime
    report_at: datetime | None  # when the victim reported it, None if never


@dataclass(slots=True)
class Parcel:
    path: str
    account: str
    cents: int
    arrived: datetime
    depth: int
    layer: int


@dataclass(slots=True)
class _Batch:
    account: str
    layer: int
    cash: bool
    send_at: datetime
    parcels: list[Parcel] = field(default_factory=list)


@dataclass(slots=True)
class Ledger:
    """Everything the simulation produced, as plain rows."""

    # txn_id, from_account, to_account (None for cash), cents, at, kind, ring_id
    txns: list[tuple[str, str, str | None, int, datetime, str, str]] = field(default_factory=list)
    # path, txn_id, layer of from_account (0 = victim), from, to, at, share of the path in cents
    hops: list[tuple[str, str, int, str, str | None, datetime, int]] = field(default_factory=list)
    # path, account, layer, cents, outcome (cash_out / frozen / unknown), at
    ends: list[tuple[str, str, int, int, str, datetime]] = field(default_factory=list)
    # path, account, cents frozen, at: the stop-payments that froze money
    freezes: list[tuple[str, str, int, datetime]] = field(default_factory=list)
    count: int = 0

    def txn_id(self, at: datetime) -> str:
        self.count += 1
        return f"JY{at:%Y%m%d}{self.count:08d}"


class _Run:
    """One ring's money: the event queue and the state of its cards."""

    def __init__(self, ring: Ring, rng: random.Random, ledger: Ledger) -> None:
        self.ring, self.rng, self.ledger = ring, rng, ledger
        self.active = [cards[: ACTIVE_CARDS + (k == 0)] for k, cards in enumerate(ring.layers)]
        self.spare = [cards[ACTIVE_CARDS + (k == 0) :] for k, cards in enumerate(ring.layers)]
        self.frozen: dict[str, datetime] = {}
        self.reported: dict[str, datetime | None] = {}
        self.open: dict[tuple[str, bool], _Batch] = {}
        self.queue: list[tuple[datetime, int, Parcel | _Batch]] = []
        self.seq = 0

    def push(self, at: datetime, item: Parcel | _Batch) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (at, self.seq, item))

    def cards(self, layer: int, at: datetime, count: int) -> list[str]:
        """count cards of layer to send to, replacing those known to be frozen by spares."""
        active, spare = self.active[layer - 1], self.spare[layer - 1]
        for card in list(active):
            if card in self.frozen and self.frozen[card] + _NOTICE <= at and spare:
                active.remove(card)
                active.append(spare.pop(0))
        return self.rng.sample(active, min(count, len(active)))

    def end(self, parcel: Parcel, outcome: str, at: datetime) -> None:
        self.ledger.ends.append(
            (parcel.path, parcel.account, parcel.layer, parcel.cents, outcome, at)
        )

    def arrive(self, p: Parcel) -> None:
        frozen = self.frozen.get(p.account)
        if frozen is not None and frozen <= p.arrived:
            self.end(p, "frozen", p.arrived)
            return
        cash = p.depth == p.layer
        if cash:
            reported, roll = self.reported[p.path], self.rng.random()
            if reported is not None and roll < 0.3:
                at = max(p.arrived, reported) + timedelta(minutes=self.rng.randrange(5, 90))
                if at < REFERENCE:
                    self.frozen[p.account] = min(self.frozen.get(p.account, at), at)
                    self.ledger.freezes.append((p.path, p.account, p.cents, at))
                    self.end(p, "frozen", at)
                    return
            if roll >= 0.8:
                self.end(p, "unknown", p.arrived)
                return
        batch = self.open.get((p.account, cash))
        if batch is None or batch.send_at <= p.arrived or len(batch.parcels) >= _BATCH_SIZE:
            wait = (10, 240) if cash else (2, 180)
            send_at = p.arrived + timedelta(
                minutes=self.rng.randrange(*wait), seconds=self.rng.randrange(60)
            )
            batch = _Batch(p.account, p.layer, cash, send_at)
            self.open[(p.account, cash)] = batch
            self.push(send_at, batch)
        batch.parcels.append(p)

    def send(self, batch: _Batch) -> None:
        if self.open.get((batch.account, batch.cash)) is batch:
            del self.open[(batch.account, batch.cash)]
        frozen = self.frozen.get(batch.account)
        if frozen is not None and frozen <= batch.send_at:
            for p in batch.parcels:
                self.end(p, "frozen", max(p.arrived, frozen))
            return
        if batch.send_at >= REFERENCE:
            for p in batch.parcels:
                self.end(p, "unknown", p.arrived)
            return
        if batch.cash:
            self._withdraw(batch)
        else:
            self._forward(batch)

    def _withdraw(self, batch: _Batch) -> None:
        txn = self.ledger.txn_id(batch.send_at)
        total = sum(p.cents for p in batch.parcels)
        self.ledger.txns.append(
            (txn, batch.account, None, total, batch.send_at, "cash_out", self.ring.ring_id)
        )
        for p in batch.parcels:
            self.ledger.hops.append(
                (p.path, txn, p.layer, batch.account, None, batch.send_at, p.cents)
            )
            self.end(p, "cash_out", batch.send_at)

    def _forward(self, batch: _Batch) -> None:
        rng = self.rng
        targets = self.cards(batch.layer + 1, batch.send_at, rng.choice([1, 1, 2, 2, 3]))
        weights = [rng.uniform(0.3, 1.0) for _ in targets]
        keep = 1.0 - rng.uniform(0.0, 0.02)  # the mule's commission stays behind
        for j, target in enumerate(targets):
            when = batch.send_at + timedelta(minutes=j * rng.randrange(1, 15), seconds=j)
            fraction = keep * weights[j] / sum(weights)
            shares = [(p, int(p.cents * fraction)) for p in batch.parcels]
            total = sum(s for _, s in shares)
            if total == 0:
                continue
            txn = self.ledger.txn_id(when)
            self.ledger.txns.append(
                (txn, batch.account, target, total, when, "transfer", self.ring.ring_id)
            )
            for p, share in shares:
                if share > 0:
                    self.ledger.hops.append(
                        (p.path, txn, batch.layer, batch.account, target, when, share)
                    )
                    self.push(when, Parcel(p.path, target, share, when, p.depth, batch.layer + 1))


def simulate(
    ring: Ring, transfers: list[VictimTransfer], rng: random.Random, ledger: Ledger
) -> list[str]:
    """Move the money of transfers through ring's mule layers; the path ids, in order."""
    run = _Run(ring, rng, ledger)
    paths: list[str] = []
    for vt in transfers:
        txn = ledger.txn_id(vt.at)
        paths.append(txn)
        run.reported[txn] = vt.report_at
        depth = rng.choices(_DEPTHS, _DEPTH_WEIGHTS)[0]
        run.push(vt.at, Parcel(txn, vt.account, vt.cents, vt.at, depth, 0))
    while run.queue:
        at, _, item = heapq.heappop(run.queue)
        if isinstance(item, _Batch):
            run.send(item)
        elif item.layer == 0:  # the victim pays the first mule card in use at the time
            to = run.cards(1, at, 1)[0]
            ledger.txns.append((item.path, item.account, to, item.cents, at, "transfer",
                                ring.ring_id))  # fmt: skip
            ledger.hops.append((item.path, item.path, 0, item.account, to, at, item.cents))
            run.arrive(Parcel(item.path, to, item.cents, at, item.depth, 1))
        else:
            run.arrive(item)
    return paths
