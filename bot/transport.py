"""Transport retention: processed updates, delivered outbox messages and processed web
chat messages are deleted once older than `transport_retention_days` (bot/store/transport.py
says which rows, and which stay).

A chunk of at most `CHUNK` rows per transaction, so the write lock (SQLite) or the rows'
locks (PostgreSQL) are held for milliseconds, and whoever shares the connection's lock
(the update processor, the web chat) gets in between two chunks.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from bot.store import Store
from bot.store.transport import START, TABLES, TransportSQL, TransportTable

log = logging.getLogger(__name__)

#: Rows deleted per transaction at most: at 10^6 rows on a busy 2-core machine a chunk of
#: 250 held the database for 10 ms (median; 1,000 rows: 23-47 ms), docs/performance.md.
CHUNK = 250
#: Days a finished transport row is kept (the setting's default).
DEFAULT_DAYS = 30
#: How often `citizen-desk web` purges (the bot does it with its daily retention job).
PURGE_EVERY = 3600.0


@dataclass
class Purged:
    """What a purge deleted, per table, and in how many transactions."""

    deleted: dict[str, int] = field(default_factory=dict)
    chunks: int = 0

    @property
    def total(self) -> int:
        """Rows deleted in all."""
        return sum(self.deleted.values())


def cutoff(now: dt.datetime, days: int) -> str:
    """The time before which a finished row goes, as the rows store their times."""
    return (now - dt.timedelta(days=days)).astimezone(dt.UTC).isoformat(timespec="seconds")


@contextlib.asynccontextmanager
async def _held(lock: asyncio.Lock | None) -> AsyncIterator[None]:
    if lock is None:
        yield
        return
    async with lock:
        yield


async def purge(
    store: Store,
    now: dt.datetime,
    days: int = DEFAULT_DAYS,
    lock: asyncio.Lock | None = None,
    chunk: int = CHUNK,
) -> Purged:
    """Delete finished transport rows written more than `days` days before `now`.

    `lock` is the one that guards `store`'s connection, if it is shared (taken for each
    chunk, never for the whole purge).
    """
    before = cutoff(now, days)
    sql = TransportSQL(store.conn)
    purged = Purged()
    for table in TABLES:
        deleted = await _purge_table(store, sql, table, before, lock, chunk, purged)
        purged.deleted[table.name] = deleted
    return purged


async def _purge_table(
    store: Store,
    sql: TransportSQL,
    table: TransportTable,
    before: str,
    lock: asyncio.Lock | None,
    chunk: int,
    purged: Purged,
) -> int:
    async with _held(lock):
        newest = await sql.newest(table)
    if newest is None:
        return 0
    after, deleted = START, 0
    while True:
        async with _held(lock), store.transaction():
            walked = await sql.walk(table, before, after, newest, chunk)
            gone = await sql.delete(table, walked.deletable, before)
        purged.chunks += 1
        deleted += gone
        if walked.young or walked.last is None or walked.read < chunk:
            return deleted
        after = walked.last
        await asyncio.sleep(0)  # the lock's other users go first


async def purge_logged(
    store: Store, days: int, lock: asyncio.Lock | None = None, chunk: int = CHUNK
) -> Purged:
    """Purge now, logging what went."""
    purged = await purge(store, dt.datetime.now(dt.UTC), days, lock, chunk)
    if purged.total:
        counts = ", ".join(f"{name} {count}" for name, count in purged.deleted.items())
        log.info("transport retention: deleted %s rows older than %d days", counts, days)
    return purged


async def purge_forever(
    store: Store,
    days: int,
    lock: asyncio.Lock | None = None,
    every: float = PURGE_EVERY,
) -> None:
    """Purge now and then (`citizen-desk web`, beside its file sweep)."""
    while True:
        await purge_logged(store, days, lock)
        await asyncio.sleep(every)
