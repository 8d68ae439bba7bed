"""The ground truth: what the sources describe, as it really is, for scoring the hub."""

from __future__ import annotations

import polars as pl

from hub.world import places
from hub.world.cases import CaseWorld
from hub.world.fraud import FraudWorld
from hub.world.fugitives import FugitiveWorld
from hub.world.render_fraud import transfers_frame

__all__ = ["tables"]

_T = pl.String


def _money(fraud: FraudWorld, report_ids: pl.DataFrame, report_cases: pl.DataFrame
           ) -> tuple[pl.DataFrame, pl.DataFrame]:  # fmt: skip
    ledger = fraud.ledger
    hops = pl.DataFrame(
        ledger.hops,
        schema={
            "path_id": _T,
            "txn_id": _T,
            "layer": pl.Int32,
            "from_account": _T,
            "to_account": _T,
            "at": pl.Datetime("us"),
            "cents": pl.Int64,
        },
        orient="row",
    )
    # a path's money can reach one account twice and leave it in one transfer
    hops = (
        hops.group_by(
            "path_id", "txn_id", "layer", "from_account", "to_account", "at", maintain_order=True
        )
        .agg(pl.col("cents").sum())
        .sort("path_id", "at", "txn_id", maintain_order=True)
    )
    ends = pl.DataFrame(
        ledger.ends,
        schema={
            "path_id": _T,
            "account": _T,
            "layer": pl.Int32,
            "cents": pl.Int64,
            "outcome": _T,
            "at": pl.Datetime("us"),
        },
        orient="row",
    )
    ends = (
        ends.group_by("path_id", "account", "layer", "outcome", maintain_order=True)
        .agg(pl.col("cents").sum(), pl.col("at").max())
        .sort("path_id", "at", "account", maintain_order=True)
    )
    meta = pl.DataFrame(
        {
            "path_id": list(fraud.path_rings),
            "ring_id": list(fraud.path_rings.values()),
            "victim_person_id": [fraud.path_victims[p] for p in fraud.path_rings],
            "report": [fraud.report_paths.get(p) for p in fraud.path_rings],
        },
        schema={"path_id": _T, "ring_id": _T, "victim_person_id": _T, "report": pl.Int64},
    )
    firsts = hops.filter(pl.col("layer") == 0).select(
        "path_id", victim_account="from_account", amount=pl.col("cents") / 100, started_at="at"
    )
    along = hops.group_by("path_id", maintain_order=True).agg(
        txn_ids=pl.col("txn_id").unique(maintain_order=True)
    )
    ending = ends.group_by("path_id", maintain_order=True).agg(
        mule_layers=pl.col("layer").max(),
        end_accounts=pl.col("account"),
        end_outcomes=pl.col("outcome"),
        end_amounts=pl.col("cents") / 100,
        end_at=pl.col("at"),
    )
    paths = (
        meta.join(firsts, on="path_id", how="left", maintain_order="left")
        .join(report_ids, on="report", how="left", maintain_order="left")
        .join(report_cases, on="report", how="left", maintain_order="left")
        .join(along, on="path_id", how="left", maintain_order="left")
        .join(ending, on="path_id", how="left", maintain_order="left")
        .select(
            "path_id",
            "ring_id",
            "victim_person_id",
            "victim_account",
            "amount",
            "started_at",
            report_id="bjbh",
            case_no="case_no",
            mule_layers="mule_layers",
            txn_ids="txn_ids",
            end_accounts="end_accounts",
            end_outcomes="end_outcomes",
            end_amounts="end_amounts",
            end_at="end_at",
        )
        .sort("path_id", maintain_order=True)
    )
    hop_rows = hops.select(
        "path_id", "txn_id", "layer", "from_account", "to_account", "at",
        amount=pl.col("cents") / 100,
    )  # fmt: skip
    return paths, hop_rows


def tables(
    people: pl.DataFrame,
    phones: pl.DataFrame,
    accounts: pl.DataFrame,
    vehicles: pl.DataFrame,
    fraud: FraudWorld,
    cases: CaseWorld,
    case_numbers: pl.DataFrame,
    report_ids: pl.DataFrame,
    fugitives: FugitiveWorld,
) -> dict[str, pl.DataFrame]:
    """Every truth table but record_links and fugitive_sightings, by name."""
    report_cases = (
        cases.cases.filter(pl.col("report").is_not_null())
        .join(case_numbers, on="case", how="left", maintain_order="left")
        .select(pl.col("report").cast(pl.Int64), "case_no")
    )
    paths, hops = _money(fraud, report_ids, report_cases)
    frozen = pl.DataFrame(
        {"account": [f[1] for f in fraud.ledger.freezes]}, schema={"account": _T}
    ).get_column("account")
    rw = fraud.ring_world
    span = pl.DataFrame(
        [(r.ring_id, r.active_from, r.active_to, r.struck) for r in rw.rings],
        schema={
            "ring_id": _T,
            "active_from": pl.Datetime("us"),
            "active_to": pl.Datetime("us"),
            "struck": pl.Boolean,
        },
        orient="row",
    )
    units = places.units()
    return {
        "persons": people.select(
            "person_id",
            "name",
            "name_pinyin",
            "id_number",
            "birth_date",
            "sex",
            "ethnicity",
            "region_code",
            "resident",
            "town",
            "address",
            previous_address="alt_address",
        ),
        "phones": phones.sort("phone", maintain_order=True),
        "accounts": accounts.with_columns(
            status=pl.when(pl.col("account").is_in(frozen.implode()))
            .then(pl.lit("frozen"))
            .otherwise(pl.lit("open"))
        ).sort("account", maintain_order=True),
        "vehicles": vehicles.sort("plate", maintain_order=True),
        "units": pl.DataFrame(
            [(u.code, u.name, u.kind, u.town) for u in units],
            schema={"unit_code": _T, "name": _T, "kind": _T, "town": _T},
            orient="row",
        ),
        "rings": rw.members.join(span, on="ring_id", how="left", maintain_order="left").sort(
            "ring_id", "role", "person_id", maintain_order=True
        ),
        "ring_cases": cases.cases.filter(pl.col("ring_id").is_not_null())
        .join(case_numbers, on="case", how="left", maintain_order="left")
        .join(report_ids, on="report", how="left", maintain_order="left")
        .select("case_no", "ring_id", "relation", report_id="bjbh")
        .sort("case_no", maintain_order=True),
        "ring_accounts": rw.accounts.select(
            "ring_id", "account", "holder_person_id", "role", "layer"
        ).sort("ring_id", "account", maintain_order=True),
        "money_paths": paths,
        "money_path_hops": hops,
        "transfers": transfers_frame(fraud)
        .select(
            "txn_id",
            "from_account",
            "to_account",
            amount=pl.col("cents") / 100,
            at="at",
            kind="kind",
            ring_id="ring_id",
        )
        .sort("txn_id", maintain_order=True),
        "fraud_targets": fraud.targets.rename({"result": "dissuasion_result"}).sort(
            "ring_id", "contacted_at", "person_id", maintain_order=True
        ),
        "fugitives": fugitives.warrants.select(
            "warrant_no",
            "person_id",
            "unit_code",
            "province",
            "offence",
            "issued_at",
            "captured_at",
        ).sort("warrant_no", maintain_order=True),
    }
