"""The backend seam: everything that depends on the database engine lives here.

The store modules write SQL and call only these functions (and `transaction`, `migrate`
in `bot.store.core` / `bot.store.migrations`); opening a connection, its settings, running
a query and splitting a migration script are done here, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aiosqlite

#: The driver's connection type, as the store modules see it.
Connection = aiosqlite.Connection


async def connect(path: Path) -> Connection:
    """Open the SQLite database at `path` in autocommit mode, with the project's settings."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute("PRAGMA busy_timeout=5000")
    await conn.execute("PRAGMA synchronous=NORMAL")
    return conn


async def backup(conn: Connection, target: Path) -> None:
    """Copy the database to `target` with SQLite's online backup API."""
    dest = await aiosqlite.connect(target)
    try:
        await conn.backup(dest)
    finally:
        await dest.close()


async def fetchone(
    conn: aiosqlite.Connection, sql: str, args: Iterable[Any] = ()
) -> aiosqlite.Row | None:
    """The first row of a query, in one call to the database thread (a cursor takes three)."""
    rows = await conn.execute_fetchall(sql, args)
    return next(iter(rows), None)


async def fetchall(
    conn: aiosqlite.Connection, sql: str, args: Iterable[Any] = ()
) -> list[aiosqlite.Row]:
    """Every row of a query, in one call to the database thread."""
    return list(await conn.execute_fetchall(sql, args))


def statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
