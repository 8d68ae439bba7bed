"""Browser tests: the hub's pages in Debian's headless Chromium, driven by Playwright,
against `hub serve` running as a process on loopback over a synced county.

The browser has no internet: every request for another host than loopback is aborted
and remembered, and each test ends by asserting there was none. Run as a stage of its
own (`-m browser`, scripts/test); a failing test leaves a screenshot in the pytest
temporary folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from neo4j import Driver
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect, sync_playwright

from hub import auth, web
from hub.access import Role
from hub.settings import Settings
from tests.hub.test_embedded import free_port
from tests.resolvers.county import PEOPLE, County, county

CHROMIUM = "/usr/bin/chromium"
# What appears may take a while on a busy 2-core machine: assertions wait up to 20 s.
expect.set_options(timeout=20_000)
HUB = str(Path(sys.executable).with_name("hub"))
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
# As Debian's Chromium runs headless here (as root, on a closed network): no sandbox,
# no GPU, none of the browser's own background connections to Google's hosts.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@dataclass
class Hub:
    """`hub serve` as a process: its address, and the folder its big-data feed reads."""

    url: str
    drop: Path
    settings: Settings
    process: subprocess.Popen[bytes]
    log: Path

    def token(self, role: Role = Role.investigator, user: str = "李明", unit: str = "") -> str:
        return auth.issue(self.settings, user, role, unit or None)

    def ask(self, query: str, role: Role = Role.admin, unit: str = "", **variables: Any) -> Any:
        """What the API answers `query` (as `role` of `unit`), over HTTP like any client."""
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {self.token(role, user='tests', unit=unit)}"},
            timeout=60,
        )
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture(scope="session")
def synced(
    county_files: Callable[..., Path], settings: Settings, driver: Driver
) -> Iterator[County]:
    """The county the resolver tests use, synced once (or reused if still there)."""
    yield from county(county_files(people=PEOPLE, seed=3, noise="hard"), settings, driver)


def _serve(settings: Settings, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen([HUB, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{env['HUB_PORT']}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"hub serve ended: {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"hub serve did not become ready: {log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def hub_process(
    synced: County, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Hub]]:
    """Start `hub serve` (production or not) on a free port; every one stops at the end.
    Its big-data source is an empty drop folder that a test may put a file into."""
    if not (web.DIST / "index.html").is_file():
        pytest.fail("web/dist is not built: run scripts/setup")
    started: list[Hub] = []

    def start(**env: str) -> Hub:
        folder = tmp_path_factory.mktemp("hub")
        drop = folder / "drop"
        drop.mkdir()
        sources = folder / "sources.json"
        sources.write_text(json.dumps({"bigdata": {"drop": str(drop)}}))
        port = str(free_port())
        environ = {
            **os.environ,
            "HUB_HOST": "127.0.0.1",
            "HUB_PORT": port,
            "HUB_SOURCES": str(sources),
            "HUB_ALERT_POLL": "0.2",
            **env,
        }
        log = folder / "serve.log"
        process = _serve(synced.settings, environ, log)
        hub = Hub(f"http://127.0.0.1:{port}", drop, Settings.from_env(environ), process, log)
        started.append(hub)
        return hub

    yield start
    for hub in started:
        hub.process.terminate()
        hub.process.wait(timeout=30)


@pytest.fixture(scope="session")
def hub(hub_process: Callable[..., Hub]) -> Hub:
    return hub_process()


@pytest.fixture(scope="session")
def browser(synced: County) -> Iterator[Browser]:
    # After the county: Playwright's sync API keeps an event loop running in this
    # thread, and syncing runs one of its own (asyncio.run).
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run scripts/setup --browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@dataclass
class Offline:
    """What a page tried to reach beyond loopback (aborted), and what it complained of."""

    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            self.foreign.append(route.request.url)
            route.abort("internetdisconnected")

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)


@pytest.fixture
def offline() -> Offline:
    return Offline()


@pytest.fixture
def page(
    browser: Browser, offline: Offline, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Page]:
    """A page of a fresh browser context with no internet (loopback only), 1440 by 900."""
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.route("**/*", offline.route)
    page = context.new_page()
    page.on("console", offline.console)
    page.on("pageerror", lambda error: offline.errors.append(f"page error: {error}"))
    page.set_default_timeout(20_000)
    yield page
    failed = getattr(request.node, "failed", False)
    if failed:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
    context.close()
    assert not offline.foreign, f"requests for other hosts: {offline.foreign}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        item.failed = True  # type: ignore[attr-defined]
    return report


# Screenshots of the main views, for the README: written when SCREENSHOTS_DIR is set
# (`SCREENSHOTS_DIR=docs/screenshots scripts/test -m browser tests/web`).
SHOTS = os.environ.get("SCREENSHOTS_DIR")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def sign_in(page: Page, hub: Hub, role: Role = Role.investigator, unit: str = "") -> None:
    """Open the workbench with a sign-in link (the token in the URL's fragment), as the
    link `hub demo` prints does, and wait for the user to be shown."""
    page.goto(f"{hub.url}/#token={hub.token(role, unit=unit)}")
    page.get_by_label("当前用户").wait_for()


@pytest.fixture(scope="session")
def unit(synced: County) -> str:
    """The unit that handles the most cases: its investigators see them."""
    rows, _, _ = synced.driver.execute_query(
        "MATCH (c:Case)-[:HANDLED_BY]->(u:Unit) WITH u, count(c) AS cases "
        "RETURN u.code AS unit ORDER BY cases DESC, unit LIMIT 1"
    )
    return str(rows[0]["unit"])
