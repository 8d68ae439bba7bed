"""The anti-fraud centre: `GET /fzzx/api/{stream}`, rows under result.rows."""

from typing import Any

from connectors.base import HttpConnector, Page


class Fraud(HttpConnector):
    name = "fraud"
    mapping_file = "fraud.yaml"
    path = "/fzzx/api/{stream}"
    since_param = "gxsj_start"
    cursor_param = "cursor"
    limit_param = "size"

    def page(self, body: Any) -> Page:
        result = body["result"]
        return Page(result["rows"], result["cursor"] if result["hasMore"] else None)
