"""The audit log of acts that change no ticket: console exports, knowledge reloads, staff
accounts. A ticket's own steps stay in its timeline (`ticket_events`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.store.backend import Connection, fetchall
from bot.store.clock import now_iso


@dataclass(frozen=True)
class AuditLine:
    """One act: when, by whom (a console login or a staff key), what, on what, and how."""

    at: dt.datetime
    actor: str
    action: str
    subject: str
    detail: str


class ConsoleAudit:
    """Rows of `console_audit`, on the store's connection (in the caller's transaction)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    async def record(self, actor: str, action: str, subject: str = "", detail: str = "") -> None:
        """Append one line; the caller's transaction commits it with the act itself."""
        await self.conn.execute(
            "INSERT INTO console_audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            (now_iso(), actor, action, subject, detail),
        )

    async def recent(self, limit: int = 100, action: str | None = None) -> list[AuditLine]:
        """The newest lines first, of every act or of one kind."""
        where, args = ("WHERE action = ? ", (action, limit)) if action else ("", (limit,))
        rows = await fetchall(
            self.conn,
            f"SELECT at, actor, action, subject, detail FROM console_audit {where}"
            "ORDER BY id DESC LIMIT ?",
            args,
        )
        return [
            AuditLine(
                dt.datetime.fromisoformat(str(r[0])), str(r[1]), str(r[2]), str(r[3]), str(r[4])
            )
            for r in rows
        ]
