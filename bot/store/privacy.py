"""Personal data: export, erasure and retention."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.store.backend import fetchall
from bot.store.search import purge_erased
from bot.store.webchat import KIND as WEBCHAT_KIND

if TYPE_CHECKING:
    from bot.store import Store


class PrivacyStore:
    """Personal data: export, erasure and retention (SQL for bot/privacy.py)."""

    def __init__(self, store: Store):
        self.conn = store.conn

    async def rows(self, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        """Rows of a query as dictionaries."""
        return [dict(r) for r in await fetchall(self.conn, sql, args)]

    async def export(self, user: str) -> dict[str, list[dict[str, Any]]]:
        """Everything stored about one person."""
        tickets = await self.rows(
            "SELECT number, kind, category, status, description, location, occurred, phone, "
            "attachments, lang, created_at, deadline, answered_at, closed_at, outcome, rating "
            "FROM tickets WHERE citizen = ? ORDER BY id",
            (user,),
        )
        return {
            "profile": await self.rows(
                "SELECT user_key, lang, updated_at FROM users WHERE user_key = ?", (user,)
            ),
            "questions": await self.rows(
                "SELECT text, lang, route, entry_id, created_at FROM questions "
                "WHERE user_key = ? ORDER BY id",
                (user,),
            ),
            "feedback": await self.rows(
                "SELECT entry_id, helpful, created_at FROM feedback WHERE user_key = ? ORDER BY id",
                (user,),
            ),
            "tickets": tickets,
            "ticket_timeline": await self.rows(
                "SELECT t.number, e.at, e.action, e.to_status, e.note FROM ticket_events e "
                "JOIN tickets t ON t.id = e.ticket_id WHERE t.citizen = ? AND e.public = 1 "
                "ORDER BY e.id",
                (user,),
            ),
            "ratings": await self.rows(
                "SELECT t.number, r.round, r.rating, r.comment, r.at FROM ratings r "
                "JOIN tickets t ON t.id = r.ticket_id WHERE t.citizen = ? ORDER BY r.id",
                (user,),
            ),
        }

    async def anonymise_tickets(self, where: str, args: tuple[Any, ...], placeholder: str) -> int:
        """Blank the personal fields of matching tickets; the figures stay true."""
        selected = f"SELECT id FROM tickets WHERE anonymised = 0 AND ({where})"
        # The citizen's own words in the timeline (rating comments, notes) go first,
        # while the ticket still names them.
        await self.conn.execute(
            "UPDATE ticket_events SET actor = 'citizen', note = CASE WHEN action IN "
            "('note', 'file') THEN NULL ELSE note END WHERE ticket_id IN "
            f"({selected}) AND actor = (SELECT citizen FROM tickets t WHERE t.id = ticket_id)",
            args,
        )
        await self.conn.execute(
            f"UPDATE ratings SET comment = NULL WHERE ticket_id IN ({selected})", args
        )
        # The web chat's files attached to them ('web:<id>'); the disk copies go with the
        # next sweep (bot/webchat/upload.py), which keeps only files a row names.
        await self.conn.execute(
            "DELETE FROM webchat_files WHERE EXISTS (SELECT 1 FROM tickets t WHERE t.id IN "
            f"({selected}) AND t.attachments LIKE '%\"web:' || webchat_files.id || '\"%')",
            args,
        )
        cur = await self.conn.execute(
            "UPDATE tickets SET citizen = 'anonymised:' || id, phone = NULL, location = NULL, "
            "occurred = NULL, attachments = '[]', description = ?, anonymised = 1 "
            f"WHERE id IN ({selected})",
            (placeholder, *args),
        )
        if cur.rowcount:
            await purge_erased(self.conn)
        return cur.rowcount

    async def forget(self, user: str, placeholder: str) -> dict[str, int]:
        """Erase a person's data: profile, questions' text, feedback link, drafts, tickets."""
        counts = {"tickets": await self.anonymise_tickets("citizen = ?", (user,), placeholder)}
        cur = await self.conn.execute(
            "UPDATE questions SET user_key = NULL, text = ? WHERE user_key = ?", (placeholder, user)
        )
        counts["questions"] = cur.rowcount
        cur = await self.conn.execute(
            "UPDATE feedback SET user_key = NULL WHERE user_key = ?", (user,)
        )
        counts["feedback"] = cur.rowcount
        for table in ("users", "drafts"):
            await self.conn.execute(f"DELETE FROM {table} WHERE user_key = ?", (user,))
        await self.conn.execute("DELETE FROM menus WHERE owner = ?", (user,))
        await self.conn.execute("DELETE FROM webchat_files WHERE visitor = ?", (user,))
        # Sent messages, and the web chat's events (which stay pending: they are the page's
        # history, shown again on every visit): emptied and no longer the person's, so a
        # page reopened with the same key shows nothing from before. The rows stay (their
        # ids keep open streams in order) until transport retention deletes them.
        await self.conn.execute(
            "UPDATE outbox SET payload = '{}', owner = NULL "
            "WHERE owner = ? AND (state != 'pending' OR kind = ?)",
            (user, WEBCHAT_KIND),
        )
        return counts

    async def expire(self, closed_before: str, placeholder: str) -> int:
        """Anonymise tickets closed before the cutoff (retention)."""
        return await self.anonymise_tickets(
            "closed_at IS NOT NULL AND closed_at < ?", (closed_before,), placeholder
        )
