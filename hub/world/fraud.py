"""The anti-fraud side of the world: targets, warnings, dissuasions, victims' transfers,
reports, stop-payments, and the calls the rings make."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from hub.world import money, rand, rings
from hub.world.config import REFERENCE, WINDOW_START
from hub.world.rings import Picker, Ring, pid

__all__ = ["FraudWorld", "build"]

ANTI_FRAUD_UNIT = "411623060000"
_LAST_TRANSFER = REFERENCE - timedelta(days=4)  # every path has time to reach its depth
_T = pl.String
_AT = pl.Datetime("us")


@dataclass(frozen=True, slots=True)
class FraudWorld:
    ring_world: rings.RingWorld
    targets: pl.DataFrame  # person_id, ring_id, phone, contacted_at, warned, result, victim
    warnings: pl.DataFrame  # warning, person_id, phone, ring_phone, at, warning_kind
    dissuasions: pl.DataFrame  # warning, at, method, result, unit_code
    ledger: money.Ledger
    path_rings: dict[str, str]  # path id → ring id
    path_victims: dict[str, str]  # path id → victim person id
    reports: pl.DataFrame  # report, person_id, phone, account, ring_id, kind_cn, loss, at, ...
    report_paths: dict[str, int]  # path id → report number
    stop_payments: pl.DataFrame  # report, account, at, requested, frozen, status
    calls: pl.DataFrame  # caller, callee, at, seconds (E.164 phones)
    escaped: list[tuple[int, str, datetime]]  # organisers of struck rings still at large


def _target_pool(
    people: pl.DataFrame, phones: pl.DataFrame, accounts: pl.DataFrame
) -> pl.DataFrame:
    first_phone = phones.group_by("person_id", maintain_order=True).agg(pl.col("phone").first())
    first_card = accounts.group_by("holder_person_id", maintain_order=True).agg(
        pl.col("account").first()
    )
    return (
        people.filter(pl.col("age").is_between(18, 80))
        .select("pidx", "person_id", "town")
        .join(first_phone, on="person_id", how="inner", maintain_order="left")
        .join(
            first_card,
            left_on="person_id",
            right_on="holder_person_id",
            how="inner",
            maintain_order="left",
        )
    )


def _amount(ring: Ring, rng: random.Random) -> int:
    yuan = math.exp(rng.uniform(math.log(ring.low), math.log(ring.high)))
    rounded = round(yuan, -2) if yuan > 5_000 else round(yuan, 0)
    return max(100, int(rounded)) * 100


def build(
    people: pl.DataFrame,
    phones: pl.DataFrame,
    accounts: pl.DataFrame,
    seed: int,
    picker: Picker,
) -> FraudWorld:
    ring_world = rings.build(people, seed, phones.height, accounts.height, picker)
    rng = rand.py_rng(seed, "fraud")
    pool = _target_pool(people, phones, accounts)
    pool_rows = pool.select("pidx", "phone", "account").rows()
    per_ring = rings.targets_per_ring(people.height, len(ring_world.rings))
    targets: list[tuple[object, ...]] = []
    warnings: list[tuple[int, str, str, str, datetime]] = []
    dissuasions: list[tuple[int, datetime, str, str]] = []
    reports: list[tuple[str, str, str, str, str, float, datetime, str, int]] = []
    calls: list[tuple[str, str, datetime, int]] = []
    ledger = money.Ledger()
    path_rings: dict[str, str] = {}
    path_victims: dict[str, str] = {}
    report_paths: dict[str, int] = {}
    for ring in ring_world.rings:
        last = min(ring.active_to, _LAST_TRANSFER)
        span = max(1, int((last - ring.active_from).total_seconds() // 60) - 3 * 1440)
        ring_transfers: list[money.VictimTransfer] = []
        ring_victims: list[str] = []
        ring_reports: list[int] = []
        for _ in range(per_ring):
            row = _draw(pool_rows, picker)
            if row is None:
                break
            pidx, phone, card = row
            contact = ring.active_from + timedelta(minutes=rng.randrange(span))
            ring_phone = rng.choice(ring.phones)
            for c in range(rng.randrange(1, 4)):
                at = contact + timedelta(hours=c * rng.randrange(1, 30), seconds=rng.randrange(60))
                calls.append((ring_phone, phone, at, rng.randrange(40, 1800)))
            free_at, result, warned = contact, None, rng.random() < 0.45
            if warned:
                warn_at = contact + timedelta(minutes=rng.randrange(10, 360))
                warnings.append((len(warnings) + 1, pid(pidx), phone, ring_phone, warn_at))
                talk_at = warn_at + timedelta(minutes=rng.randrange(5, 120))
                result = rng.choices(["劝阻成功", "劝阻失败", "无法联系"], [0.65, 0.25, 0.1])[0]
                method = rng.choices(["电话劝阻", "上门劝阻", "短信提醒"], [0.7, 0.2, 0.1])[0]
                dissuasions.append((len(warnings), talk_at, method, result))
                free_at = talk_at
            victim = (result is not None and result != "劝阻成功") or (
                result is None and rng.random() < 0.75
            )
            times: list[datetime] = []
            if victim:
                at = free_at + timedelta(minutes=rng.randrange(30, 2880))
                for _ in range(rng.randrange(1, 6 if ring.kind == "investment" else 4)):
                    if at >= last:
                        break
                    times.append(at)
                    at += timedelta(minutes=rng.randrange(10, 7200))
            report_at = None
            if times and rng.random() < 0.6:
                report_at = times[-1] + timedelta(minutes=rng.randrange(60, 5760))
                report_at = report_at if report_at < REFERENCE else None
            targets.append((pid(pidx), ring.ring_id, phone, contact, warned, result, bool(times)))
            transfers = [
                money.VictimTransfer(card, _amount(ring, rng), t, report_at) for t in times
            ]
            if report_at is not None:
                loss = sum(t.cents for t in transfers) / 100
                reports.append((pid(pidx), phone, card, ring.ring_id, ring.kind_cn, loss,
                                report_at, ring_phone, len(reports) + 1))  # fmt: skip
                ring_reports += [len(reports)] * len(transfers)
            else:
                ring_reports += [0] * len(transfers)
            ring_transfers += transfers
            ring_victims += [pid(pidx)] * len(transfers)
        paths = money.simulate(ring, ring_transfers, rng, ledger)
        for i, path in enumerate(paths):
            path_rings[path] = ring.ring_id
            path_victims[path] = ring_victims[i]
            if ring_reports[i]:
                report_paths[path] = ring_reports[i]
        calls += _ring_calls(ring, phones, rng)
    return FraudWorld(
        ring_world=ring_world,
        targets=pl.DataFrame(
            targets,
            schema={
                "person_id": _T,
                "ring_id": _T,
                "phone": _T,
                "contacted_at": _AT,
                "warned": pl.Boolean,
                "result": _T,
                "victim": pl.Boolean,
            },
            orient="row",
        ),
        warnings=pl.DataFrame(
            warnings,
            schema={
                "warning": pl.Int64,
                "person_id": _T,
                "phone": _T,
                "ring_phone": _T,
                "at": _AT,
            },
            orient="row",
        ),
        dissuasions=pl.DataFrame(
            dissuasions,
            schema={"warning": pl.Int64, "at": _AT, "method": _T, "result": _T},
            orient="row",
        ),
        ledger=ledger,
        path_rings=path_rings,
        path_victims=path_victims,
        reports=pl.DataFrame(
            reports,
            schema={
                "person_id": _T,
                "phone": _T,
                "account": _T,
                "ring_id": _T,
                "kind_cn": _T,
                "loss": pl.Float64,
                "at": _AT,
                "ring_phone": _T,
                "report": pl.Int64,
            },
            orient="row",
        ),
        report_paths=report_paths,
        stop_payments=_stop_payments(ledger, report_paths, [r[6] for r in reports], rng),
        calls=pl.DataFrame(
            calls,
            schema={"caller": _T, "callee": _T, "at": _AT, "seconds": pl.Int64},
            orient="row",
        ),
        escaped=_escaped(ring_world.rings, rng),
    )


def _ring_calls(
    ring: Ring, phones: pl.DataFrame, rng: random.Random
) -> list[tuple[str, str, datetime, int]]:
    """Members calling each other every day of the big-data window while the ring is active."""
    own = phones.filter(
        pl.col("person_id").is_in([pid(p) for p in ring.organisers + ring.callers + ring.mules])
    )
    numbers = ring.phones + own.get_column("phone").to_list()
    out = []
    day = max(WINDOW_START, ring.active_from.replace(hour=0, minute=0, second=0))
    while day < min(ring.active_to, REFERENCE) and len(numbers) > 1:
        for _ in range(rng.randrange(len(numbers), 3 * len(numbers))):
            a, b = rng.sample(numbers, 2)
            at = day + timedelta(seconds=rng.randrange(8 * 3600, 86_400))
            if at < ring.active_to:
                out.append((a, b, at, rng.randrange(10, 900)))
        day += timedelta(days=1)
    return out


def _draw(rows: list[tuple[int, str, str]], picker: Picker) -> tuple[int, str, str] | None:
    """A row of the target pool whose person nobody has drawn yet."""
    for _ in range(200):
        row = rows[picker.rng.randrange(len(rows))]
        if row[0] not in picker.used:
            picker.used.add(row[0])
            return row
    return None


def _stop_payments(
    ledger: money.Ledger,
    report_paths: dict[str, int],
    report_times: list[datetime],
    rng: random.Random,
) -> pl.DataFrame:
    """Frozen money, and failed requests on the first mule card of reported paths."""
    rows = [
        (report_paths[path], account, at, cents / 100, cents / 100, "已冻结")
        for path, account, cents, at in ledger.freezes
    ]
    first_hops = [h for h in ledger.hops if h[2] == 0 and h[0] in report_paths]
    frozen = {(path, account) for path, account, _, _ in ledger.freezes}
    for path, _, _, _, to, _, cents in first_hops:
        if to is not None and (path, to) not in frozen and rng.random() < 0.5:
            asked = report_times[report_paths[path] - 1] + timedelta(minutes=rng.randrange(10, 240))
            if asked < REFERENCE:
                rows.append((report_paths[path], to, asked, cents / 100, 0.0, "止付失败"))
    return pl.DataFrame(
        rows,
        schema={
            "report": pl.Int64,
            "account": _T,
            "at": _AT,
            "requested": pl.Float64,
            "frozen": pl.Float64,
            "status": _T,
        },
        orient="row",
    ).sort("at", "report", "account", maintain_order=True)


def _escaped(all_rings: list[Ring], rng: random.Random) -> list[tuple[int, str, datetime]]:
    return [
        (p, ring.ring_id, ring.active_to)
        for ring in all_rings
        if ring.struck
        for p in ring.organisers
        if rng.random() < 0.5
    ]
