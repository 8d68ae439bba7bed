"""The online fugitive list: `GET /wanted/v2/{stream}`, rows under records."""

from typing import Any

from connectors.base import HttpConnector, Page


class Fugitives(HttpConnector):
    name = "fugitives"
    mapping_file = "fugitives.yaml"
    path = "/wanted/v2/{stream}"
    since_param = "modifiedSince"
    cursor_param = "after"
    limit_param = "limit"

    def page(self, body: Any) -> Page:
        return Page(body["records"], body["paging"]["after"])
