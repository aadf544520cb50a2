"""The shared intake loop (bot/intake.py) on a real SQLite file, with a channel of notes:
a poison item is isolated, a database error is waited out, a batch commits whole."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.intake import HandlerFailed, IntakeLoop
from bot.store import Store

Note = tuple[int, str]


class Notes:
    """A channel whose messages are notes: each one handled writes an effect row; the text
    "poison" makes its handler fail, as a bug would."""

    def __init__(self, store: Store):
        self.store = store
        #: The items of each committed transaction, in order.
        self.commits: list[list[int]] = []

    async def take(self) -> list[Note]:
        rows = await self.store.conn.execute_fetchall(
            "SELECT id, text FROM notes WHERE state = 'pending' ORDER BY id"
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    def transaction(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self.store.transaction()

    async def process_batch(self, batch: list[Note]) -> int:
        for note, text in batch:
            await self.store.conn.execute(
                "INSERT INTO effects (note, what) VALUES (?, ?)", (note, text)
            )
            if text == "poison":
                raise HandlerFailed
            await self.store.conn.execute("UPDATE notes SET state = 'done' WHERE id = ?", (note,))
        return len(batch)

    async def fail(self, item: Note) -> None:
        await self.store.conn.execute(
            "INSERT INTO effects (note, what) VALUES (?, 'sorry')", (item[0],)
        )
        await self.store.conn.execute("UPDATE notes SET state = 'failed' WHERE id = ?", (item[0],))

    async def committed(self, batch: list[Note]) -> None:
        self.commits.append([note for note, _ in batch])

    async def pause(self, poll: float) -> float:
        return poll


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store.opened(tmp_path / "db.sqlite3") as opened:
        await opened.conn.executescript(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL, "
            "state TEXT NOT NULL DEFAULT 'pending');"
            "CREATE TABLE effects (note INTEGER NOT NULL UNIQUE, what TEXT NOT NULL);"
        )
        yield opened


async def write(store: Store, *texts: str) -> None:
    """Store notes, as a channel's intake does before it confirms them."""
    await store.conn.executemany("INSERT INTO notes (text) VALUES (?)", [(t,) for t in texts])


async def table(store: Store, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await store.conn.execute_fetchall(sql)]


async def test_a_poison_item_is_isolated_and_the_rest_processed_in_batches(store: Store) -> None:
    await write(store, "a", "poison", "c", "d", "e", "f")
    notes = Notes(store)
    loop = IntakeLoop(notes, asyncio.Event(), batch=2)
    assert await loop.drain() == 6
    # The failed batch again one item per transaction; the rest in batches again.
    assert notes.commits == [[1], [2], [3, 4], [5, 6]]
    states = await table(store, "SELECT id, state FROM notes ORDER BY id")
    assert states == [
        (1, "done"),
        (2, "failed"),
        (3, "done"),
        (4, "done"),
        (5, "done"),
        (6, "done"),
    ]
    # Each effect once: the rolled-back batch left nothing, the poison only its apology.
    effects = await table(store, "SELECT note, what FROM effects ORDER BY note")
    assert effects == [(1, "a"), (2, "sorry"), (3, "c"), (4, "d"), (5, "e"), (6, "f")]
    assert await loop.drain() == 0


async def test_a_batch_commits_whole_or_not_at_all(store: Store) -> None:
    await write(store, "a", "b", "c")
    # A row the second note's effect collides with: a database error mid-batch.
    await store.conn.execute("INSERT INTO effects (note, what) VALUES (2, 'left over')")
    notes = Notes(store)
    loop = IntakeLoop(notes, asyncio.Event())
    with pytest.raises(sqlite3.IntegrityError):
        await loop.drain()
    # The first note's effect and done mark went with the rest: nothing half done.
    assert await table(store, "SELECT note FROM effects") == [(2,)]
    assert await table(store, "SELECT DISTINCT state FROM notes") == [("pending",)]
    assert notes.commits == []
    await store.conn.execute("DELETE FROM effects")
    assert await loop.drain() == 3
    assert notes.commits == [[1, 2, 3]]
    assert await table(store, "SELECT note, what FROM effects ORDER BY note") == [
        (1, "a"),
        (2, "b"),
        (3, "c"),
    ]


async def test_a_locked_database_is_waited_out_with_a_doubling_pause(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await store.conn.execute("PRAGMA busy_timeout=50")  # 5 s in production
    await write(store, "a", "b")
    notes = Notes(store)
    wake, stopping = asyncio.Event(), asyncio.Event()
    loop = IntakeLoop(notes, wake, stopping, max_backoff=0.4)
    # Another process (a clerk's `citizen-desk tickets …`) holds the write lock.
    clerk = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    clerk.execute("BEGIN IMMEDIATE")
    with caplog.at_level(logging.ERROR, logger="bot.intake"):
        running = asyncio.create_task(loop.run(poll=0.05, retry=0.1))
        try:
            await asyncio.sleep(1.2)
            assert not running.done(), running.exception()  # the loop goes on
            assert await table(store, "SELECT DISTINCT state FROM notes") == [("pending",)]
            clerk.execute("COMMIT")
            for _ in range(100):
                if notes.commits:
                    break
                await asyncio.sleep(0.05)
            await write(store, "c")  # news after the pause: looked at at once
            wake.set()
            for _ in range(40):
                if len(notes.commits) == 2:
                    break
                await asyncio.sleep(0.01)
        finally:
            stopping.set()
            await asyncio.wait_for(running, timeout=5)
            clerk.close()
    pauses = [float(r.args[0]) for r in caplog.records if isinstance(r.args, tuple)]
    assert pauses[:4] == [0.1, 0.2, 0.4, 0.4]  # doubling, up to max_backoff
    assert notes.commits == [[1, 2], [3]]  # processed once, not given up
    assert await table(store, "SELECT state FROM notes ORDER BY id") == [("done",)] * 3


async def test_stopping_processes_what_is_due_first(store: Store) -> None:
    notes = Notes(store)
    wake, stopping = asyncio.Event(), asyncio.Event()
    loop = IntakeLoop(notes, wake, stopping)
    await write(store, "a")
    stopping.set()
    await asyncio.wait_for(loop.run(poll=10.0), timeout=5)
    assert notes.commits == [[1]]
