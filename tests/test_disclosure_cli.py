"""Staff work on disclosure requests from the command line; the annual tables in the report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.disclosure.answers import Applicant
from bot.disclosure.desk import DisclosureDesk, DisclosureForm
from bot.knowledge.model import KnowledgeBase
from bot.notify import OutboxNotifier
from bot.store import Store
from bot.tickets.service import TicketDesk
from bot.workdays import WorkCalendar
from tests.processes import cli

ID_NUMBER = "110101199003071234"


async def filed(db: Path, kb: KnowledgeBase, applicants: list[Applicant]) -> tuple[str, ...]:
    store = await Store.open(db)
    desk = TicketDesk(store, kb, WorkCalendar(), OutboxNotifier(store, -100))
    numbers = []
    for applicant in applicants:
        form = DisclosureForm(
            applicant, "李四", ID_NUMBER, "lisi@example.org", "本镇2025年财政预算", "paper", "post"
        )
        async with store.transaction():
            numbers.append((await DisclosureDesk(desk).file("tg:42", form)).number)
    year = desk.today().year
    await store.close()
    return (str(year), *numbers)


async def test_staff_cli_and_the_annual_tables(tmp_path: Path, sample_kb: KnowledgeBase) -> None:
    db = tmp_path / "db.sqlite3"
    year, first, second, third = await filed(
        db, sample_kb, [Applicant.NATURAL, Applicant.COMMERCIAL, Applicant.LEGAL]
    )
    listing = cli(db, "disclosure", "list")
    assert listing.returncode == 0, listing.stderr
    assert first in listing.stdout and ID_NUMBER not in listing.stdout and "李*" in listing.stdout
    shown = cli(db, "disclosure", "show", first).stdout
    assert "lisi@example.org" in shown and ID_NUMBER not in shown  # contact to deliver; no ID

    corrected = cli(db, "disclosure", "correct", first, "请写明预算科目", "--days", "5")
    assert corrected.returncode == 0 and "awaiting your correction" in corrected.stdout
    again = cli(db, "disclosure", "correct", first, "再次补正")
    assert again.returncode == 1 and "only once" in again.stderr
    due = cli(db, "disclosure", "corrected", first, "一般公共预算").stdout.split("due ")[1]
    extended = cli(db, "disclosure", "extend", first, "10", "需要汇总", "--supervisor")
    assert extended.returncode == 0 and extended.stdout.split("due ")[1] > due
    staff_extends = cli(db, "disclosure", "extend", second, "5", "x", "--as", "7")
    assert staff_extends.returncode != 0  # not registered staff / not a supervisor
    answered = cli(db, "disclosure", "answer", first, "already_public", "镇政府网站财政公开栏")
    assert answered.returncode == 0 and "closed" in answered.stdout
    refused = cli(db, "disclosure", "answer", second, "withheld")
    assert refused.returncode == 1
    assert (
        cli(db, "disclosure", "answer", second, "withheld", "--reason", "process").returncode == 0
    )
    review = cli(db, "disclosure", "review", "add", "--year", year, "review", "upheld", "2")
    assert review.returncode == 0, review.stderr

    table = cli(db, "report", "--year", year, "--disclosure")
    assert table.returncode == 0, table.stderr
    rows = {line.split(" | ")[0].lstrip("| "): line for line in table.stdout.splitlines()}
    assert rows["一、本年新收政府信息公开申请数量"].endswith("| 1 | 1 | 0 | 0 | 1 | 0 | 3 |")
    assert rows["（一）予以公开"].endswith("| 1 | 0 | 0 | 0 | 0 | 0 | 1 |")
    assert rows["6.属于四类过程性信息"].endswith("| 0 | 1 | 0 | 0 | 0 | 0 | 1 |")
    assert rows["（七）总计"].endswith("| 1 | 1 | 0 | 0 | 0 | 0 | 2 |")
    assert rows["四、结转下年度继续办理"].endswith("| 0 | 0 | 0 | 0 | 1 | 0 | 1 |")
    assert rows["行政复议"].endswith("| 2 | 0 | 0 | 0 | 2 |")
    csv_out = cli(db, "report", "--year", year, "--disclosure", "--format", "csv").stdout
    assert "（七）总计,1,1,0,0,0,0,2" in csv_out
    yearly = cli(db, "report", "--year", year, "--format", "html")
    assert yearly.returncode == 0, yearly.stderr
    assert "收到和处理政府信息公开申请情况" in yearly.stdout and third not in yearly.stdout
    assert yearly.stdout.rstrip().endswith("</html>")

    # A request concluded without a result row: the table is refused, with the reason.
    store = await Store.open(db)
    await store.conn.execute(
        "UPDATE disclosure_requests SET concluded = ?, result_row = NULL "
        "WHERE ticket_id = (SELECT id FROM tickets WHERE number = ?)",
        (f"{year}-12-31", third),
    )
    await store.close()
    broken = cli(db, "report", "--year", year, "--disclosure")
    assert broken.returncode != 0
    assert "不平衡" in broken.stderr and "法律服务机构" in broken.stderr


async def test_an_oral_request_written_up_by_staff(tmp_path: Path) -> None:
    """Art. 29: staff record it; Art. 31: in person it counts from the day it was made."""
    db = tmp_path / "db.sqlite3"
    await (await Store.open(db)).close()
    details = ("--applicant", "natural", "--name", "王五", "--id", ID_NUMBER)
    details += ("--contact", "13800138000", "--form", "paper", "--way", "collect")
    recorded = cli(db, "disclosure", "record", *details, "本村2026年低保名单")
    assert recorded.returncode == 0, recorded.stderr
    number = recorded.stdout.split(":")[0]
    today = dt.date.today()  # the desk's clock is China's; the test runs well inside a day
    received = recorded.stdout.split("received ")[1].split(",")[0]
    assert abs((dt.date.fromisoformat(received) - today).days) <= 1
    posted = cli(db, "disclosure", "record", *details, "x年预算", "--via", "post")
    assert posted.returncode == 0 and "received" in posted.stdout
    future = (today + dt.timedelta(days=3)).isoformat()
    late = cli(db, "disclosure", "record", *details, "本镇预算", "--via", "post", "--on", future)
    assert late.returncode == 1 and "after today" in late.stderr
    chat_way = ("--applicant", "natural", "--name", "王五", "--id", ID_NUMBER, "--contact", "c")
    no_chat = cli(
        db, "disclosure", "record", *chat_way, "--form", "paper", "--way", "chat", "本镇预算"
    )
    assert no_chat.returncode != 0 and "--chat" in no_chat.stderr

    store = await Store.open(db)
    rows = await store.conn.execute_fetchall(
        "SELECT t.citizen, e.actor, e.action, e.note FROM tickets t "
        "JOIN ticket_events e ON e.ticket_id = t.id WHERE t.number = ?",
        (number,),
    )
    outbox = await store.conn.execute_fetchall("SELECT owner FROM outbox")
    await store.close()
    citizen, actor, action = tuple(rows[0])[:3]
    # The desk's command line is audited as desk:<system user> (issue 10.12).
    assert (citizen, action) == ("desk:counter", "file") and actor.startswith("desk:")
    assert "第二十九条" in rows[0][3] and "in_person" in rows[0][3]
    assert outbox == []  # the applicant is at the counter: nothing is sent anywhere
    shown = cli(db, "disclosure", "show", number).stdout
    assert "王五" in shown and "13800138000" in shown and ID_NUMBER not in shown


async def test_the_fee_command(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    await (await Store.open(db)).close()
    assert cli(db, "disclosure", "fee", "--nth", "10").stdout.startswith("free")
    assert cli(db, "disclosure", "fee", "--nth", "31").stdout.startswith("200 yuan (by count")
    assert cli(db, "disclosure", "fee", "--pages", "150").stdout.startswith("1700 yuan (by pages")
    both = cli(db, "disclosure", "fee", "--nth", "12", "--pages", "40")
    assert both.returncode != 0  # one scale per request (Art. 3)
