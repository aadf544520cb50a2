"""Transport rows: the SQL that deletes finished, old ones (bot/transport.py runs it).

Three tables grow by a row or two per message and are only the way a message travels:
Telegram's `updates`, the `outbox` (Telegram, the terminal and the web chat) and the web
chat's `webchat_inbox`. Their payloads are emptied once processed or delivered; here the
rows themselves go, a chunk at a time, walking the primary key from its start, so each
chunk reads and deletes at most `limit` rows by their key (no scan, no new index).

What stays:

- every row not finished: pending, held (flood control), in flight (sending), a terminal
  message not shown yet;
- rows written less than the retention period ago (their time is written with the row,
  so it grows with the key: the walk stops at the first one that is too young);
- each table's newest row: Telegram's polling offset is `MAX(update_id)` of `updates`,
  and SQLite gives a new row the largest key + 1, so deleting the newest outbox row would
  hand its id again to the next message (a web chat page resuming after that id would
  miss it);
- an outbox message that could not be delivered to a ticket's citizen (blocked bot):
  the staff's view of the ticket counts them (`TicketStore.undeliverable`).

Web chat events (outbox kind `webchat`) are never marked sent: the page reads them as
its history. They are finished when written, and go when old like the rest, so a page
opened again shows the retention period's history.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.backend import Connection, fetchall, fetchone

#: The smallest key a walk starts after (BIGINT's smallest on PostgreSQL).
START = -(2**63)


@dataclass(frozen=True)
class TransportTable:
    """A transport table: its key, when a row was written, and what a finished row is."""

    name: str
    key: str
    written: str
    finished: str


UPDATES = TransportTable("updates", "update_id", "received_at", "state IN ('done', 'failed')")
OUTBOX = TransportTable(
    "outbox",
    "id",
    "created_at",
    "(kind = 'webchat' OR state IN ('sent', 'failed') "
    "OR (state = 'undeliverable' AND ticket_id IS NULL))",
)
INBOX = TransportTable("webchat_inbox", "id", "received_at", "state IN ('done', 'failed')")
#: Every transport table, in the order they are purged.
TABLES: tuple[TransportTable, ...] = (UPDATES, OUTBOX, INBOX)


@dataclass(frozen=True)
class Walked:
    """One chunk of the walk: the keys it may delete, where it ended, and whether a row
    too young to go was reached (nothing after it is older)."""

    deletable: list[int]
    last: int | None
    read: int
    young: bool


class TransportSQL:
    """The purge's statements, on one connection (the caller holds its transaction)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    async def newest(self, table: TransportTable) -> int | None:
        """The table's newest key (kept), or None when it is empty."""
        row = await fetchone(self.conn, f"SELECT MAX({table.key}) FROM {table.name}")
        return int(row[0]) if row and row[0] is not None else None

    def walk_sql(self, table: TransportTable) -> str:
        """The next `limit` rows after a key and below the newest, in key order, each with
        whether it is old and whether it is finished."""
        return (
            f"SELECT {table.key}, CASE WHEN {table.written} < ? THEN 1 ELSE 0 END, "
            f"CASE WHEN {table.finished} THEN 1 ELSE 0 END FROM {table.name} "
            f"WHERE {table.key} > ? AND {table.key} < ? ORDER BY {table.key} LIMIT ?"
        )

    def delete_sql(self, table: TransportTable, count: int) -> str:
        """Delete rows by key, finished and old still (checked again, in the statement)."""
        marks = ", ".join("?" for _ in range(count))
        return (
            f"DELETE FROM {table.name} WHERE {table.key} IN ({marks}) "
            f"AND {table.finished} AND {table.written} < ?"
        )

    async def walk(
        self, table: TransportTable, cutoff: str, after: int, newest: int, limit: int
    ) -> Walked:
        """Read the next chunk (by the primary key: at most `limit` rows)."""
        rows = await fetchall(self.conn, self.walk_sql(table), (cutoff, after, newest, limit))
        deletable = [int(r[0]) for r in rows if int(r[1]) and int(r[2])]
        young = any(not int(r[1]) for r in rows)
        return Walked(deletable, int(rows[-1][0]) if rows else None, len(rows), young)

    async def delete(self, table: TransportTable, keys: list[int], cutoff: str) -> int:
        """Delete the given rows (by the primary key); how many went."""
        if not keys:
            return 0
        cur = await self.conn.execute(self.delete_sql(table, len(keys)), (*keys, cutoff))
        return int(cur.rowcount)
