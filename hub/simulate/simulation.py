"""What the four servers share: the world's tables, the clock, each system's token, faults
and counters, and the drop folder. Everything runs on one event loop; only the file copies
of the drop folder leave it, for a worker thread."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from hub.simulate.clock import Clock, format_iso
from hub.simulate.drop import Dropper
from hub.simulate.errors import SimulateError
from hub.simulate.faults import Faults, Injector
from hub.simulate.systems import SYSTEMS, System
from hub.simulate.tables import Table, load_system

__all__ = ["Simulation", "SystemState", "default_start"]


@dataclass(slots=True)
class SystemState:
    system: System
    tables: dict[str, Table]
    token: str
    injector: Injector
    counts: Counter[str] = field(default_factory=Counter)  # requests by outcome

    def visible(self, now: datetime) -> dict[str, int]:
        return {name: table.visible(now) for name, table in self.tables.items()}


def default_start(systems: dict[str, SystemState], dropper: Dropper) -> datetime:
    """Everything visible: the latest updated_at of any table, or the start of the latest
    big-data day if that is later (a daily file drops once the clock reaches its day)."""
    latest = [t.updated[-1] for s in systems.values() for t in s.tables.values() if t.updated]
    if dropper.latest_day is not None:
        latest.append(datetime.combine(dropper.latest_day, time()))
    if not latest:
        raise SimulateError("the world has no rows to serve: generate it first")
    return max(latest)


class Simulation:
    """The simulated source systems' shared state."""

    def __init__(
        self,
        world: Path,
        drop: Path,
        *,
        start_at: datetime | None = None,
        faults: dict[str, Faults] | None = None,
        seed: int = 1,
    ) -> None:
        sources = world / "sources"
        if not sources.is_dir():
            raise SimulateError(
                f"{world} holds no sources/: run `hub world generate --out {world}` first"
            )
        unknown = sorted(set(faults or {}) - set(SYSTEMS))
        if unknown:
            raise SimulateError(f"no system {', '.join(unknown)}; known: {', '.join(SYSTEMS)}")
        self.world = world
        self.systems = {
            name: SystemState(
                system=system,
                tables=load_system(sources / name),
                token=secrets.token_urlsafe(32),
                injector=Injector(f"{seed}:{name}", (faults or {}).get(name)),
            )
            for name, system in SYSTEMS.items()
        }
        self.dropper = Dropper(sources / "bigdata", drop)
        self.clock = Clock(start_at or default_start(self.systems, self.dropper))
        self._moving = asyncio.Lock()

    @property
    def drop(self) -> Path:
        return self.dropper.drop

    def drop_due(self) -> list[Path]:
        """Copy the daily files due at the clock's date into the drop folder."""
        return self.dropper.drop_until(self.clock.now.date())

    async def move_clock(self, *, now: datetime | None = None, hours: float | None = None) -> None:
        """Set or advance the clock (never backwards), then drop the files now due."""
        async with self._moving:
            if now is not None:
                self.clock.set(now)
            if hours is not None:
                self.clock.advance(hours)
            await asyncio.to_thread(self.dropper.drop_until, self.clock.now.date())

    def status(self) -> dict[str, object]:
        now = self.clock.now
        return {
            "clock": format_iso(now),
            "faults": {name: s.injector.faults.as_json() for name, s in self.systems.items()},
            "visible": {name: s.visible(now) for name, s in self.systems.items()},
            "total": {
                name: {stream: t.total for stream, t in s.tables.items()}
                for name, s in self.systems.items()
            },
            "requests": {name: dict(sorted(s.counts.items())) for name, s in self.systems.items()},
            "bigdata": {
                "drop": str(self.drop),
                "dropped": self.dropper.dropped(),
                "latest_day": _day(self.dropper.latest_day),
            },
        }


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
