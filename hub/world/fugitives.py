"""The online fugitive list: warrants for suspects at large, from the county and from
other provinces, and where wanted people later show up in the county's big-data feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from hub.world import places, rand
from hub.world.cases import CaseWorld
from hub.world.config import REFERENCE, WINDOW_START
from hub.world.fraud import FraudWorld
from hub.world.rings import Picker, pid

__all__ = ["FEEDS", "FugitiveWorld", "build"]

FEEDS = ["hotel", "netcafe", "rail", "checkpoint"]
_OFFENCES = ["盗窃罪", "诈骗罪", "故意伤害罪", "抢劫罪", "贩卖毒品罪", "合同诈骗罪",
             "非法吸收公众存款罪", "寻衅滋事罪", "开设赌场罪", "强奸罪", "故意杀人罪"]  # fmt: skip
_EARLIEST_WARRANT = datetime(2015, 1, 1)


@dataclass(frozen=True, slots=True)
class FugitiveWorld:
    # warrant_no, person_id, unit_code, unit_name, province, offence, case_ref, level,
    # issued_at, captured_at, captured_by, capture_place
    warrants: pl.DataFrame
    # person_id, warrant_no, feed, at, place (place code, station or plate), place_name
    sightings: pl.DataFrame


def _unit(region_code: str) -> tuple[str, str, str]:
    """Code, name and province of the bureau of a region."""
    region = next(r for r in places.REGIONS if r.code == region_code)
    county = region.county
    name = f"{region.city}公安局{county[:-1]}分局" if county.endswith("区") else f"{county}公安局"
    return f"{region_code}000000", name, region.province


def build(
    people: pl.DataFrame,
    vehicles: pl.DataFrame,
    cases: CaseWorld,
    fraud: FraudWorld,
    seed: int,
    picker: Picker,
) -> FugitiveWorld:
    rng = rand.py_rng(seed, "fugitives")
    units = {u.code: u.name for u in places.units()}
    # (person row, unit code, unit name, province, offence, case ref, issued)
    wanted: list[tuple[int, str, str, str, str, str | None, datetime]] = []
    case_units = dict(cases.cases.select("case", "unit_code").iter_rows())
    for pidx, case, since in cases.at_large:
        if rng.random() < 0.6 and pidx not in picker.used:
            picker.used.add(pidx)
            unit = case_units[case]
            issued = since + timedelta(days=rng.randrange(10, 90))
            wanted.append((pidx, unit, units[unit], "河南省", rng.choice(_OFFENCES), f"#{case}",
                           issued))  # fmt: skip
    for pidx, _, struck in fraud.escaped:
        issued = struck + timedelta(days=rng.randrange(3, 40))
        wanted.append((pidx, "411623050000", units["411623050000"], "河南省", "诈骗罪", None,
                       issued))  # fmt: skip
    outsiders = people.filter(~pl.col("resident") & pl.col("age").is_between(18, 60))
    outsider_rows = outsiders.select("pidx", "region_code").rows()
    span = int((WINDOW_START - _EARLIEST_WARRANT).total_seconds())
    for pidx, region_code in rng.sample(
        outsider_rows, min(len(outsider_rows), max(6, people.height // 2_500))
    ):
        if pidx in picker.used:
            continue
        picker.used.add(pidx)
        code, name, province = _unit(region_code)
        issued = _EARLIEST_WARRANT + timedelta(seconds=rng.randrange(span))
        foreign_case = f"A{code}{issued:%Y%m}{rng.randrange(1, 9999):04d}"
        wanted.append((pidx, code, name, province, rng.choice(_OFFENCES), foreign_case, issued))
    plates: dict[str, str] = dict(
        vehicles.filter(pl.col("person_id").is_in([pid(w[0]) for w in wanted]))
        .select("person_id", "plate")
        .iter_rows()
    )
    hotel_list = places.hotels(places.hotel_count(people.height))
    cafe_list = places.netcafes(places.netcafe_count(people.height))
    checkpoint_list = places.checkpoints()
    warrants: list[tuple[object, ...]] = []
    sightings: list[tuple[object, ...]] = []
    seq: dict[tuple[str, int], int] = {}
    for pidx, unit, unit_name, province, offence, ref, issued in sorted(wanted, key=lambda w: w[6]):
        issued = min(issued, REFERENCE - timedelta(days=2))
        seq[(unit, issued.year)] = seq.get((unit, issued.year), 0) + 1
        warrant = f"T{unit}{issued.year}{seq[(unit, issued.year)]:05d}"
        person = pid(pidx)
        captured_at, captured_by, capture_place = None, None, None
        seen_from = max(WINDOW_START, issued + timedelta(days=1))
        if seen_from < REFERENCE - timedelta(days=1) and rng.random() < 0.45:
            seconds = int((REFERENCE - seen_from).total_seconds())
            times = sorted(
                seen_from + timedelta(seconds=rng.randrange(seconds))
                for _ in range(rng.randrange(1, 4))
            )
            caught = times[0] + timedelta(minutes=rng.randrange(90, 4320))
            if rng.random() < 0.5 and caught < REFERENCE:
                captured_at = caught
                captured_by = places.station_unit(rng.choice(places.TOWN_NAMES))
            for at in times:
                if captured_at is not None and at >= captured_at:
                    break
                feed = rng.choice(FEEDS if person in plates else FEEDS[:3])
                if feed == "rail":
                    place, place_name = rng.choice(places.STATIONS[1:]), places.STATIONS[0]
                else:
                    site = rng.choice(
                        {"hotel": hotel_list, "netcafe": cafe_list}.get(feed, checkpoint_list)
                    )
                    place, place_name = site.code, site.name
                capture_place = capture_place or place_name
                sightings.append((person, warrant, feed, at, place, place_name, plates.get(person)))
            capture_place = capture_place if captured_at is not None else None
        elif issued < WINDOW_START - timedelta(days=30) and rng.random() < 0.3:
            days = max(1, (WINDOW_START - issued).days)
            captured_at = issued + timedelta(days=rng.randrange(1, days + 1))
            captured_by, capture_place = unit, province
        warrants.append((warrant, person, unit, unit_name, province, offence, ref,
                         rng.choice(["一般", "一般", "B级", "A级"]), issued, captured_at,
                         captured_by, capture_place))  # fmt: skip
    t: pl.DataType = pl.String()
    ts: pl.DataType = pl.Datetime("us")
    warrant_cols = {"warrant_no": t, "person_id": t, "unit_code": t, "unit_name": t,
                    "province": t, "offence": t, "case_ref": t, "level": t, "issued_at": ts,
                    "captured_at": ts, "captured_by": t, "capture_place": t}  # fmt: skip
    sighting_cols = {"person_id": t, "warrant_no": t, "feed": t, "at": ts, "place": t,
                     "place_name": t, "plate": t}  # fmt: skip
    return FugitiveWorld(
        warrants=pl.DataFrame(warrants, schema=warrant_cols, orient="row"),
        sightings=pl.DataFrame(sightings, schema=sighting_cols, orient="row"),
    )
