"""`hub resolve`, `hub review` and `hub match`: identity resolution from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from neo4j import Driver
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table
from rich.text import Text

from hub.cli.progress import bars, connected, migrated
from hub.resolution import match as matching
from hub.resolution import run
from hub.settings import Settings

console = Console(highlight=False, emoji=False)
review = typer.Typer(help="The review queue of identity resolution.", no_args_is_help=True)


def resolve(
    full: Annotated[
        bool, typer.Option("--full", help="Judge every record again, not just the new ones.")
    ] = False,
    explain: Annotated[
        str | None,
        typer.Option("--explain", help="Print the records of this person uid and why."),
    ] = None,
) -> None:
    """Resolve persons: new records against existing ones (every record with --full)."""
    settings = Settings.from_env()
    with connected(settings) as driver:
        migrated(driver, settings)
        if explain is not None:
            show_explanation(driver, settings, explain)
            return
        resolve_with_progress(driver, settings, full=full)


def resolve_with_progress(driver: Driver, settings: Settings, *, full: bool = False) -> run.Report:
    with bars() as progress:
        report = run.run(driver, settings, full=full, progress=stage_bars(progress))
    show_resolution(report)
    return report


def stage_bars(progress: Progress) -> Callable[[str, int, int], None]:
    """A resolution progress callback drawing one bar per stage on `progress`."""
    tasks: dict[str, TaskID] = {}

    def show(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(f"resolution: {stage}", total=total)
        progress.update(
            tasks[stage],
            completed=done,
            total=total,
            description=f"resolution: {stage} {done:,}/{total:,}",
        )

    return show


def show_resolution(report: run.Report) -> None:
    console.print(
        f"{report.records:,} person records ({report.new_records:,} new), "
        f"{report.candidate_pairs:,} candidate pairs, {report.positive:,} merges judged, "
        f"{report.review:,} for review; {report.persons:,} persons "
        f"(merged {report.changes.merged:,}, split {report.changes.split:,})"
    )


def show_explanation(driver: Driver, settings: Settings, uid: str) -> None:
    """A person's records and the judgements about it, every value printed as it is
    (record ids such as `bigdata:hotel:...` are not emoji codes, nor brackets markup)."""
    found = run.explain(driver, settings, uid)
    console.print(Text.assemble((found["person"], "bold"), " ", found["name"] or ""))
    if found["records"]:
        console.print(IDENTITY, style="dim")
        for r in found["records"]:  # ids whole on their line, the raw record wrapped below
            console.print(Text.assemble("record ", r["record_id"], "  identity ", r["unit"]))
            console.print(Text(json.dumps(r["raw"], ensure_ascii=False)), style="dim")
    else:
        console.print("no source records: written directly (the demo graph), not by a connector")
    if found["records"] and not found["judgements"]:
        console.print(
            "one identity: no judgement was needed (its records share one ID number, "
            "or it has one record)"
        )
    for j in found["judgements"]:
        line = f"{j['pair']}: {j['verdict']} by {j['by']} at {j['at']}, score {j['score']}"
        console.print(Text(line))
        if j["verdict"] == "unsure":
            console.print(
                Text(
                    "    waiting in the review queue: "
                    f"hub review decide {j['left']} {j['right']} positive|negative"
                ),
                soft_wrap=True,
            )
        fields = j["comparisons"].get("fields", {})
        for name, part in fields.items():
            console.print(f"    {name:<8} level {part['level']:>2}  weight {part['weight']:>7}")


# What a record's "identity" in `--explain` is.
IDENTITY = (
    "identity: the person a record made before any merge (P<ID number> for a valid resident "
    "ID number, else R:<record id>)"
)


@review.command("list")
def review_list(
    limit: Annotated[int, typer.Option(help="Show at most this many.")] = 50,
) -> None:
    """Unsure pairs waiting for a person's decision, most likely first."""
    settings = Settings.from_env()
    with connected(settings) as driver:
        queue = run.review_queue(driver, settings)
    table = Table("left", "right", "score", "fields")
    for j in queue[:limit]:
        fields = j.explanation().get("fields", {})
        summary = ", ".join(f"{k}={v['level']}" for k, v in fields.items() if v["level"] >= 0)
        table.add_row(j.left, j.right, f"{j.score}", summary)
    console.print(table)
    console.print(f"{len(queue):,} pairs in the review queue")


@review.command("decide")
def review_decide(
    left: Annotated[str, typer.Argument(help="uid of one person.")],
    right: Annotated[str, typer.Argument(help="uid of the other.")],
    verdict: Annotated[
        str, typer.Argument(help="positive (same person), negative (not) or unsure.")
    ],
    by: Annotated[str, typer.Option("--by", help="Who decides.")] = "cli",
) -> None:
    """Decide whether two persons are the same; a manual decision outlives every run."""
    settings = Settings.from_env()
    with connected(settings) as driver:
        changes = run.decide(driver, settings, [(left, right)], verdict, by)
    console.print(f"{verdict}: merged {changes.merged}, split {changes.split}")


def match(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet list of people.")],
    mapping: Annotated[Path, typer.Option("--mapping", help="YAML naming the list's columns.")],
    top: Annotated[int, typer.Option(help="Candidates per row.")] = 3,
    out: Annotated[
        Path | None, typer.Option(help="Write the candidates here (CSV); default: print.")
    ] = None,
) -> None:
    """Best persons of the graph for every row of an outside list, with score and why."""
    settings = Settings.from_env()
    with connected(settings) as driver:
        frame, found = matching.match_file(driver, settings.neo4j_database, file, mapping, top)
    rows = []
    for i, candidates in enumerate(found):
        for rank, c in enumerate(candidates, 1):
            rows.append(
                {
                    "row": i,
                    "rank": rank,
                    "uid": c.uid,
                    "name": c.name,
                    "score": c.score,
                    "explanation": json.dumps(c.comparisons, ensure_ascii=False),
                }
            )
    if out is not None:
        import polars as pl

        pl.DataFrame(rows, schema=["row", "rank", "uid", "name", "score", "explanation"],
                     orient="row" if not rows else None).write_csv(out)  # fmt: skip
        console.print(f"{len(rows):,} candidates for {frame.height:,} rows written to {out}")
        return
    table = Table("row", "rank", "uid", "name", "score", "explanation")
    for r in rows:
        table.add_row(*(str(r[k]) for k in ("row", "rank", "uid", "name", "score", "explanation")))
    console.print(table)
