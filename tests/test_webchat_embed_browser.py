"""A county portal on one site frames the chat of a `citizen-desk web` on another, in a real
browser (Playwright + Debian's chromium): the iframe of the README's snippet keeps its
visitor across reloads (the key cookie is SameSite=None; Secure; Partitioned), so does the
panel of its floating button (data-frame), and a site not in CITIZEN_DESK_WEB_ORIGINS
cannot frame it (its button opens a new tab instead).

The portal is http://localhost:A and the chat http://127.0.0.1:B: two sites (a port alone
would not make one), both loopback, where chromium keeps Secure cookies without HTTPS."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.browser import free_port, launch_options, query, web_server
from tests.conftest import REPO

#: The README's iframe snippet, with this placeholder for the chat server's address.
README_HOST = "https://desk.example.gov.cn"
IFRAME = re.compile(r"<iframe [^>]*></iframe>")
SCRIPT = re.compile(r"<script [^>]*data-frame[^>]*></script>")


def readme_iframe(chat: str) -> str:
    """The iframe the README tells a portal to paste, pointed at `chat`."""
    found = IFRAME.findall((REPO / "README.md").read_text(encoding="utf-8"))
    assert len(found) == 1, found
    assert f'src="{README_HOST}/chat"' in found[0], found[0]
    return found[0].replace(README_HOST, chat)


def readme_script(chat: str) -> str:
    """The README's floating-button snippet in its framed form, pointed at `chat`."""
    found = SCRIPT.findall((REPO / "README.md").read_text(encoding="utf-8"))
    assert len(found) == 1, found
    return found[0].replace(README_HOST, chat)


def portal_page(body: str) -> str:
    """A county portal's page around `body`."""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>某县人民政府</title></head><body><h1>互动交流</h1>{body}</body></html>"
    )


@contextmanager
def portal(port: int, pages: dict[str, str]) -> Iterator[str]:
    """A county portal (path → HTML) on http://localhost:`port`; its URL."""
    encoded = {path: html.encode() for path, html in pages.items()}

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            html = encoded.get(self.path, b"")
            self.send_response(200 if html else 404)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


async def ask(frame: Any, text: str) -> str:
    """Type `text` in the framed chat and wait for the next bot bubble; its text."""
    bots = frame.locator("#log li.bot")
    before = await bots.count()
    await frame.get_by_label("输入您的问题").fill(text)
    await frame.get_by_role("button", name="发送").click()
    await bots.nth(before).wait_for(timeout=10_000)
    return str(await bots.nth(before).inner_text())


@dataclass
class Sites:
    """The chat server, its database, and two portals: one listed, one not."""

    chat: str
    db: Path
    county: str
    stranger: str


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[Sites]:
    """citizen-desk web on 127.0.0.1 with http://localhost:A allowed to frame it, and the
    portal's pages (the README's iframe at /, its floating button at /button) on A and on
    an unlisted http://localhost:C."""
    launch_options()  # skip before any work without chromium
    allowed, unlisted = free_port(), free_port()
    db = tmp_path / "db.sqlite3"
    settings = {"CITIZEN_DESK_WEB_ORIGINS": f"http://localhost:{allowed}"}
    with web_server(db, tmp_path, settings) as chat:
        pages = {
            "/": portal_page(readme_iframe(chat)),
            "/button": portal_page(readme_script(chat)),
        }
        with portal(allowed, pages) as county, portal(unlisted, pages) as stranger:
            yield Sites(chat, db, county, stranger)


async def test_a_portal_on_another_site_frames_the_chat_and_keeps_the_visitor(
    sites: Sites,
) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options())
        try:
            page = await browser.new_page(locale="zh-CN")
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            await page.goto(f"{sites.county}/")
            frame = page.frame_locator("iframe")
            answer = await ask(frame, "低保怎么申请")
            assert "低保" in answer
            # The portal page reloaded: the frame's conversation is there again...
            await page.reload()
            frame = page.frame_locator("iframe")
            again = frame.locator("#log li.bot").nth(1)
            await again.wait_for(timeout=10_000)
            assert await again.inner_text() == answer
            # ...and the visitor is the same one: a second question is theirs too.
            assert await ask(frame, "怎么投诉")
            visitors = query(sites.db, "SELECT DISTINCT visitor FROM webchat_inbox")
            assert len(visitors) == 1, visitors
            assert len(query(sites.db, "SELECT id FROM webchat_inbox")) == 2
            (key,) = [c for c in await page.context.cookies() if c["name"] == "cd_chat"]
            assert key["sameSite"] == "None" and key["secure"]
            # CHIPS: kept in the portal's partition, which other sites never see.
            assert key.get("partitionKey") == "http://localhost", key
            # The floating button with data-frame, on another page of the portal: a panel
            # on the page, the same visitor (the portal's partition).
            await page.goto(f"{sites.county}/button")
            button = page.get_by_role("button", name="在线咨询")
            await button.click()
            assert await button.get_attribute("aria-expanded") == "true"
            shown = page.frame_locator("#citizen-desk-panel").locator("#log li.bot").nth(1)
            await shown.wait_for(timeout=10_000)
            assert await shown.inner_text() == answer
            await button.focus()
            await page.keyboard.press("Space")  # a button by keyboard too
            assert await page.locator("#citizen-desk-panel").is_hidden()
            assert await button.get_attribute("aria-expanded") == "false"
            assert problems == []
        finally:
            await browser.close()


async def test_a_site_not_in_the_list_cannot_frame_the_chat(sites: Sites) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options())
        try:
            page = await browser.new_page(locale="zh-CN")
            refusals: list[str] = []
            page.on("console", lambda m: refusals.append(m.text))
            await page.goto(f"{sites.stranger}/", wait_until="load")
            (framed,) = [f for f in page.frames if f != page.main_frame]
            await page.wait_for_timeout(500)
            assert await framed.query_selector("#log") is None
            assert any("frame-ancestors" in text for text in refusals), refusals
            # Its floating button opens the chat in a new tab, not a broken frame.
            await page.goto(f"{sites.stranger}/button")
            async with page.context.expect_page() as opened:
                await page.get_by_role("link", name="在线咨询").click()
            tab = await opened.value
            await tab.get_by_label("输入您的问题").wait_for(timeout=10_000)
            assert tab.url == f"{sites.chat}/chat"
            assert await page.locator("iframe").count() == 0
        finally:
            await browser.close()
