"""`hub simulate`: the source systems as HTTP services on loopback, fed by a generated world."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from hub.cli.output import out
from hub.simulate import Faults, Simulation, Simulators
from hub.simulate.clock import format_iso, parse_instant
from hub.simulate.faults import FaultError, parse_spec
from hub.simulate.systems import SYSTEMS

app = typer.Typer(help="The source systems as HTTP services on loopback.")
console = out


def _start_at(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise typer.BadParameter(
            f"not an ISO 8601 date-time: {text!r}", param_hint="--start-at"
        ) from exc


def _faults(specs: list[str]) -> dict[str, Faults]:
    faults: dict[str, Faults] = {}
    for spec in specs:
        try:
            system, settings = parse_spec(spec)
        except FaultError as exc:
            raise typer.BadParameter(str(exc), param_hint="--faults") from exc
        if system not in SYSTEMS:
            known = ", ".join(SYSTEMS)
            raise typer.BadParameter(f"no system {system!r}; known: {known}", param_hint="--faults")
        if system in faults:
            raise typer.BadParameter(f"{system} given twice", param_hint="--faults")
        faults[system] = settings
    return faults


@app.callback(invoke_without_command=True, subcommand_metavar="")
def simulate(
    world: Annotated[
        Path, typer.Option(help="A world written by `hub world generate --out DIR`.")
    ] = Path("world"),
    host: Annotated[str, typer.Option(help="Address the source systems listen on.")] = (
        "127.0.0.1"
    ),
    port_base: Annotated[
        int, typer.Option(help="Control on this port; cases, fraud, fugitives on the next three.")
    ] = 8700,
    drop: Annotated[
        Path | None,
        typer.Option(help="Big-data drop folder.", show_default="WORLD/drop"),
    ] = None,
    start_at: Annotated[
        str | None,
        typer.Option(
            help="Initial clock, ISO 8601; naive means +08:00 (Beijing).",
            show_default="the latest updated_at or big-data day: everything visible",
        ),
    ] = None,
    faults: Annotated[
        list[str] | None,
        typer.Option(
            metavar="SYSTEM=KIND:N,...",
            help="Faults at start, once per system: cases=429:0.2,5xx:0.1,slow:0.1,timeout:0.02 "
            "(rates), also retry_after:S, slow_seconds:S, timeout_seconds:S.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the fault dice.")] = 1,
) -> None:
    """Serve the world's cases, fraud and fugitives tables over HTTP; drop big-data files.

    Writes WORLD/simulators.json (URLs and bearer tokens, mode 0600) once all four servers
    listen. Stop with Ctrl+C.
    """
    world = world.resolve()
    sim = Simulation(
        world,
        (drop or world / "drop").resolve(),
        start_at=_start_at(start_at),
        faults=_faults(faults or []),
        seed=seed,
    )
    simulators = Simulators(sim, host=host, port_base=port_base)

    def ready() -> None:
        for name in ("control", *sim.systems):
            state = sim.systems.get(name)
            streams = f"  {', '.join(state.tables)}" if state else ""
            console.print(f"{name:<10} {simulators.url(name)}{streams}")
        dropped = sum(sim.dropper.dropped().values())
        console.print(f"{'bigdata':<10} {sim.drop}  {dropped} daily files dropped")
        console.print(f"clock {format_iso(sim.clock.now)}; tokens in {world / 'simulators.json'}")
        console.print("Ctrl+C to stop")

    asyncio.run(simulators.serve(on_ready=ready))
