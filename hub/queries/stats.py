"""Dashboard figures for a period: cases, suspects, fraud reports and losses, warnings,
dissuasions and stop-payments.

Every figure counts only what the asker may see (`hub.access`): visible cases, optionally
of one unit, and visible records. The anti-fraud centre's figures come from its source
records: the time and amount of a
report, warning, dissuasion or stop-payment are fields of the record (Beijing time), so
the records a period can hold are fetched and read here.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from neo4j import AsyncDriver

from hub.access import visible
from hub.queries.entities import Scope, read

BEIJING = timezone(timedelta(hours=8))

# stream -> (time field, its format)
FRAUD_STREAMS = {
    "reports": "bjsj",
    "warnings": "yjsj",
    "dissuasions": "qzsj",
    "stop_payments": "sqsj",
}
DISSUADED = "劝阻成功"


async def case_figures(
    driver: AsyncDriver,
    start: datetime,
    end: datetime,
    unit: str | None,
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> dict[str, float]:
    rows = await read(
        driver,
        "CALL () { MATCH (c:Case) "
        "  WHERE ($unit IS NULL OR EXISTS { (c)-[:HANDLED_BY]->(:Unit {code: $unit}) }) "
        f"  AND {visible('c', ['Case'])} "
        "  RETURN count(CASE WHEN $start <= c.accepted_at < $end THEN 1 END) AS accepted, "
        "  count(CASE WHEN $start <= c.filed_at < $end THEN 1 END) AS filed, "
        "  count(CASE WHEN $start <= c.solved_at < $end THEN 1 END) AS solved } "
        "CALL () { MATCH (s:Person)-[:SUSPECT_IN]->(c:Case) WHERE $start <= c.solved_at < $end "
        "  AND ($unit IS NULL OR EXISTS { (c)-[:HANDLED_BY]->(:Unit {code: $unit}) }) "
        f"  AND {visible('c', ['Case'])} RETURN count(DISTINCT s) AS caught }} "
        "RETURN accepted, filed, solved, caught",
        timeout,
        database,
        start=start,
        end=end,
        unit=unit,
        scope=scope,
    )
    row = rows[0]
    return {
        "casesAccepted": row["accepted"],
        "casesFiled": row["filed"],
        "casesSolved": row["solved"],
        "suspectsCaught": row["caught"],
    }


async def fraud_figures(
    driver: AsyncDriver,
    start: datetime,
    end: datetime,
    scope: Scope,
    timeout: float,
    database: str | None = None,
) -> dict[str, float]:
    rows = await read(
        driver,
        "MATCH (r:Record {source: 'fraud'}) WHERE r.stream IN $streams "
        f"AND r.last_seen >= $start AND {visible('r', ['Record'])} "
        "RETURN r.stream AS stream, r.raw AS raw",
        timeout,
        database,
        streams=list(FRAUD_STREAMS),
        start=start,
        scope=scope,
    )
    figures = {
        "fraudReports": 0.0,
        "fraudLosses": 0.0,
        "warningsIssued": 0.0,
        "victimsDissuaded": 0.0,
        "stopPaymentAmount": 0.0,
    }
    for row in rows:
        raw = _fields(row["raw"])
        at = _time(raw.get(FRAUD_STREAMS[row["stream"]]))
        if at is None or not start <= at < end:
            continue
        if row["stream"] == "reports":
            figures["fraudReports"] += 1
            figures["fraudLosses"] += _number(raw.get("ssje"))
        elif row["stream"] == "warnings":
            figures["warningsIssued"] += 1
        elif row["stream"] == "dissuasions":
            figures["victimsDissuaded"] += raw.get("qzjg") == DISSUADED
        else:
            figures["stopPaymentAmount"] += _number(raw.get("djje"))
    figures["fraudLosses"] = round(figures["fraudLosses"], 2)
    figures["stopPaymentAmount"] = round(figures["stopPaymentAmount"], 2)
    return figures


def _fields(raw: str | None) -> dict[str, Any]:
    try:
        parsed = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _time(value: Any) -> datetime | None:
    try:
        return datetime.strptime(str(value), "%Y%m%d%H%M%S").replace(tzinfo=BEIJING)
    except ValueError:
        return None


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
