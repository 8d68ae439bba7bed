"""The anti-fraud centre's tables (pinyin-initial column names, compact timestamps):
reports, transfers, warnings, dissuasions and stop-payments."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from hub.world import noise, rand
from hub.world.config import NoiseRates
from hub.world.fraud import ANTI_FRAUD_UNIT, FraudWorld
from hub.world.records import Stream, assign_ids, finish, updated_at

__all__ = ["render", "transfers_frame"]

_TIME = "%Y%m%d%H%M%S"
_T = pl.String


def _id(prefix: str, width: int = 10) -> Callable[[pl.Expr], pl.Expr]:
    return lambda n: pl.lit(prefix) + n.cast(_T).str.zfill(width)


def transfers_frame(world: FraudWorld) -> pl.DataFrame:
    """Every transfer and cash withdrawal the rings' money made, one row each."""
    return pl.DataFrame(
        world.ledger.txns,
        schema={
            "txn_id": _T,
            "from_account": _T,
            "to_account": _T,
            "cents": pl.Int64,
            "at": pl.Datetime("us"),
            "kind": _T,
            "ring_id": _T,
        },
        orient="row",
    )


def _holders(accounts: pl.DataFrame) -> pl.DataFrame:
    return accounts.select(account="account", holder="holder_person_id")


def _reports(world: FraudWorld, report_cases: pl.DataFrame, persons: pl.DataFrame,
             phone_users: pl.DataFrame, rates: NoiseRates,
             key: int) -> tuple[Stream, pl.DataFrame]:  # fmt: skip
    frame = (
        world.reports.join(report_cases, on="report", how="left", maintain_order="left")
        .join(persons, left_on="person_id", right_on="_person", how="left", maintain_order="left")
        .join(
            phone_users.rename({"phone": "ring_phone", "user": "_cp_person"}),
            on="ring_phone",
            how="left",
            maintain_order="left",
        )
        .pipe(noise.start)
    )
    frame = noise.duplicate(frame, rates, key).with_columns(
        bjsj=pl.col("at").dt.strftime(_TIME),
        shrxm="_name",
        sfzh="_id",
        lxdh="phone",
        shrzh="account",
        pplx="kind_cn",
        ssje="loss",
        zpdh="ring_phone",
        ajbh="case_no",
        sldw=pl.lit(ANTI_FRAUD_UNIT),
        updated_at=updated_at(pl.col("at"), rand.salt(key, "updated")),
        _person="person_id",
        _phone="phone",
        _account="account",
        _cp_phone="ring_phone",
        _case="case_no",
        _unit=pl.lit(ANTI_FRAUD_UNIT),
        _at="at",
    )
    frame = noise.name(frame, "shrxm", rates, key)
    frame = noise.id_number(frame, "sfzh", rates, key)
    frame = noise.phone(noise.phone(frame, "lxdh", rates, key), "zpdh", rates, key)
    frame = noise.card(frame, "shrzh", rates, key)
    frame = noise.malform(frame, rates, key, ["bjsj"], ["shrxm", "lxdh"])
    frame = assign_ids(frame, ["_at"], _id("BJ"), "bjbh")
    ids = frame.filter(pl.col("_dup_of_row").is_null()).select("report", "bjbh")
    cols = ["bjbh", "bjsj", "shrxm", "sfzh", "lxdh", "shrzh", "pplx", "ssje", "zpdh", "ajbh",
            "sldw", "updated_at"]  # fmt: skip
    return finish(frame.select(*cols, pl.col("^_.*$")), "fraud", "reports", "bjbh"), ids


def _transfers(world: FraudWorld, holders: pl.DataFrame, persons: pl.DataFrame,
               rates: NoiseRates, key: int) -> Stream:  # fmt: skip
    names = persons.select("_person", "_name", "_name_pinyin", "_name_trad")
    frame = (
        transfers_frame(world)
        .join(holders.rename({"account": "from_account", "holder": "_person"}),
              on="from_account", how="left", maintain_order="left")
        .join(holders.rename({"account": "to_account", "holder": "_cp_person"}),
              on="to_account", how="left", maintain_order="left")
        .join(names, on="_person", how="left", maintain_order="left")
        .join(names.rename(lambda c: f"_cp{c}"), left_on="_cp_person", right_on="_cp_person",
              how="left", maintain_order="left")
        .pipe(noise.start)
    )  # fmt: skip
    frame = frame.with_columns(
        jylsh="txn_id",
        zczh="from_account",
        zchm="_name",
        zrzh="to_account",
        zrhm="_cp_name",
        jyje=(pl.col("cents") / 100).round(2),
        jysj=pl.col("at").dt.strftime(_TIME),
        jylx=pl.col("kind").replace_strict(
            {"transfer": "转账", "cash_out": "取现"}, return_dtype=_T
        ),
        updated_at=updated_at(pl.col("at"), rand.salt(key, "updated")),
        _account="from_account",
        _cp_account="to_account",
        _at="at",
    )
    frame = noise.name(frame, "zchm", rates, key)
    frame = noise.name(frame, "zrhm", rates, key, "_cp_name_pinyin", "_cp_name_trad")
    frame = noise.malform(frame, rates, key, ["jysj"], ["jyje"])
    frame = assign_ids(frame, ["_at"], lambda n: n, "_seq")
    cols = ["jylsh", "zczh", "zchm", "zrzh", "zrhm", "jyje", "jysj", "jylx", "updated_at"]
    return finish(frame.select(*cols, pl.col("^_.*$")), "fraud", "transfers", "jylsh")


def _warnings(world: FraudWorld, persons: pl.DataFrame, phone_users: pl.DataFrame,
              rates: NoiseRates, key: int) -> tuple[Stream, pl.DataFrame]:  # fmt: skip
    frame = (
        world.warnings.join(persons.drop("_phone"), left_on="person_id", right_on="_person",
                            how="left", maintain_order="left")
        .join(phone_users.rename({"phone": "ring_phone", "user": "_cp_person"}), on="ring_phone",
              how="left", maintain_order="left")
        .pipe(noise.start)
    )  # fmt: skip
    known = rand.uniform(rand.salt(key, "known"))
    frame = noise.duplicate(frame, rates, key).with_columns(
        yjsj=pl.col("at").dt.strftime(_TIME),
        yjlx=pl.lit("涉诈电话呼入"),
        mbxm=pl.when(known < 0.6).then(pl.col("_name")),
        sfzh=pl.when(known < 0.5).then(pl.col("_id")),
        mbdh="phone",
        xyhm="ring_phone",
        updated_at=updated_at(pl.col("at"), rand.salt(key, "updated")),
        _person="person_id",
        _phone="phone",
        _cp_phone="ring_phone",
        _at="at",
    )
    frame = noise.name(frame, "mbxm", rates, key)
    frame = noise.id_number(frame, "sfzh", rates, key)
    frame = noise.phone(noise.phone(frame, "mbdh", rates, key), "xyhm", rates, key)
    frame = noise.malform(frame, rates, key, ["yjsj"], ["mbdh"])
    frame = assign_ids(frame, ["_at"], _id("YJ"), "yjbh")
    ids = frame.filter(pl.col("_dup_of_row").is_null()).select("warning", "yjbh")
    cols = ["yjbh", "yjsj", "yjlx", "mbxm", "sfzh", "mbdh", "xyhm", "updated_at"]
    return finish(frame.select(*cols, pl.col("^_.*$")), "fraud", "warnings", "yjbh"), ids


def _dissuasions(world: FraudWorld, warning_ids: pl.DataFrame, rates: NoiseRates,
                 key: int) -> Stream:  # fmt: skip
    frame = (
        world.dissuasions.join(warning_ids, on="warning", how="left", maintain_order="left")
        .join(world.warnings.select("warning", "person_id", "phone"), on="warning", how="left",
              maintain_order="left")
        .pipe(noise.start)
    )  # fmt: skip
    frame = frame.with_columns(
        yjbh="yjbh",
        qzsj=pl.col("at").dt.strftime(_TIME),
        qzfs="method",
        qzjg="result",
        qzdw=pl.lit(ANTI_FRAUD_UNIT),
        updated_at=updated_at(pl.col("at"), rand.salt(key, "updated")),
        _person="person_id",
        _phone="phone",
        _unit=pl.lit(ANTI_FRAUD_UNIT),
        _at="at",
    )
    frame = noise.malform(frame, rates, key, ["qzsj"], ["qzjg"])
    frame = assign_ids(frame, ["_at"], _id("QZ"), "qzbh")
    cols = ["qzbh", "yjbh", "qzsj", "qzfs", "qzjg", "qzdw", "updated_at"]
    return finish(frame.select(*cols, pl.col("^_.*$")), "fraud", "dissuasions", "qzbh")


def _stop_payments(world: FraudWorld, report_ids: pl.DataFrame, accounts: pl.DataFrame,
                   rates: NoiseRates, key: int) -> Stream:  # fmt: skip
    frame = (
        world.stop_payments.join(report_ids, on="report", how="left", maintain_order="left")
        .join(accounts.select(account="account", bank="bank", _person="holder_person_id"),
              on="account", how="left", maintain_order="left")
        .pipe(noise.start)
    )  # fmt: skip
    frame = frame.with_columns(
        bjbh="bjbh",
        zfzh="account",
        khyh="bank",
        sqsj=pl.col("at").dt.strftime(_TIME),
        zfje="requested",
        djje="frozen",
        zfzt="status",
        updated_at=updated_at(pl.col("at"), rand.salt(key, "updated")),
        _account="account",
        _unit=pl.lit(ANTI_FRAUD_UNIT),
        _at="at",
    )
    frame = noise.card(frame, "zfzh", rates, key)
    frame = noise.malform(frame, rates, key, ["sqsj"], ["zfzh"])
    frame = assign_ids(frame, ["_at"], _id("ZF"), "zfbh")
    cols = ["zfbh", "bjbh", "zfzh", "khyh", "sqsj", "zfje", "djje", "zfzt", "updated_at"]
    return finish(frame.select(*cols, pl.col("^_.*$")), "fraud", "stop_payments", "zfbh")


def render(
    world: FraudWorld,
    report_cases: pl.DataFrame,
    persons: pl.DataFrame,
    phones: pl.DataFrame,
    accounts: pl.DataFrame,
    rates: NoiseRates,
    seed: int,
) -> tuple[list[Stream], pl.DataFrame]:
    """The streams, and report → bjbh (the report's id).

    report_cases: report → case_no; phones and accounts: every one in the world.
    """
    key = rand.salt(seed, "render-fraud")
    users = phones.select("phone", user="person_id")
    reports, report_ids = _reports(
        world, report_cases, persons, users, rates, rand.salt(key, "reports")
    )
    warnings, warning_ids = _warnings(world, persons, users, rates, rand.salt(key, "warnings"))
    holders = _holders(accounts)
    streams = [
        reports,
        _transfers(world, holders, persons, rates, rand.salt(key, "transfers")),
        warnings,
        _dissuasions(world, warning_ids, rates, rand.salt(key, "dissuasions")),
        _stop_payments(world, report_ids, accounts, rates, rand.salt(key, "stops")),
    ]
    return streams, report_ids
