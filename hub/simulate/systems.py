"""The three source systems' APIs: where their streams live, what their parameters are
called, and how their answers and errors look. They differ on purpose, as the real ones do.

- cases (案件管理): ``GET /api/v1/{stream}?updated_since=&cursor=&page_size=`` answers
  ``{"code": 0, "msg": "ok", "data": {"list": [...], "next_cursor": ...}}``; errors
  ``{"code": <http status>, "msg": "..."}``.
- fraud (反诈中心): ``GET /fzzx/api/{stream}?gxsj_start=&cursor=&size=`` answers
  ``{"success": true, "result": {"rows": [...], "hasMore": ..., "cursor": ...}}``; errors
  ``{"success": false, "errorMsg": "..."}``.
- fugitives (网上逃犯): ``GET /wanted/v2/{stream}?modifiedSince=&after=&limit=`` answers
  ``{"records": [...], "paging": {"after": ...}}``; errors
  ``{"error": {"status": <int>, "message": "..."}}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "SYSTEMS", "System"]

DEFAULT_LIMIT = 500
MAX_LIMIT = 2000

PageBody = Callable[[str, str | None], str]  # rows joined with ",", next cursor
ErrorBody = Callable[[int, str], dict[str, object]]  # HTTP status, message


def _cursor(value: str | None) -> str:
    return json.dumps(value)


def _cases_page(rows: str, cursor: str | None) -> str:
    return f'{{"code":0,"msg":"ok","data":{{"list":[{rows}],"next_cursor":{_cursor(cursor)}}}}}'


def _fraud_page(rows: str, cursor: str | None) -> str:
    more = "false" if cursor is None else "true"
    result = f'{{"rows":[{rows}],"hasMore":{more},"cursor":{_cursor(cursor)}}}'
    return f'{{"success":true,"result":{result}}}'


def _fugitives_page(rows: str, cursor: str | None) -> str:
    return f'{{"records":[{rows}],"paging":{{"after":{_cursor(cursor)}}}}}'


@dataclass(frozen=True, slots=True)
class System:
    name: str
    prefix: str  # the stream's name follows this path prefix
    since_param: str  # updated_at >= this (inclusive)
    cursor_param: str
    limit_param: str
    page_body: PageBody
    error_body: ErrorBody

    def page(self, rows: list[str], next_cursor: str | None) -> bytes:
        return self.page_body(",".join(rows), next_cursor).encode("utf-8")

    def error(self, status: int, message: str) -> bytes:
        body = self.error_body(status, message)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def stream_of(self, path: str) -> str | None:
        """The stream a request path names, or None when it names none of this system's."""
        if not path.startswith(self.prefix):
            return None
        stream = path[len(self.prefix) :]
        return stream if stream and "/" not in stream else None


SYSTEMS: dict[str, System] = {
    system.name: system
    for system in (
        System(
            name="cases",
            prefix="/api/v1/",
            since_param="updated_since",
            cursor_param="cursor",
            limit_param="page_size",
            page_body=_cases_page,
            error_body=lambda status, message: {"code": status, "msg": message},
        ),
        System(
            name="fraud",
            prefix="/fzzx/api/",
            since_param="gxsj_start",
            cursor_param="cursor",
            limit_param="size",
            page_body=_fraud_page,
            error_body=lambda status, message: {"success": False, "errorMsg": message},
        ),
        System(
            name="fugitives",
            prefix="/wanted/v2/",
            since_param="modifiedSince",
            cursor_param="after",
            limit_param="limit",
            page_body=_fugitives_page,
            error_body=lambda status, message: {"error": {"status": status, "message": message}},
        ),
    )
}
