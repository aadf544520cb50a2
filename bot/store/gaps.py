"""Knowledge gaps: unanswered questions and inquiries worth an entry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.store.backend import fetchall

if TYPE_CHECKING:
    from bot.store import Store


class GapStore:
    """Knowledge-gap SQL (`bot.gaps`); it never selects a user key or a citizen."""

    def __init__(self, store: Store):
        self.conn = store.conn

    async def unanswered(self, since: str | None = None) -> list[dict[str, Any]]:
        """Questions with no match, an unpicked clarify or a 👎, from `since` on; oldest first.

        A triaged question (an emergency, another channel's matter, or one shown the
        emergency numbers in doubt) is never a gap: it must not become an alternate question.
        Columns: text, lang, route, candidates (JSON), created_at, feedback.
        """
        return [
            dict(row)
            for row in await fetchall(
                self.conn,
                "SELECT text, lang, route, candidates, created_at, feedback FROM questions "
                "WHERE (route = 'none' OR (route = 'clarify' AND picked IS NULL) OR feedback = 0) "
                "AND triage IS NULL AND (CAST(? AS TEXT) IS NULL OR created_at >= ?) "
                "ORDER BY created_at, id",
                (since, since),
            )
        ]

    async def kb_candidate_inquiries(self) -> list[dict[str, Any]]:
        """Answered inquiries staff marked "add to the knowledge base"; oldest first.

        Columns: number, description, outcome, lang.
        """
        return [
            dict(row)
            for row in await fetchall(
                self.conn,
                "SELECT number, description, outcome, lang FROM tickets "
                "WHERE kind = 'inquiry' AND kb_candidate = 1 AND status IN ('answered', 'closed') "
                "AND outcome IS NOT NULL AND TRIM(outcome) <> '' ORDER BY id",
            )
        ]
