"""The store's connection: opening, migrating, transactions, closing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Self

from bot.store import backend
from bot.store.migrations import migrate


class StoreBase:
    """One connection to the project's database; the SQL lives in the subclasses."""

    def __init__(self, conn: backend.Connection, path: Path | str):
        self.conn = conn
        #: Where the database is: an SQLite file, or a PostgreSQL URL.
        self.path = path
        #: (person, total_changes then, draft row) of the last `get_language`.
        self.read_ahead: tuple[str, int, tuple[Any, ...] | None] | None = None

    @classmethod
    async def open(cls, path: Path | str, create: bool = True, inline: bool = False) -> Self:
        """Open (creating it if needed and `create`) and migrate the database at `path`:
        an SQLite file (a path or `sqlite:///path`) or a `postgresql://` URL. `inline`:
        see `backend.connect`."""
        if backend.is_postgres(path):
            store = cls(await backend.connect(path), path)
        else:
            path = backend.sqlite_path(path)
            if not create and not path.is_file():
                raise FileNotFoundError(f"no database at {path} (set --db or CITIZEN_DESK_DB)")
            if path.is_dir():
                raise IsADirectoryError(f"{path} is a directory, not a database file")
            if path.parent and not path.parent.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
            store = cls(await backend.connect(path, inline), path)
        try:
            await store.migrate()
        except BaseException:
            await store.close()
            raise
        return store

    @classmethod
    @asynccontextmanager
    async def opened(
        cls, path: Path | str, create: bool = True, inline: bool = False
    ) -> AsyncIterator[Self]:
        """`async with Store.opened(path) as store:` — closed on exit."""
        store = await cls.open(path, create, inline)
        try:
            yield store
        finally:
            await store.close()

    async def migrate(self) -> int:
        """Apply the migrations not applied yet; return the schema version."""
        return await migrate(self.conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Run the block in one transaction: all of it is committed, or none of it."""
        await self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            await self.conn.execute("ROLLBACK")
            raise
        await self.conn.execute("COMMIT")

    async def close(self) -> None:
        """Close the connection (an open transaction is rolled back)."""
        await self.conn.close()

    async def backup(self, target: Path) -> None:
        """Copy an SQLite database to `target` with SQLite's online backup API."""
        await backend.backup(self.conn, target)
