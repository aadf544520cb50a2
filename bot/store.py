"""All SQL of Citizen Desk: SQLite through aiosqlite, numbered migrations, one module.

Statements run in autocommit mode, except inside `async with store.transaction():`, which
groups the effects of one update (state changes, outgoing messages, the update marked
done) into one commit. One `Store` (one connection) serves one task at a time: the
update processor and the outbox sender each open their own.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

#: Append-only: each migration runs once, in its own transaction, in order.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE users (
        user_key TEXT PRIMARY KEY,
        lang TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        user_key TEXT,
        text TEXT NOT NULL,
        lang TEXT NOT NULL,
        route TEXT NOT NULL,
        entry_id TEXT,
        score REAL NOT NULL,
        candidates TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        user_key TEXT,
        question_id INTEGER REFERENCES questions(id),
        entry_id TEXT NOT NULL,
        helpful INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE updates (
        update_id INTEGER PRIMARY KEY,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        received_at TEXT NOT NULL,
        done_at TEXT
    );
    CREATE INDEX updates_pending ON updates(state, update_id);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        owner TEXT,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at REAL NOT NULL DEFAULT 0,
        message_id INTEGER,
        error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX outbox_pending ON outbox(state, next_at, id);
    CREATE TABLE menus (
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        owner TEXT NOT NULL,
        PRIMARY KEY (chat_id, message_id)
    );
    """,
)


def now_iso() -> str:
    """The current UTC time as ISO 8601 text."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class OutboxItem:
    """A message waiting to be delivered."""

    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    owner: str | None
    attempts: int


class Store:
    """The project's database; open with `Store.open(path)`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path):
        self.conn = conn
        self.path = path

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        """Open (creating if needed) and migrate the database at `path`."""
        path = Path(path)
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA synchronous=NORMAL")
        store = cls(conn, path)
        await store.migrate()
        return store

    @classmethod
    @asynccontextmanager
    async def opened(cls, path: Path | str) -> AsyncIterator[Store]:
        """`async with Store.opened(path) as store:` — closed on exit."""
        store = await cls.open(path)
        try:
            yield store
        finally:
            await store.close()

    async def migrate(self) -> int:
        """Apply the migrations not applied yet; return the schema version."""
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(MIGRATIONS, start=1):
            if number <= version:
                continue
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(script):
                    await self.conn.execute(statement)
                await self.conn.execute(f"PRAGMA user_version={number}")
                await self.conn.execute("COMMIT")
            except Exception:
                await self.conn.execute("ROLLBACK")
                raise
            version = number
        return version

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
        """Copy the database to `target` with SQLite's online backup API."""
        dest = await aiosqlite.connect(target)
        try:
            await self.conn.backup(dest)
        finally:
            await dest.close()

    # -- people ---------------------------------------------------------------------------

    async def get_language(self, user: str) -> str | None:
        """The language a person chose, if any."""
        async with self.conn.execute("SELECT lang FROM users WHERE user_key = ?", (user,)) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row and row[0] else None

    async def set_language(self, user: str, lang: str) -> None:
        """Remember a person's language."""
        await self.conn.execute(
            "INSERT INTO users (user_key, lang, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(user_key) DO UPDATE SET lang = excluded.lang, "
            "updated_at = excluded.updated_at",
            (user, lang, now_iso()),
        )

    # -- questions and feedback -----------------------------------------------------------

    async def log_question(
        self,
        user: str | None,
        text: str,
        lang: str,
        route: str,
        entry_id: str | None,
        score: float,
        candidates: list[tuple[str, float]],
    ) -> int:
        """Record a question and how it was routed; return its id."""
        cur = await self.conn.execute(
            "INSERT INTO questions (user_key, text, lang, route, entry_id, score, candidates, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (user, text, lang, route, entry_id, score, json.dumps(candidates), now_iso()),
        )
        return int(cur.lastrowid or 0)

    async def record_feedback(
        self, user: str, entry_id: str, helpful: bool, question_id: int | None = None
    ) -> None:
        """Store whether an answer helped."""
        if question_id is not None:
            async with self.conn.execute(
                "SELECT 1 FROM questions WHERE id = ?", (question_id,)
            ) as cur:
                if await cur.fetchone() is None:
                    question_id = None
        await self.conn.execute(
            "INSERT INTO feedback (user_key, question_id, entry_id, helpful, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (user, question_id, entry_id, int(helpful), now_iso()),
        )

    async def feedback_rows(self) -> list[dict[str, Any]]:
        """Every feedback row with its question text (for reports and tests)."""
        async with self.conn.execute(
            "SELECT f.user_key, f.entry_id, f.helpful, f.created_at, q.text AS question "
            "FROM feedback f LEFT JOIN questions q ON q.id = f.question_id ORDER BY f.id"
        ) as cur:
            return [dict(row) for row in await cur.fetchall()]

    # -- durable updates ------------------------------------------------------------------

    async def save_updates(self, updates: list[tuple[int, str]]) -> int:
        """Store fetched updates (id, JSON) not seen before, durably; return how many."""
        async with self.transaction():
            before = self.conn.total_changes
            await self.conn.executemany(
                "INSERT OR IGNORE INTO updates (update_id, payload, received_at) VALUES (?, ?, ?)",
                [(uid, payload, now_iso()) for uid, payload in updates],
            )
            return self.conn.total_changes - before

    async def pending_updates(self, limit: int = 100) -> list[tuple[int, str]]:
        """Updates stored but not yet processed, oldest first."""
        async with self.conn.execute(
            "SELECT update_id, payload FROM updates WHERE state = 'pending' "
            "ORDER BY update_id LIMIT ?",
            (limit,),
        ) as cur:
            return [(int(r[0]), str(r[1])) for r in await cur.fetchall()]

    async def mark_update_done(self, update_id: int, state: str = "done") -> None:
        """Mark an update processed (in the caller's transaction)."""
        await self.conn.execute(
            "UPDATE updates SET state = ?, done_at = ? WHERE update_id = ?",
            (state, now_iso(), update_id),
        )

    async def last_update_id(self) -> int | None:
        """The highest update id ever stored."""
        async with self.conn.execute("SELECT MAX(update_id) FROM updates") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row and row[0] is not None else None

    # -- outbox ---------------------------------------------------------------------------

    async def enqueue(
        self, chat_id: int, kind: str, payload: dict[str, Any], owner: str | None = None
    ) -> int:
        """Queue a message for delivery (in the caller's transaction)."""
        cur = await self.conn.execute(
            "INSERT INTO outbox (chat_id, kind, payload, owner, created_at) VALUES (?, ?, ?, ?, ?)",
            (chat_id, kind, json.dumps(payload, ensure_ascii=False), owner, now_iso()),
        )
        return int(cur.lastrowid or 0)

    async def due_outbox(self, limit: int = 50) -> list[OutboxItem]:
        """Messages due for delivery: the oldest pending one of each chat, in order."""
        async with self.conn.execute(
            "SELECT o.id, o.chat_id, o.kind, o.payload, o.owner, o.attempts FROM outbox o "
            "WHERE o.state = 'pending' AND o.next_at <= ? AND o.id = ("
            "  SELECT MIN(id) FROM outbox p WHERE p.chat_id = o.chat_id AND p.state = 'pending'"
            ") ORDER BY o.id LIMIT ?",
            (time.time(), limit),
        ) as cur:
            rows = await cur.fetchall()
        return [
            OutboxItem(int(r[0]), int(r[1]), str(r[2]), json.loads(r[3]), r[4], int(r[5]))
            for r in rows
        ]

    async def next_outbox_time(self) -> float | None:
        """When the next pending message is due (epoch seconds), if any."""
        async with self.conn.execute(
            "SELECT MIN(next_at) FROM outbox WHERE state = 'pending'"
        ) as cur:
            row = await cur.fetchone()
        return float(row[0]) if row and row[0] is not None else None

    async def outbox_sent(self, item_id: int, message_id: int | None) -> None:
        """Mark a message delivered."""
        await self.conn.execute(
            "UPDATE outbox SET state = 'sent', message_id = ?, sent_at = ? WHERE id = ?",
            (message_id, now_iso(), item_id),
        )

    async def outbox_retry(self, item_id: int, delay: float, error: str) -> None:
        """Schedule another attempt."""
        await self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_at = ?, error = ? WHERE id = ?",
            (time.time() + delay, error, item_id),
        )

    async def outbox_failed(self, item_id: int, state: str, error: str) -> None:
        """Give up on a message (`undeliverable` when blocked, `failed` otherwise)."""
        await self.conn.execute(
            "UPDATE outbox SET state = ?, error = ?, attempts = attempts + 1 WHERE id = ?",
            (state, error, item_id),
        )

    async def outbox_backlog(self) -> int:
        """How many messages wait for delivery."""
        async with self.conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    # -- menus (who may press a message's buttons) ----------------------------------------

    async def remember_menu(self, chat_id: int, message_id: int, owner: str) -> None:
        """Record whose message a menu is (in the caller's transaction)."""
        await self.conn.execute(
            "INSERT OR REPLACE INTO menus (chat_id, message_id, owner) VALUES (?, ?, ?)",
            (chat_id, message_id, owner),
        )

    async def menu_owner(self, chat_id: int, message_id: int) -> str | None:
        """Whose menu a message is, if the bot sent it with buttons."""
        async with self.conn.execute(
            "SELECT owner FROM menus WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        ) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
