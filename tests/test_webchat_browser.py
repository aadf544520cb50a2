"""The chat page in a real browser (Playwright + Debian's chromium) against `citizen-desk web`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, REPO, need_chromium, need_playwright


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`citizen-desk web` on a loopback port and a fresh database; its base URL."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "bot.cli", "web", "--listen", f"127.0.0.1:{port}"]
    command += ["--db", str(tmp_path / "db.sqlite3")]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            raise AssertionError("citizen-desk web did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)
        assert process.stderr is not None
        process.stderr.close()


async def test_a_citizen_asks_and_picks_a_choice_on_a_phone(server: str) -> None:
    need_chromium()
    need_playwright()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = await browser.new_page(viewport={"width": 360, "height": 740})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
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


async def test_a_citizen_sends_a_photo_with_a_complaint(server: str, tmp_path: Path) -> None:
    need_chromium()
    need_playwright()
    from playwright.async_api import async_playwright

    from tests.test_webchat_upload import JPEG

    photo = tmp_path / "门口.jpg"
    photo.write_bytes(JPEG)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = await browser.new_page(viewport={"width": 360, "height": 740})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            await page.goto(f"{server}/chat")
            bots = page.locator("#log li.bot")

            async def answered(act: Callable[[], Awaitable[None]]) -> str:
                before = await bots.count()
                await act()
                await bots.nth(before).wait_for(timeout=10_000)
                return await bots.last.inner_text()

            async def type_in(text: str) -> str:
                async def act() -> None:
                    await page.get_by_label("输入您的问题").fill(text)
                    await page.get_by_role("button", name="发送").click()

                return await answered(act)

            await type_in("/complain")
            category = page.locator('button.choice[data-action="fm:cat:environment"]').last
            await answered(category.click)
            await type_in("村口垃圾堆放多日无人清理，气味很大")
            await type_in("东风村村口")
            prompt = await type_in("昨天上午")
            assert "10MB" in prompt
            added = await answered(lambda: page.set_input_files("#file", str(photo)))
            assert "已收到第1个附件" in added
            assert "门口.jpg" in await page.locator("#log li.me").last.inner_text()
            assert problems == []
        finally:
            await browser.close()
