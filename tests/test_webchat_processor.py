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


async def test_a_reply_wakes_its_own_visitors_stream_only(chat: Chat, tmp_path: Path) -> None:
    """Waking every open stream for every batch made each of them query the outbox: with
    200 visitors, 200 queries per batch. A reply now wakes its visitor's streams; the
    outbox watcher wakes a stream only for an event it has not sent yet."""
    async with chat.client() as one, chat.client("10.0.0.2") as two:
        await join(one)
        await join(two)
        assert (await say(one, "wake-00001", text="低保怎么申请")).status_code == 200
        assert (await say(two, "wake-00002", text="你好")).status_code == 200
        visitors = [
            str(r[0])
            for r in await chat.store.conn.execute_fetchall(
                "SELECT visitor FROM webchat_inbox ORDER BY id"
            )
        ]
        streams = chat.processor.streams
        with streams.listening(visitors[0], 0) as first, streams.listening("chat:idle", 0) as idle:
            assert await chat.processor.process_pending() == 2
            assert first.woken.is_set() and not idle.woken.is_set()
            newest = max(i for i, _ in events(await one.get("/chat/events")))
            first.after = newest  # the stream sent everything there is
            first.woken.clear()

            watching = asyncio.create_task(chat.processor.watch_outbox(every=0.05))
            try:
                await asyncio.sleep(0.2)  # the processor's own rows: nobody is behind
                assert not first.woken.is_set() and not idle.woken.is_set()
                clerk = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
                clerk.execute(
                    "INSERT INTO outbox (chat_id, kind, payload, owner, state, next_at, "
                    "created_at) SELECT chat_id, kind, payload, owner, state, next_at, "
                    "created_at FROM outbox WHERE owner = ? ORDER BY id LIMIT 1",
                    (visitors[0],),
                )
                clerk.close()
                for _ in range(100):
                    if first.woken.is_set():
                        break
                    await asyncio.sleep(0.02)
                assert first.woken.is_set() and not idle.woken.is_set()
            finally:
                watching.cancel()
    assert streams.open == {}  # closed streams are forgotten
