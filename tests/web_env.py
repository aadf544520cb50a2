"""A console on a real SQLite file, driven over ASGI by httpx (the Starlette test-client way)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.config import load_settings
from bot.knowledge.model import KnowledgeBase
from bot.notify import OutboxNotifier
from bot.store import Store
from bot.tickets.model import Role, Ticket
from bot.tickets.service import TicketDesk
from bot.web.accounts import Account, AccountStore
from bot.web.app import create_app
from bot.web.context import WebContext
from bot.workdays import WorkCalendar

PASSWORD = "correct horse battery"
CITIZEN = "tg:4242"
#: Monday 2026-03-02, 10:00 in China.
START = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
VERSION_RE = re.compile(r'name="version" value="([^"]+)"')


class Clock:
    """Time under the test's control: the desk's datetime and the sessions' epoch seconds."""

    def __init__(self) -> None:
        self.at = START

    def now(self) -> dt.datetime:
        return self.at

    def epoch(self) -> float:
        return self.at.timestamp()

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)


@dataclass
class Console:
    """The store, the desk, the app and its clock."""

    store: Store
    desk: TicketDesk
    ctx: WebContext
    clock: Clock

    @property
    def app(self) -> Any:
        return create_app(self.ctx)

    def client(self, address: str = "10.0.0.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))
        return httpx.AsyncClient(transport=transport, base_url="http://console.test")

    async def account(self, login: str, role: Role, dept: str | None = None) -> None:
        async with self.store.transaction():
            await AccountStore(self.store).save(Account(login, role, dept, login.title()), PASSWORD)

    async def file(self, category: str = "environment", **kwargs: Any) -> Ticket:
        kwargs.setdefault("description", "村口垃圾堆放多日无人清理，气味很大")
        kwargs.setdefault("location", "东风村村口")
        async with self.store.transaction():
            return await self.desk.file(kwargs.pop("citizen", CITIZEN), category, **kwargs)

    async def ticket(self, number: str) -> Ticket:
        ticket = await self.desk.tickets.by_number(number)
        assert ticket is not None
        return ticket

    async def scalar(self, sql: str, *args: Any) -> Any:
        async with self.store.conn.execute(sql, args) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def outbox_texts(self, chat_id: int) -> list[str]:
        async with self.store.conn.execute(
            "SELECT payload FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
        ) as cur:
            return [str(r[0]) for r in await cur.fetchall()]


@asynccontextmanager
async def console(path: Path | str, kb: KnowledgeBase) -> AsyncIterator[Console]:
    """A console on the database `path` (an SQLite file or a PostgreSQL URL)."""
    clock = Clock()
    settings = load_settings(environ={}, overrides={"db_path": path})
    async with Store.opened(path) as store:
        desk = TicketDesk(store, kb, WorkCalendar(), OutboxNotifier(store, -100), clock=clock.now)
        ctx = WebContext(store, desk, settings, now=clock.epoch)
        yield Console(store, desk, ctx, clock)


async def login(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
    """Fill in and send the login form as a browser would."""
    page = await client.get("/login")
    match = CSRF_RE.search(page.text)
    assert match, page.text
    return await client.post("/login", data={"csrf": match[1], "login": name, "password": password})


def csrf_of(html: str) -> str:
    """The CSRF token in a page."""
    match = CSRF_RE.search(html)
    assert match, html
    return match[1]


async def form_values(client: httpx.AsyncClient, number: str) -> dict[str, str]:
    """The hidden fields of a ticket page's forms (csrf and version)."""
    page = await client.get(f"/t/{number}")
    assert page.status_code == 200, page.text
    version = VERSION_RE.search(page.text)
    assert version
    return {"csrf": csrf_of(page.text), "version": version[1]}
