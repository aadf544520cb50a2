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
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.tickets.model import (
    OPEN,
    Action,
    Attachment,
    Draft,
    Event,
    Role,
    StaffMember,
    Status,
    Ticket,
)

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
    """
    CREATE TABLE staff (
        user_id INTEGER PRIMARY KEY,
        role TEXT NOT NULL,
        dept TEXT,
        name TEXT,
        added_at TEXT NOT NULL
    );
    CREATE TABLE ticket_seq (
        year INTEGER PRIMARY KEY,
        last INTEGER NOT NULL
    );
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        number TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        category TEXT NOT NULL,
        department TEXT,
        assignee TEXT,
        status TEXT NOT NULL,
        citizen TEXT NOT NULL,
        anonymous INTEGER NOT NULL DEFAULT 0,
        description TEXT NOT NULL,
        location TEXT,
        occurred TEXT,
        phone TEXT,
        attachments TEXT NOT NULL DEFAULT '[]',
        lang TEXT NOT NULL DEFAULT 'zh',
        created_at TEXT NOT NULL,
        deadline TEXT NOT NULL,
        reminded INTEGER NOT NULL DEFAULT 0,
        overdue INTEGER NOT NULL DEFAULT 0,
        extended INTEGER NOT NULL DEFAULT 0,
        answered_at TEXT,
        closed_at TEXT,
        outcome TEXT,
        rating INTEGER,
        rework_count INTEGER NOT NULL DEFAULT 0,
        merged_into INTEGER REFERENCES tickets(id),
        source_key TEXT UNIQUE
    );
    CREATE INDEX tickets_status ON tickets(status, deadline);
    CREATE INDEX tickets_citizen ON tickets(citizen, id);
    CREATE INDEX tickets_assignee ON tickets(assignee, status);
    CREATE TABLE ticket_events (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT,
        note TEXT,
        public INTEGER NOT NULL
    );
    CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);
    CREATE TABLE ratings (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        round INTEGER NOT NULL,
        rating INTEGER NOT NULL,
        comment TEXT,
        at TEXT NOT NULL
    );
    CREATE TABLE drafts (
        user_key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        step TEXT NOT NULL,
        data TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE staff_messages (
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        PRIMARY KEY (chat_id, message_id)
    );
    ALTER TABLE outbox ADD COLUMN ticket_id INTEGER;
    """,
    """
    ALTER TABLE questions ADD COLUMN picked TEXT;
    ALTER TABLE questions ADD COLUMN feedback INTEGER;
    CREATE INDEX questions_created ON questions(created_at);
    CREATE INDEX questions_user ON questions(user_key, id);
    ALTER TABLE tickets ADD COLUMN kb_candidate INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tickets ADD COLUMN anonymised INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX tickets_closed ON tickets(closed_at);
    """,
    """
    DROP INDEX tickets_status;
    CREATE INDEX tickets_status_overdue ON tickets(status, overdue, deadline);
    """,
    """
    CREATE INDEX outbox_chat_pending ON outbox(chat_id, id) WHERE state = 'pending';
    """,
    """
    ALTER TABLE questions ADD COLUMN triage TEXT;
    """,
    # 7: flood control holds an update until it is due (bot/flood.py).
    """
    ALTER TABLE updates ADD COLUMN not_before REAL NOT NULL DEFAULT 0;
    """,
    # 8: disclosure requests (bot/disclosure/, docs/disclosure.md).
    """
    CREATE TABLE disclosure_requests (
        ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id),
        applicant TEXT NOT NULL,
        name TEXT,
        id_number TEXT,
        contact TEXT,
        purpose TEXT,
        delivery_form TEXT NOT NULL,
        delivery_way TEXT NOT NULL,
        clock TEXT NOT NULL,
        notice_reminded INTEGER NOT NULL DEFAULT 0,
        answer TEXT,
        reason TEXT,
        detail TEXT,
        result_row TEXT,
        concluded TEXT
    );
    CREATE TABLE disclosure_reviews (
        id INTEGER PRIMARY KEY,
        year INTEGER NOT NULL,
        kind TEXT NOT NULL,
        result TEXT NOT NULL,
        count INTEGER NOT NULL,
        note TEXT,
        actor TEXT NOT NULL,
        at TEXT NOT NULL
    );
    """,
)


#: How long an untouched form waits for the person: a rating comment only a little while.
DRAFT_TTL: dict[str, dt.timedelta] = {
    "complaint": dt.timedelta(days=3),
    "inquiry": dt.timedelta(days=1),
    "comment": dt.timedelta(minutes=30),
    "disclosure": dt.timedelta(days=3),
}


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
    ticket_id: int | None = None


class Store:
    """The project's database; open with `Store.open(path)`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path):
        self.conn = conn
        self.path = path
        #: (person, total_changes then, draft row) of the last `get_language`.
        self.read_ahead: tuple[str, int, tuple[Any, ...] | None] | None = None

    @classmethod
    async def open(cls, path: Path | str, create: bool = True) -> Store:
        """Open (creating it if needed and `create`) and migrate the database at `path`."""
        path = Path(path)
        if not create and not path.is_file():
            raise FileNotFoundError(f"no database at {path} (set --db or CITIZEN_DESK_DB)")
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a directory, not a database file")
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
    async def opened(cls, path: Path | str, create: bool = True) -> AsyncIterator[Store]:
        """`async with Store.opened(path) as store:` — closed on exit."""
        store = await cls.open(path, create)
        try:
            yield store
        finally:
            await store.close()

    async def migrate(self) -> int:
        """Apply the migrations not applied yet; return the schema version."""
        row = await _fetchone(self.conn, "PRAGMA user_version")
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
        """The language a person chose, if any.

        The person's draft is read in the same query: the dialogue asks for it next, and
        `TicketStore.get_draft` takes it from here if nothing was written in between.
        """
        row = await _fetchone(
            self.conn,
            "SELECT u.lang, d.kind, d.step, d.data, d.updated_at FROM (SELECT ? AS k) q "
            "LEFT JOIN users u ON u.user_key = q.k LEFT JOIN drafts d ON d.user_key = q.k",
            (user,),
        )
        draft = tuple(row[1:]) if row is not None and row[1] is not None else None
        self.read_ahead = (user, self.conn.total_changes, draft)
        return str(row[0]) if row and row[0] else None

    def draft_read_ahead(self, user: str) -> tuple[bool, tuple[Any, ...] | None]:
        """(True, the draft row or None) if `get_language(user)` read it and this connection
        wrote nothing since; (False, None) otherwise."""
        ahead = self.read_ahead
        if ahead is not None and ahead[0] == user and ahead[1] == self.conn.total_changes:
            return True, ahead[2]
        return False, None

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
        triage: str | None = None,
    ) -> int:
        """Record a question, how it was routed and its triage label; return its id."""
        cur = await self.conn.execute(
            "INSERT INTO questions (user_key, text, lang, route, entry_id, score, candidates, "
            "created_at, triage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (user, text, lang, route, entry_id, score, json.dumps(candidates), now_iso(), triage),
        )
        return int(cur.lastrowid or 0)

    async def mark_clarify_picked(self, user: str, entry_id: str) -> None:
        """The person picked `entry_id` from their latest clarify choices (not a gap)."""
        await self.conn.execute(
            "UPDATE questions SET picked = ? WHERE id = (SELECT MAX(id) FROM questions "
            "WHERE user_key = ? AND route = 'clarify') AND picked IS NULL",
            (entry_id, user),
        )

    async def record_feedback(
        self, user: str, entry_id: str, helpful: bool, question_id: int | None = None
    ) -> None:
        """Store whether an answer helped (and mark the question with it)."""
        if question_id is not None:
            found = await _fetchone(
                self.conn,
                "SELECT 1 FROM questions WHERE id = ? AND user_key = ?",
                (question_id, user),
            )
            if found is None:
                question_id = None
        if question_id is not None:
            await self.conn.execute(
                "UPDATE questions SET feedback = ? WHERE id = ?", (int(helpful), question_id)
            )
        await self.conn.execute(
            "INSERT INTO feedback (user_key, question_id, entry_id, helpful, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (user, question_id, entry_id, int(helpful), now_iso()),
        )

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
        """Updates stored but not yet processed, oldest first (held ones once due)."""
        return [
            (int(r[0]), str(r[1]))
            for r in await _fetchall(
                self.conn,
                "SELECT update_id, payload FROM updates WHERE state = 'pending' "
                "AND not_before <= ? ORDER BY update_id LIMIT ?",
                (time.time(), limit),
            )
        ]

    async def hold_updates(self, held: list[tuple[int, float]]) -> None:
        """Leave updates pending until a time (Unix seconds; in the caller's transaction)."""
        await self.conn.executemany(
            "UPDATE updates SET not_before = ? WHERE update_id = ?",
            [(due, update_id) for update_id, due in held],
        )

    async def mark_updates_done(self, update_ids: list[int], state: str = "done") -> None:
        """Mark updates processed (in the caller's transaction).

        Their content is dropped: it held names and messages, and only the id is needed to
        recognise an update if Telegram sends it again.
        """
        at = now_iso()
        await self.conn.executemany(
            "UPDATE updates SET state = ?, done_at = ?, payload = '{}' WHERE update_id = ?",
            [(state, at, update_id) for update_id in update_ids],
        )

    async def last_update_id(self) -> int | None:
        """The highest update id ever stored."""
        row = await _fetchone(self.conn, "SELECT MAX(update_id) FROM updates")
        return int(row[0]) if row and row[0] is not None else None

    # -- outbox ---------------------------------------------------------------------------

    async def enqueue(
        self,
        chat_id: int,
        kind: str,
        payload: dict[str, Any],
        owner: str | None = None,
        ticket_id: int | None = None,
    ) -> int:
        """Queue a message for delivery (in the caller's transaction).

        Kinds `send` and `edit` go to Telegram; `terminal` waits for the terminal chat of
        `owner`.
        """
        cur = await self.conn.execute(
            "INSERT INTO outbox (chat_id, kind, payload, owner, created_at, ticket_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (chat_id, kind, json.dumps(payload, ensure_ascii=False), owner, now_iso(), ticket_id),
        )
        return int(cur.lastrowid or 0)

    async def terminal_messages(
        self, owner: str
    ) -> list[tuple[int, str, list[list[dict[str, str]]]]]:
        """Pending messages for a terminal user: (id, text, button rows)."""
        rows = await _fetchall(
            self.conn,
            "SELECT id, payload FROM outbox WHERE kind = 'terminal' AND state = 'pending' "
            "AND owner = ? ORDER BY id",
            (owner,),
        )
        result = []
        for row in rows:
            payload = json.loads(row[1])
            result.append((int(row[0]), str(payload["text"]), list(payload.get("buttons", []))))
        return result

    async def due_outbox(self, limit: int = 50, skip_chats: Iterable[int] = ()) -> list[OutboxItem]:
        """Messages due for delivery: the oldest pending one of each chat, in order; none
        for the chats in `skip_chats`."""
        skip = list(skip_chats)
        rows = await _fetchall(
            self.conn,
            "SELECT o.id, o.chat_id, o.kind, o.payload, o.owner, o.attempts, o.ticket_id "
            "FROM outbox o WHERE o.state = 'pending' AND o.kind IN ('send', 'edit') "
            "AND o.next_at <= ? AND o.id = ("
            "  SELECT MIN(id) FROM outbox p WHERE p.chat_id = o.chat_id AND p.state = 'pending' "
            "  AND p.kind IN ('send', 'edit')"
            f") AND o.chat_id NOT IN ({', '.join('?' * len(skip))}) ORDER BY o.id LIMIT ?",
            (time.time(), *skip, limit),
        )
        return [
            OutboxItem(int(r[0]), int(r[1]), str(r[2]), json.loads(r[3]), r[4], int(r[5]), r[6])
            for r in rows
        ]

    async def next_outbox_time(self) -> float | None:
        """When the next message `due_outbox` would return is due (epoch seconds), if any:
        the first pending message of a chat waits for its own time, and the chat's later
        messages wait for it."""
        row = await _fetchone(
            self.conn,
            "SELECT MIN(o.next_at) FROM outbox o WHERE o.state = 'pending' "
            "AND o.kind IN ('send', 'edit') AND o.id = ("
            "  SELECT MIN(id) FROM outbox p WHERE p.chat_id = o.chat_id AND p.state = 'pending' "
            "  AND p.kind IN ('send', 'edit'))",
        )
        return float(row[0]) if row and row[0] is not None else None

    async def outbox_sent(self, item_id: int, message_id: int | None) -> None:
        """Mark a message delivered (its content is not kept: it may hold personal data)."""
        await self.conn.execute(
            "UPDATE outbox SET state = 'sent', message_id = ?, sent_at = ?, payload = '{}' "
            "WHERE id = ?",
            (message_id, now_iso(), item_id),
        )

    async def outbox_delivered(self, sent: list[tuple[int, int | None]]) -> None:
        """Mark messages delivered, given as (outbox id, Telegram message id)."""
        if sent:
            at = now_iso()
            await self.conn.executemany(
                "UPDATE outbox SET state = 'sent', message_id = ?, sent_at = ?, payload = '{}' "
                "WHERE id = ?",
                [(message_id, at, item_id) for item_id, message_id in sent],
            )

    async def outbox_move(self, item_id: int, chat_id: int) -> None:
        """A group became a supergroup: send the message to its new chat id."""
        await self.conn.execute("UPDATE outbox SET chat_id = ? WHERE id = ?", (chat_id, item_id))

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
        row = await _fetchone(self.conn, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
        return int(row[0]) if row else 0

    # -- menus (who may press a message's buttons) ----------------------------------------

    async def remember_menus(self, menus: list[tuple[int, int | None, str | None]]) -> None:
        """Record whose messages these menus are: (chat id, message id, owner) each."""
        rows = [m for m in menus if m[1] is not None and m[2]]
        if rows:
            await self.conn.executemany(
                "INSERT OR REPLACE INTO menus (chat_id, message_id, owner) VALUES (?, ?, ?)", rows
            )

    async def menu_owner(self, chat_id: int, message_id: int) -> str | None:
        """Whose menu a message is, if the bot sent it with buttons."""
        row = await _fetchone(
            self.conn,
            "SELECT owner FROM menus WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return str(row[0]) if row else None


async def _fetchone(
    conn: aiosqlite.Connection, sql: str, args: Iterable[Any] = ()
) -> aiosqlite.Row | None:
    """The first row of a query, in one call to the database thread (a cursor takes three)."""
    rows = await conn.execute_fetchall(sql, args)
    return next(iter(rows), None)


async def _fetchall(
    conn: aiosqlite.Connection, sql: str, args: Iterable[Any] = ()
) -> list[aiosqlite.Row]:
    """Every row of a query, in one call to the database thread."""
    return list(await conn.execute_fetchall(sql, args))


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


# -- tickets --------------------------------------------------------------------------------
# (methods added to Store below; kept with the rest of the SQL)

#: The SQL condition for tickets still being handled (model.OPEN).
OPEN_STATUSES = "status IN (" + ", ".join(f"'{s.value}'" for s in sorted(OPEN)) + ")"

TICKET_COLUMNS = (
    "id, number, kind, category, status, citizen, description, created_at, deadline, "
    "department, assignee, anonymous, location, occurred, phone, attachments, lang, overdue, "
    "reminded, extended, answered_at, closed_at, outcome, rating, rework_count, merged_into"
)


def _ticket(row: Any) -> Ticket:
    return Ticket(
        id=int(row[0]),
        number=str(row[1]),
        kind=str(row[2]),
        category=str(row[3]),
        status=Status(row[4]),
        citizen=str(row[5]),
        description=str(row[6]),
        created_at=dt.datetime.fromisoformat(row[7]),
        deadline=dt.date.fromisoformat(row[8]),
        department=row[9],
        assignee=row[10],
        anonymous=bool(row[11]),
        location=row[12],
        occurred=row[13],
        phone=row[14],
        attachments=tuple(Attachment(**a) for a in json.loads(row[15])),
        lang=str(row[16]),
        overdue=bool(row[17]),
        reminded=bool(row[18]),
        extended=bool(row[19]),
        answered_at=dt.datetime.fromisoformat(row[20]) if row[20] else None,
        closed_at=dt.datetime.fromisoformat(row[21]) if row[21] else None,
        outcome=row[22],
        rating=row[23],
        rework_count=int(row[24]),
        merged_into=row[25],
    )


class TicketStore:
    """Ticket SQL; shares the `Store`'s connection and transactions."""

    def __init__(self, store: Store):
        self.store = store
        self.conn = store.conn

    async def next_number(self, year: int) -> str:
        """Allocate the next ticket number of `year` (never reused)."""
        await self.conn.execute(
            "INSERT INTO ticket_seq (year, last) VALUES (?, 1) "
            "ON CONFLICT(year) DO UPDATE SET last = last + 1",
            (year,),
        )
        row = await _fetchone(self.conn, "SELECT last FROM ticket_seq WHERE year = ?", (year,))
        assert row is not None
        return f"TS-{year}-{int(row[0]):06d}"

    async def insert(self, values: dict[str, Any]) -> int:
        """Insert a ticket row; return its id."""
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cur = await self.conn.execute(
            f"INSERT INTO tickets ({names}) VALUES ({marks})", tuple(values.values())
        )
        return int(cur.lastrowid or 0)

    async def update(self, ticket_id: int, **values: Any) -> None:
        """Change columns of a ticket."""
        sets = ", ".join(f"{name} = ?" for name in values)
        await self.conn.execute(
            f"UPDATE tickets SET {sets} WHERE id = ?", (*values.values(), ticket_id)
        )

    async def by_source(self, source_key: str) -> Ticket | None:
        """The ticket filed from a given draft (double confirmation guard)."""
        return await self._one("source_key = ?", (source_key,))

    async def get(self, ticket_id: int) -> Ticket | None:
        """A ticket by id."""
        return await self._one("id = ?", (ticket_id,))

    async def by_number(self, number: str) -> Ticket | None:
        """A ticket by its number."""
        return await self._one("number = ?", (number.upper(),))

    async def _one(self, where: str, args: tuple[Any, ...]) -> Ticket | None:
        row = await _fetchone(
            self.conn, f"SELECT {TICKET_COLUMNS} FROM tickets WHERE {where}", args
        )
        return _ticket(row) if row else None

    async def query(
        self, where: str = "1", args: tuple[Any, ...] = (), limit: int = 50, order: str = "id"
    ) -> list[Ticket]:
        """Tickets matching a condition."""
        return [
            _ticket(r)
            for r in await _fetchall(
                self.conn,
                f"SELECT {TICKET_COLUMNS} FROM tickets WHERE {where} ORDER BY {order} LIMIT ?",
                (*args, limit),
            )
        ]

    async def of_citizen(self, citizen: str, limit: int = 20) -> list[Ticket]:
        """A citizen's own tickets, newest first."""
        return await self.query("citizen = ?", (citizen,), limit, "id DESC")

    async def open_tickets(self, limit: int = 100_000) -> list[Ticket]:
        """Every open ticket, oldest deadline first."""
        return await self.query(
            OPEN_STATUSES,
            (),
            limit,
            "deadline, id",
        )

    async def due_tickets(self, today: str, next_working_day: str) -> list[Ticket]:
        """Open tickets the deadline scan must act on: overdue, or due for a reminder."""
        return await self.query(
            f"{OPEN_STATUSES} AND overdue = 0 "
            "AND (deadline < ? OR (reminded = 0 AND deadline <= ?))",
            (today, next_working_day),
            100_000,
            "deadline, id",
        )

    async def queue_section(
        self, where: str, args: tuple[Any, ...], limit: int = 20
    ) -> tuple[int, list[Ticket]]:
        """How many open tickets match, and the first `limit` by deadline."""
        condition = f"{OPEN_STATUSES} AND ({where})"
        row = await _fetchone(self.conn, f"SELECT COUNT(*) FROM tickets WHERE {condition}", args)
        total = int(row[0]) if row else 0
        return total, await self.query(condition, args, limit, "deadline, id")

    async def answered(self) -> list[Ticket]:
        """Tickets waiting for the citizen's rating."""
        return await self.query("status = 'answered'", (), 100_000)

    async def merged_into(self, ticket_id: int) -> list[Ticket]:
        """Tickets merged into this one."""
        return await self.query("merged_into = ?", (ticket_id,), 1000)

    async def add_event(
        self,
        ticket_id: int,
        at: str,
        actor: str,
        action: str,
        from_status: str | None,
        to_status: str | None,
        note: str | None,
        public: bool,
    ) -> None:
        """Append to the audit log."""
        await self.conn.execute(
            "INSERT INTO ticket_events (ticket_id, at, actor, action, from_status, to_status, "
            "note, public) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (ticket_id, at, actor, action, from_status, to_status, note, int(public)),
        )

    async def events(self, ticket_id: int, public_only: bool = False) -> list[Event]:
        """A ticket's audit log, oldest first."""
        where = "ticket_id = ?" + (" AND public = 1" if public_only else "")
        rows = await _fetchall(
            self.conn,
            "SELECT at, actor, action, from_status, to_status, note, public FROM ticket_events "
            f"WHERE {where} ORDER BY id",
            (ticket_id,),
        )
        return [
            Event(
                dt.datetime.fromisoformat(r[0]),
                str(r[1]),
                Action(r[2]),
                Status(r[3]) if r[3] else None,
                Status(r[4]) if r[4] else None,
                r[5],
                bool(r[6]),
            )
            for r in rows
        ]

    async def add_rating(
        self, ticket_id: int, round_: int, rating: int, comment: str | None, at: str
    ) -> None:
        """Record a rating (round 1, or 2 for the 追评 after rework)."""
        await self.conn.execute(
            "INSERT INTO ratings (ticket_id, round, rating, comment, at) VALUES (?, ?, ?, ?, ?)",
            (ticket_id, round_, rating, comment, at),
        )

    async def set_rating_comment(self, ticket_id: int, comment: str) -> None:
        """Attach a comment to the latest rating of a ticket."""
        await self.conn.execute(
            "UPDATE ratings SET comment = ? WHERE id = (SELECT MAX(id) FROM ratings "
            "WHERE ticket_id = ?)",
            (comment, ticket_id),
        )

    async def ratings(self, ticket_id: int) -> list[tuple[int, int, str | None]]:
        """(round, rating, comment) of a ticket."""
        return [
            (int(r[0]), int(r[1]), r[2])
            for r in await _fetchall(
                self.conn,
                "SELECT round, rating, comment FROM ratings WHERE ticket_id = ? ORDER BY id",
                (ticket_id,),
            )
        ]

    # -- staff ----------------------------------------------------------------------------

    async def add_staff(self, member: StaffMember) -> None:
        """Register or update a staff member."""
        await self.conn.execute(
            "INSERT INTO staff (user_id, role, dept, name, added_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET role = excluded.role, dept = excluded.dept, "
            "name = excluded.name",
            (member.user_id, member.role.value, member.dept, member.name, now_iso()),
        )

    async def remove_staff(self, user_id: int) -> bool:
        """Remove a staff member; return whether there was one."""
        cur = await self.conn.execute("DELETE FROM staff WHERE user_id = ?", (user_id,))
        return bool(cur.rowcount)

    async def staff(self) -> list[StaffMember]:
        """Every staff member."""
        rows = await _fetchall(
            self.conn, "SELECT user_id, role, dept, name FROM staff ORDER BY user_id"
        )
        return [StaffMember(int(r[0]), Role(r[1]), r[2], r[3]) for r in rows]

    async def staff_member(self, user_key: str) -> StaffMember | None:
        """The staff member behind a user key (`tg:<id>`), if any."""
        if not user_key.startswith("tg:") or not user_key[3:].lstrip("-").isdigit():
            return None
        r = await _fetchone(
            self.conn,
            "SELECT user_id, role, dept, name FROM staff WHERE user_id = ?",
            (int(user_key[3:]),),
        )
        return StaffMember(int(r[0]), Role(r[1]), r[2], r[3]) if r else None

    # -- drafts ---------------------------------------------------------------------------

    async def get_draft(self, user: str) -> Draft | None:
        """A person's form in progress; one left alone too long is dropped (see DRAFT_TTL)."""
        known, r = self.store.draft_read_ahead(user)
        if not known:
            row = await _fetchone(
                self.conn,
                "SELECT kind, step, data, updated_at FROM drafts WHERE user_key = ?",
                (user,),
            )
            r = tuple(row) if row is not None else None
        if r is None:
            return None
        age = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(r[3])
        if age > DRAFT_TTL.get(str(r[0]), DRAFT_TTL["complaint"]):
            await self.delete_draft(user)
            return None
        return Draft(user, str(r[0]), str(r[1]), json.loads(r[2]))

    async def save_draft(self, draft: Draft) -> None:
        """Save a form step."""
        await self.conn.execute(
            "INSERT INTO drafts (user_key, kind, step, data, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(user_key) DO UPDATE SET kind = excluded.kind, step = excluded.step, "
            "data = excluded.data, updated_at = excluded.updated_at",
            (
                draft.user,
                draft.kind,
                draft.step,
                json.dumps(draft.data, ensure_ascii=False),
                now_iso(),
            ),
        )

    async def delete_draft(self, user: str) -> None:
        """Drop a person's form."""
        await self.conn.execute("DELETE FROM drafts WHERE user_key = ?", (user,))

    async def undeliverable(self, ticket_id: int) -> int:
        """Messages about a ticket that could not be delivered (the citizen blocked the bot)."""
        row = await _fetchone(
            self.conn,
            "SELECT COUNT(*) FROM outbox o JOIN tickets t ON t.id = o.ticket_id "
            "WHERE o.ticket_id = ? AND o.state = 'undeliverable' AND o.owner = t.citizen",
            (ticket_id,),
        )
        return int(row[0]) if row else 0

    # -- staff chat messages --------------------------------------------------------------

    async def remember_ticket_message(self, chat_id: int, message_id: int, ticket_id: int) -> None:
        """Record which ticket a bot message in a staff chat is about."""
        await self.conn.execute(
            "INSERT OR REPLACE INTO staff_messages (chat_id, message_id, ticket_id) "
            "VALUES (?, ?, ?)",
            (chat_id, message_id, ticket_id),
        )

    async def ticket_of_message(self, chat_id: int, message_id: int) -> int | None:
        """The ticket a bot message is about, if any."""
        r = await _fetchone(
            self.conn,
            "SELECT ticket_id FROM staff_messages WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return int(r[0]) if r else None


class PrivacyStore:
    """Personal data: export, erasure and retention (SQL for bot/privacy.py)."""

    def __init__(self, store: Store):
        self.conn = store.conn

    async def rows(self, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        """Rows of a query as dictionaries."""
        return [dict(r) for r in await _fetchall(self.conn, sql, args)]

    async def export(self, user: str) -> dict[str, list[dict[str, Any]]]:
        """Everything stored about one person."""
        tickets = await self.rows(
            "SELECT number, kind, category, status, description, location, occurred, phone, "
            "attachments, lang, created_at, deadline, answered_at, closed_at, outcome, rating "
            "FROM tickets WHERE citizen = ? ORDER BY id",
            (user,),
        )
        return {
            "profile": await self.rows(
                "SELECT user_key, lang, updated_at FROM users WHERE user_key = ?", (user,)
            ),
            "questions": await self.rows(
                "SELECT text, lang, route, entry_id, created_at FROM questions "
                "WHERE user_key = ? ORDER BY id",
                (user,),
            ),
            "feedback": await self.rows(
                "SELECT entry_id, helpful, created_at FROM feedback WHERE user_key = ? ORDER BY id",
                (user,),
            ),
            "tickets": tickets,
            "ticket_timeline": await self.rows(
                "SELECT t.number, e.at, e.action, e.to_status, e.note FROM ticket_events e "
                "JOIN tickets t ON t.id = e.ticket_id WHERE t.citizen = ? AND e.public = 1 "
                "ORDER BY e.id",
                (user,),
            ),
            "ratings": await self.rows(
                "SELECT t.number, r.round, r.rating, r.comment, r.at FROM ratings r "
                "JOIN tickets t ON t.id = r.ticket_id WHERE t.citizen = ? ORDER BY r.id",
                (user,),
            ),
        }

    async def anonymise_tickets(self, where: str, args: tuple[Any, ...], placeholder: str) -> int:
        """Blank the personal fields of matching tickets; the figures stay true."""
        selected = f"SELECT id FROM tickets WHERE anonymised = 0 AND ({where})"
        # The citizen's own words in the timeline (rating comments, notes) go first,
        # while the ticket still names them.
        await self.conn.execute(
            "UPDATE ticket_events SET actor = 'citizen', note = CASE WHEN action IN "
            "('note', 'file') THEN NULL ELSE note END WHERE ticket_id IN "
            f"({selected}) AND actor = (SELECT citizen FROM tickets t WHERE t.id = ticket_id)",
            args,
        )
        await self.conn.execute(
            f"UPDATE ratings SET comment = NULL WHERE ticket_id IN ({selected})", args
        )
        cur = await self.conn.execute(
            "UPDATE tickets SET citizen = 'anonymised:' || id, phone = NULL, location = NULL, "
            "occurred = NULL, attachments = '[]', description = ?, anonymised = 1 "
            f"WHERE id IN ({selected})",
            (placeholder, *args),
        )
        return cur.rowcount

    async def forget(self, user: str, placeholder: str) -> dict[str, int]:
        """Erase a person's data: profile, questions' text, feedback link, drafts, tickets."""
        counts = {"tickets": await self.anonymise_tickets("citizen = ?", (user,), placeholder)}
        cur = await self.conn.execute(
            "UPDATE questions SET user_key = NULL, text = ? WHERE user_key = ?", (placeholder, user)
        )
        counts["questions"] = cur.rowcount
        cur = await self.conn.execute(
            "UPDATE feedback SET user_key = NULL WHERE user_key = ?", (user,)
        )
        counts["feedback"] = cur.rowcount
        for table in ("users", "drafts"):
            await self.conn.execute(f"DELETE FROM {table} WHERE user_key = ?", (user,))
        await self.conn.execute("DELETE FROM menus WHERE owner = ?", (user,))
        await self.conn.execute(
            "UPDATE outbox SET payload = '{}', owner = NULL WHERE owner = ? AND state != 'pending'",
            (user,),
        )
        return counts

    async def expire(self, closed_before: str, placeholder: str) -> int:
        """Anonymise tickets closed before the cutoff (retention)."""
        return await self.anonymise_tickets(
            "closed_at IS NOT NULL AND closed_at < ?", (closed_before,), placeholder
        )


# -- knowledge gaps -------------------------------------------------------------------------


class GapStore:
    """Knowledge-gap SQL (`bot.gaps`); it never selects a user key or a citizen."""

    def __init__(self, store: Store):
        self.conn = store.conn

    async def unanswered(self, since: str | None = None) -> list[dict[str, Any]]:
        """Questions with no match, an unpicked clarify or a 👎, from `since` on; oldest first.

        A triaged question (an emergency, another channel's matter, or one shown the
        emergency numbers in doubt) is never a gap: it must not become an alternate question.
        Columns: text, lang, route, candidates (JSON), created_at, feedback.
        """
        return [
            dict(row)
            for row in await _fetchall(
                self.conn,
                "SELECT text, lang, route, candidates, created_at, feedback FROM questions "
                "WHERE (route = 'none' OR (route = 'clarify' AND picked IS NULL) OR feedback = 0) "
                "AND triage IS NULL AND (? IS NULL OR created_at >= ?) ORDER BY created_at, id",
                (since, since),
            )
        ]

    async def kb_candidate_inquiries(self) -> list[dict[str, Any]]:
        """Answered inquiries staff marked "add to the knowledge base"; oldest first.

        Columns: number, description, outcome, lang.
        """
        return [
            dict(row)
            for row in await _fetchall(
                self.conn,
                "SELECT number, description, outcome, lang FROM tickets "
                "WHERE kind = 'inquiry' AND kb_candidate = 1 AND status IN ('answered', 'closed') "
                "AND outcome IS NOT NULL AND TRIM(outcome) <> '' ORDER BY id",
            )
        ]


# -- the 政务公开 report --------------------------------------------------------------------


def _china(column: str) -> str:
    """SQL for `column` (ISO text, UTC) as China time (UTC+8), 'YYYY-MM-DD HH:MM:SS'."""
    return f"datetime({column}, '+8 hours')"


def _in_period(column: str) -> str:
    """SQL condition: `column` falls in the period `?1` ('YYYY' or 'YYYY-MM', China time)."""
    return f"substr({_china(column)}, 1, length(?1)) = ?1"


def _month_of(column: str) -> str:
    """SQL for the China-time month (1–12) of `column`."""
    return f"CAST(substr({_china(column)}, 6, 2) AS INTEGER)"


#: A ticket's finishing time for the on-time rate: its (latest) answer, else its closing.
_FINISHED = "COALESCE(t.answered_at, t.closed_at)"
#: The first answer or rejection of a ticket (for handling times), from the audit log.
_FIRST_DONE = (
    "(SELECT e.at FROM ticket_events e WHERE e.ticket_id = t.id "
    "AND e.action IN ('resolve', 'reject') ORDER BY julianday(e.at), e.id LIMIT 1)"
)
#: The rating that counts for a ticket: the 追评 (round 2) if given, else round 1.
_LATEST_RATING = (
    "r.id = (SELECT r2.id FROM ratings r2 WHERE r2.ticket_id = r.ticket_id "
    "ORDER BY r2.round DESC, r2.id DESC LIMIT 1)"
)
_BAD_FIRST = (
    "EXISTS (SELECT 1 FROM ratings b WHERE b.ticket_id = t.id AND b.round = 1 AND b.rating <= 2)"
)
_TICKET_GROUPS = frozenset({"status", "category", "department"})


class ReportStore:
    """SQL of the 政务公开 figures (bot/report.py); shares the `Store`'s connection.

    `period` is 'YYYY' or 'YYYY-MM' and is matched against China time (UTC+8).
    """

    def __init__(self, store: Store):
        self.conn = store.conn

    async def _rows(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await _fetchall(self.conn, sql, args)]

    async def _counts(self, sql: str, args: tuple[Any, ...]) -> dict[Any, int]:
        return {key: int(n) for key, n in await self._rows(sql, args)}

    # -- questions ------------------------------------------------------------------------

    async def route_counts(self, period: str) -> dict[str, int]:
        """Questions asked in the period, per route."""
        return await self._counts(
            f"SELECT route, COUNT(*) FROM questions WHERE {_in_period('created_at')} "
            "GROUP BY route",
            (period,),
        )

    async def served_entries(self, period: str) -> dict[str, int]:
        """Answers given per entry: route `answer`, or a `clarify` whose choice was picked."""
        return await self._counts(
            "SELECT CASE route WHEN 'clarify' THEN picked ELSE entry_id END AS entry, COUNT(*) "
            f"FROM questions WHERE {_in_period('created_at')} AND ("
            "(route = 'answer' AND entry_id IS NOT NULL) "
            "OR (route = 'clarify' AND picked IS NOT NULL)) GROUP BY entry",
            (period,),
        )

    async def unanswered_texts(self, period: str, erased: str) -> dict[str, int]:
        """Texts of questions left without an answer (`none`, or `clarify` not picked)."""
        return await self._counts(
            f"SELECT text, COUNT(*) FROM questions WHERE {_in_period('created_at')} "
            "AND (route = 'none' OR (route = 'clarify' AND picked IS NULL)) AND text != ?2 "
            "GROUP BY text",
            (period, erased),
        )

    async def questions_by_month(self, year: int) -> dict[int, int]:
        """Questions per China-time month of `year`."""
        return await self._counts(
            f"SELECT {_month_of('created_at')} AS m, COUNT(*) FROM questions "
            f"WHERE {_in_period('created_at')} GROUP BY m",
            (f"{year:04d}",),
        )

    # -- tickets --------------------------------------------------------------------------

    async def ticket_counts(self, period: str, column: str) -> dict[str, int]:
        """Tickets created in the period per `status`, `category` or `department`."""
        if column not in _TICKET_GROUPS:
            raise ValueError(f"cannot group tickets by {column!r}")
        return await self._counts(
            f"SELECT COALESCE({column}, ''), COUNT(*) FROM tickets t "
            f"WHERE {_in_period('t.created_at')} GROUP BY 1",
            (period,),
        )

    async def overdue_count(self, period: str) -> int:
        """Tickets created in the period whose overdue (督办) flag is set."""
        rows = await self._rows(
            f"SELECT COUNT(*) FROM tickets t WHERE {_in_period('t.created_at')} AND t.overdue = 1",
            (period,),
        )
        return int(rows[0][0])

    async def tickets_with_action(self, period: str, action: str) -> int:
        """Tickets created in the period with at least one `action` event (extend, reopen…)."""
        rows = await self._rows(
            f"SELECT COUNT(*) FROM tickets t WHERE {_in_period('t.created_at')} AND EXISTS ("
            "SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.action = ?2)",
            (period, action),
        )
        return int(rows[0][0])

    async def tickets_by_month(self, year: int) -> dict[int, int]:
        """Tickets created per China-time month of `year`."""
        return await self._counts(
            f"SELECT {_month_of('t.created_at')} AS m, COUNT(*) FROM tickets t "
            f"WHERE {_in_period('t.created_at')} GROUP BY m",
            (f"{year:04d}",),
        )

    async def finished_tickets(self, period: str) -> list[tuple[str, str, bool]]:
        """Tickets finished in the period: (created_at, first answer/rejection, on time).

        Finished is the latest answer, else the closing (a rejection); merged tickets and
        tickets back in rework have neither. On time: finished on or before the deadline
        (China date).
        """
        rows = await self._rows(
            f"SELECT t.created_at, COALESCE({_FIRST_DONE}, {_FINISHED}), "
            f"date({_FINISHED}, '+8 hours') <= t.deadline FROM tickets t "
            f"WHERE {_FINISHED} IS NOT NULL AND {_in_period(_FINISHED)} ORDER BY t.id",
            (period,),
        )
        return [(str(a), str(b), bool(c)) for a, b, c in rows]

    async def on_time_by_month(self, year: int) -> dict[int, tuple[int, int]]:
        """Per China-time month of finishing: (tickets finished, finished on time)."""
        rows = await self._rows(
            f"SELECT {_month_of(_FINISHED)} AS m, COUNT(*), "
            f"SUM(date({_FINISHED}, '+8 hours') <= t.deadline) FROM tickets t "
            f"WHERE {_FINISHED} IS NOT NULL AND {_in_period(_FINISHED)} GROUP BY m",
            (f"{year:04d}",),
        )
        return {int(m): (int(n), int(ok)) for m, n, ok in rows}

    # -- satisfaction ---------------------------------------------------------------------

    async def latest_ratings(self, period: str) -> dict[int, int]:
        """Tickets created in the period per counting rating (the 追评 if any, else round 1)."""
        return await self._counts(
            "SELECT r.rating, COUNT(*) FROM ratings r JOIN tickets t ON t.id = r.ticket_id "
            f"WHERE {_in_period('t.created_at')} AND {_LATEST_RATING} GROUP BY r.rating",
            (period,),
        )

    async def satisfaction_by_month(self, year: int) -> dict[int, tuple[int, int]]:
        """Per China-time month of filing: (tickets rated, rated 3 or better)."""
        rows = await self._rows(
            f"SELECT {_month_of('t.created_at')} AS m, COUNT(*), SUM(r.rating >= 3) "
            "FROM ratings r JOIN tickets t ON t.id = r.ticket_id "
            f"WHERE {_in_period('t.created_at')} AND {_LATEST_RATING} GROUP BY m",
            (f"{year:04d}",),
        )
        return {int(m): (int(n), int(ok)) for m, n, ok in rows}

    async def bad_first_ratings(self, period: str) -> tuple[int, int]:
        """Tickets created in the period rated ≤ 2 in round 1 (差评): (count, reworked)."""
        rows = await self._rows(
            "SELECT COUNT(*), COALESCE(SUM(t.rework_count > 0), 0) FROM tickets t "
            f"WHERE {_in_period('t.created_at')} AND {_BAD_FIRST}",
            (period,),
        )
        return int(rows[0][0]), int(rows[0][1])

    async def followup_ratings(self, period: str) -> dict[int, int]:
        """The 追评 (latest round-2 rating) of the period's 差评 tickets, per rating."""
        return await self._counts(
            "SELECT r.rating, COUNT(*) FROM ratings r JOIN tickets t ON t.id = r.ticket_id "
            f"WHERE {_in_period('t.created_at')} AND {_BAD_FIRST} AND r.round = 2 AND r.id = "
            "(SELECT MAX(r2.id) FROM ratings r2 WHERE r2.ticket_id = r.ticket_id "
            "AND r2.round = 2) GROUP BY r.rating",
            (period,),
        )
