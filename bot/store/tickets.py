"""Tickets, their audit log, ratings, drafts and staff-chat messages."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from bot.store.backend import fetchall, fetchone
from bot.store.clock import now_iso
from bot.store.staff import StaffMixin
from bot.tickets.model import OPEN, Action, Attachment, Draft, Event, Status, Ticket

if TYPE_CHECKING:
    from bot.store import Store

#: How long an untouched form waits for the person: a rating comment only a little while.
DRAFT_TTL: dict[str, dt.timedelta] = {
    "complaint": dt.timedelta(days=3),
    "inquiry": dt.timedelta(days=1),
    "comment": dt.timedelta(minutes=30),
    "disclosure": dt.timedelta(days=3),
    # A staff member's text after a disclosure button (bot/disclosure/staff.py): short, so
    # a message written long after is not taken for it.
    "dstaff": dt.timedelta(hours=1),
}

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


class TicketStore(StaffMixin):
    """Ticket SQL; shares the `Store`'s connection and transactions."""

    def __init__(self, store: Store):
        self.store = store
        self.conn = store.conn

    async def next_number(self, year: int) -> str:
        """Allocate the next ticket number of `year` (never reused)."""
        # One statement: two processes on one PostgreSQL never draw the same number.
        row = await fetchone(
            self.conn,
            "INSERT INTO ticket_seq (year, last) VALUES (?, 1) "
            "ON CONFLICT(year) DO UPDATE SET last = ticket_seq.last + 1 RETURNING last",
            (year,),
        )
        assert row is not None
        return f"TS-{year}-{int(row[0]):06d}"

    async def insert(self, values: dict[str, Any]) -> int:
        """Insert a ticket row; return its id."""
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        row = await fetchone(
            self.conn,
            f"INSERT INTO tickets ({names}) VALUES ({marks}) RETURNING id",
            tuple(values.values()),
        )
        assert row is not None
        return int(row[0])

    async def update(self, ticket_id: int, **values: Any) -> None:
        """Change columns of a ticket."""
        sets = ", ".join(f"{name} = ?" for name in values)
        await self.conn.execute(
            f"UPDATE tickets SET {sets} WHERE id = ?", (*values.values(), ticket_id)
        )

    async def flag_once(self, ticket_id: int, flag: str) -> bool:
        """Set a deadline flag (`reminded`, `overdue`) that is not set yet; False when it
        was already, so a reminder or 督办 goes out once even if two scans run."""
        assert flag in ("reminded", "overdue")
        cursor = await self.conn.execute(
            f"UPDATE tickets SET {flag} = 1 WHERE id = ? AND {flag} = 0", (ticket_id,)
        )
        return bool(cursor.rowcount == 1)

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
        row = await fetchone(self.conn, f"SELECT {TICKET_COLUMNS} FROM tickets WHERE {where}", args)
        return _ticket(row) if row else None

    async def query(
        self, where: str = "TRUE", args: tuple[Any, ...] = (), limit: int = 50, order: str = "id"
    ) -> list[Ticket]:
        """Tickets matching a condition."""
        return [
            _ticket(r)
            for r in await fetchall(
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
        row = await fetchone(self.conn, f"SELECT COUNT(*) FROM tickets WHERE {condition}", args)
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
        rows = await fetchall(
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
            for r in await fetchall(
                self.conn,
                "SELECT round, rating, comment FROM ratings WHERE ticket_id = ? ORDER BY id",
                (ticket_id,),
            )
        ]

    # -- drafts ---------------------------------------------------------------------------

    async def get_draft(self, user: str) -> Draft | None:
        """A person's form in progress; one left alone too long is dropped (see DRAFT_TTL)."""
        known, r = self.store.draft_read_ahead(user)
        if not known:
            row = await fetchone(
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
        row = await fetchone(
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
            "INSERT INTO staff_messages (chat_id, message_id, ticket_id) VALUES (?, ?, ?) "
            "ON CONFLICT (chat_id, message_id) DO UPDATE SET ticket_id = excluded.ticket_id",
            (chat_id, message_id, ticket_id),
        )

    async def ticket_of_message(self, chat_id: int, message_id: int) -> int | None:
        """The ticket a bot message is about, if any."""
        r = await fetchone(
            self.conn,
            "SELECT ticket_id FROM staff_messages WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return int(r[0]) if r else None
