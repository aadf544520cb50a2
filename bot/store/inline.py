"""An aiosqlite connection that runs short statements on the event loop's own thread.

aiosqlite runs every call on a thread of its own: the loop hands the call over, the
thread runs it and hands the result back. For the web chat's small statements (a few
microseconds of SQL each) that hand-over is the cost: two thread switches, a wake-up of
the loop through its self-pipe, and GIL contention, several hundred microseconds a
statement under load and about seven statements a question (docs/performance.md, "Web
chat load"). This connection runs such calls at once, on the loop's thread, where they
take microseconds, and hands a call to aiosqlite's thread only when it could wait:

- The connection's busy timeout is 0, so a statement that meets another connection's
  write lock (the console's, a `citizen-desk tickets` command's) fails at once with
  SQLITE_BUSY instead of blocking the loop. Nothing of it took effect, so it is run again
  on the thread, with the usual busy timeout (BUSY_TIMEOUT_MS), while the loop goes on.
- While a call is on the thread, later calls queue behind it there, in order: the
  connection is never used by two threads at once.
- Calls that may run long (a backup, a script, closing) always go to the thread, and so
  does `executemany` outside a transaction (each row commits alone, so a retry after
  SQLITE_BUSY could repeat rows committed before it).
- WAL auto-checkpoints (which write and fsync the database file) are off on this
  connection: `checkpoint()` runs them on the thread instead.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiosqlite

#: How long a statement handed to the thread waits for another writer (as elsewhere).
BUSY_TIMEOUT_MS = 5000
#: Calls that may take long: never on the loop's thread.
_THREAD_ONLY = frozenset({"backup", "executescript", "close", "iterdump", "_connect"})
#: Commits between two checkpoints run on the thread (about 1,000 WAL pages at the web
#: chat's few pages a commit, SQLite's own default being 1,000 pages).
CHECKPOINT_EVERY = 300


def _busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection, its short calls run on the loop's thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int = 64):
        super().__init__(connector, iter_chunk_size)
        #: Calls handed to the thread and not finished: later calls queue behind them.
        self._on_thread = 0
        #: Calls run on aiosqlite's thread (for tests).
        self.thread_calls = 0
        self._commits = 0

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        if self._on_thread == 0 and self._inline(fn):
            try:
                result = fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
            else:
                if args and args[0] == "COMMIT":
                    await self._count_commit()
                return result
        return await self._on_thread_call(_waiting(self._conn, fn), *args, **kwargs)

    async def _on_thread_call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        self._on_thread += 1
        self.thread_calls += 1
        try:
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        finally:
            self._on_thread -= 1

    def _inline(self, fn: Any) -> bool:
        name = getattr(fn, "__name__", "")
        if name in _THREAD_ONLY:
            return False
        return name != "executemany" or self._conn.in_transaction

    async def _count_commit(self) -> None:
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY:
            self._commits = 0
            await self.checkpoint()

    async def checkpoint(self) -> None:
        """Copy the WAL into the database file (a passive checkpoint: it waits for no
        reader), on the thread: it writes and syncs the file."""
        conn = self._conn

        def run() -> None:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

        await self._on_thread_call(run)


def _waiting(conn: sqlite3.Connection, fn: Any) -> Callable[..., Any]:
    """`fn` as run on the thread: with the busy timeout, so that it waits for the lock."""

    def call(*args: Any, **kwargs: Any) -> Any:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            return fn(*args, **kwargs)
        finally:
            with contextlib.suppress(sqlite3.ProgrammingError):  # closed by `fn`
                conn.execute("PRAGMA busy_timeout=0")

    call.__name__ = getattr(fn, "__name__", "call")
    return call


async def connect(path: Path) -> InlineConnection:
    """Open an SQLite file with an inline connection (autocommit, as `backend.connect`)."""

    def connector() -> sqlite3.Connection:
        # timeout=0: a statement meeting a lock fails at once (and is run on the thread).
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0)

    conn = InlineConnection(connector)
    await conn  # starts its thread and connects
    conn.row_factory = aiosqlite.Row
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
        await conn.execute(f"PRAGMA {pragma}")
    await conn.execute("PRAGMA wal_autocheckpoint=0")
    return conn
