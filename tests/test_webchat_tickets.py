"""A visitor's tickets through the chat: theirs only, and the outcome arrives later."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.knowledge.model import KnowledgeBase
from bot.tickets.model import Role, StaffMember, Ticket
from tests.webchat_env import Chat, events, join, say, served, webchat

CLERK = StaffMember(7, Role.SUPERVISOR, None, "王五")
RUBBISH = "村口垃圾堆放多日无人清理，气味很大"


@pytest.fixture
async def chat(tmp_path: Path, sample_kb: KnowledgeBase) -> AsyncIterator[Chat]:
    async with webchat(tmp_path / "db.sqlite3", sample_kb) as c:
        yield c


async def visitor_id(chat: Chat) -> str:
    async with chat.store.conn.execute("SELECT visitor FROM webchat_inbox LIMIT 1") as cur:
        row = await cur.fetchone()
    assert row is not None
    return str(row[0])


async def filed_for(chat: Chat, citizen: str) -> Ticket:
    async with chat.store.transaction():
        return await chat.desk.file(citizen, "environment", RUBBISH, location="东风村村口")


async def test_a_ticket_number_shows_nothing_to_another_visitor(chat: Chat) -> None:
    async with chat.client() as owner, chat.client("10.0.0.2") as other:
        await join(owner)
        await join(other)
        await say(owner, "owner-0001", text="你好")
        await chat.processor.process_pending()
        ticket = await filed_for(chat, await visitor_id(chat))
        await say(owner, "owner-0002", text=f"/status {ticket.number}")
        await say(other, "other-0001", text=f"/status {ticket.number}")
        await chat.processor.process_pending()
        mine = " ".join(p["text"] for _, p in events(await owner.get("/chat/events")))
        theirs = " ".join(p["text"] for _, p in events(await other.get("/chat/events")))
        assert ticket.number in mine and "垃圾" in mine
        assert theirs and "垃圾" not in theirs and "东风村" not in theirs


async def test_an_outcome_reaches_an_offline_visitor_on_the_next_visit(chat: Chat) -> None:
    async with chat.client() as client:
        await join(client)
        await say(client, "before-001", text="你好")
        await chat.processor.process_pending()
        seen = events(await client.get("/chat/events"))
        ticket = await filed_for(chat, await visitor_id(chat))
    # The visitor has closed the page; the clerk resolves the ticket meanwhile.
    async with chat.store.transaction():
        await chat.desk.resolve(CLERK, ticket.number, "已清运垃圾，并安排每周清理两次")
    async with chat.client() as again:
        again.cookies = client.cookies
        await join(again)
        later = events(await again.get("/chat/events", headers={"last-event-id": str(seen[-1][0])}))
        outcome = [p for _, p in later if "每周清理两次" in p["text"]]
        assert outcome and outcome[0]["buttons"]  # the rating buttons come with it
        rate = outcome[0]["buttons"][0][-1]["data"]
        assert (await say(again, "rate-00001", action=rate)).status_code == 200
        assert await chat.processor.process_pending() == 1
        rated = await chat.desk.tickets.by_number(ticket.number)
        assert rated is not None and rated.rating is not None


async def test_an_outcome_from_the_console_reaches_an_open_page_within_seconds(
    tmp_path: Path, sample_kb: KnowledgeBase
) -> None:
    """The console writes on its own connection: the chat's watcher wakes the open stream
    (before, the outcome waited for the stream's 10-second keepalive)."""
    async with (
        webchat(tmp_path / "db.sqlite3", sample_kb, stream_seconds=8.0) as chat,
        served(chat.app) as base,
        httpx.AsyncClient(base_url=base) as client,
    ):
        watching = asyncio.create_task(chat.processor.watch_outbox(every=0.2))
        try:
            await join(client)
            client.headers["origin"] = base
            await client.post("/chat/send", json={"id": "open-00001", "text": "你好"})
            await chat.processor.process_pending()
            ticket = await filed_for(chat, await visitor_id(chat))
            async with client.stream("GET", "/chat/events") as stream:
                lines = stream.aiter_lines()
                async for line in lines:  # what was there: the greeting's answer
                    if line.startswith("data:"):
                        break
                async with chat.store.transaction():
                    await chat.desk.resolve(CLERK, ticket.number, "已清运垃圾，并安排每周清理两次")
                started = time.monotonic()
                async for line in lines:
                    if "每周清理两次" in line:
                        break
                waited = time.monotonic() - started
        finally:
            watching.cancel()
    assert waited < 3.0, f"the outcome took {waited:.1f} s"
