"""The console's admin pages over HTTP on a real SQLite file: the figures and staff accounts."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import re
import shutil
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from bot import cli
from bot.knowledge.loader import sample_kb_path
from bot.knowledge.model import KnowledgeBase
from bot.report import compute
from bot.store import Store
from bot.tickets.model import Role
from bot.workdays import WorkCalendar
from tests.test_report import seed_year, write_year
from tests.web_env import PASSWORD, Console, console, csrf_of, login


@pytest.fixture
async def web(tmp_path: Path, sample_kb: KnowledgeBase) -> AsyncIterator[Console]:
    async with console(tmp_path / "db.sqlite3", sample_kb) as c:
        await c.account("clerk", Role.STAFF)
        await c.account("boss", Role.SUPERVISOR)
        await c.account("root", Role.ADMIN)
        yield c


# -- figures -------------------------------------------------------------------------------


class Tables(HTMLParser):
    """Every table row of a page as its cells' text, and the images' sources."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.images: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parsed(page: str) -> Tables:
    tables = Tables()
    tables.feed(page)
    tables.close()
    return tables


def cli_report(db: Path, tmp_path: Path, lang: str, month: int | None) -> str:
    """`citizen-desk report --format html` on the same database."""
    out = tmp_path / f"report-{lang}-{month}.html"
    argv = ["report", "--year", "2026", "--format", "html", "--lang", lang]
    argv += ["--db", str(db), "--kb", str(sample_kb_path()), "--out", str(out)]
    argv += ["--month", str(month)] if month else []
    assert cli.main(argv) == 0
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory, sample_kb: KnowledgeBase) -> Path:
    """A database with the seeded year of tests/test_report.py, written once."""
    path = tmp_path_factory.mktemp("figures") / "seeded.sqlite3"

    async def build() -> None:
        async with Store.opened(path) as store:
            await write_year(store, seed_year(sample_kb, WorkCalendar()))

    asyncio.run(build())
    return path


@pytest.fixture
async def seeded(
    tmp_path: Path, seeded_db: Path, sample_kb: KnowledgeBase
) -> AsyncIterator[Console]:
    path = tmp_path / "seeded.sqlite3"
    shutil.copyfile(seeded_db, path)
    async with console(path, sample_kb) as c:
        await c.account("boss", Role.SUPERVISOR)
        yield c


@pytest.mark.parametrize(("lang", "month"), [("zh", None), ("en", 11)])
async def test_figures_are_the_reports_numbers(
    seeded: Console, sample_kb: KnowledgeBase, tmp_path: Path, lang: str, month: int | None
) -> None:
    async with seeded.client() as client:
        await login(client, "boss")
        if lang == "en":
            page = await client.get("/q/all")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf
            await client.post("/lang", data={"csrf": csrf[1], "lang": "en", "back": "/"})
        params = {"year": "2026", "month": str(month or "")}
        page = await client.get("/admin/figures", params=params)
    assert page.status_code == 200, page.text
    db = Path(seeded.ctx.settings.db_path)
    expected = await asyncio.to_thread(cli_report, db, tmp_path, lang, month)
    shown = parsed(page.text)
    assert shown.rows == parsed(expected).rows
    figures = await compute(seeded.store, sample_kb, WorkCalendar(), 2026, month)
    summary = dict(row for row in shown.rows if len(row) == 2)
    received = "Tickets received" if lang == "en" else "受理工单（件）"
    assert figures.tickets.received > 0
    assert summary[received] == str(figures.tickets.received)
    # the charts are images of their own (the console's CSP refuses inline styles)
    assert len(shown.images) == 3 and "<svg" not in page.text and " style=" not in page.text
    svg = base64.b64decode(shown.images[0].removeprefix("data:image/svg+xml;base64,")).decode()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert ("信息公开申请" in page.text) is (month is None)  # disclosure sections: a year only


async def test_figures_refuse_staff_and_strangers(web: Console) -> None:
    async with web.client() as client:
        assert (await client.get("/admin/figures")).status_code == 303  # to the login page
        await login(client, "clerk")
        refused = await client.get("/admin/figures", params={"year": "2026"})
        assert refused.status_code == 403 and "受理工单" not in refused.text
        queue = await client.get("/q/all")
        assert "/admin/figures" not in queue.text  # no link to a page they may not open
    for who in ("boss", "root"):
        async with web.client() as client:
            await login(client, who)
            assert 'href="/admin/figures"' in (await client.get("/q/all")).text
            allowed = await client.get("/admin/figures", params={"year": "2026"})
            assert allowed.status_code == 200 and "受理工单" in allowed.text


async def test_figures_default_to_this_year_and_refuse_a_bad_period(web: Console) -> None:
    async with web.client() as client:
        await login(client, "boss")
        default = await client.get("/admin/figures")
        assert default.status_code == 200
        assert "2026 年" in default.text and 'value="2026"' in default.text
        for bad in ({"year": "1999"}, {"year": "二〇二六"}, {"year": "2026", "month": "13"}):
            page = await client.get("/admin/figures", params=bad)
            assert page.status_code == 400, bad
            assert 'id="figures-error"' in page.text and "2000–2100" in page.text
            assert 'id="report"' not in page.text


# -- staff accounts ------------------------------------------------------------------------


async def csrf_for(client: httpx.AsyncClient) -> str:
    """The session's CSRF token, from a page every role may open."""
    return csrf_of((await client.get("/q/all")).text)


async def audit_lines(web: Console) -> list[tuple[str, str, str, str]]:
    async with web.store.conn.execute(
        "SELECT actor, action, subject, detail FROM console_audit "
        "WHERE action LIKE 'account_%' ORDER BY id"
    ) as cur:
        return [(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in await cur.fetchall()]


PROFILE = {"name": "王小明", "dept": "agriculture", "telegram": "5151"}

NEW = {
    "login": "li.na",
    "name": "李娜",
    "role": "staff",
    "dept": "",
    "password": "春眠不觉晓处处闻啼鸟",
}


async def test_accounts_are_listed_for_admins_only(web: Console) -> None:
    async with web.client() as client:
        assert (await client.get("/admin/accounts")).status_code == 303  # to the login page
    for who in ("clerk", "boss"):
        async with web.client() as client:
            await login(client, who)
            assert (await client.get("/admin/accounts")).status_code == 403
            csrf = await csrf_for(client)
            assert 'href="/admin/accounts"' not in (await client.get("/q/all")).text
            for path, data in (
                ("/admin/accounts", {**NEW, "csrf": csrf}),
                ("/admin/accounts/clerk/role", {"role": "admin", "csrf": csrf}),
                ("/admin/accounts/root/state", {"disabled": "1", "csrf": csrf}),
                ("/admin/accounts/root/password", {"password": "x" * 12, "csrf": csrf}),
                ("/admin/accounts/clerk/profile", {**PROFILE, "csrf": csrf}),
                ("/admin/accounts/nobody/profile", {**PROFILE, "csrf": csrf}),
            ):
                refused = await client.post(path, data=data)
                assert refused.status_code == 403, (who, path)
    assert await web.ctx.accounts.get("li.na") is None
    assert (await web.ctx.accounts.get("clerk")).role is Role.STAFF  # type: ignore[union-attr]
    assert await audit_lines(web) == []
    async with web.client() as client:
        await login(client, "root")
        assert 'href="/admin/accounts"' in (await client.get("/q/all")).text
        page = await client.get("/admin/accounts")
    assert page.status_code == 200
    rows = [row[:5] for row in parsed(page.text).rows[1:]]
    assert rows == [
        ["boss", "Boss", "督办负责人", "", "启用"],
        ["clerk", "Clerk", "工作人员", "", "启用"],
        ["root (本人)", "Root", "管理员", "", "启用"],
    ]


async def test_a_new_account_can_log_in_and_its_adding_is_audited(
    web: Console, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with web.client() as client:
        await login(client, "root")
        added = await client.post("/admin/accounts", data={**NEW, "csrf": await csrf_for(client)})
        assert added.status_code == 303
        page = await client.get(added.headers["location"])
        assert "已新增账号 li.na。" in page.text and 'id="account-li.na"' in page.text
        assert NEW["password"] not in page.text
    async with web.client() as newcomer:
        assert (await login(newcomer, "li.na", NEW["password"])).status_code == 303
        assert (await newcomer.get("/q/all")).status_code == 200
        assert (await newcomer.get("/admin/accounts")).status_code == 403  # a clerk
    assert await audit_lines(web) == [("root", "account_add", "li.na", "role=staff")]
    stored = await web.scalar("SELECT password_hash FROM web_accounts WHERE login = 'li.na'")
    assert stored.startswith("$argon2id$") and NEW["password"] not in stored
    assert NEW["password"] not in caplog.text
    assert (
        await web.scalar(
            "SELECT count(*) FROM console_audit WHERE detail LIKE ?", f"%{NEW['password']}%"
        )
        == 0
    )


@pytest.mark.parametrize(
    ("lang", "change", "error"),
    [
        ("zh", {"login": "clerk"}, "账号 clerk 已存在。"),
        ("en", {"login": "clerk"}, "There is already an account clerk."),
        ("zh", {"password": ""}, "请填写密码。"),
        ("zh", {"password": "short"}, "密码至少需要 10 个字符。"),
        ("en", {"password": "short"}, "A password needs at least 10 characters."),
        ("zh", {"login": "li.na.li.na", "password": "li.na.li.na"}, "密码不能与账号相同。"),
        ("zh", {"login": "9lives"}, "不以数字开头"),
        ("zh", {"login": "a b"}, "不以数字开头"),
        ("zh", {"login": "x" * 65}, "最多 64 个字符"),
        ("en", {"role": "root"}, "Choose a role."),
        ("zh", {"dept": "nowhere"}, "没有这个部门。"),
    ],
)
async def test_a_refused_account_says_why_beside_the_form(
    web: Console, lang: str, change: dict[str, str], error: str
) -> None:
    async with web.client() as client:
        await login(client, "root")
        csrf = await csrf_for(client)
        if lang == "en":
            await client.post("/lang", data={"csrf": csrf, "lang": "en", "back": "/"})
        refused = await client.post("/admin/accounts", data={**NEW, **change, "csrf": csrf})
    assert refused.status_code == 400
    assert error in refused.text.split('id="error-add"')[1].split("</p>")[0]
    entered = {**NEW, **change}
    if len(entered["login"]) <= 64:
        assert f'value="{entered["login"]}"' in refused.text  # what was typed is kept
    assert re.search(r'type="password"[^>]*value=', refused.text) is None  # never shown back
    if entered["password"] and entered["password"] != entered["login"]:
        assert entered["password"] not in refused.text
    assert await web.scalar("SELECT count(*) FROM web_accounts") == 3
    assert await audit_lines(web) == []


async def test_a_change_without_the_csrf_token_changes_nothing(web: Console) -> None:
    async with web.client() as client:
        await login(client, "root")
        for path, data in (
            ("/admin/accounts", NEW),
            ("/admin/accounts/clerk/role", {"role": "admin"}),
            ("/admin/accounts/clerk/state", {"disabled": "1"}),
            ("/admin/accounts/clerk/password", {"password": "x" * 12}),
            ("/admin/accounts/clerk/profile", PROFILE),
        ):
            assert (await client.post(path, data=data)).status_code == 403, path
            wrong = await client.post(path, data={**data, "csrf": "forged"})
            assert wrong.status_code == 403, path
    clerk = await web.ctx.accounts.get("clerk")
    assert clerk is not None and clerk.role is Role.STAFF and not clerk.disabled
    assert clerk.name == "Clerk" and clerk.dept is None and clerk.telegram_id is None
    assert await web.ctx.accounts.get("li.na") is None
    assert await web.ctx.accounts.verify("clerk", PASSWORD) is not None
    assert await audit_lines(web) == []


async def test_a_reset_password_replaces_the_old_one_and_ends_sessions(web: Console) -> None:
    async with web.client() as clerk:
        await login(clerk, "clerk")
        assert (await clerk.get("/q/all")).status_code == 200
        async with web.client() as root:
            await login(root, "root")
            csrf = await csrf_for(root)
            short = await root.post(
                "/admin/accounts/clerk/password", data={"password": "short", "csrf": csrf}
            )
            assert short.status_code == 400 and 'id="error-password:clerk"' in short.text
            done = await root.post(
                "/admin/accounts/clerk/password",
                data={"password": "落霞与孤鹜齐飞秋水共长天一色", "csrf": csrf},
            )
            assert done.status_code == 303
            assert "已重设 clerk 的密码" in (await root.get(done.headers["location"])).text
        assert (await clerk.get("/q/all")).status_code == 303  # its session ended
    async with web.client() as again:
        assert (await login(again, "clerk")).status_code != 303  # the old password
        assert (await login(again, "clerk", "落霞与孤鹜齐飞秋水共长天一色")).status_code == 303
    assert await audit_lines(web) == [("root", "account_password", "clerk", "")]


async def test_a_role_change_takes_effect_and_an_admin_keeps_their_own(web: Console) -> None:
    async with web.client() as client:
        await login(client, "root")
        csrf = await csrf_for(client)
        up = await client.post(
            "/admin/accounts/clerk/role", data={"role": "supervisor", "csrf": csrf}
        )
        assert up.status_code == 303
        for data in ({"role": "staff"}, {"role": "supervisor"}):
            own = await client.post("/admin/accounts/root/role", data={**data, "csrf": csrf})
            assert own.status_code == 400
            assert "不能停用自己的账号" in own.text.split('id="error-role:root"')[1]
        own = await client.post("/admin/accounts/root/state", data={"disabled": "1", "csrf": csrf})
        assert own.status_code == 400 and 'id="error-state:root"' in own.text
        bogus = await client.post(
            "/admin/accounts/clerk/role", data={"role": "owner", "csrf": csrf}
        )
        assert bogus.status_code == 400
        unknown = await client.post(
            "/admin/accounts/nobody/role", data={"role": "staff", "csrf": csrf}
        )
        assert unknown.status_code == 404
        assert (await client.get("/admin/accounts")).status_code == 200  # still an admin
    root = await web.ctx.accounts.get("root")
    assert root is not None and root.role is Role.ADMIN and not root.disabled
    async with web.client() as clerk:
        await login(clerk, "clerk")
        assert (await clerk.get("/admin/figures")).status_code == 200  # now a supervisor
    assert await audit_lines(web) == [("root", "account_role", "clerk", "staff->supervisor")]


async def test_a_disabled_account_cannot_log_in_until_enabled(web: Console) -> None:
    async with web.client() as clerk:
        await login(clerk, "clerk")
        async with web.client() as root:
            await login(root, "root")
            csrf = await csrf_for(root)
            off = await root.post(
                "/admin/accounts/clerk/state", data={"disabled": "1", "csrf": csrf}
            )
            assert off.status_code == 303
            page = await root.get(off.headers["location"])
            assert "已停用 clerk" in page.text
            assert (await clerk.get("/q/all")).status_code == 303  # its open session is dead
            async with web.client() as again:
                assert (await login(again, "clerk")).status_code != 303
            on = await root.post(
                "/admin/accounts/clerk/state", data={"disabled": "0", "csrf": csrf}
            )
            assert on.status_code == 303
    async with web.client() as again:
        assert (await login(again, "clerk")).status_code == 303
    assert await audit_lines(web) == [
        ("root", "account_disable", "clerk", "disable"),
        ("root", "account_enable", "clerk", "enable"),
    ]


# -- editing an account's name, department and Telegram link -------------------------------


async def test_an_admin_edits_a_name_department_and_telegram_link(
    web: Console, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with web.client() as client:
        await login(client, "root")
        csrf = await csrf_for(client)
        edited = await client.post(
            "/admin/accounts/clerk/profile", data={**PROFILE, "telegram": " 5151 ", "csrf": csrf}
        )
        assert edited.status_code == 303
        page = await client.get(edited.headers["location"])
        assert "已更新 clerk 的姓名、部门和 Telegram 关联。" in page.text
        form = page.text.split('id="profile-clerk"')[1].split("</form>")[0]
        assert 'value="王小明"' in form and 'value="5151"' in form
        assert '<option value="agriculture" selected>' in form
        same = await client.post("/admin/accounts/clerk/profile", data={**PROFILE, "csrf": csrf})
        assert same.status_code == 303  # nothing changed: nothing audited
        cleared = await client.post(
            "/admin/accounts/clerk/profile",
            data={"name": "王小明", "dept": "", "telegram": "", "csrf": csrf},
        )
        assert cleared.status_code == 303
    clerk = await web.ctx.accounts.get("clerk")
    assert clerk is not None and clerk.name == "王小明" and clerk.dept is None
    assert clerk.telegram_id is None and clerk.role is Role.STAFF and not clerk.disabled
    assert await audit_lines(web) == [
        (
            "root",
            "account_profile",
            "clerk",
            "name: Clerk -> 王小明; dept: - -> agriculture; telegram: - -> 5151",
        ),
        ("root", "account_profile", "clerk", "dept: agriculture -> -; telegram: 5151 -> -"),
    ]
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))
    assert "5151" not in ours and "王小明" not in ours  # the fields only, in our log
    assert "console account clerk: name dept telegram by root" in ours
    async with web.client() as clerk_client:  # the link is the desk's actor key at once
        await login(clerk_client, "clerk")
        assert "王小明" in (await clerk_client.get("/q/all")).text


async def test_a_linked_account_acts_as_its_telegram_member(web: Console) -> None:
    async with web.client() as client:
        await login(client, "root")
        data = {**PROFILE, "csrf": await csrf_for(client)}
        assert (await client.post("/admin/accounts/boss/profile", data=data)).status_code == 303
    boss = await web.ctx.accounts.get("boss")
    assert boss is not None and boss.member.key == "tg:5151" and boss.dept == "agriculture"


@pytest.mark.parametrize(
    ("lang", "change", "error"),
    [
        ("zh", {"telegram": "abc"}, "Telegram 用户 ID 应为正整数"),
        ("en", {"telegram": "abc"}, "A Telegram user id is a positive whole number"),
        ("zh", {"telegram": "５１５１"}, "半角数字"),
        ("zh", {"telegram": "-5151"}, "正整数"),
        ("zh", {"telegram": "0"}, "正整数"),
        ("zh", {"telegram": "51 51"}, "正整数"),
        ("zh", {"telegram": "9" * 17}, "最多 16 位"),
        ("zh", {"telegram": "@li_na"}, "正整数"),
        ("zh", {"dept": "nowhere"}, "没有这个部门。"),
        ("en", {"dept": "nowhere"}, "No such department."),
        ("zh", {"telegram": "7777"}, "该 Telegram 用户已关联账号 boss。"),
        ("en", {"telegram": "7777"}, "already linked to the account boss."),
    ],
)
async def test_a_refused_edit_says_why_and_keeps_what_was_typed(
    web: Console, lang: str, change: dict[str, str], error: str
) -> None:
    async with web.store.transaction():
        boss = await web.ctx.accounts.get("boss")
        assert boss is not None
        await web.ctx.accounts.save(dataclasses.replace(boss, telegram_id=7777), None)
    typed = {**PROFILE, "name": "王 小明", **change}
    async with web.client() as client:
        await login(client, "root")
        csrf = await csrf_for(client)
        if lang == "en":
            await client.post("/lang", data={"csrf": csrf, "lang": "en", "back": "/"})
        refused = await client.post("/admin/accounts/clerk/profile", data={**typed, "csrf": csrf})
    assert refused.status_code == 400
    assert error in refused.text.split('id="error-profile:clerk"')[1].split("</p>")[0]
    form = refused.text.split('id="profile-clerk"')[1].split("</form>")[0]
    assert 'value="王 小明"' in form and f'value="{typed["telegram"]}"' in form
    others = refused.text.split('id="profile-boss"')[1].split("</form>")[0]
    assert 'value="Boss"' in others and 'value="7777"' in others  # only that form keeps it
    clerk = await web.ctx.accounts.get("clerk")
    assert clerk is not None and clerk.name == "Clerk" and clerk.telegram_id is None
    assert clerk.dept is None
    assert await audit_lines(web) == []


async def test_editing_an_unknown_account_is_not_found(web: Console) -> None:
    async with web.client() as client:
        await login(client, "root")
        data = {**PROFILE, "csrf": await csrf_for(client)}
        assert (await client.post("/admin/accounts/nobody/profile", data=data)).status_code == 404
    assert await audit_lines(web) == []
