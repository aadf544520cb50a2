"""The 政务公开 figures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.store.backend import fetchall

if TYPE_CHECKING:
    from bot.store import Store


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
#: SQL condition: the question has a character besides digits, spaces and punctuation. A
#: typed menu number (`7`, `０`, `②`) or a lone `?` is not a question: it is left out of
#: every question figure.
_NOT_A_WORD = " 0123456789０１２３４５６７８９①②③④⑤⑥⑦⑧⑨⑩.,!?。，！？、~～…-—_#*+()（）👍👎"
_A_QUESTION = f"TRIM(text, '{_NOT_A_WORD}') <> ''"


class ReportStore:
    """SQL of the 政务公开 figures (bot/report.py); shares the `Store`'s connection.

    `period` is 'YYYY' or 'YYYY-MM' and is matched against China time (UTC+8).
    """

    def __init__(self, store: Store):
        self.conn = store.conn

    async def _rows(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await fetchall(self.conn, sql, args)]

    async def _counts(self, sql: str, args: tuple[Any, ...]) -> dict[Any, int]:
        return {key: int(n) for key, n in await self._rows(sql, args)}

    # -- questions ------------------------------------------------------------------------

    async def route_counts(self, period: str) -> dict[str, int]:
        """Questions asked in the period, per route."""
        return await self._counts(
            f"SELECT route, COUNT(*) FROM questions WHERE {_in_period('created_at')} "
            f"AND {_A_QUESTION} GROUP BY route",
            (period,),
        )

    async def served_entries(self, period: str) -> dict[str, int]:
        """Answers given per entry: route `answer`, or a `clarify` whose choice was picked."""
        return await self._counts(
            "SELECT CASE route WHEN 'clarify' THEN picked ELSE entry_id END AS entry, COUNT(*) "
            f"FROM questions WHERE {_in_period('created_at')} AND {_A_QUESTION} AND ("
            "(route = 'answer' AND entry_id IS NOT NULL) "
            "OR (route = 'clarify' AND picked IS NOT NULL)) GROUP BY entry",
            (period,),
        )

    async def unanswered_candidates(self, period: str, erased: str) -> dict[str, int]:
        """Questions left without an answer (`none`, or `clarify` not picked), counted per
        logged candidate list (JSON). Never their text: the report publishes none."""
        return await self._counts(
            f"SELECT candidates, COUNT(*) FROM questions WHERE {_in_period('created_at')} "
            "AND (route = 'none' OR (route = 'clarify' AND picked IS NULL)) AND text != ?2 "
            f"AND {_A_QUESTION} GROUP BY candidates",
            (period, erased),
        )

    async def questions_by_month(self, year: int) -> dict[int, int]:
        """Questions per China-time month of `year`."""
        return await self._counts(
            f"SELECT {_month_of('created_at')} AS m, COUNT(*) FROM questions "
            f"WHERE {_in_period('created_at')} AND {_A_QUESTION} GROUP BY m",
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
            f"SUM(CASE WHEN date({_FINISHED}, '+8 hours') <= t.deadline THEN 1 ELSE 0 END) "
            "FROM tickets t "
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
            f"SELECT {_month_of('t.created_at')} AS m, COUNT(*), "
            "SUM(CASE WHEN r.rating >= 3 THEN 1 ELSE 0 END) "
            "FROM ratings r JOIN tickets t ON t.id = r.ticket_id "
            f"WHERE {_in_period('t.created_at')} AND {_LATEST_RATING} GROUP BY m",
            (f"{year:04d}",),
        )
        return {int(m): (int(n), int(ok)) for m, n, ok in rows}

    async def bad_first_ratings(self, period: str) -> tuple[int, int]:
        """Tickets created in the period rated ≤ 2 in round 1 (差评): (count, reworked)."""
        rows = await self._rows(
            "SELECT COUNT(*), COUNT(CASE WHEN t.rework_count > 0 THEN 1 END) FROM tickets t "
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
