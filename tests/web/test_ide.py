"""The GraphQL IDE at /graphql, loaded from `hub serve` by a browser with no internet:
it renders its editor, takes a token, and runs a query with it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.resolvers.county import County
from tests.web.conftest import Hub, Offline


def _a_person(synced: County) -> str:
    rows, _, _ = synced.driver.execute_query(
        "MATCH (p:Person) WHERE p.name IS NOT NULL AND size(p.name) = 3 "
        "RETURN p.name AS name ORDER BY p.uid LIMIT 1"
    )
    return str(rows[0]["name"])


def _type_query(page: Page, query: str) -> None:
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(query)
    page.keyboard.press("Escape")  # close the completion list, if it opened


def test_the_ide_renders_offline_and_runs_a_query_with_a_token(
    page: Page, hub: Hub, synced: County, offline: Offline
) -> None:
    name = _a_person(synced)
    page.goto(f"{hub.url}/graphql")
    expect(page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()
    run = page.get_by_role("button", name="Execute query (Ctrl-Enter)")
    results = page.locator(".graphiql-response")

    # Without a token the IDE asks the hub nothing (each would be a failed login), and
    # running a query says what is missing.
    _type_query(page, f'{{ search(text: "{name}", first: 3) {{ edges {{ node {{ label }} }} }} }}')
    run.click()
    expect(results).to_contain_text("UNAUTHENTICATED")

    page.get_by_label("令牌 Token").fill(f"Bearer {hub.token()}")
    page.get_by_role("button", name="使用令牌 Use token").click()
    expect(page.get_by_role("status")).to_contain_text("请求将携带此令牌")
    _type_query(page, f'{{ search(text: "{name}", first: 3) {{ edges {{ node {{ label }} }} }} }}')
    page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    expect(results).to_contain_text(f'"label": "{name}"')
    assert "UNAUTHENTICATED" not in results.inner_text()

    # The schema was read with the token: the documentation explorer shows the root type.
    page.get_by_role("button", name="Show Documentation Explorer").click()
    expect(page.locator(".graphiql-doc-explorer")).to_contain_text("Query")
    assert offline.errors == []  # no 401: nothing was sent without the token
