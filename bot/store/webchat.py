"""The web chat's SQL (bot/webchat/): visitors' messages in, their events out."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from bot.store.backend import Connection, fetchall, fetchone
from bot.store.clock import now_iso

#: The outbox kind of messages for a web chat visitor.
KIND = "webchat"


@dataclass(frozen=True)
class ChatMessage:
    """A visitor's message, stored and waiting to be processed."""

    id: int
    visitor: str
    client_id: str
    payload: dict[str, Any]
    #: When it was stored (Unix seconds): the time the visitor wrote it, for flood control.
    sent_at: float


@dataclass(frozen=True)
class ChatEvent:
    """A message for a visitor, from the outbox."""

    id: int
    payload: dict[str, Any]


class WebChatSQL:
    """Inbox and events of the web chat, on the store's connection."""

    def __init__(self, conn: Connection):
        self.conn = conn

    async def accept(self, visitor: str, client_id: str, payload: dict[str, Any]) -> bool:
        """Store a message; False if this id was seen before. One statement: outside a
        transaction (the connections are in autocommit mode) it is committed on return."""
        row = await fetchone(
            self.conn,
            "INSERT INTO webchat_inbox (visitor, client_id, payload, received_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (visitor, client_id) DO NOTHING RETURNING id",
            (visitor, client_id, json.dumps(payload, ensure_ascii=False), now_iso()),
        )
        return row is not None

    async def pending(self, now: float, limit: int = 100) -> list[ChatMessage]:
        """Messages stored but not processed yet, oldest first; a held one once it is due
        (its `not_before` passed at `now`, Unix seconds)."""
        rows = await fetchall(
            self.conn,
            "SELECT id, visitor, client_id, payload, received_at FROM webchat_inbox "
            "WHERE state = 'pending' AND not_before <= ? ORDER BY id LIMIT ?",
            (now, limit),
        )
        return [
            ChatMessage(int(r[0]), str(r[1]), str(r[2]), json.loads(r[3]), _seconds(str(r[4])))
            for r in rows
        ]

    async def hold(self, message_id: int, due: float) -> None:
        """Leave a message pending until `due` (Unix seconds; in the caller's transaction)."""
        await self.conn.execute(
            "UPDATE webchat_inbox SET not_before = ? WHERE id = ?", (due, message_id)
        )

    async def next_due(self, now: float) -> float | None:
        """When the first message held past `now` is due (Unix seconds), if any."""
        row = await fetchone(
            self.conn,
            "SELECT MIN(not_before) FROM webchat_inbox WHERE state = 'pending' AND not_before > ?",
            (now,),
        )
        return float(row[0]) if row and row[0] is not None else None

    async def done(self, message_id: int, state: str = "done") -> None:
        """Mark a message processed and drop its content (in the caller's transaction)."""
        await self.conn.execute(
            "UPDATE webchat_inbox SET state = ?, done_at = ?, payload = '{}' WHERE id = ?",
            (state, now_iso(), message_id),
        )

    async def events(self, visitor: str, after: int, limit: int = 100) -> list[ChatEvent]:
        """The visitor's messages in the outbox after event id `after`, oldest first."""
        rows = await fetchall(
            self.conn,
            "SELECT id, payload FROM outbox WHERE kind = ? AND owner = ? AND id > ? "
            "ORDER BY id LIMIT ?",
            (KIND, visitor, after, limit),
        )
        return [ChatEvent(int(r[0]), json.loads(r[1])) for r in rows]

    async def latest_outbox(self) -> int:
        """The newest outbox id of any kind (MAX of the key: cheap on both databases)."""
        row = await fetchone(self.conn, "SELECT COALESCE(MAX(id), 0) FROM outbox")
        return int(row[0]) if row else 0

    async def newest_events(self, after: int) -> tuple[int, dict[str, int]]:
        """The newest outbox id of any kind (or `after` if none is newer), and each web chat
        visitor's newest event id, among the rows after `after` (one query: a row written
        meanwhile by another connection is in both or in neither)."""
        rows = await fetchall(
            self.conn,
            "SELECT kind, owner, MAX(id) FROM outbox WHERE id > ? GROUP BY kind, owner",
            (after,),
        )
        newest = max((int(r[2]) for r in rows), default=after)
        return newest, {str(r[1]): int(r[2]) for r in rows if r[0] == KIND}


def _seconds(iso: str) -> float:
    """A stored time stamp (ISO 8601, UTC) as Unix seconds."""
    return dt.datetime.fromisoformat(iso).timestamp()
