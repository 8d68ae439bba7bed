"""What `/metrics` reads from the graph: each stream's sync state (a file feed's cursor:
its newest file loaded, `connectors.state.CURSOR`), its quarantine and the alerts
raised."""

from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from connectors.state import CURSOR
from hub.queries.entities import read

STATE = f"""
CALL () {{
  MATCH (s:SyncState)
  {CURSOR}
  RETURN collect(s {{stream: s.stream_id, cursor: cursor, .last_run, .rows}}) AS streams
}}
CALL () {{
  MATCH (q:Quarantine) WITH q.source + '/' + q.stream AS stream, count(*) AS held
  RETURN collect({{stream: stream, held: held}}) AS held
}}
CALL () {{
  MATCH (a:Alert) WITH a.rule AS rule, a.status AS status, count(*) AS alerts
  RETURN collect({{rule: rule, status: status, alerts: alerts}}) AS alerts
}}
RETURN streams, held, alerts
"""


async def state(
    driver: AsyncDriver, timeout: float, database: str | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(each stream with its cursor, last run, rows and rows held in quarantine; alert
    counts by rule and status)."""
    (found,) = await read(driver, STATE, timeout, database)
    held = {h["stream"]: h["held"] for h in found["held"]}
    streams = [{**s, "held": held.get(s["stream"], 0)} for s in found["streams"]]
    return streams, list(found["alerts"])
