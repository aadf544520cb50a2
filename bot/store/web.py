"""The web console's SQL (bot/web/): accounts, server-side sessions, failed logins, queues."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.store.backend import Connection, fetchall, fetchone
from bot.store.clock import now_iso
from bot.store.search import COUNT_CAP, EVERYTHING, Search, text_search
from bot.store.tickets import OPEN_STATUSES, TICKET_COLUMNS, _ticket
from bot.tickets.model import Role, StaffMember, Status, Ticket
from bot.workdays import WorkCalendar

QUEUES = ("mine", "unassigned", "due", "overdue", "rating", "reopened", "all")
PAGE = 50


@dataclass(frozen=True)
class Account:
    """A console login."""

    login: str
    role: Role
    dept: str | None = None
    name: str | None = None
    telegram_id: int | None = None
    disabled: bool = False

    @property
    def member(self) -> StaffMember:
        """The actor the desk sees: the linked Telegram staff id, or `web:<login>`."""
        return StaffMember(self.telegram_id or 0, self.role, self.dept, self.name, self.login)


@dataclass(frozen=True)
class Session:
    """A logged-in browser."""

    account: Account
    csrf: str
    lang: str
    expires_at: float


def _account(row: Any) -> Account:
    return Account(row[0], Role(row[1]), row[2], row[3], row[4], bool(row[5]))


_ACCOUNT_COLUMNS = "login, role, dept, name, telegram_id, disabled"
_A_COLUMNS = ", ".join("a." + c for c in _ACCOUNT_COLUMNS.split(", "))


class WebAccountSQL:
    """Rows of `web_accounts`, `web_sessions` and `web_login_failures` (hashes come in made)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    async def insert(self, account: Account, password_hash: str) -> None:
        """A new account."""
        await self.conn.execute(
            f"INSERT INTO web_accounts ({_ACCOUNT_COLUMNS}, password_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account.login,
                account.role.value,
                account.dept,
                account.name,
                account.telegram_id,
                int(account.disabled),
                password_hash,
                now_iso(),
            ),
        )

    async def update(self, account: Account) -> None:
        """An account's role, department, name, link and state."""
        await self.conn.execute(
            "UPDATE web_accounts SET role = ?, dept = ?, name = ?, telegram_id = ?, disabled = ?"
            " WHERE login = ?",
            (
                account.role.value,
                account.dept,
                account.name,
                account.telegram_id,
                int(account.disabled),
                account.login,
            ),
        )

    async def set_hash(self, login: str, password_hash: str) -> bool:
        """A new password hash; False if there is no such account."""
        cursor = await self.conn.execute(
            "UPDATE web_accounts SET password_hash = ? WHERE login = ?", (password_hash, login)
        )
        return cursor.rowcount > 0

    async def get(self, login: str) -> Account | None:
        """One account."""
        row = await fetchone(
            self.conn, f"SELECT {_ACCOUNT_COLUMNS} FROM web_accounts WHERE login = ?", (login,)
        )
        return _account(row) if row else None

    async def with_hash(self, login: str) -> tuple[Account, str] | None:
        """One account and its stored password hash."""
        row = await fetchone(
            self.conn,
            f"SELECT {_ACCOUNT_COLUMNS}, password_hash FROM web_accounts WHERE login = ?",
            (login,),
        )
        return (_account(row), str(row[6])) if row else None

    async def all(self) -> list[Account]:
        """Every account, by login."""
        rows = await fetchall(
            self.conn, f"SELECT {_ACCOUNT_COLUMNS} FROM web_accounts ORDER BY login"
        )
        return [_account(r) for r in rows]

    # -- sessions -------------------------------------------------------------------------

    async def insert_session(
        self, token_hash: str, login: str, csrf: str, lang: str, now: float, expires: float
    ) -> None:
        """A new session, stored by the hash of its cookie."""
        await self.conn.execute(
            "INSERT INTO web_sessions (token_hash, login, csrf, lang, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (token_hash, login, csrf, lang, now, expires),
        )

    async def session_row(self, token_hash: str) -> tuple[Account, str, str, float] | None:
        """(account, csrf, lang, expires_at) of a stored session."""
        row = await fetchone(
            self.conn,
            f"SELECT s.csrf, s.lang, s.expires_at, {_A_COLUMNS} FROM web_sessions s"
            " JOIN web_accounts a ON a.login = s.login WHERE token_hash = ?",
            (token_hash,),
        )
        if row is None:
            return None
        return _account(row[3:]), str(row[0]), str(row[1]), float(row[2])

    async def set_session_expiry(self, token_hash: str, expires: float) -> None:
        """Slide a session's expiry."""
        await self.conn.execute(
            "UPDATE web_sessions SET expires_at = ? WHERE token_hash = ?", (expires, token_hash)
        )

    async def delete_session(self, token_hash: str) -> None:
        """Log out."""
        await self.conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,))

    async def delete_sessions(self, login: str) -> None:
        """Every session of an account ends."""
        await self.conn.execute("DELETE FROM web_sessions WHERE login = ?", (login,))

    async def set_session_lang(self, token_hash: str, lang: str) -> None:
        """The console's language for this browser."""
        await self.conn.execute(
            "UPDATE web_sessions SET lang = ? WHERE token_hash = ?", (lang, token_hash)
        )

    # -- failed logins --------------------------------------------------------------------

    async def record_failure(self, scope: str, subject: str, now: float) -> None:
        """One failed login for an account (`login`) or an address (`address`)."""
        await self.conn.execute(
            "INSERT INTO web_login_failures (scope, subject, at) VALUES (?, ?, ?)",
            (scope, subject, now),
        )

    async def failures(self, scope: str, subject: str, since: float) -> int:
        """Failed logins since `since`."""
        row = await fetchone(
            self.conn,
            "SELECT COUNT(*) FROM web_login_failures WHERE scope = ? AND subject = ? AND at >= ?",
            (scope, subject, since),
        )
        return int(row[0]) if row else 0

    async def clear_failures(self, scope: str, subject: str, before: float) -> None:
        """Forget failures (after a good login, and old ones)."""
        await self.conn.execute(
            "DELETE FROM web_login_failures WHERE scope = ? AND subject = ? AND at < ?",
            (scope, subject, before),
        )


# -- queues (12345: 派单、办理、督办、回访) ------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a staff member narrowed the list to (all optional)."""

    status: str = ""
    category: str = ""
    department: str = ""
    assignee: str = ""
    kind: str = ""
    since: str = ""
    until: str = ""
    q: str = ""
    #: An exact ticket number (a search that is one is looked up by the unique index).
    number: str = ""

    @classmethod
    def from_query(cls, params: Any) -> Filters:
        """From the query string; unknown keys ignored, values trimmed and bounded."""
        values = {
            name: str(params.get(name, "")).strip()[:100] for name in cls.__dataclass_fields__
        }
        for day in ("since", "until"):
            try:
                dt.date.fromisoformat(values[day])
            except ValueError:
                values[day] = ""
        return cls(**values)


def _queue_where(
    queue: str, me: str, today: dt.date, calendar: WorkCalendar
) -> tuple[str, tuple[Any, ...]]:
    if queue == "mine":
        return f"assignee = ? AND {OPEN_STATUSES}", (me,)
    if queue == "unassigned":
        return f"assignee IS NULL AND {OPEN_STATUSES}", ()
    if queue == "due":
        upto = calendar.next_working_day(today).isoformat()
        return f"{OPEN_STATUSES} AND deadline >= ? AND deadline <= ?", (today.isoformat(), upto)
    if queue == "overdue":
        return f"{OPEN_STATUSES} AND deadline < ?", (today.isoformat(),)
    if queue == "rating":
        return "status = ?", (Status.ANSWERED.value,)
    if queue == "reopened":
        return "status = ?", (Status.REOPENED.value,)
    return "TRUE", ()


def _filter_where(filters: Filters) -> tuple[str, tuple[Any, ...]]:
    parts: list[str] = []
    args: list[Any] = []
    for column in ("status", "category", "department", "kind"):
        value = getattr(filters, column)
        if value:
            parts.append(f"{column} = ?")
            args.append(value)
    if filters.assignee == "-":
        parts.append("assignee IS NULL")
    elif filters.assignee:
        parts.append("assignee = ?")
        args.append(filters.assignee)
    if filters.since:
        parts.append("created_at >= ?")
        args.append(filters.since)
    if filters.until:
        parts.append("created_at < ?")
        args.append((dt.date.fromisoformat(filters.until) + dt.timedelta(days=1)).isoformat())
    if filters.number:
        parts.append("number = ?")
        args.append(filters.number)
    return " AND ".join(parts) or "TRUE", tuple(args)


@dataclass(frozen=True)
class Matching:
    """A queue under filters as SQL: a condition on `tickets`, its arguments, the text search."""

    where: str
    args: tuple[Any, ...]
    text: Search


class QueueStore:
    """Reads the queues; the page shows `PAGE` rows, most urgent deadline first."""

    def __init__(self, conn: Connection, calendar: WorkCalendar):
        self.conn = conn
        self.calendar = calendar

    async def _count(self, where: str, args: tuple[Any, ...]) -> int:
        row = await fetchone(self.conn, f"SELECT COUNT(*) FROM tickets WHERE {where}", args)
        return int(row[0]) if row else 0

    async def counts(self, me: str, today: dt.date) -> dict[str, int]:
        """How many tickets each queue holds (without filters)."""
        counts: dict[str, int] = {}
        for queue in QUEUES:
            counts[queue] = await self._count(*_queue_where(queue, me, today, self.calendar))
        return counts

    async def matching(self, queue: str, me: str, today: dt.date, filters: Filters) -> Matching:
        """The tickets of a queue under `filters`, as SQL (the page and the export share it)."""
        q_where, q_args = _queue_where(queue, me, today, self.calendar)
        f_where, f_args = _filter_where(filters)
        where, args = f"{q_where} AND {f_where}", (*q_args, *f_args)
        if where == "TRUE AND TRUE":
            where = "TRUE"
        text = EVERYTHING
        if filters.q and not filters.number:
            text = await text_search(self.conn, filters.q)
        return Matching(where, args, text)

    def count_cap(self, filters: Filters) -> int | None:
        """How far `rows` counts the matches of `filters` (None: all; PostgreSQL counts a
        text search's to one past the cap, bot/store/search.py)."""
        if filters.q and not filters.number and not isinstance(self.conn, aiosqlite.Connection):
            return COUNT_CAP
        return None

    async def rows(
        self, queue: str, me: str, today: dt.date, filters: Filters, limit: int = PAGE
    ) -> tuple[int, list[Ticket]]:
        """(matching count, the first `limit` tickets) of a queue under `filters`; the
        count is at most one past `count_cap(filters)`."""
        match = await self.matching(queue, me, today, filters)
        where, args, text = match.where, match.args, match.text
        count_sql, count_args = text.count_sql(where)
        row = await fetchone(self.conn, count_sql, (*count_args, *args))
        total = int(row[0]) if row else 0
        order = "id DESC" if queue in ("all", "rating") else "deadline, id"
        # The page's ids first, then their rows: a sort over many matches (a month, a
        # common word) then orders ids read from an index, not whole rows.
        ids_sql, ids_args = text.ids_sql(where, order)
        rows = await fetchall(
            self.conn,
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id IN ({ids_sql}) ORDER BY {order}",
            (*ids_args, *args, limit),
        )
        return total, [_ticket(r) for r in rows]

    async def version(self, ticket_id: int) -> int:
        """The ticket's last audit line: every change writes one, so it versions the ticket."""
        row = await fetchone(
            self.conn,
            "SELECT COALESCE(MAX(id), 0) FROM ticket_events WHERE ticket_id = ?",
            (ticket_id,),
        )
        return int(row[0]) if row else 0

    async def last_event(self, ticket_id: int, actor: str, action: str) -> int:
        """The newest audit line of `actor` doing `action` on the ticket (0: none)."""
        row = await fetchone(
            self.conn,
            "SELECT COALESCE(MAX(id), 0) FROM ticket_events"
            " WHERE ticket_id = ? AND actor = ? AND action = ?",
            (ticket_id, actor, action),
        )
        return int(row[0]) if row else 0

    async def event_by(
        self, ticket_id: int, event_id: int, action: str
    ) -> tuple[str, dt.datetime] | None:
        """(actor, when) of audit line `event_id` if it is the ticket's and that action."""
        row = await fetchone(
            self.conn,
            "SELECT actor, at FROM ticket_events WHERE id = ? AND ticket_id = ? AND action = ?",
            (event_id, ticket_id, action),
        )
        return (str(row[0]), dt.datetime.fromisoformat(str(row[1]))) if row else None

    async def latest_change(self) -> int:
        """The newest audit line of any ticket: the live queue reloads when it moves."""
        row = await fetchone(self.conn, "SELECT COALESCE(MAX(id), 0) FROM ticket_events")
        return int(row[0]) if row else 0
