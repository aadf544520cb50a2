"""Several replicas on one PostgreSQL database: who processes, who polls, who sends.

PostgreSQL's own tools, no queue of our own:

- every replica processes stored updates; it claims only the oldest pending update of
  each chat (`DISTINCT ON`), locked with `FOR UPDATE SKIP LOCKED` in the transaction that
  marks it done, so no update is processed twice and a chat's updates never run at once
  or out of order;
- one replica polls Telegram, and one sends the outbox and runs the deadline scan: the
  holder of a session-level advisory lock (`Leadership`); the lock goes with its
  connection, so a replica that dies hands it on at the next try of another (seconds);
- a stored update wakes idle replicas with `NOTIFY` (`Wakeup` listens).

On SQLite there is one process and one writer: every claim is granted as asked, every
lock is held, and the wake-up is the process's own event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import aiosqlite

from bot.store import backend

log = logging.getLogger(__name__)

#: Advisory lock keys (any 64-bit numbers, the same in every replica).
POLLING_LOCK = 0x43445F504F4C4C  # "CD_POLL"
DUTIES_LOCK = 0x43445F44555459  # "CD_DUTY": outbox sender and deadline scan
#: NOTIFY channels: updates were stored; messages were queued in the outbox.
UPDATES_CHANNEL = "citizen_desk_updates"
OUTBOX_CHANNEL = "citizen_desk_outbox"


def _pg(conn: backend.Connection) -> bool:
    return not isinstance(conn, aiosqlite.Connection)


async def pending_heads(conn: backend.Connection, now: float, limit: int) -> list[tuple[int, str]]:
    """Updates to process next, oldest first. PostgreSQL: only each chat's oldest pending
    update (a chat's next one waits until it is done, or for its hold); SQLite: all."""
    if not _pg(conn):
        sql = (
            "SELECT update_id, payload FROM updates WHERE state = 'pending' "
            "AND not_before <= ? ORDER BY update_id LIMIT ?"
        )
    else:
        sql = (
            "SELECT u.update_id, u.payload FROM updates u JOIN ("
            # An update without a chat is a head of its own.
            " SELECT DISTINCT ON (chat_id IS NULL, COALESCE(chat_id, update_id)) update_id"
            " FROM updates WHERE state = 'pending'"
            " ORDER BY chat_id IS NULL, COALESCE(chat_id, update_id), update_id) heads"
            " ON heads.update_id = u.update_id "
            "WHERE u.not_before <= ? ORDER BY u.update_id LIMIT ?"
        )
    rows = await backend.fetchall(conn, sql, (now, limit))
    return [(int(r[0]), str(r[1])) for r in rows]


async def claim(conn: backend.Connection, update_ids: list[int]) -> set[int]:
    """In the caller's transaction: lock those of `update_ids` still pending that no other
    replica holds (`FOR UPDATE SKIP LOCKED`); their ids. SQLite: the writer lock is
    already held, so those still pending."""
    if not update_ids:
        return set()
    marks = ", ".join("?" for _ in update_ids)
    lock = " FOR UPDATE SKIP LOCKED" if _pg(conn) else ""
    rows = await backend.fetchall(
        conn,
        f"SELECT update_id FROM updates WHERE update_id IN ({marks}) AND state = 'pending'{lock}",
        update_ids,
    )
    return {int(r[0]) for r in rows}


async def notify(conn: backend.Connection, channel: str) -> None:
    """Wake the replicas listening on `channel` (sent at the commit). SQLite: nothing."""
    if _pg(conn):
        await conn.execute(f"NOTIFY {channel}")


class Leadership:
    """A session-level advisory lock held on a connection of its own.

    `held()` answers whether this replica leads, trying to take the lock when it does not;
    a lost connection (the database restarted) is a lost lead. SQLite: always held.
    Callers in one process take turns (`_turn`): the lock is re-entrant per session, so two
    tries at once would take it twice, and two connects at once would leave one connection
    holding it unseen, past `release()`.
    """

    def __init__(self, target: Path | str, key: int, name: str):
        self.target, self.key, self.name = target, key, name
        self.conn: backend.Connection | None = None
        self.leading = not backend.is_postgres(target)
        self._turn = asyncio.Lock()

    async def held(self) -> bool:
        """Whether this replica holds the lock (taking it if it is free)."""
        if not backend.is_postgres(self.target):
            return True
        async with self._turn:
            return await self._check()

    async def _check(self) -> bool:
        import psycopg

        try:
            if self.conn is None:
                self.conn = await backend.connect(self.target)
            if self.leading:
                await self.conn.execute("SELECT 1")  # still connected, so still held
                return True
            row = await backend.fetchone(self.conn, "SELECT pg_try_advisory_lock(?)", (self.key,))
            self.leading = bool(row and row[0])
            if self.leading:
                log.info("this replica now leads %s", self.name)
        except (OSError, psycopg.OperationalError) as exc:
            log.warning("lost the %s lock's connection (%s)", self.name, exc)
            await self._drop()
        return self.leading

    async def _drop(self) -> None:
        self.leading = False
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def wait(self, stopping: asyncio.Event, interval: float = 1.0) -> bool:
        """Wait until this replica leads (True) or `stopping` is set (False)."""
        while not stopping.is_set():
            if await self.held():
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=interval)
        return False

    async def release(self) -> None:
        """Give the lead up (closing its connection releases the lock)."""
        async with self._turn:
            await self._drop()


async def listen(
    target: Path | str, wakes: dict[str, asyncio.Event], stopping: asyncio.Event
) -> None:
    """Set `wakes[channel]` whenever a replica notifies `channel` (PostgreSQL LISTEN),
    until `stopping` or cancelled; reconnects after a lost connection. SQLite: returns."""
    if not backend.is_postgres(target):
        return
    import psycopg

    while not stopping.is_set():
        try:
            conn = await psycopg.AsyncConnection.connect(str(target), autocommit=True)
            async with conn:
                for channel in wakes:
                    await conn.execute(f"LISTEN {channel}")
                for wake in wakes.values():
                    wake.set()  # something may have come while not listening
                async for note in conn.notifies():
                    if note.channel in wakes:
                        wakes[note.channel].set()
        except (OSError, psycopg.OperationalError) as exc:
            log.warning("LISTEN connection lost (%s); again in 1 s", exc)
            await asyncio.sleep(1.0)
