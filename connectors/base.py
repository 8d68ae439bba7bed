"""What every connector shares: its declaration, the HTTP client, paging and retries.

A connector is a class with a `name`, the mapping file of its streams, and one async
`fetch(stream, since)` that yields pages of the records updated at or after `since`.
`HttpConnector` implements `fetch` for cursor-paged JSON APIs with an `updated_since`
filter: a subclass only declares its path, its parameter names and where an answer keeps
its rows and next cursor.
Retries back off exponentially and honour Retry-After (429 and 5xx, timeouts, broken
connections); a source that stays down ends the sync of that stream with a clear error.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import httpx

from connectors.mapping import HERE, SourceMap, load
from hub.errors import HubError


class SourceUnavailable(HubError):
    """A source system did not answer usefully after every retry."""


@dataclass(frozen=True)
class Failure:
    """Something of a source that a sync could not load, kept aside: what (a file, a URL),
    why, and what to do about it."""

    what: str
    reason: str
    todo: str

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}; {self.todo}"


@dataclass(frozen=True)
class Page:
    records: list[dict[str, Any]]
    cursor: str | None  # the source's paging cursor after this page; None: nothing more now


@dataclass(frozen=True)
class Endpoint:
    url: str
    token: str


class Connector:
    name: ClassVar[str]
    mapping_file: ClassVar[str]
    # What the stream cursors belong to (the sources file's `origin`), if it says.
    origin: str | None = None
    step_rows: int = 1000  # records (rows of files) written and committed as one step

    def mapping(self) -> SourceMap:
        return shipped(self.mapping_file)

    def fetch(self, stream: str, since: str | None) -> AsyncIterator[Page]:
        """Pages of the records of `stream` updated at or after `since` (ISO 8601)."""
        raise NotImplementedError


@cache
def shipped(mapping_file: str) -> SourceMap:
    """A mapping the hub ships, read and checked once per process."""
    return load(HERE / mapping_file)


@cache
def tls() -> ssl.SSLContext:
    """httpx's default TLS settings, built once: building them reads every trusted
    certificate (a tenth of a second), which a client per stream would do again."""
    return httpx.create_ssl_context()


class HttpConnector(Connector):
    path: ClassVar[str]  # with {stream}
    since_param: ClassVar[str]
    cursor_param: ClassVar[str]
    limit_param: ClassVar[str]
    attempts: ClassVar[int] = 8

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        page_size: int = 1000,
        timeout: float = 10.0,
        max_record_bytes: int | None = None,
        step_rows: int = 1000,
    ) -> None:
        self.endpoint = endpoint
        self.page_size = page_size
        self.step_rows = max(1, step_rows)  # pages are gathered into steps of this many rows
        self.timeout = timeout
        self.max_record_bytes = max_record_bytes  # larger records are quarantined

    def page(self, body: Any) -> Page:
        """Rows and next cursor from one answer of this source."""
        raise NotImplementedError

    async def fetch(self, stream: str, since: str | None) -> AsyncIterator[Page]:
        headers = {"Authorization": f"Bearer {self.endpoint.token}"}
        cursor: str | None = None
        async with httpx.AsyncClient(
            base_url=self.endpoint.url,
            headers=headers,
            timeout=self.timeout,
            verify=tls(),
        ) as client:
            while True:
                params: dict[str, Any] = {self.limit_param: self.page_size}
                if since:
                    params[self.since_param] = since
                if cursor:
                    params[self.cursor_param] = cursor
                page = self.page(await self._get(client, self.path.format(stream=stream), params))
                yield page
                if page.cursor is None:
                    return
                cursor = page.cursor

    async def _get(self, client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> Any:
        url = f"{self.endpoint.url.rstrip('/')}{path}"
        began = time.monotonic()
        delay = 0.2
        problem = ""
        for attempt in range(1, self.attempts + 1):
            try:
                response = await client.get(path, params=params)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                problem = f"{type(exc).__name__} ({exc})" if str(exc) else type(exc).__name__
            else:
                if response.status_code == 200:
                    return response.json()
                if response.status_code not in (429, 500, 502, 503, 504):
                    answer = f"{response.status_code}: {response.text[:200]}"
                    raise SourceUnavailable(f"{url} answered {answer}")
                problem = f"HTTP {response.status_code}"
                retry_after = response.headers.get("Retry-After")
                if retry_after and retry_after.isdigit():
                    delay = max(delay, float(retry_after))
            if attempt < self.attempts:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        raise SourceUnavailable(
            f"{url} did not answer: {self.attempts} attempts in "
            f"{time.monotonic() - began:.0f}s, last: {problem}"
        )
