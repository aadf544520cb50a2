"""A county portal on one site frames the chat of a `citizen-desk web` on another, in a real
browser (Playwright + Debian's chromium): the iframe of the README's snippet keeps its
visitor across reloads (the key cookie is SameSite=None; Secure; Partitioned), and a site
not in CITIZEN_DESK_WEB_ORIGINS cannot frame it.

The portal is http://localhost:A and the chat http://127.0.0.1:B: two sites (a port alone
would not make one), both loopback, where chromium keeps Secure cookies without HTTPS."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.browser import free_port, launch_options, query, web_server
from tests.conftest import REPO

#: The README's iframe snippet, with this placeholder for the chat server's address.
README_HOST = "https://desk.example.gov.cn"
IFRAME = re.compile(r"<iframe [^>]*></iframe>")


def readme_iframe(chat: str) -> str:
    """The iframe the README tells a portal to paste, pointed at `chat`."""
    found = IFRAME.findall((REPO / "README.md").read_text(encoding="utf-8"))
    assert len(found) == 1, found
    assert f'src="{README_HOST}/chat"' in found[0], found[0]
    return found[0].replace(README_HOST, chat)


@contextmanager
def portal(port: int, iframe: str) -> Iterator[str]:
    """A county portal's page (the iframe inside) on http://localhost:`port`; its URL."""
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        "<title>某县人民政府</title></head><body><h1>互动交流</h1>"
        f"{iframe}</body></html>"
    ).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/" else 404)
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
        yield f"http://localhost:{port}/"
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


async def test_a_portal_on_another_site_frames_the_chat_and_keeps_the_visitor(
    tmp_path: Path,
) -> None:
    from playwright.async_api import async_playwright

    options = launch_options()  # skip before any work without chromium
    allowed, unlisted = free_port(), free_port()
    db = tmp_path / "db.sqlite3"
    settings = {"CITIZEN_DESK_WEB_ORIGINS": f"http://localhost:{allowed}"}
    with web_server(db, tmp_path, settings) as chat:
        iframe = readme_iframe(chat)
        with portal(allowed, iframe) as county, portal(unlisted, iframe) as stranger:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(**options)
                try:
                    page = await browser.new_page(locale="zh-CN")
                    problems: list[str] = []
                    page.on("pageerror", lambda e: problems.append(str(e)))
                    await page.goto(county)
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
                    visitors = query(db, "SELECT DISTINCT visitor FROM webchat_inbox")
                    assert len(visitors) == 1, visitors
                    assert len(query(db, "SELECT id FROM webchat_inbox")) == 2
                    cookies = await page.context.cookies()
                    (key,) = [c for c in cookies if c["name"] == "cd_chat"]
                    assert key["sameSite"] == "None" and key["secure"]
                    # CHIPS: kept in the portal's partition, which other sites never see.
                    assert key.get("partitionKey") == "http://localhost", key
                    assert problems == []

                    # A site not in CITIZEN_DESK_WEB_ORIGINS gets no chat in its frame.
                    other = await browser.new_page(locale="zh-CN")
                    refusals: list[str] = []
                    other.on("console", lambda m: refusals.append(m.text))
                    await other.goto(stranger, wait_until="load")
                    (framed,) = [f for f in other.frames if f != other.main_frame]
                    await other.wait_for_timeout(500)
                    assert await framed.query_selector("#log") is None
                    assert any("frame-ancestors" in text for text in refusals), refusals
                finally:
                    await browser.close()
