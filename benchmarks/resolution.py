"""Resolution benchmark: a county's person records and an outside list, scored against
their truth, and the cost of resolution in the graph.

    python benchmarks/resolution.py [--people 100000] [--small 10000] [--seed 1]
                                    [--noise default,hard] [--list 5000] [--rounds 3]
                                    [--skip-engine] [--skip-graph]

1. Engine (no database): for each noise level, a county of --people is generated and its
   person records read as a sync keeps them (malformed rows left out, as the sync
   quarantines them); the model is trained on them (Splink: u from random pairs, m
   seeded by shared resident ID numbers and re-estimated by EM per blocking rule) and
   every candidate pair judged. Printed: pairwise precision, recall and F1 of "these two
   records are one person" against the truth, the same for the resident ID number alone,
   the review queue as a share of persons, and the times.
2. Graph (the Neo4j of HUB_NEO4J_PORT, emptied): a county of --small and one of --people
   people (default noise) are each synced (`hub sync`: connectors, then resolution,
   whose first run trains the model) and `hub match` of the same kind of 1,000 rows
   (people of the county without their ID number, names in pinyin or traditional
   characters, birth dates, phones) is timed on each (median of three after one
   untimed), and on each, in --rounds alternating rounds after one untimed round, a full
   run (`hub resolve --full`) and a run over 1 % of its person records made new again
   (drawn afresh each round; unresolved, and taken out of their blocking keys): the
   ratio is of the two medians, both sides warm. Beside the times, figures the
   machine's load does not change: records read and pairs scored per matched row and
   per new record, and judgements read per new record; they stay about the same from
   the small graph to the large one when the cost follows the change.
3. Outside list (on the large county's graph): list A of --list people (Western-style
   and pinyin names in two columns, addresses in four, birth dates, a national-insurance
   number; no resident ID numbers) is loaded as a file feed through a mapping in a
   HUB_MAPPINGS_DIR folder and resolved, the model trained again (`hub resolve --train`)
   on the data now in front of it; list B (the same size, 80 % A's people written with
   typos, swaps and missing values, 20 % strangers) is matched with `hub match` and a
   layout from that folder, run as the command `hub match --top 1` (and `--top 5` for the
   ranking). Printed: precision, recall and F1 of the rows `hub match` calls a match at
   the hub's own merge weight, how often the first of several candidates is the right
   one, and how many of A's records resolution merged (A has no duplicates).

Parts 2 and 3 (the database) run first, then part 1. Targets (issue 20), each printed
where it is measured and all together at the end, each met or NOT MET (or not measured,
for a part skipped): county default noise precision >= 0.999 and F1 >= 0.995; hard noise
precision >= 0.995 and F1 >= 0.98; review queue < 1 % of persons; outside list F1 >= 0.99;
incremental run over 1 % <= 0.1 x a full run; `hub match` of 1,000 rows on the large
graph about as fast as on the small one (at most 1.25 x).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TypeVar

import polars as pl
from neo4j import Driver

import connectors
from hub import db, migrate, syncing
from hub.resolution import blocking, county, engine, match, records, run
from hub.resolution.model import train
from hub.settings import Settings
from hub.simulate import process as simulators
from hub.world import WorldConfig, generate
from hub.world.outside import LAYOUT_B, feed_mapping, lists

T = TypeVar("T")
MATCH_ROWS = 1000
MATCH_NEAR = 1.25  # "near 1": hub match on the large graph at most this x the small one


class Verdicts:
    """Each target of issue 20 with its figure and whether it is met, printed together
    at the end of the run; a target whose part was skipped is named as not measured."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str, bool]] = []

    def add(self, target: str, figure: str, ok: bool) -> None:
        self.lines.append((target, figure, ok))
        print(f"  target {target}: {figure}: {verdict(ok)}")

    def print(self, skipped: list[str]) -> None:
        print("targets (issue 20):")
        for target, figure, ok in self.lines:
            print(f"  {verdict(ok):<7} {target}: {figure}")
        for target in skipped:
            print(f"  {'-':<7} {target}: not measured in this run")


def pairwise(frame: pl.DataFrame, pred: str, truth: str) -> tuple[float, float, float]:
    def pairs(*by: str) -> int:
        sizes = frame.group_by(*by).len().get_column("len")
        return int((sizes * (sizes - 1) // 2).sum())

    both = pairs(pred, truth)
    p = both / max(1, pairs(pred))
    r = both / max(1, pairs(truth))
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def line(what: str, scores: tuple[float, float, float]) -> str:
    p, r, f = scores
    return f"  {what:<28} precision {p:.4f}  recall {r:.4f}  F1 {f:.4f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def timed(work: Callable[[], T]) -> tuple[T, float]:
    began = time.perf_counter()
    out = work()
    return out, time.perf_counter() - began


# -- 1. the engine on a county's files ----------------------------------------------------


def engine_run(world: Path, noise: str, settings: Settings, met: Verdicts) -> None:
    feats, read = timed(lambda: records.features(county.person_records(world)))
    model, trained = timed(lambda: train(feats))
    limits = run.thresholds(settings)
    outcome, judged = timed(lambda: engine.resolve(feats, limits, model=model))
    frame = (
        feats.select("record_id", "unit")
        .with_columns(pred=pl.col("unit").replace_strict(outcome.canonical))
        .join(county.truth(world), on="record_id")
    )
    persons = frame.get_column("person_id").n_unique()
    print(f"  records {frame.height:,} of {persons:,} persons; "
          f"{outcome.candidate_pairs:,} candidate pairs")  # fmt: skip
    scores = pairwise(frame, "pred", "person_id")
    print(line("persons (resolution)", scores))
    print(line("persons (ID number alone)", pairwise(frame, "unit", "person_id")))
    review = len(outcome.review)
    share = review / persons
    print(f"  review queue {review:,} pairs = {share:.3%} of persons; "
          f"positive judgements {len(outcome.judgements) - review:,}")  # fmt: skip
    print(f"  wall time: features {read:.1f}s, training {trained:.1f}s, judging {judged:.1f}s "
          f"(EM on {', '.join(model.summary['em_rules'])}; "
          f"{model.summary['seed_pairs']:,} seed pairs)")  # fmt: skip
    p, r, f = scores
    want_p, want_f = (0.999, 0.995) if noise == "default" else (0.995, 0.98)
    persons_of = f"county, {noise} noise"
    met.add(
        f"{persons_of}: precision >= {want_p} and F1 >= {want_f}",
        f"precision {p:.4f}, recall {r:.4f}, F1 {f:.4f}",
        p >= want_p and f >= want_f,
    )
    met.add(f"{persons_of}: review queue < 1 % of persons", f"{share:.3%}", share < 0.01)


# -- 2. the graph -------------------------------------------------------------------------


def sync_county(driver: Driver, settings: Settings, world: Path, port_base: int) -> Settings:
    """Empty the graph and sync the county as `hub sync` does (resolution included)."""
    db.empty(driver)
    migrate.migrate(driver)
    with simulators.running(world, port_base) as sources:
        local = replace(settings, sources_file=Path(sources))
        chosen = [connectors.build(name, local) for name in connectors.names()]
        synced, took = timed(lambda: asyncio.run(syncing.sync(driver, local, chosen, full=True)))
    report = synced.resolution
    print(f"  synced in {took:,.0f}s: {report.records:,} person records, "
          f"{report.positive:,} merges, {report.review:,} for review")  # fmt: skip
    return local


def match_list(world: Path, driver: Driver, out: Path) -> tuple[Path, Path]:
    """MATCH_ROWS people of the county that the graph knows by ID number, written as
    another agency would: pinyin or traditional names, slashed birth dates, phones with
    separators, no ID number; with the layout that reads them."""
    from opencc import OpenCC  # type: ignore[import-untyped]

    known = set(
        driver.execute_query(
            "MATCH (p:Person) WHERE p.id_number IS NOT NULL RETURN collect(p.id_number) AS ids"
        ).records[0]["ids"]
    )
    persons = pl.read_parquet(world / "truth" / "persons.parquet").filter(
        pl.col("id_number").is_in(sorted(known))
    )
    phones = pl.read_parquet(world / "truth" / "phones.parquet").unique("person_id", keep="first")
    chosen = persons.join(phones.select("person_id", "phone"), on="person_id", how="left").sample(
        min(MATCH_ROWS, persons.height), seed=7
    )
    s2t = OpenCC("s2t")
    rows = []
    for i, p in enumerate(chosen.iter_rows(named=True)):
        phone = p["phone"]
        rows.append(
            {
                "编号": f"M{i:05d}",
                "姓名": p["name_pinyin"] if i % 3 == 0 else s2t.convert(p["name"]),
                "出生日期": p["birth_date"].strftime("%Y/%m/%d"),
                "住址": p["address"] if i % 2 else None,
                "电话": f"{phone[3:6]} {phone[6:10]} {phone[10:]}" if phone else None,
            }
        )
    listed = out / "people.csv"
    listed.write_bytes(pl.DataFrame(rows).write_csv().encode("gb18030"))
    layout = out / "agency.yaml"
    layout.write_text(
        "row_id: 编号\nperson:\n  name: 姓名\n  birth_date: {column: 出生日期, format: "
        '"%Y/%m/%d"}\n  address: 住址\n  phone: 电话\n',
        encoding="utf-8",
    )
    return listed, layout


def time_match(
    driver: Driver, settings: Settings, listed: Path, layout: Path
) -> tuple[float, match.Tally]:
    """Median seconds of `hub match`'s work (read, look up, score) over three runs after
    one untimed, and what one run read."""
    limits = run.thresholds(settings)
    match.match_file(driver, settings.neo4j_database, listed, layout, limits)
    tallies = [match.Tally() for _ in range(3)]
    times = [
        timed(
            lambda t=t: match.match_file(  # type: ignore[misc]
                driver, settings.neo4j_database, listed, layout, limits, tally=t
            )
        )[1]
        for t in tallies
    ]
    return statistics.median(times), tallies[0]


def renew(driver: Driver, share: float, seed: int) -> int:
    """Make `share` of the person records new again: unresolved, out of their keys."""
    rows = driver.execute_query(
        "MATCH (r:Record) WHERE EXISTS { (r)-[:RECORD_OF]->(:Person) } "
        "RETURN r.source AS source, r.stream AS stream, r.record_id AS record_id, r.raw AS raw"
    ).records
    chosen = random.Random(seed).sample(list(rows), max(1, int(len(rows) * share)))
    feats = records.features((r["source"], r["stream"], r["record_id"], r["raw"]) for r in chosen)
    pairs = [{"id": r["record_id"], "key": k} for r in feats.iter_rows(named=True)
             for k in blocking.keys_of(r)]  # fmt: skip
    driver.execute_query(
        "UNWIND $pairs AS p MATCH (k:BlockKey {key: p.key}) WHERE p.id IN k.records "
        "SET k.records = [x IN k.records WHERE x <> p.id], k.count = k.count - 1",
        pairs=pairs,
    )
    driver.execute_query(
        "UNWIND $ids AS id MATCH (r:Record {record_id: id}) REMOVE r.resolved",
        ids=feats.get_column("record_id").to_list(),
    )
    return feats.height


def incremental_rounds(
    driver: Driver, settings: Settings, rounds: int, seed: int
) -> tuple[float, float]:
    """Median seconds of a full run and of a run over 1 % new records, in alternating
    rounds (full, then 1 % drawn afresh and resolved), after one untimed run of each, so
    both sides are measured the same way: warm, on the same graph, under the same load."""
    full_times, inc_times = [], []
    for i in range(rounds + 1):
        full, full_took = timed(partial(run.run, driver, settings, full=True))
        renewed = renew(driver, 0.01, seed + i)
        inc, took = timed(partial(run.run, driver, settings))
        what = "warm-up (not counted)" if i == 0 else f"round {i}"
        print(f"  {what}: full run (hub resolve --full) {full_took:.1f}s over "
              f"{full.records:,} records, {full.candidate_pairs:,} pairs; run over "
              f"{renewed:,} new records (1 %) {took:.2f}s = {took / full_took:.3f} x; "
              f"per new record {inc.records / renewed:.1f} records read, "
              f"{inc.candidate_pairs / renewed:.1f} pairs scored, "
              f"{inc.judgements / renewed:.1f} judgements read")  # fmt: skip
        if i:
            full_times.append(full_took)
            inc_times.append(took)
    return statistics.median(full_times), statistics.median(inc_times)


def graph_part(args: argparse.Namespace, settings: Settings, tmp: Path, met: Verdicts) -> None:
    driver = db.connect(settings)
    try:
        matched, per_row, ratios = {}, {}, {}
        local = settings
        for people in (args.small, args.people):
            world = tmp / f"county-{people}"
            generate(WorldConfig(people=people, seed=args.seed, noise="default", out=world))
            print(f"graph of the county of {people:,} people")
            local = sync_county(driver, settings, world, 19200 + (people % 97))
            listed, layout = match_list(world, driver, tmp)
            matched[people], tally = time_match(driver, local, listed, layout)
            per_row[people] = tally.records / MATCH_ROWS
            print(f"  hub match of {MATCH_ROWS:,} rows: {matched[people]:.2f}s (median of 3 "
                  f"after one untimed); per row {per_row[people]:.2f} records read, "
                  f"{tally.pairs / MATCH_ROWS:.2f} pairs scored")  # fmt: skip
            full, inc = incremental_rounds(driver, local, args.rounds, args.seed)
            ratios[people] = inc / full
            print(f"  medians of {args.rounds} rounds: full run {full:.1f}s, run over 1 % new "
                  f"records {inc:.2f}s = {ratios[people]:.3f} x the full run")  # fmt: skip
        ratio = matched[args.people] / matched[args.small]
        read = per_row[args.people] / max(per_row[args.small], 1e-9)
        met.add(
            f"hub match of {MATCH_ROWS:,} rows on {args.people:,} / on {args.small:,} people "
            f"near 1 (<= {MATCH_NEAR})",
            f"{ratio:.2f} ({matched[args.people]:.2f}s / {matched[args.small]:.2f}s; "
            f"records read per row {read:.2f} x)",
            ratio <= MATCH_NEAR,
        )
        met.add(
            f"run over 1 % new records on {args.people:,} people <= 0.1 x a full run",
            f"{ratios[args.people]:.3f} (on {args.small:,} people {ratios[args.small]:.3f})",
            ratios[args.people] <= 0.1,
        )
        _, train_took = timed(lambda: run.run(driver, local, full=True, train_model=True))
        print(f"  full run with training (hub resolve --full --train): {train_took:.1f}s")
        with mappings_dir(tmp / "mappings"):
            outside_part(driver, local, args, tmp, met)
    finally:
        driver.close()


# -- 3. an outside list -------------------------------------------------------------------


@contextmanager
def mappings_dir(folder: Path) -> Iterator[None]:
    """HUB_MAPPINGS_DIR naming `folder` for the person streams read within; as it was
    after, so the county read later has only its own streams."""
    before = os.environ.get("HUB_MAPPINGS_DIR")
    os.environ["HUB_MAPPINGS_DIR"] = str(folder)
    records.person_streams.cache_clear()
    try:
        yield
    finally:
        if before is None:
            del os.environ["HUB_MAPPINGS_DIR"]
        else:
            os.environ["HUB_MAPPINGS_DIR"] = before
        records.person_streams.cache_clear()


def outside_part(
    driver: Driver, settings: Settings, args: argparse.Namespace, tmp: Path, met: Verdicts
) -> None:
    made = lists(args.list, seed=args.seed)
    mappings, drop = tmp / "mappings", tmp / "drop"
    (drop / "people").mkdir(parents=True)
    mappings.mkdir()
    (mappings / "outside.yaml").write_text(feed_mapping("outside"), encoding="utf-8")
    (mappings / "list_b.yaml").write_text(LAYOUT_B, encoding="utf-8")
    made.a.write_csv(drop / "people" / "2026-11-01.csv")
    listed = tmp / "list_b.csv"
    made.b.write_csv(listed)
    sources = json.loads(Path(settings.sources_path).read_text()) if settings.sources_file else {}
    sources["outside"] = {"drop": str(drop)}
    sources_file = tmp / "sources.json"
    sources_file.write_text(json.dumps(sources))
    local = replace(settings, mappings_dir=mappings, sources_file=sources_file)
    print(f"outside list: A of {made.a.height:,} people loaded through {mappings}/outside.yaml")
    synced, took = timed(
        lambda: asyncio.run(syncing.sync(driver, local, [connectors.build("outside", local)]))
    )
    print(f"  synced and resolved in {took:.1f}s: {sum(r.written for r in synced.streams):,} rows")
    _, trained = timed(lambda: run.run(driver, local, full=True, train_model=True))
    merged = driver.execute_query(
        "MATCH (j:Judgement {verdict: 'positive'}) WHERE j.left STARTS WITH 'R:outside:' "
        "OR j.right STARTS WITH 'R:outside:' RETURN count(j) AS n"
    ).records[0]["n"]
    print(f"  model trained again in {trained:.1f}s; A's records merged into others: {merged}")
    truth = {str(k): v for k, v in made.truth.iter_rows()}
    linked = sum(1 for v in truth.values() if v is not None)
    # As a user runs it: `hub match` with the layout named from HUB_MAPPINGS_DIR.
    top1, took = timed(lambda: hub_match(listed, "list_b", mappings, tmp / "top1.csv", top=1))
    tp = fp = 0
    for row in top1.filter(pl.col("match")).iter_rows(named=True):
        want = truth[str(row["row_id"])]
        if want is not None and row["uid"] == f"R:outside:people:{want}":
            tp += 1
        else:
            fp += 1
    p, r = tp / max(1, tp + fp), tp / max(1, linked)
    f = 2 * p * r / (p + r) if p + r else 0.0
    print(f"  hub match --top 1 of B ({made.b.height:,} rows, {linked:,} of them in A) in "
          f"{took:.1f}s at the merge weight {local.resolve_merge}: precision {p:.4f}  "
          f"recall {r:.4f}  F1 {f:.4f}")  # fmt: skip
    met.add(
        f"outside list, hub match --top 1 at the merge weight {local.resolve_merge}: F1 >= 0.99",
        f"precision {p:.4f}, recall {r:.4f}, F1 {f:.4f}",
        f >= 0.99,
    )
    exact = made.b.join(made.a, left_on="national_insurance", right_on="ni_number")
    same = sum(truth[str(ref)] == rec for ref, rec in exact.select("ref", "rec_id").iter_rows())
    p, r = same / max(1, exact.height), same / max(1, linked)
    print(f"  beside it, an exact join on the national-insurance number: precision {p:.4f}  "
          f"recall {r:.4f}  F1 {2 * p * r / (p + r) if p + r else 0.0:.4f}")  # fmt: skip
    ranked = hub_match(listed, "list_b", mappings, tmp / "top5.csv", top=5)
    several = right = among = 0
    for (row_id,), group in ranked.filter(pl.col("uid").is_not_null()).group_by("row_id"):
        want = truth[str(row_id)]
        if want is None or group.height < 2:
            continue
        uids = group.sort("rank").get_column("uid").to_list()
        several += 1
        right += uids[0] == f"R:outside:people:{want}"
        among += f"R:outside:people:{want}" in uids
    print(
        f"  ranking (hub match --top 5): of {several:,} rows of A's people with several "
        f"candidates the first is right {right:,} times, the true one among them {among:,}"
    )


def hub_match(listed: Path, layout: str, mappings: Path, out: Path, top: int) -> pl.DataFrame:
    """`hub match LIST --mapping LAYOUT --top N --out OUT` run as a command."""
    env = {**os.environ, "HUB_MAPPINGS_DIR": str(mappings)}
    hub = str(Path(sys.executable).with_name("hub"))
    command = [hub, "match", str(listed), "--mapping", layout, "--top", str(top), "--out", str(out)]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return pl.read_csv(out, schema_overrides={"row_id": pl.String})


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--noise", default="default,hard")
    parser.add_argument("--list", type=int, default=5000)
    parser.add_argument("--skip-graph", action="store_true")
    parser.add_argument("--skip-engine", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of a full run and a run over 1 %% new"
    )
    args = parser.parse_args()
    settings = Settings.from_env()
    met, skipped = Verdicts(), []
    with tempfile.TemporaryDirectory(prefix="hub-resolution-") as tmp:
        # the parts that need the database first, then the engine on its own
        if not args.skip_graph:
            graph_part(args, settings, Path(tmp), met)
        else:
            skipped.append("hub match on the large / the small graph; run over 1 % new records")
            skipped.append("outside list: F1 of hub match at the merge weight")
        if not args.skip_engine:
            for noise in args.noise.split(","):
                world = Path(tmp) / f"engine-{noise}"
                config = WorldConfig(people=args.people, seed=args.seed, noise=noise, out=world)
                _, took = timed(lambda c=config: generate(c))  # type: ignore[misc]
                print(f"county of {args.people:,} people, seed {args.seed}, noise {noise} "
                      f"(generated in {took:.0f}s)")  # fmt: skip
                engine_run(world, noise, settings, met)
        else:
            skipped.append("county at each noise level: precision, F1, review queue")
    met.print(skipped)


if __name__ == "__main__":
    main()
