"""The chat's processing loop on a real SQLite file: a database error is waited out, not
turned into a lost message, and never stops the loop."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.knowledge.model import KnowledgeBase
from bot.messages import t
from tests.webchat_env import Chat, events, join, say, webchat


@pytest.fixture
async def chat(tmp_path: Path, sample_kb: KnowledgeBase) -> AsyncIterator[Chat]:
    async with webchat(tmp_path / "db.sqlite3", sample_kb) as c:
        # The chat's own connection gives up on a lock after 50 ms (5 s in production),
        # so that the test need not hold a lock for long.
        await c.processor.store.conn.execute("PRAGMA busy_timeout=50")
        yield c


async def test_a_locked_database_is_waited_out_and_the_message_answered_once(
    chat: Chat, tmp_path: Path
) -> None:
    async with chat.client() as client:
        await join(client)
        sent = await say(client, "locked-001", text="低保怎么申请")
        assert sent.status_code == 200
        # Another process (a clerk's `citizen-desk tickets …`) holds the write lock.
        clerk = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
        clerk.execute("BEGIN IMMEDIATE")
        running = asyncio.create_task(chat.processor.run(poll=0.05, retry=0.05))
        try:
            await asyncio.sleep(0.5)
            assert not running.done(), running.exception()  # the loop goes on
            clerk.execute("COMMIT")
            for _ in range(200):
                got = events(await client.get("/chat/events"))
                if got:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)  # anything more would come now
            got = events(await client.get("/chat/events"))
            assert not running.done()
        finally:
            running.cancel()
            clerk.close()
    # The real answer, once; not an apology for a message given up as failed.
    assert [p["text"].split("\n")[0] for _, p in got] == ["【最低生活保障申请】"]
    assert t("internal_error", "zh") not in got[0][1]["text"]
    async with chat.store.conn.execute("SELECT state FROM webchat_inbox") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("done",)]


async def test_a_message_the_core_fails_on_is_marked_failed_and_the_next_answered(
    chat: Chat,
) -> None:
    async with chat.client() as client:
        await join(client)
        await say(client, "before-001", text="你好")
        await chat.processor.process_pending()
        seen = events(await client.get("/chat/events"))
        async with chat.store.conn.execute("SELECT visitor FROM webchat_inbox") as cur:
            row = await cur.fetchone()
        assert row is not None and seen
        # A stored file whose record the core cannot read (as after a bad upgrade).
        async with chat.processor.store.transaction():
            await chat.processor.sql.accept(row[0], "broken-001", {"attachment": {"x": 1}})
        await say(client, "after-0001", text="低保怎么申请")
        assert await chat.processor.process_pending() == 2
        later = events(
            await client.get("/chat/events", headers={"last-event-id": str(seen[-1][0])})
        )
    assert [p["text"].split("\n")[0] for _, p in later] == [
        t("internal_error", "zh").split("\n")[0],
        "【最低生活保障申请】",
    ]
    async with chat.store.conn.execute("SELECT client_id, state FROM webchat_inbox") as cur:
        states = {r[0]: r[1] for r in await cur.fetchall()}
    assert states == {"before-001": "done", "broken-001": "failed", "after-0001": "done"}
