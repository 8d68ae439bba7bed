"""Resolution benchmark: every person record of a generated county, scored against its truth.

    python benchmarks/resolution.py [--people 100000] [--seed 1] [--noise default,hard]
                                    [--world DIR]

For each noise level: generates a county (unless --world names one already generated, then
only that one is run), reads its person records as a sync keeps them (record id, raw
JSON; malformed rows left out, as the sync quarantines them), runs resolution
(features, candidate pairs, Fellegi-Sunter scores, judgements, canonical ids; no
database, so the figures are the engine's own) and prints:
- persons: pairwise precision, recall and F1 of "these two records are the same person"
  against the truth, and the same for the deterministic rule alone (the baseline);
- phones and accounts: pairwise figures of the normalised number as the identity;
- review-queue size (and its share of true persons), candidate pairs, records;
- wall time of feature extraction and of resolution.
Targets: person F1 >= 0.99 at the default noise, review queue under 1 % of persons.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import polars as pl

from hub.resolution import county, engine, records
from hub.settings import Settings
from hub.world import WorldConfig, generate


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


def run(world: Path) -> None:
    settings = Settings.from_env()
    began = time.perf_counter()
    raw = county.person_records(world)
    features = records.features(raw)
    read = time.perf_counter() - began
    began = time.perf_counter()
    outcome = engine.resolve(
        features,
        engine.Thresholds(
            settings.resolve_merge, settings.resolve_review, settings.resolve_block_cap
        ),
    )
    resolved = time.perf_counter() - began
    truth = county.truth(world)
    frame = (
        features.select("record_id", "unit", "phones", "accounts")
        .with_columns(pred=pl.col("unit").replace_strict(outcome.canonical))
        .join(truth, on="record_id")
    )
    persons = frame.get_column("person_id").n_unique()
    print(f"  records {frame.height:,} of {persons:,} persons; "
          f"{outcome.candidate_pairs:,} candidate pairs "
          f"({outcome.candidate_pairs / max(1, frame.height):.2f} per record)")  # fmt: skip
    print(line("persons (resolution)", pairwise(frame, "pred", "person_id")))
    print(line("persons (ID number alone)", pairwise(frame, "unit", "person_id")))
    phones = frame.filter(pl.col("phones").list.len() == 1, pl.col("phone").is_not_null())
    print(
        line("phones", pairwise(phones.with_columns(p=pl.col("phones").list.first()), "p", "phone"))
    )
    accounts = frame.filter(pl.col("accounts").list.len() == 1, pl.col("account").is_not_null())
    print(
        line(
            "accounts",
            pairwise(accounts.with_columns(a=pl.col("accounts").list.first()), "a", "account"),
        )
    )
    review = len(outcome.review)
    print(f"  review queue {review:,} pairs = {review / persons:.3%} of persons; "
          f"positive judgements {len(outcome.judgements) - review:,}")  # fmt: skip
    fitted = outcome.model
    print(f"  wall time: features {read:.1f}s, resolution {resolved:.1f}s (weights fitted "
          f"on {fitted.match_pairs:,} match and {fitted.random_pairs:,} random pairs)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--noise", default="default,hard")
    parser.add_argument("--world", type=Path)
    args = parser.parse_args()
    if args.world:
        print(f"county {args.world}")
        run(args.world)
        return
    for noise in args.noise.split(","):
        with tempfile.TemporaryDirectory(prefix="hub-resolution-") as tmp:
            began = time.perf_counter()
            generate(WorldConfig(people=args.people, seed=args.seed, noise=noise, out=Path(tmp)))
            print(f"county of {args.people:,} people, seed {args.seed}, noise {noise} "
                  f"(generated in {time.perf_counter() - began:.0f}s)")  # fmt: skip
            run(Path(tmp))


if __name__ == "__main__":
    main()
