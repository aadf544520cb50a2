"""The console's admin pages over HTTP on a real SQLite file: the figures and staff accounts."""

from __future__ import annotations

import asyncio
import base64
import re
import shutil
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot import cli
from bot.knowledge.loader import sample_kb_path
from bot.knowledge.model import KnowledgeBase
from bot.report import compute
from bot.store import Store
from bot.tickets.model import Role
from bot.workdays import WorkCalendar
from tests.test_report import seed_year, write_year
from tests.web_env import Console, console, login


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
