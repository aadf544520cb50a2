"""The console's CSV export of a filtered queue, over HTTP on a real database (SQLite, then
PostgreSQL)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.knowledge.model import KnowledgeBase
from bot.store.audit import ConsoleAudit
from bot.store.exports import TOP, newest
from bot.store.web import Filters, QueueStore
from bot.tickets.model import Role
from tests.web_env import CITIZEN, PASSWORD, Console, console, csrf_of, form_values, login
from tests.webchat_env import join, webchat

PHONE = "13812345678"
REPORTER_PHONE = "13987654321"
REPORTER = "tg:5151"
RUBBISH = "村口垃圾堆放多日无人清理，气味很大"
HEADER_ZH = [
    "编号",
    "类型",
    "类别",
    "状态",
    "承办部门",
    "承办人",
    "受理时间",
    "办结时限",
    "剩余工作日",
    "地点",
    "内容",
    "联系人",
]
HEADER_EN = [
    "Number",
    "Kind",
    "Category",
    "Status",
    "Department",
    "Assignee",
    "Received",
    "Deadline",
    "Working days left",
    "Where",
    "What happened",
    "Contact",
]
DESCRIPTION, CONTACT = HEADER_ZH.index("内容"), HEADER_ZH.index("联系人")


@pytest.fixture
async def web(db_target: Path | str, sample_kb: KnowledgeBase) -> AsyncIterator[Console]:
    async with console(db_target, sample_kb) as c:
        await c.account("clerk", Role.STAFF)
        await c.account("boss", Role.SUPERVISOR)
        yield c


def table(body: bytes) -> list[list[str]]:
    """The CSV as Excel would read it, after checking its byte order mark."""
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")))


async def export(client: httpx.AsyncClient, url: str) -> list[list[str]]:
    """GET an export; check it is a CSV attachment; its rows, header first."""
    response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="tickets-') and disposition.endswith(
        '.csv"'
    )
    return table(response.content)


async def test_staff_export_the_filtered_list_without_the_reporter(web: Console) -> None:
    rubbish = await web.file(phone=PHONE)
    lamp = await web.file("roads", description="路灯坏了三天", location="南街", phone=PHONE)
    report = await web.file(
        "conduct",
        citizen=REPORTER,
        phone=REPORTER_PHONE,
        description=f"村干部收好处费，村口垃圾不管，我的电话{REPORTER_PHONE}",
        location="东风村村委会",
    )
    async with web.client() as client:
        await login(client, "clerk")
        page = await client.get("/q/all", params={"q": "村"})
        assert 'href="/q/all/export.csv?q=%E6%9D%91"' in page.text  # the link keeps the filter
        assert "导出CSV" in page.text
        response = await client.get("/q/all/export.csv", params={"q": "村"})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="tickets-all-2026-03-02.csv"'
    )
    rows = table(response.content)
    assert rows[0] == HEADER_ZH
    assert [r[0] for r in rows[1:]] == [report.number, rubbish.number]  # newest first
    assert lamp.number not in response.text  # 路灯 is not in 村
    assert response.content.count(b"\r\n") == 3  # CRLF, as Excel writes
    by_number = {r[0]: r for r in rows[1:]}
    assert by_number[rubbish.number][1:4] == ["投诉", "环境卫生", "已受理"]
    assert by_number[rubbish.number][6] == "2026-03-02 10:00"  # China time
    assert by_number[rubbish.number][DESCRIPTION] == RUBBISH
    assert by_number[rubbish.number][CONTACT] == f"{CITIZEN} 138****5678"  # staff: masked
    reported = by_number[report.number]
    assert reported[1] == "举报" and "举报人身份受保护" in reported[CONTACT]
    text = response.content.decode("utf-8")
    for secret in (REPORTER, REPORTER_PHONE, REPORTER.removeprefix("tg:"), PHONE):
        assert secret not in text
    assert "139****4321" in reported[DESCRIPTION]  # a phone in a report's text is masked too


async def test_the_header_and_the_link_in_english(web: Console) -> None:
    await web.file(phone=PHONE)
    async with web.client() as client:
        await login(client, "clerk")
        page = await client.get("/q/unassigned")
        await client.post("/lang", data={"csrf": csrf_of(page.text), "lang": "en", "back": "/"})
        page = await client.get("/q/unassigned", params={"category": "environment"})
        assert 'href="/q/unassigned/export.csv?category=environment"' in page.text
        assert "Export CSV" in page.text
        rows = await export(client, "/q/unassigned/export.csv")
    assert rows[0] == HEADER_EN
    assert rows[1][1:4] == ["Complaint", "Environment and sanitation", "received"]


async def test_a_supervisor_sees_phones_but_never_a_reporter(web: Console) -> None:
    rubbish = await web.file(phone=PHONE)
    report = await web.file(
        "conduct", citizen=REPORTER, phone=REPORTER_PHONE, description=f"收好处费{REPORTER_PHONE}"
    )
    hidden = await web.file(
        "conduct", citizen="tg:6161", phone="13700001111", description="乱收费", anonymous=True
    )
    async with web.client() as client:
        await login(client, "boss")
        rows = await export(client, "/q/all/export.csv")
        text = "\n".join(",".join(r) for r in rows)
        by_number = {r[0]: r for r in rows[1:]}
        assert by_number[rubbish.number][CONTACT] == f"{CITIZEN} {PHONE}"
        assert "举报人身份受保护" in by_number[report.number][CONTACT]
        assert "完全匿名" in by_number[hidden.number][CONTACT]
        for secret in (REPORTER, REPORTER_PHONE, "6161", "13700001111", "137****1111"):
            assert secret not in text
        # Revealing on the ticket's page (audited) does not put the reporter in exports.
        values = await form_values(client, report.number)
        revealed = await client.post(f"/t/{report.number}/reveal", data=values)
        assert REPORTER_PHONE in (await client.get(revealed.headers["location"])).text
        again = await client.get("/q/all/export.csv")
    assert REPORTER_PHONE not in again.content.decode("utf-8")


async def test_the_export_holds_every_match_not_one_page(web: Console) -> None:
    lamps = [
        await web.file("roads", description=f"路灯坏了第{n}盏", location="南街") for n in range(55)
    ]
    claimed = await web.file("roads", description="路灯又坏了", location="北街")
    await web.file()
    web.ctx.export_page = 7  # so that the 55 lamps take 8 reads
    async with web.client() as client:
        await login(client, "clerk")
        await client.post(
            f"/t/{claimed.number}/claim", data=await form_values(client, claimed.number)
        )
        page = await client.get("/q/unassigned", params={"category": "roads"})
        assert page.text.count('<a href="/t/') == 50  # the page shows 50
        rows = await export(client, "/q/unassigned/export.csv?category=roads")
        assert [r[0] for r in rows[1:]] == [t.number for t in reversed(lamps)]
        everything = await export(client, "/q/all/export.csv")
        assert len(everything) == 1 + 57
        mine = await export(client, "/q/mine/export.csv?q=路灯")
        assert [r[0] for r in mine[1:]] == [claimed.number]
        assert mine[1][5] == "Clerk"  # the account's name, not its key


async def test_filters_and_searches_apply_as_on_the_page(web: Console) -> None:
    rubbish = await web.file(phone=PHONE)
    lamp = await web.file("roads", description="路灯坏了三天", location="南街")
    report = await web.file("conduct", citizen=REPORTER, description="收好处费")
    web.clock.advance(days=2)
    late = await web.file("roads", description="路面塌陷", location="张家庄")
    cases = {
        "q=路": [late, lamp],  # one character
        "q=路灯": [lamp],  # two characters
        "q=张家庄": [late],  # a location
        "q=没有这个词": [],
        f"q={lamp.number.lower()}": [lamp],  # a number, as typed
        "q=%25": [],  # LIKE's wildcard is literal
        "kind=report": [report],
        "category=roads&since=2026-03-04": [late],
        "until=2026-03-02": [report, lamp, rubbish],
        "status=received&category=environment": [rubbish],
        "department=nope": [],
    }
    async with web.client() as client:
        await login(client, "clerk")
        for query, expected in cases.items():
            rows = await export(client, f"/q/all/export.csv?{query}")
            assert [r[0] for r in rows[1:]] == [t.number for t in expected], query
            page = await client.get(f"/q/all?{query}")
            assert f'data-total="{len(expected)}"' in page.text, query


FORMULA = ("=", "+", "-", "@", "\t", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@pytest.mark.parametrize(
    "start",
    [
        "=",
        "+",
        "-",
        "@",
        "\t=",
        "\r=",
        "\n=",
        " =",
        "\u3000=",
        "\uff1d",
        "\uff0b",
        "\uff0d",
        "\uff20",
    ],
)
async def test_a_cell_that_would_be_a_formula_is_neutralised(web: Console, start: str) -> None:
    formula = f'{start}HYPERLINK("http://evil.test","点我")'
    ticket = await web.file(description=formula, location=f"{start}1+1")
    plain = await web.file(description="路灯-坏了 =不是公式", location="南街")
    async with web.client() as client:
        await login(client, "clerk")
        rows = await export(client, "/q/all/export.csv")
    by_number = {r[0]: r for r in rows[1:]}
    cells = by_number[ticket.number]
    assert cells[DESCRIPTION].startswith("'") and cells[DESCRIPTION].endswith('"点我")')
    assert cells[HEADER_ZH.index("地点")].startswith("'")
    assert not [c for row in rows for c in row if c.lstrip(" \u3000\r\n").startswith(FORMULA)]
    assert by_number[plain.number][DESCRIPTION] == "路灯-坏了 =不是公式"  # only a first char


async def test_each_export_leaves_an_audit_line(web: Console) -> None:
    await web.file(phone=PHONE)
    async with web.client() as client:
        await login(client, "clerk")
        await export(client, "/q/all/export.csv?q=%E6%9D%91&status=received")
        await login(client, "boss")
        await export(client, "/q/mine/export.csv")
        refused = await client.get("/q/nope/export.csv")
    assert refused.status_code == 404
    lines = await ConsoleAudit(web.store.conn).recent()
    assert [(a.actor, a.action, a.subject) for a in lines] == [
        ("boss", "export", "mine"),
        ("clerk", "export", "all"),
    ]  # newest first; a refused export is no export
    assert lines[1].detail == "q=%E6%9D%91&status=received"  # what the file held


async def test_no_session_no_export(web: Console) -> None:
    ticket = await web.file(phone=PHONE)
    async with web.client() as client:
        response = await client.get("/q/all/export.csv")
        assert response.status_code == 303 and response.headers["location"] == "/login"
        assert ticket.number not in response.text and PHONE[-4:] not in response.text
        head = await client.head("/q/all/export.csv")
        assert head.status_code == 401
        await login(client, "clerk")
        assert (await client.get("/q/nope/export.csv")).status_code == 404
        assert (await client.get("/q/all/export.csv")).status_code == 200
        page = await client.get("/q/all")
        await client.post("/logout", data={"csrf": csrf_of(page.text)})
        after = await client.get("/q/all/export.csv")
    assert after.status_code == 303 and ticket.number not in after.text


async def test_a_citizen_never_reaches_the_export(tmp_path: Path, sample_kb: KnowledgeBase) -> None:
    async with webchat(tmp_path / "db.sqlite3", sample_kb) as chat:
        async with chat.store.transaction():
            ticket = await chat.desk.file(CITIZEN, "environment", RUBBISH, phone=PHONE)
        async with chat.client() as client:
            await join(client)  # a visitor of the web chat, with its cookies
            assert client.cookies
            for name in (CITIZEN, CITIZEN.removeprefix("tg:")):
                page = await client.get("/login")
                form = {"csrf": csrf_of(page.text), "login": name, "password": PASSWORD}
                assert (await client.post("/login", data=form)).status_code == 401
            response = await client.get("/q/all/export.csv")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert ticket.number not in response.text and "text/csv" not in response.headers.get(
        "content-type", ""
    )


async def test_the_pages_of_an_export_meet_with_nothing_lost(web: Console) -> None:
    """Read two at a time (`id < last`), every filter and search gives the page's matches."""
    for n in range(4):
        await web.file("roads", description=f"路灯坏了第{n}盏", location="南街")
        await web.file(description=f"垃圾{n}", location="东风村")
    await web.file("conduct", citizen=REPORTER, description="路灯款被挪用")
    queues = QueueStore(web.store.conn, web.desk.calendar)
    today = web.desk.today()
    for query in (
        {},
        {"q": "路"},
        {"q": "路灯"},
        {"q": "路灯坏了"},
        {"category": "roads"},
        {"q": "村", "kind": "complaint"},
        {"q": "没有"},
    ):
        filters = Filters.from_query(query)
        matching = await queues.matching("all", "web:clerk", today, filters)
        _, expected = await queues.rows("all", "web:clerk", today, filters, limit=100)
        pages, below = [], TOP
        while chunk := await newest(web.store.conn, matching, below, limit=2):
            assert len(chunk) <= 2
            pages.append([t.id for t in chunk])
            below = chunk[-1].id
        assert [i for page in pages for i in page] == [t.id for t in expected], query
        assert len(pages) == -(-len(expected) // 2), query
