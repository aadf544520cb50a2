"""The schema, as numbered append-only migrations, and applying them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from bot.store import search
from bot.store.backend import Connection, apply_migration, schema_version


@dataclass(frozen=True)
class PerEngine:
    """A migration that differs by engine: each side gives its statements whole (a trigger
    or a DO block holds semicolons), made when it is applied (it may depend on what the
    engine offers, such as a tokenizer)."""

    sqlite: Callable[[], list[str]]
    postgresql: Callable[[], list[str]]

    def statements(self, conn: Connection) -> list[str]:
        """The statements for the engine of `conn`."""
        return self.sqlite() if isinstance(conn, aiosqlite.Connection) else self.postgresql()


#: Append-only: each migration runs once, in its own transaction, in order.
MIGRATIONS: tuple[str | PerEngine, ...] = (
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
    # 9: the web console (bot/web/): accounts, server-side sessions, failed logins, and
    # the indexes its queues need.
    """
    CREATE TABLE web_accounts (
        login TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        dept TEXT,
        name TEXT,
        telegram_id INTEGER,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE TABLE web_sessions (
        token_hash TEXT PRIMARY KEY,
        login TEXT NOT NULL REFERENCES web_accounts(login) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        lang TEXT NOT NULL DEFAULT 'zh',
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE INDEX web_sessions_login ON web_sessions(login);
    CREATE TABLE web_login_failures (
        scope TEXT NOT NULL,
        subject TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX web_login_failures_subject ON web_login_failures(scope, subject, at);
    CREATE INDEX tickets_open_deadline ON tickets(deadline) WHERE status IN
        ('received', 'assigned', 'in_progress', 'reopened', 'correction', 'corrected');
    CREATE INDEX tickets_created ON tickets(created_at);
    CREATE INDEX tickets_dept_status ON tickets(department, status);
    CREATE INDEX tickets_category_status ON tickets(category, status);
    """,
    # 10: the web chat (bot/webchat/): messages from visitors, stored before the POST
    # returns, unique per visitor and client-made id (a retried POST is stored once).
    """
    CREATE TABLE webchat_inbox (
        id INTEGER PRIMARY KEY,
        visitor TEXT NOT NULL,
        client_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        received_at TEXT NOT NULL,
        done_at TEXT,
        UNIQUE (visitor, client_id)
    );
    CREATE INDEX webchat_inbox_pending ON webchat_inbox(state, id);
    CREATE INDEX outbox_owner_kind ON outbox(owner, kind, id);
    """,
    # 11: the console's filtered lists at 100,000 tickets (benchmarks/console_queue.py):
    # newest first within a status, a kind, or a category and department, read in index
    # order instead of sorting every match.
    """
    CREATE INDEX tickets_status_id ON tickets(status, id);
    CREATE INDEX tickets_kind_id ON tickets(kind, id);
    CREATE INDEX tickets_category_dept_id ON tickets(category, department, id);
    """,
    # 12: the chat of a stored update, so that replicas take one update per chat at a time.
    """
    ALTER TABLE updates ADD COLUMN chat_id INTEGER;
    CREATE INDEX updates_pending_chat ON updates(chat_id, update_id) WHERE state = 'pending';
    """,
    # 13: the console's text search over number, description and location at 100,000
    # tickets (bot/store/search.py): FTS5 trigram kept by triggers on SQLite, pg_trgm GIN
    # indexes on PostgreSQL; existing tickets are indexed here.
    PerEngine(search.sqlite_statements, lambda: list(search.POSTGRES_STATEMENTS)),
    # 14: files a web chat visitor sent (bot/webchat/upload.py, bot/store/webchat_files.py):
    # the random name on disk, the sniffed type and the client's name, one row per visitor
    # and client-made upload id (a retried upload is stored once).
    """
    CREATE TABLE webchat_files (
        id INTEGER PRIMARY KEY,
        visitor TEXT NOT NULL,
        client_id TEXT NOT NULL,
        stored_name TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        name TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (visitor, client_id)
    );
    """,
    # 15: the audit log of acts that change no ticket (bot/store/audit.py): console
    # exports, knowledge reloads, staff accounts.
    """
    CREATE TABLE console_audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX console_audit_action ON console_audit(action, id);
    """,
    # 16: PostgreSQL's text search for queries of any length (bot/store/search.py): a GIN
    # index of each ticket's characters and character pairs, replacing migration 13's
    # trigram indexes (which need three characters). SQLite: nothing (FTS5 serves it).
    PerEngine(lambda: [], lambda: list(search.GRAM_STATEMENTS)),
    # 17: flood control holds a web chat message until it is due (bot/webchat/processor.py),
    # as migration 7 does for Telegram's updates. The pending query keeps to the index of
    # migration 10 (state, id): held rows are few, bounded by flood control's windows.
    """
    ALTER TABLE webchat_inbox ADD COLUMN not_before REAL NOT NULL DEFAULT 0;
    """,
)


async def migrate(conn: Connection) -> int:
    """Apply the migrations not applied yet; return the schema version."""
    version = await schema_version(conn)
    for number, script in enumerate(MIGRATIONS, start=1):
        if number > version:
            if isinstance(script, PerEngine):
                await apply_migration(conn, number, script.statements(conn))
            else:
                await apply_migration(conn, number, script)
            version = number
    return version
