"""The console in a real browser: Debian's chromium driven by Playwright against the real server.

`citizen-desk web` runs as a subprocess on a temporary SQLite file and a free loopback port;
one browser serves the whole module. Screenshots go to a temporary directory, or to
`CITIZEN_DESK_SCREENSHOTS` when it names one (docs/ is refreshed that way by hand).
"""

from __future__ import annotations

import asyncio
import re
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
from tests.browser import cli, launch_options, query, shots_dir, web_server

PASSWORD = "correct horse battery"
WIDTH, HEIGHT = 1366, 768
#: A complaint typed into `citizen-desk chat` (the terminal citizen "terminal:local").
TERMINAL_COMPLAINT = (
    "我要反映问题\n4\n路灯坏了一个月，晚上出行很不安全\n南湾村小学门口\n"
    "/skip\n/skip\n13712345678\n1\n"
)
NUMBER = re.compile(r"TS-\d{4}-\d{6}")


@dataclass(frozen=True)
class Seeded:
    """The tickets a citizen filed before the clerk logs in."""

    rubbish: str
    report: str


async def seed(db: Path) -> Seeded:
    """Accounts (a clerk, a supervisor) and two citizen tickets (one a 举报), through the desk."""
    result = load_knowledge(sample_kb_path())
    assert result.kb is not None
    async with Store.opened(db) as store:
        desk = TicketDesk(store, result.kb, WorkCalendar(), OutboxNotifier(store, -100))
        async with store.transaction():
            accounts = AccountStore(store)
            await accounts.save(Account("clerk", Role.STAFF, None, "王小丽"), PASSWORD)
            await accounts.save(Account("chief", Role.SUPERVISOR, None, "李主任"), PASSWORD)
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


@dataclass(frozen=True)
class Server:
    url: str
    db: Path
    seeded: Seeded


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`citizen-desk web` on a fresh database and a free port."""
    options = launch_options()  # skip before any work without chromium
    assert options
    work = tmp_path_factory.mktemp("console")
    db = work / "db.sqlite3"
    seeded = asyncio.run(seed(db))
    with web_server(db, work) as url:
        yield Server(url, db, seeded)


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    """One headless chromium for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(**launch_options())
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


def terminal_notices(db: Path) -> list[str]:
    """The texts waiting in the outbox for the terminal citizen, oldest first."""
    rows = query(
        db,
        "SELECT payload FROM outbox WHERE kind = 'terminal' AND owner = 'terminal:local' "
        "AND state = 'pending' ORDER BY id",
    )
    return [str(r[0]) for r in rows]


def test_a_ticket_filed_meanwhile_appears_and_the_citizen_hears_the_outcome(
    page: Any, server: Server
) -> None:
    log_in(page, server, "chief")
    page.evaluate("window.notReloaded = true")
    unassigned = int(page.inner_text("#queue-unassigned .count"))
    filed = cli(server.db, "chat", stdin=TERMINAL_COMPLAINT)  # a citizen at the terminal
    found = NUMBER.search(filed.stdout)
    assert found, filed.stdout + filed.stderr
    number = found[0]
    page.locator("#rows tr", has_text=number).wait_for(timeout=10_000)  # polled every 3 s
    assert page.evaluate("window.notReloaded === true")  # the same page, not a reload
    assert "路灯坏了" in page.locator("#rows tr", has_text=number).inner_text()
    page.wait_for_selector(  # the tab's count came with the rows (swapped out of band)
        f"#queue-unassigned .count:text-is('{unassigned + 1}')", timeout=2_000
    )
    assert page.locator("nav#queues").count() == 1

    page.click(f"a:text('{number}')")
    page.wait_for_url(f"**/t/{number}")
    page.click("#action-claim button")
    page.wait_for_load_state()
    page.fill("#action-reply textarea", "已联系供电所，明天上午派人维修。")
    page.click("#action-reply button")
    page.wait_for_selector(".timeline li:has-text('已联系供电所')")

    before = page.locator("dl dd").nth(3).inner_text()
    page.fill("#action-extend input[name=days]", "5")
    page.fill("#action-extend textarea", "需协调供电所更换线路")
    page.click("#action-extend button")
    page.wait_for_selector(".timeline li:has-text('需协调供电所更换线路')")
    after = page.locator("dl dd").nth(3).inner_text()
    assert t("web_extended", "zh") in after and after != before
    assert t("event_extend", "zh") in page.locator(".timeline li").last.inner_text()

    page.fill("#action-resolve textarea", "路灯已修复，供电所将每月巡检。")
    page.click("#action-resolve button")
    page.wait_for_selector(".card dd:has-text('路灯已修复')")

    notices = terminal_notices(server.db)
    assert any("已联系供电所" in n for n in notices)
    assert any("路灯已修复" in n for n in notices)
    heard = cli(server.db, "chat", stdin="")  # the citizen opens the terminal chat again
    assert "已联系供电所，明天上午派人维修。" in heard.stdout, heard.stderr
    assert "路灯已修复，供电所将每月巡检。" in heard.stdout
    assert terminal_notices(server.db) == []  # delivered once


def test_a_supervisor_reveals_a_reporter_and_the_reveal_is_audited(
    page: Any, server: Server
) -> None:
    number = server.seeded.report
    log_in(page, server, "chief")
    page.goto(f"{server.url}/t/{number}")
    assert page.inner_text("#contact") == t("identity_hidden", "zh")
    page.click("#action-reveal button")
    page.wait_for_selector("#contact:has-text('13900139000')")
    assert "tg:5151" in page.inner_text("#contact")
    audit = page.locator(".timeline li", has_text=t("event_reveal", "zh"))
    assert audit.count() == 1 and "李主任" in audit.inner_text()  # by name; audited by key
    assert audit.get_attribute("class") == "internal"
    events = query(
        server.db,
        "SELECT e.actor FROM ticket_events e JOIN tickets k ON k.id = e.ticket_id "
        "WHERE k.number = ? AND e.action = 'reveal'",
        number,
    )
    assert events == [("web:chief",)]
    assert "?reveal=" in page.url  # the POST was redirected to a page that only shows
    page.reload()
    assert "13900139000" in page.inner_text("#contact")
    assert query(
        server.db,
        "SELECT count(*) FROM ticket_events e JOIN tickets k ON k.id = e.ticket_id "
        "WHERE k.number = ? AND e.action = 'reveal'",
        number,
    ) == [(1,)]  # reloading revealed nothing again
    page.goto(f"{server.url}/t/{number}")  # shown through that link only
    assert page.inner_text("#contact") == t("identity_hidden", "zh")
