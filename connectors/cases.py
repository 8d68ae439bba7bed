"""The case-management system: `GET /api/v1/{stream}`, rows under data.list."""

from typing import Any

from connectors.base import HttpConnector, Page


class Cases(HttpConnector):
    name = "cases"
    mapping_file = "cases.yaml"
    path = "/api/v1/{stream}"
    since_param = "updated_since"
    cursor_param = "cursor"
    limit_param = "page_size"

    def page(self, body: Any) -> Page:
        return Page(body["data"]["list"], body["data"]["next_cursor"])
