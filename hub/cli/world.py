"""`hub world generate`: a reproducible synthetic county and its ground truth."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from hub.cli.output import out
from hub.world import WorldConfig, generate
from hub.world.config import NOISE_LEVELS

app = typer.Typer(help="The synthetic county the source simulators serve.", no_args_is_help=True)
console = out


@app.callback()
def world() -> None:
    """The synthetic county the source simulators serve."""


@app.command("generate")
def generate_command(
    people: Annotated[
        int, typer.Option(min=500, help="How many people live in the county.")
    ] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same bytes.")] = 1,
    out: Annotated[
        Path, typer.Option(help="Directory to write into; its sources/ and truth/ are replaced.")
    ] = Path("world"),
    noise: Annotated[
        str, typer.Option(help=f"Noise level: {' or '.join(NOISE_LEVELS)}.")
    ] = "default",
) -> None:
    """Write source records per system, daily big-data files and the ground truth."""
    if noise not in NOISE_LEVELS:
        raise typer.BadParameter(f"must be one of {', '.join(NOISE_LEVELS)}", param_hint="--noise")
    started = time.perf_counter()

    def report(path: str, rows: int, files: int) -> None:
        spread = f" in {files} daily files" if files > 1 else ""
        console.print(f"{path:<44} {rows:>12,} rows{spread}")

    generate(WorldConfig(people=people, seed=seed, noise=noise, out=out), report)
    console.print(
        f"county of {people:,} people, seed {seed}, noise {noise}: {out} "
        f"in {time.perf_counter() - started:.1f}s"
    )
