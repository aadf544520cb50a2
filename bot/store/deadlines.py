"""Deadline actions taken once: each is one conditional UPDATE whose row count says whether
this scan (of any replica, or the desk CLI's) is the one that acts and sends the notice.

On PostgreSQL a second UPDATE of the row waits for the first transaction and then re-reads
the condition (READ COMMITTED), so it matches nothing; on SQLite writers are serialised.
The reminder and 督办 flags are `TicketStore.flag_once`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.tickets.model import Status

if TYPE_CHECKING:
    from bot.store import Store


class DeadlineStore:
    """Conditional moves of the deadline scan; shares the `Store`'s connection."""

    def __init__(self, store: Store):
        self.conn = store.conn

    async def move_once(self, ticket_id: int, status: Status, to: Status) -> bool:
        """Move a ticket still in `status` to `to`; False when another scan moved it first."""
        cursor = await self.conn.execute(
            "UPDATE tickets SET status = ? WHERE id = ? AND status = ?",
            (to.value, ticket_id, status.value),
        )
        return bool(cursor.rowcount == 1)

    async def notice_reminded_once(self, ticket_id: int) -> bool:
        """Set a disclosure request's 补正-notice reminder flag if not set yet."""
        cursor = await self.conn.execute(
            "UPDATE disclosure_requests SET notice_reminded = 1 "
            "WHERE ticket_id = ? AND notice_reminded = 0",
            (ticket_id,),
        )
        return bool(cursor.rowcount == 1)
