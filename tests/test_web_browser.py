"""The console in a real browser: Debian's chromium driven by Playwright against the real server.

`citizen-desk web` runs as a subprocess on a temporary SQLite file and a free loopback port;
one browser serves the whole module. Screenshots go to a temporary directory, or to
`CITIZEN_DESK_SCREENSHOTS` when it names one (docs/ is refreshed that way by hand).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge.loader import load_knowledge, sample_kb_path
from bot.messages import t
from bot.notify import OutboxNotifier
from bot.store import Store
from bot.tickets.model import Role
from bot.tickets.service import TicketDesk
from bot.web.accounts import Account, AccountStore
from bot.workdays import WorkCalendar
from tests.conftest import CHROMIUM, REPO, need_chromium, need_playwright

PASSWORD = "correct horse battery"
WIDTH, HEIGHT = 1366, 768


@dataclass(frozen=True)
class Seeded:
    """The tickets a citizen filed before the clerk logs in."""

    rubbish: str
    report: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def seed(db: Path) -> Seeded:
    """Accounts and two citizen tickets (one a 举报), through the desk."""
    result = load_knowledge(sample_kb_path())
    assert result.kb is not None
    async with Store.opened(db) as store:
        desk = TicketDesk(store, result.kb, WorkCalendar(), OutboxNotifier(store, -100))
        async with store.transaction():
            accounts = AccountStore(store)
            await accounts.save(Account("clerk", Role.STAFF, None, "王小丽"), PASSWORD)
            rubbish = await desk.file(
                "tg:4242",
                "environment",
                "村口垃圾堆放多日无人清理，气味很大",
                location="东风村村口",
                phone="13800138000",
            )
            report = await desk.file(
                "tg:5151", "conduct", "村干部收取低保评议好处费", phone="13900139000"
            )
    return Seeded(rubbish.number, report.number)


def wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            errors = proc.stderr.read() if proc.stderr else b""
            raise AssertionError(f"the console exited: {errors!r}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("the console did not start listening in 30 s")


@dataclass(frozen=True)
class Server:
    url: str
    db: Path
    seeded: Seeded


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`citizen-desk web` on a fresh database and a free port."""
    need_chromium()
    work = tmp_path_factory.mktemp("console")
    db = work / "db.sqlite3"
    seeded = asyncio.run(seed(db))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_DESK_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])  # this checkout
    command = "import sys; from bot.cli import main; sys.exit(main())"
    where = ["--listen", f"127.0.0.1:{port}", "--db", str(db), "--kb", str(sample_kb_path())]
    proc = subprocess.Popen(
        [sys.executable, "-c", command, "web", *where],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, proc)
        yield Server(f"http://127.0.0.1:{port}", db, seeded)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    """One headless chromium for the module."""
    need_playwright()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A fresh browser context (no cookies) at a window clerk's screen size."""
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def shots_dir(tmp_path: Path) -> Path:
    named = os.environ.get("CITIZEN_DESK_SCREENSHOTS")
    return Path(named) if named else tmp_path


def log_in(page: Any, server: Server, name: str = "clerk") -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=login]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/q/unassigned")


def fits_the_screen(page: Any) -> bool:
    """No horizontal scrolling at 1366 px."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_clerk_claims_replies_and_resolves_in_the_browser(
    page: Any, server: Server, tmp_path: Path
) -> None:
    number = server.seeded.rubbish
    log_in(page, server)
    row = page.locator("#rows tr", has_text=number)
    assert row.count() == 1
    assert "东风村" not in row.inner_text()  # the summary is the description
    assert fits_the_screen(page)
    shots = shots_dir(tmp_path)
    page.screenshot(path=str(shots / "console-queue.png"))

    page.click(f"a:text('{number}')")
    page.wait_for_url(f"**/t/{number}")
    page.click("#action-claim button")
    page.wait_for_load_state()
    assert "王小丽" in page.inner_text("dl") or "web:clerk" in page.inner_text("dl")

    page.fill("#action-reply textarea", "已安排保洁员今天下午清运，请您留意。")
    page.click("#action-reply button")
    page.wait_for_selector("text=已安排保洁员今天下午清运")
    page.fill("#action-resolve textarea", "垃圾已清运完毕，已通知村委会每日巡查。")
    page.click("#action-resolve button")
    page.wait_for_selector(".card dd:has-text('垃圾已清运完毕')")

    timeline = page.locator(".timeline li")
    assert timeline.count() == 4  # filed, claimed, replied, resolved
    assert page.locator(".timeline li.internal").count() == 1  # the claim
    assert "已安排保洁员" in timeline.nth(2).inner_text()
    assert fits_the_screen(page)
    page.screenshot(path=str(shots / "console-ticket.png"), full_page=True)

    page.goto(server.url + "/q/mine")
    assert page.locator("#rows tr", has_text=number).count() == 0  # answered, off my list
    page.goto(server.url + "/q/rating")
    assert page.locator("#rows tr", has_text=number).count() == 1


def test_a_staff_member_cannot_reveal_a_reporter(page: Any, server: Server) -> None:
    log_in(page, server)
    page.goto(f"{server.url}/t/{server.seeded.report}")
    assert page.inner_text("#contact") == t("identity_hidden", "zh")
    assert "13900139000" not in page.content() and "tg:5151" not in page.content()
    assert page.locator("#action-reveal").count() == 0
    csrf = page.get_attribute("#action-claim input[name=csrf]", "value")
    version = page.get_attribute("#action-claim input[name=version]", "value")
    forced = page.request.post(
        f"{server.url}/t/{server.seeded.report}/reveal",
        form={"csrf": csrf, "version": version},
    )
    assert forced.status == 403
    page.reload()
    assert page.inner_text("#contact") == t("identity_hidden", "zh")


def test_no_session_goes_to_the_login_page(page: Any, server: Server) -> None:
    page.goto(server.url + "/q/all")
    assert page.url.endswith("/login")
    assert page.locator("input[name=password]").count() == 1
