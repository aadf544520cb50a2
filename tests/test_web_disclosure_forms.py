"""The console's disclosure forms over HTTP: a request written up by staff (Art. 29) and the
section-四 counts, each through the same core function as its command line."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot import cli
from bot.disclosure.desk import DisclosureDesk
from bot.knowledge.loader import sample_kb_path
from bot.knowledge.model import KnowledgeBase
from bot.tickets.model import Role, Status
from tests.web_env import Console, console, csrf_of, login

ID_NUMBER = "110101199003071234"
#: A complete form (the console's clock: Monday 2026-03-02).
GOOD = {
    "applicant": "natural",
    "name": "王五",
    "id_number": ID_NUMBER,
    "contact": "13800138000",
    "description": "本村2026年低保名单",
    "purpose": "",
    "delivery_form": "paper",
    "delivery_way": "collect",
    "chat": "",
    "via": "in_person",
    "on": "",
}


@pytest.fixture
async def web(tmp_path: Path, sample_kb: KnowledgeBase) -> AsyncIterator[Console]:
    async with console(tmp_path / "db.sqlite3", sample_kb) as c:
        await c.account("clerk", Role.STAFF)
        await c.account("boss", Role.SUPERVISOR)
        await c.account("root", Role.ADMIN)
        yield c


async def blank_form(client: httpx.AsyncClient) -> dict[str, str]:
    """The hidden fields of a fresh record form."""
    page = await client.get("/disclosure/new")
    assert page.status_code == 200, page.text
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page.text)
    assert token
    return {"csrf": csrf_of(page.text), "token": token[1]}


async def record(client: httpx.AsyncClient, **changes: str) -> httpx.Response:
    return await client.post(
        "/disclosure/new", data={**await blank_form(client), **GOOD, **changes}
    )


def dates(page: str) -> dict[str, str]:
    block = page.split('id="disclosure-dates"')[1].split("</dl>")[0]
    return dict(re.findall(r"<dt>([^<]+)</dt><dd[^>]*>([^<]+)</dd>", block))


async def requests_filed(web: Console) -> int:
    return int(await web.scalar("SELECT COUNT(*) FROM disclosure_requests"))


# -- a request written up by staff ----------------------------------------------------------


async def test_staff_write_up_an_oral_request_with_its_statutory_dates(web: Console) -> None:
    async with web.client() as client:
        await login(client, "clerk")
        home = (await client.get("/", follow_redirects=True)).text
        assert 'href="/disclosure/new"' in home and 'id="nav-reviews"' not in home
        form = await blank_form(client)
        filed = await client.post("/disclosure/new", data={**form, **GOOD})
        assert filed.status_code == 303, filed.text
        where = filed.headers["location"]
        assert re.fullmatch(r"/t/[0-9A-Z-]+", where), where
        number = where.removeprefix("/t/")
        # The same form sent twice (a double click, a reload) files nothing new.
        again = await client.post("/disclosure/new", data={**form, **GOOD})
        assert again.status_code == 303 and again.headers["location"] == where
        page = (await client.get(where)).text
    assert await requests_filed(web) == 1
    shown = dates(page)
    assert shown["收到申请日（第三十一条）"] == "2026-03-02"  # handed in today (Art. 31)
    assert shown["补正告知最后一日（第三十条）"] == "2026-03-11"  # 7 working days
    assert shown["答复期限（第三十三条）"] == "2026-03-30"  # 20 working days
    assert "王五" in page and "13800138000" in page and ID_NUMBER not in page
    ticket = await web.ticket(number)
    assert ticket.kind == "disclosure" and ticket.status is Status.RECEIVED
    assert ticket.citizen == "desk:counter"  # notices stay at the desk
    request = await DisclosureDesk(web.desk).request_of(ticket)
    assert request is not None and request.delivery_way == "collect"
    assert request.purpose is None
    actor, note = (
        await web.scalar("SELECT actor FROM ticket_events WHERE ticket_id = ?", ticket.id),
        await web.scalar("SELECT note FROM ticket_events WHERE ticket_id = ?", ticket.id),
    )
    assert actor == "web:clerk"  # who wrote it up
    assert "第二十九条" in note and "in_person" in note


async def test_a_posted_request_counts_from_the_day_signed_for(web: Console) -> None:
    async with web.client() as client:
        await login(client, "boss")  # supervisors record too
        filed = await record(
            client,
            applicant="commercial",
            name="某建筑公司",
            purpose="投标参考",
            delivery_form="electronic",
            delivery_way="chat",
            chat="tg:4242",
            via="post",
            on="2026-02-27",
        )
        assert filed.status_code == 303, filed.text
        page = (await client.get(filed.headers["location"])).text
    assert dates(page)["收到申请日（第三十一条）"] == "2026-02-27"
    # 20 working days; Saturday 2026-02-28 is a working day (春节调休).
    assert dates(page)["答复期限（第三十三条）"] == "2026-03-26"
    ticket = await web.ticket(filed.headers["location"].removeprefix("/t/"))
    assert ticket.citizen == "tg:4242"  # the answer goes to the applicant's chat
    assert any("2026-03-26" in text for text in await web.outbox_texts(4242))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "请填写此项"),
        ({"id_number": ""}, "id_number", "请填写此项"),
        ({"contact": ""}, "contact", "请填写此项"),
        ({"description": ""}, "description", "请填写此项"),
        ({"description": "预算"}, "description", "内容太短"),
        ({"description": "我要投诉村干部乱收费"}, "description", "第三十九条"),
        ({"applicant": "martian"}, "applicant", "请选择一项"),
        ({"delivery_form": "fax"}, "delivery_form", "请选择一项"),
        ({"delivery_way": ""}, "delivery_way", "请选择一项"),
        ({"delivery_way": "chat"}, "chat", "tg:数字"),
        ({"chat": "13800138000"}, "chat", "tg:123456"),
        ({"via": "chat"}, "via", "请选择一项"),
        ({"on": "2026-02-30"}, "on", "YYYY-MM-DD"),
        ({"on": "2026-03-03"}, "on", "不能晚于今天"),
        ({"purpose": "x" * 4001}, "purpose", "内容过长"),
    ],
)
async def test_each_bad_field_is_refused_in_place_keeping_what_was_typed(
    web: Console, changes: dict[str, str], field: str, message: str
) -> None:
    async with web.client() as client:
        await login(client, "clerk")
        refused = await record(client, **{"purpose": "核对补助", **changes})
    assert refused.status_code == 400, refused.text
    error = re.search(rf'id="error-{field}">([^<]+)<', refused.text)
    assert error and message in error[1], refused.text
    assert 'id="record-error"' in refused.text
    typed = {**GOOD, "purpose": "核对补助", **changes}
    for name in ("name", "contact", "purpose"):  # what was typed is kept
        if typed[name].strip() and len(typed[name]) < 100:
            assert f'name="{name}" value="{typed[name]}"' in refused.text
    if typed["description"] and field != "description":
        assert f">{typed['description']}</textarea>" in refused.text
    if field != "applicant":
        assert f'<option value="{typed["applicant"]}" selected>' in refused.text
    assert await requests_filed(web) == 0


async def test_several_problems_show_at_once_in_english(web: Console) -> None:
    async with web.client() as client:
        await login(client, "clerk")
        home = await client.get("/", follow_redirects=True)
        await client.post("/lang", data={"csrf": csrf_of(home.text), "lang": "en", "back": "/"})
        empty = await blank_form(client)
        page = await client.get("/disclosure/new")
        assert "Record an information request" in page.text and "王五" not in page.text
        data = {**empty, **GOOD, "name": "", "description": "x", "applicant": ""}
        refused = await client.post("/disclosure/new", data=data)
    assert refused.status_code == 400
    assert "Please choose one of the options." in refused.text
    assert "Please fill this in." in refused.text and "That is too short" in refused.text
    assert 'id="error-name"' in refused.text and 'id="error-description"' in refused.text
    assert await requests_filed(web) == 0


async def test_the_record_form_refuses_strangers_and_forged_posts(web: Console) -> None:
    async with web.client() as stranger:
        assert (await stranger.get("/disclosure/new")).status_code == 303  # to the login page
        anonymous = await stranger.post("/disclosure/new", data=GOOD)
        assert anonymous.status_code == 401
    async with web.client() as client:
        await login(client, "clerk")
        form = await blank_form(client)
        no_csrf = await client.post("/disclosure/new", data={**GOOD, "token": form["token"]})
        assert no_csrf.status_code == 403
        wrong = await client.post("/disclosure/new", data={**GOOD, **form, "csrf": "forged"})
        assert wrong.status_code == 403
        foreign = await client.post(
            "/disclosure/new",
            data={**GOOD, **form},
            headers={"origin": "http://evil.example"},
        )
        assert foreign.status_code == 403
    assert await requests_filed(web) == 0


async def test_the_command_line_shares_the_checks(web: Console) -> None:
    """`citizen-desk disclosure record` refuses what the console refuses (Art. 39 included)."""
    db = str(web.ctx.settings.db_path)
    argv = ["disclosure", "record", "--db", db, "--kb", str(sample_kb_path())]
    argv += ["--applicant", "natural", "--name", "王五", "--id", ID_NUMBER, "--contact", "c"]
    argv += ["--form", "paper", "--way", "collect"]
    complaint = await asyncio.to_thread(cli.main, [*argv, "我要投诉村干部乱收费"])
    short = await asyncio.to_thread(cli.main, [*argv, "预算"])
    assert complaint == short == 2  # a usage error
    assert await requests_filed(web) == 0
    assert await asyncio.to_thread(cli.main, [*argv, "本村2026年低保名单"]) == 0
    assert await requests_filed(web) == 1


# -- section 四 ----------------------------------------------------------------------------


async def review_form(client: httpx.AsyncClient, year: str = "") -> str:
    page = await client.get("/admin/disclosure/reviews", params={"year": year} if year else {})
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


async def add_review(client: httpx.AsyncClient, **data: str) -> httpx.Response:
    values = {"year": "2026", "kind": "review", "result": "upheld", "count": "2", "note": ""}
    csrf = await review_form(client)
    return await client.post("/admin/disclosure/reviews", data={"csrf": csrf, **values, **data})


def review_row(page: str, label: str) -> list[str]:
    table = page.split('id="review-table"')[1].split("</table>")[0]
    row = table.split(f"<th>{label}</th>")[1].split("</tr>")[0]
    return re.findall(r'<td class="n">([^<]*)</td>', row)


def disclosure_report(web: Console, tmp_path: Path) -> str:
    out = tmp_path / "disclosure.md"
    argv = ["report", "--year", "2026", "--disclosure", "--out", str(out)]
    argv += ["--db", str(web.ctx.settings.db_path), "--kb", str(sample_kb_path())]
    assert cli.main(argv) == 0
    return out.read_text(encoding="utf-8")


async def test_a_supervisor_adds_section_four_counts(web: Console, tmp_path: Path) -> None:
    async with web.client() as client:
        await login(client, "boss")
        home = (await client.get("/", follow_redirects=True)).text
        assert 'id="nav-reviews"' in home
        figures = (await client.get("/admin/figures", params={"year": "2026", "month": "1"})).text
        assert 'href="/admin/disclosure/reviews?year=2026"' in figures
        empty = (await client.get("/admin/disclosure/reviews")).text
        assert 'id="review-entries-none"' in empty
        assert review_row(empty, "行政复议") == ["0", "0", "0", "0", "0"]
        added = await add_review(client, note="（2026）某复字第3号")
        assert added.status_code == 303, added.text
        page = (await client.get(added.headers["location"])).text
        assert "已登记：2026年 行政复议 结果维持 2 件。" in page
        assert review_row(page, "行政复议") == ["2", "0", "0", "0", "2"]
        assert "（2026）某复字第3号" in page and "web:boss" in page
        lawsuit = await add_review(client, kind="lawsuit_after_review", result="pending", count="1")
        assert lawsuit.status_code == 303
    async with web.client() as admin:
        await login(admin, "root")  # admins too
        assert (await add_review(admin, result="corrected", count="1")).status_code == 303
        page = (await admin.get("/admin/disclosure/reviews?year=2026")).text
        assert review_row(page, "行政复议") == ["2", "1", "0", "0", "3"]
        assert review_row(page, "行政诉讼（复议后起诉）") == ["0", "0", "0", "1", "1"]
        other_year = (await admin.get("/admin/disclosure/reviews?year=2025")).text
        assert review_row(other_year, "行政复议") == ["0", "0", "0", "0", "0"]
    audited = await web.scalar(
        "SELECT COUNT(*) FROM console_audit WHERE action = 'disclosure_review_add'"
    )
    assert audited == 3
    first = await web.scalar(
        "SELECT actor || ' ' || subject || ' ' || detail FROM console_audit "
        "WHERE action = 'disclosure_review_add' ORDER BY id LIMIT 1"
    )
    assert first == "boss 2026 review upheld +2"
    # The annual table of the command line counts them.
    report = await asyncio.to_thread(disclosure_report, web, tmp_path)
    rows = {line.split(" | ")[0].lstrip("| "): line for line in report.splitlines()}
    assert rows["行政复议"].endswith("| 2 | 1 | 0 | 0 | 3 |")
    assert rows["行政诉讼（复议后起诉）"].endswith("| 0 | 0 | 0 | 1 | 1 |")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"year": "abc"}, "年份须为 2000 至 2100"),
        ({"year": "1999"}, "年份须为 2000 至 2100"),
        ({"year": "２０２６"}, "年份须为 2000 至 2100"),
        ({"kind": "appeal"}, "请选择一项"),
        ({"result": ""}, "请选择一项"),
        ({"count": "0"}, "件数须为 1 至 9999"),
        ({"count": "-1"}, "件数须为 1 至 9999"),
        ({"count": "10000"}, "件数须为 1 至 9999"),
        ({"count": "2.5"}, "件数须为 1 至 9999"),
        ({"count": ""}, "件数须为 1 至 9999"),
        ({"note": "x" * 4001}, "内容过长"),
    ],
)
async def test_bad_section_four_entries_are_refused_keeping_what_was_typed(
    web: Console, changes: dict[str, str], message: str
) -> None:
    async with web.client() as client:
        await login(client, "boss")
        refused = await add_review(client, **{"note": "复议案", **changes})
    assert refused.status_code == 400, refused.text
    error = re.search(r'id="reviews-error">([^<]+)<', refused.text)
    assert error and message in error[1], refused.text
    typed = {"year": "2026", "count": "2", "note": "复议案", **changes}
    for name in ("year", "count", "note"):
        if len(typed[name]) < 100:
            assert f'name="{name}" value="{typed[name]}"' in refused.text
    assert await web.scalar("SELECT COUNT(*) FROM disclosure_reviews") == 0
    assert await web.scalar("SELECT COUNT(*) FROM console_audit") == 0


async def test_section_four_is_for_supervisors_with_a_token(web: Console) -> None:
    async with web.client() as stranger:
        assert (await stranger.get("/admin/disclosure/reviews")).status_code == 303
        assert (await stranger.post("/admin/disclosure/reviews", data={})).status_code == 401
    async with web.client() as clerk:
        await login(clerk, "clerk")
        assert (await clerk.get("/admin/disclosure/reviews")).status_code == 403
        home = (await clerk.get("/", follow_redirects=True)).text
        data = {"csrf": csrf_of(home), "year": "2026", "kind": "review", "result": "upheld"}
        staff = await clerk.post("/admin/disclosure/reviews", data={**data, "count": "1"})
        assert staff.status_code == 403
    async with web.client() as boss:
        await login(boss, "boss")
        data = {"year": "2026", "kind": "review", "result": "upheld", "count": "1"}
        assert (await boss.post("/admin/disclosure/reviews", data=data)).status_code == 403
        bad_year = await boss.get("/admin/disclosure/reviews", params={"year": "20x6"})
        assert bad_year.status_code == 400 and "年份须为" in bad_year.text
    assert await web.scalar("SELECT COUNT(*) FROM disclosure_reviews") == 0
