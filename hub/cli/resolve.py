"""`hub resolve`, `hub review` and `hub match`: identity resolution from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from neo4j import Driver
from rich.progress import Progress, TaskID
from rich.table import Table
from rich.text import Text

from hub.cli.output import out
from hub.cli.progress import bars, connected, migrated
from hub.resolution import match as matching
from hub.resolution import run
from hub.settings import Settings

console = out
review = typer.Typer(help="The review queue of identity resolution.", no_args_is_help=True)


def resolve(
    full: Annotated[
        bool, typer.Option("--full", help="Judge every record again, not just the new ones.")
    ] = False,
    train: Annotated[
        bool,
        typer.Option("--train", help="Train the model again on every record, then judge all."),
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
        resolve_with_progress(driver, settings, full=full or train, train=train)


def resolve_with_progress(
    driver: Driver, settings: Settings, *, full: bool = False, train: bool = False
) -> run.Report:
    with bars() as progress:
        report = run.run(
            driver, settings, full=full, train_model=train, progress=stage_bars(progress)
        )
    show_resolution(report)
    return report


def stage_bars(progress: Progress) -> Callable[[str, int, int], None]:
    """A resolution progress callback drawing one bar per stage on `progress`."""
    tasks: dict[str, TaskID] = {}

    def show(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(f"resolution: {stage}", total=total)
            if not progress.console.is_terminal:  # in a log or a pipe: a line per stage
                progress.console.print(f"resolution: {stage} ({total:,})", soft_wrap=True)
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
        f"{report.review:,} for review; merged {report.changes.merged:,}, "
        f"split {report.changes.split:,}" + ("; model trained" if report.trained else "")
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
            label = part.get("label", part["level"])
            console.print(f"    {name:<9} {label!s:<18} weight {part['weight']:>7}")
        if j["comparisons"].get("why"):
            console.print(f"    {j['comparisons']['why']}")


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
        summary = ", ".join(
            f"{k}: {v.get('label', v['level'])}" for k, v in fields.items() if v["level"] >= 0
        )
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


MAX_TOP = 100  # candidates per row `hub match` gives at most

MATCH_HELP = """Best persons of the graph for every row of an outside list, with score and why.

The list is a CSV (UTF-8 or GB18030, as Excel saves it on a Chinese Windows: detected,
or named with --encoding) or a Parquet file. Its layout (--mapping) is a YAML file, or
the name of one in the mappings folder (--mappings, HUB_MAPPINGS_DIR), that says which
columns hold the person:

\b
    row_id: 序号                       # names each row in the output (default: its number)
    person:
      name: 姓名                       # or \\[given_name, surname]: joined with a space
      birth_date: {column: 出生日期, format: "%Y%m%d"}
      sex: 性别                        # 男/女, M/F, 1/2
      address: [住址, 城市]             # several columns, joined
      phone: 电话
      account: 银行卡号
      identifiers:
        - {column: 身份证号, type: resident_id}
        - {column: 证件号码, type_column: 证件类型}    # codes as graph_schema lists them
        - {column: ni_number, type: other, scheme: ni}

Identifier types: resident_id, passport, hk_macao_permit, taiwan_permit,
foreign_permanent_id, driving_licence, other (with a scheme). Each output row has the
list's row id, the candidate's rank, uid, name, match weight in bits, `match` (the
weight reaches HUB_RESOLVE_MERGE and more than a coincidence agrees, as resolution
merges), the comparisons, and `notes`: the row's fields that could not be read.
"""


def match(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet list of people.")],
    mapping: Annotated[
        str, typer.Option("--mapping", help="Layout YAML, or its name in the mappings folder.")
    ],
    top: Annotated[int, typer.Option(min=1, max=MAX_TOP, help="Candidates per row.")] = 3,
    out: Annotated[
        Path | None, typer.Option(help="Write the candidates here (CSV); default: print.")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="Encoding of a CSV list (utf-8, gb18030, ...); default: detect."),
    ] = None,
    mappings: Annotated[
        Path | None,
        typer.Option("--mappings", help="Folder of layouts and feeds (default HUB_MAPPINGS_DIR)."),
    ] = None,
) -> None:
    settings = Settings.from_env()
    if mappings is not None:
        settings = replace(settings, mappings_dir=mappings)
    layout = matching.find_layout(mapping, settings.mappings_dir)
    with connected(settings) as driver:
        found = matching.match_file(
            driver, settings.neo4j_database, file, layout, run.thresholds(settings),
            top=top, encoding=encoding,
        )  # fmt: skip
    columns = ["row_id", "rank", "uid", "name", "score", "match", "explanation", "notes"]
    rows = []
    for matched in found:
        notes = "; ".join(matched.notes)
        for rank, c in enumerate(matched.candidates, 1):
            why = json.dumps(c.comparisons, ensure_ascii=False)
            rows.append([matched.row_id, rank, c.uid, c.name, c.score, c.match, why, notes])
        if not matched.candidates:
            rows.append([matched.row_id, None, None, None, None, False, None, notes])
    if out is not None:
        import polars as pl

        frame = pl.DataFrame(rows, schema=columns, orient="row")
        # a cell a spreadsheet would run as a formula (=, +, -, @) is written as text
        formula = r"^[=+\-@\t\r]"
        frame = frame.with_columns(
            pl.when(pl.col(c).str.contains(formula))
            .then(pl.lit("'") + pl.col(c))
            .otherwise(pl.col(c))
            .alias(c)
            for c in ("row_id", "name", "notes")
            if frame.schema[c] == pl.String
        )
        try:
            frame.write_csv(out)
        except OSError as exc:
            raise typer.BadParameter(f"cannot write {out}: {exc.strerror or exc}") from exc
        console.print(f"{len(rows):,} candidates for {len(found):,} rows written to {out}")
        return
    table = Table(*columns)
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    console.print(table)


match.__doc__ = MATCH_HELP
