"""The hub's pages: the investigators' workbench at `/` and the GraphQL IDE at `/graphql`.

Both are built from the npm project in `web/` (dependencies pinned by its
package-lock.json) into `web/dist/` by `scripts/setup`; every script, style sheet and
icon they load is a file under `/assets/` of the hub's own origin, since the bureau's
network has no internet. Until the pages are built they answer 503 saying so.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"
NOT_BUILT = (
    '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>未构建</title>'
    "<p>页面尚未构建。请运行 <code>scripts/setup</code>。</p>"
    "<p>The hub's pages are not built yet: run <code>scripts/setup</code>.</p></html>"
)


def page(name: str) -> Response:
    """A built page (`index.html`, `ide.html`), or a 503 saying how to build it."""
    path = DIST / name
    if not path.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503)
    return FileResponse(path, media_type="text/html; charset=utf-8")


async def workbench(request: Request) -> Response:
    return page("index.html")


def routes() -> list[BaseRoute]:
    """The workbench and the built assets that both pages load."""
    return [
        Route("/", workbench),
        Mount("/assets", StaticFiles(directory=DIST / "assets", check_dir=False), name="assets"),
    ]
