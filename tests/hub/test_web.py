"""The hub's pages are served by the hub, reference no other host, and carry a content
security policy in production that lets them load exactly what they are made of."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from starlette.testclient import TestClient

from hub import web
from hub.app import ANSWER_CSP, PAGE_CSP, create_app
from hub.settings import Settings

BASE = "http://testserver"
PAGES = {"/": {}, "/graphql": {"accept": "text/html"}}  # the workbench and the IDE
# Foreign addresses the bundled libraries carry as text that no browser loads; any
# other address of another host in a served file fails the test.
TEXT_ONLY = {
    "http://www.w3.org/": "XML namespaces of the SVG and XHTML elements scripts create",
    "https://react.dev/errors/": "the address React's minified error messages cite",
    "https://en.wikipedia.org/wiki/IEEE_floating_point": "graphql-js: the Float description",
    "https://commonmark.org/": "graphql-js: the description of descriptions",
    "https://github.com/graphql/graphiql": "GraphiQL's own logo link, replaced by the hub's",
    "https://codemirror.net/5/doc/manual.html": "text of GraphiQL's short-keys dialog",
    "https://yarnpkg.com/en/docs/selective-version-resolutions": "graphql-js: an error's text",
}
HOST = r"[a-z0-9-]+(?:\.[a-z0-9-]+)+"
FOREIGN = re.compile(
    rf"""(?:https?|wss?):(?://|\\/\\/){HOST}[^\s"'`)<>\\]*|(?<=["'(])//{HOST}""", re.IGNORECASE
)
# References between built files: `./chunk.js` in a script, `/assets/x.css` in a page,
# `assets/x.js` in vite's preload map, `url(/assets/x.woff2)` in a style sheet.
LOCAL = re.compile(
    r"""["'(]((?:\.{1,2}/|/assets/|assets/)[\w.-]+\.(?:js|css|svg|png|woff2?|ttf))["')]"""
)


class Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action", "poster", "srcset", "data") and value:
                self.urls.append(value)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    if not (web.DIST / "index.html").is_file():
        pytest.fail("web/dist is not built: run scripts/setup")
    with TestClient(create_app(settings)) as client:
        yield client


def crawl(client: TestClient) -> dict[str, str]:
    """Every page and every file the pages load, transitively: address → text."""
    seen: dict[str, str] = {}
    todo = [(path, headers) for path, headers in PAGES.items()]
    while todo:
        path, headers = todo.pop()
        if path in seen:
            continue
        response = client.get(path, headers=headers)
        assert response.status_code == 200, f"{path}: {response.status_code}"
        text = response.text
        seen[path] = text
        refs: list[str] = []
        if "text/html" in response.headers["content-type"]:
            parser = Attributes()
            parser.feed(text)
            refs = parser.urls
        else:
            refs = LOCAL.findall(text)
        for ref in refs:
            url = urlsplit(urljoin(BASE + path, ref))
            assert f"{url.scheme}://{url.netloc}" == BASE, f"{path} loads {ref}"
            if ref.startswith("assets/"):  # vite's preload map is relative to the page
                url = urlsplit(urljoin(BASE + "/", ref))
            todo.append((url.path, {}))
    return seen


def test_every_page_and_asset_comes_from_the_hub_and_names_no_other_host(
    client: TestClient,
) -> None:
    served = crawl(client)
    built = {f"/assets/{p.name}" for p in (web.DIST / "assets").iterdir()}
    assert {p for p in served if p.startswith("/assets/")} <= built
    assert any(p.endswith(".js") for p in served) and any(p.endswith(".css") for p in served)
    for path in built - served.keys():  # built but not reached from a page: scan it too
        response = client.get(path)
        assert response.status_code == 200
        served[path] = response.text
    foreign = {
        (path, found)
        for path, text in served.items()
        for found in FOREIGN.findall(text)
        if not any(found.replace("\\/", "/").startswith(known) for known in TEXT_ONLY)
    }
    assert not foreign, sorted(foreign)[:20]


def test_the_ide_is_the_bundled_one_with_a_place_for_the_token(client: TestClient) -> None:
    page = client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert '<div id="ide">' in page.text
    assert "cdn" not in page.text.lower() and "unpkg" not in page.text.lower()
    scripts = [s for s in crawl(client) if s.startswith("/assets/ide-") and s.endswith(".js")]
    assert scripts and "令牌 Token" in client.get(scripts[0]).text


def test_an_unbuilt_page_says_how_to_build_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setattr(web, "DIST", tmp_path)
    response = client.get("/")
    assert response.status_code == 503
    assert "scripts/setup" in response.text


def test_production_pages_may_load_only_from_the_hub_and_answers_nothing(
    settings: Settings,
) -> None:
    with TestClient(create_app(dataclasses.replace(settings, env="production"))) as production:
        page = production.get("/")
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == PAGE_CSP.decode()
        asset = next(p for p in crawl_page(production, page.text) if p.startswith("/assets/"))
        assert production.get(asset).headers["content-security-policy"] == ANSWER_CSP.decode()
        answer = production.post("/graphql", json={"query": "{ __typename }"})
        assert answer.headers["content-security-policy"] == ANSWER_CSP.decode()
        # The IDE needs introspection, which production turns off: no IDE page there.
        ide = production.get("/graphql", headers={"accept": "text/html"})
        assert '<div id="ide">' not in ide.text
    policy = dict(d.strip().split(" ", 1) for d in PAGE_CSP.decode().split(";"))
    assert policy["default-src"] == "'none'"
    assert all("http" not in v and "*" not in v and "unsafe" not in v for v in policy.values())


def crawl_page(client: TestClient, html: str) -> list[str]:
    parser = Attributes()
    parser.feed(html)
    return parser.urls
