"""The chat page in a real browser (Playwright + Debian's chromium) against `citizen-desk web`."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.messages import t
from tests.browser import cli, launch_options, query, shots_dir, web_server

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
NUMBER = re.compile(r"TS-\d{4}-\d{6}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`citizen-desk web` on a loopback port and a fresh database (tmp_path/db.sqlite3)."""
    launch_options()  # skip before any work without chromium
    with web_server(tmp_path / "db.sqlite3", tmp_path) as url:
        yield url


def watch(page: Any) -> list[str]:
    """Collect the page's console errors and uncaught exceptions."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


class Conversation:
    """The chat page as a citizen uses it: type or press, then read the next bot bubble."""

    def __init__(self, page: Any):
        self.page = page
        self.bots = page.locator("#log li.bot")

    async def answered(self, act: Callable[[], Awaitable[None]]) -> str:
        before = await self.bots.count()
        await act()
        await self.bots.nth(before).wait_for(timeout=10_000)
        return str(await self.bots.last.inner_text())

    async def type_in(self, text: str) -> str:
        async def act() -> None:
            await self.page.get_by_label("输入您的问题").fill(text)
            await self.page.get_by_role("button", name="发送").click()

        return await self.answered(act)

    async def press(self, action: str) -> str:
        return await self.answered(
            self.page.locator(f'button.choice[data-action^="{action}"]').last.click
        )


async def test_a_citizen_asks_and_picks_a_choice_on_a_phone(server: str) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options())
        try:
            page = await browser.new_page(viewport=PHONE)
            problems = watch(page)
            await page.goto(f"{server}/chat")
            await page.get_by_label("输入您的问题").fill("低保怎么申请")
            await page.get_by_role("button", name="发送").click()
            answer = page.locator("#log li.bot").nth(1)
            await answer.wait_for(timeout=10_000)
            assert "低保" in await answer.inner_text()
            # The welcome's first button, pressed: the core answers it.
            before = await page.locator("#log li.bot").count()
            await page.locator("#log li.bot").first.locator("button.choice").first.click()
            await page.locator("#log li.bot").nth(before).wait_for(timeout=10_000)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360  # nothing wider than the phone
            # Reopened later, the page shows the conversation again.
            await page.reload()
            await page.locator("#log li.bot").nth(before).wait_for(timeout=10_000)
            assert problems == []
        finally:
            await browser.close()


async def test_a_citizen_files_with_a_photo_and_rates_the_outcome_live(
    server: str, tmp_path: Path
) -> None:
    """File a complaint with a photo; a clerk resolves it at the desk (another process); the
    open page shows the outcome without reloading, and the citizen rates it there."""
    from playwright.async_api import async_playwright

    from tests.test_webchat_upload import JPEG

    db = tmp_path / "db.sqlite3"
    photo = tmp_path / "门口.jpg"
    photo.write_bytes(JPEG)
    shots = shots_dir(tmp_path)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options())
        try:
            context = await browser.new_context(viewport=PHONE, locale="zh-CN")
            page = await context.new_page()
            problems = watch(page)
            await page.goto(f"{server}/chat")
            chat = Conversation(page)
            await chat.type_in("/complain")
            await chat.press("fm:cat:environment")
            await chat.type_in("村口垃圾堆放多日无人清理，气味很大")
            await chat.type_in("东风村村口")
            prompt = await chat.type_in("昨天上午")
            assert "10MB" in prompt
            added = await chat.answered(lambda: page.set_input_files("#file", str(photo)))
            assert "已收到第1个附件" in added
            assert "门口.jpg" in await page.locator("#log li.me").last.inner_text()
            await chat.press("fm:done")
            await chat.type_in("13800138000")
            filed = await chat.press("fm:confirm:")
            found = NUMBER.search(filed)
            assert found, filed
            number = found[0]
            await page.evaluate("window.notReloaded = true")

            outcome = "垃圾已清运完毕，村委会每日巡查。"
            resolved = cli(db, "tickets", "resolve", number, outcome)  # the clerk, at the desk
            assert resolved.returncode == 0, resolved.stderr
            started = time.monotonic()
            shown = page.locator("#log li.bot", has_text=outcome)
            await shown.wait_for(timeout=10_000)
            waited = time.monotonic() - started
            assert waited < 5, f"the outcome took {waited:.1f} s"  # the watcher: about 1 s
            assert await page.evaluate("window.notReloaded === true")
            await page.screenshot(path=str(shots / "webchat-phone.png"))

            rating = t("rating_4", "zh")
            thanks = await chat.answered(shown.get_by_role("button", name=rating, exact=True).click)
            assert "感谢" in thanks or "谢谢" in thanks, thanks
            rows = query(
                db,
                "SELECT r.rating, k.status FROM ratings r JOIN tickets k ON k.id = r.ticket_id "
                "WHERE k.number = ?",
                number,
            )
            assert rows == [(4, "closed")]
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"]
            assert problems == []

            desktop = await context.new_page()  # the same visitor, on a computer
            await desktop.set_viewport_size(DESKTOP)
            await desktop.goto(f"{server}/chat")
            await desktop.locator("#log li.bot", has_text=outcome).wait_for(timeout=10_000)
            await desktop.screenshot(path=str(shots / "webchat-desktop.png"))
        finally:
            await browser.close()
