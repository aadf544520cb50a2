"""Durable updates, the outbox and menu owners (part of `Store`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.store import replicas
from bot.store.backend import fetchall, fetchone
from bot.store.clock import now_iso
from bot.store.core import StoreBase


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


#: A fetched update as stored: its id, its JSON and its chat (None: no chat).
StoredUpdate = tuple[int, str, int | None]


class UpdatesMixin(StoreBase):
    """Updates fetched from Telegram, stored before they are processed."""

    # -- durable updates ------------------------------------------------------------------

    async def save_updates(self, updates: Sequence[tuple[int, str] | StoredUpdate]) -> int:
        """Store fetched updates (id, JSON[, chat id]) not seen before, durably; return how
        many. Replicas listening are woken."""
        rows = [(u[0], u[1], u[2] if len(u) > 2 else None, now_iso()) for u in updates]
        async with self.transaction():
            before = self.conn.total_changes
            await self.conn.executemany(
                "INSERT INTO updates (update_id, payload, chat_id, received_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (update_id) DO NOTHING",
                rows,
            )
            saved = self.conn.total_changes - before
            if saved:
                await replicas.notify(self.conn, replicas.UPDATES_CHANNEL)
            return saved

    async def pending_updates(self, limit: int = 100) -> list[tuple[int, str]]:
        """Updates stored but not yet processed, oldest first (held ones once due); with
        several replicas (PostgreSQL) only each chat's oldest."""
        return await replicas.pending_heads(self.conn, time.time(), limit)

    async def claim_updates(self, update_ids: list[int]) -> set[int]:
        """Those of `update_ids` this replica may process now, locked until the caller's
        transaction ends (another replica skips them)."""
        return await replicas.claim(self.conn, update_ids)

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
        row = await fetchone(self.conn, "SELECT MAX(update_id) FROM updates")
        return int(row[0]) if row and row[0] is not None else None


class OutboxMixin(StoreBase):
    """Messages waiting for delivery, and whose menus they are."""

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
        row = await fetchone(
            self.conn,
            "INSERT INTO outbox (chat_id, kind, payload, owner, created_at, ticket_id) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (chat_id, kind, json.dumps(payload, ensure_ascii=False), owner, now_iso(), ticket_id),
        )
        assert row is not None
        return int(row[0])

    async def terminal_messages(
        self, owner: str
    ) -> list[tuple[int, str, list[list[dict[str, str]]]]]:
        """Pending messages for a terminal user: (id, text, button rows)."""
        rows = await fetchall(
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
        # `NOT IN ()` is SQLite only: leave the condition out when no chat is skipped.
        skipped = f"AND o.chat_id NOT IN ({', '.join('?' * len(skip))}) " if skip else ""
        rows = await fetchall(
            self.conn,
            "SELECT o.id, o.chat_id, o.kind, o.payload, o.owner, o.attempts, o.ticket_id "
            "FROM outbox o WHERE o.state = 'pending' AND o.kind IN ('send', 'edit') "
            "AND o.next_at <= ? AND o.id = ("
            "  SELECT MIN(id) FROM outbox p WHERE p.chat_id = o.chat_id AND p.state = 'pending' "
            "  AND p.kind IN ('send', 'edit')"
            f") {skipped}ORDER BY o.id LIMIT ?",
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
        row = await fetchone(
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
        """How many messages wait for delivery. Not the web chat's events: they stay
        `pending` for good (the page reads them as its history, nothing marks them sent),
        so counting them made `citizen-desk health` fail after 1,000 web chat replies."""
        row = await fetchone(
            self.conn,
            "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND kind <> 'webchat'",
        )
        return int(row[0]) if row else 0

    # -- menus (who may press a message's buttons) ----------------------------------------

    async def remember_menus(self, menus: list[tuple[int, int | None, str | None]]) -> None:
        """Record whose messages these menus are: (chat id, message id, owner) each."""
        rows = [m for m in menus if m[1] is not None and m[2]]
        if rows:
            await self.conn.executemany(
                "INSERT INTO menus (chat_id, message_id, owner) VALUES (?, ?, ?) "
                "ON CONFLICT (chat_id, message_id) DO UPDATE SET owner = excluded.owner",
                rows,
            )

    async def menus_in_flight(self, chat_id: int, owners: Sequence[str]) -> list[list[str]]:
        """The buttons (callback data, in order) of each menu of `owners` in the outbox
        for `chat_id` and not yet recorded as sent: to be sent, or sent and its answer (the
        message id) not yet recorded."""
        marks = ", ".join("?" for _ in owners)
        rows = await fetchall(
            self.conn,
            "SELECT payload FROM outbox WHERE chat_id = ? AND state = 'pending' "
            f"AND kind = 'send' AND owner IN ({marks}) ORDER BY id",
            (chat_id, *owners),
        )
        menus = []
        for row in rows:
            buttons = json.loads(row[0]).get("buttons") or []
            if buttons:
                menus.append([str(button["data"]) for line in buttons for button in line])
        return menus

    async def menu_owner(self, chat_id: int, message_id: int) -> str | None:
        """Whose menu a message is, if the bot sent it with buttons."""
        row = await fetchone(
            self.conn,
            "SELECT owner FROM menus WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return str(row[0]) if row else None
