"""The inline SQLite connection (bot/store/inline.py): short statements on the loop's
thread, a statement that meets another writer's lock handed to the thread, in order."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite

from bot.store import Store
from bot.store.inline import CHECKPOINT_EVERY, InlineConnection

#: One inbox row: (visitor, client id); the time does not matter here.
INSERT = (
    "INSERT INTO webchat_inbox (visitor, client_id, payload, received_at) "
    "VALUES (?, ?, '{}', '2026-12-07T00:00:00+00:00')"
)


@contextlib.asynccontextmanager
async def another_writer(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    """A second (plain) connection holding the write lock until it commits."""
    other = await aiosqlite.connect(path, isolation_level=None)
    try:
        await other.execute("BEGIN IMMEDIATE")
        yield other
    finally:
        await other.close()


async def _inline(store: Store) -> InlineConnection:
    assert isinstance(store.conn, InlineConnection)
    return store.conn


async def test_short_statements_run_on_the_loop_thread(tmp_path: Path) -> None:
    async with Store.opened(tmp_path / "d.db", inline=True) as store:
        conn = await _inline(store)
        threads: set[int] = set()
        await conn.create_function("tid", 0, lambda: threads.add(threading.get_ident()) or 1)
        before = conn.thread_calls
        for n in range(10):
            async with store.transaction():
                await store.conn.execute("SELECT tid()")
                await store.conn.execute(INSERT, ("chat:x", f"c{n}"))
        assert threads == {threading.get_ident()}
        assert conn.thread_calls == before
        rows = await store.conn.execute_fetchall("SELECT COUNT(*) FROM webchat_inbox")
        assert next(iter(rows))[0] == 10


async def test_a_locked_database_waits_on_the_thread_not_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    async with Store.opened(path, inline=True) as store:
        conn = await _inline(store)
        async with another_writer(path) as other:
            await other.execute(INSERT, ("chat:other", "first"))
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            ticker = asyncio.create_task(tick())
            before = conn.thread_calls

            async def write() -> None:
                async with store.transaction():
                    await store.conn.execute(INSERT, ("chat:me", "second"))

            writing = asyncio.create_task(write())
            await asyncio.sleep(0.3)
            assert not writing.done()  # waiting for the lock, on the thread
            assert ticks >= 10  # and the loop went on meanwhile
            await other.execute("COMMIT")
            await asyncio.wait_for(writing, 5)
            ticker.cancel()
            assert conn.thread_calls > before
            rows = await store.conn.execute_fetchall(
                "SELECT client_id FROM webchat_inbox ORDER BY id"
            )
            assert [r[0] for r in rows] == ["first", "second"]
            # The lock gone, statements are back on the loop's thread.
            after = conn.thread_calls
            await store.conn.execute_fetchall("SELECT 1")
            assert conn.thread_calls == after


async def test_calls_queue_behind_one_on_the_thread(tmp_path: Path) -> None:
    """While one call waits on the thread, later ones follow it there, in order."""
    path = tmp_path / "d.db"
    async with Store.opened(path, inline=True) as store:
        conn = await _inline(store)
        async with another_writer(path) as other:
            first = asyncio.create_task(store.conn.execute(INSERT, ("chat:q", "a")))
            await asyncio.sleep(0.05)
            before = conn.thread_calls
            second = asyncio.create_task(store.conn.execute(INSERT, ("chat:q", "b")))
            await asyncio.sleep(0.05)
            assert conn.thread_calls == before + 1  # queued, not run inline
            await other.execute("COMMIT")
            await asyncio.wait_for(asyncio.gather(first, second), 5)
            rows = await store.conn.execute_fetchall(
                "SELECT client_id FROM webchat_inbox ORDER BY id"
            )
            assert [r[0] for r in rows] == ["a", "b"]


async def test_executemany_outside_a_transaction_goes_to_the_thread(tmp_path: Path) -> None:
    async with Store.opened(tmp_path / "d.db", inline=True) as store:
        conn = await _inline(store)
        before = conn.thread_calls
        await store.conn.executemany(INSERT, [("chat:m", "a"), ("chat:m", "b")])
        assert conn.thread_calls == before + 1
        async with store.transaction():
            await store.conn.executemany(INSERT, [("chat:m", "c"), ("chat:m", "d")])
        assert conn.thread_calls == before + 1


async def test_checkpoints_run_on_the_thread(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    async with Store.opened(path, inline=True) as store:
        conn = await _inline(store)
        rows = await store.conn.execute_fetchall("PRAGMA wal_autocheckpoint")
        assert next(iter(rows))[0] == 0  # no checkpoint on the loop's thread
        await conn.checkpoint()
        size = path.stat().st_size
        before = conn.thread_calls
        for n in range(CHECKPOINT_EVERY):
            async with store.transaction():
                await store.conn.execute(INSERT, ("chat:c", str(n)))
        assert conn.thread_calls == before + 1
        # The rows were copied from the WAL into the database file itself.
        assert path.stat().st_size > size


async def test_the_plain_connection_is_unchanged(tmp_path: Path) -> None:
    async with Store.opened(tmp_path / "d.db") as store:
        assert not isinstance(store.conn, InlineConnection)
        rows = await store.conn.execute_fetchall("PRAGMA busy_timeout")
        assert next(iter(rows))[0] == 5000
