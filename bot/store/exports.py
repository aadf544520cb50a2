"""Every ticket of a filtered queue, newest first, a page at a time (the console's CSV export).

A keyset read (`id < last`) rather than one query: an export of 100,000 tickets holds one
page of rows in memory at a time, and each page is a fresh, short query, so other requests
may use the connection between pages.
"""

from __future__ import annotations

from bot.store.backend import Connection, fetchall
from bot.store.tickets import TICKET_COLUMNS, _ticket
from bot.store.web import Matching
from bot.tickets.model import Ticket

#: Above every ticket id (ids are 64-bit on both engines).
TOP = 2**63 - 1


async def newest(
    conn: Connection, matching: Matching, below: int = TOP, limit: int = 500
) -> list[Ticket]:
    """The newest `limit` matching tickets whose id is below `below`, newest first."""
    ids_sql, ids_args = matching.text.newest_ids_sql(matching.where)
    rows = await fetchall(
        conn,
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id IN ({ids_sql}) ORDER BY id DESC",
        (*ids_args, *matching.args, below, limit),
    )
    return [_ticket(r) for r in rows]
