"""People's language, questions and feedback (part of `Store`)."""

from __future__ import annotations

import json
from typing import Any

from bot.store.backend import fetchone
from bot.store.clock import now_iso
from bot.store.core import StoreBase


class QuestionsMixin(StoreBase):
    """People's language, the question log and answer feedback."""

    # -- people ---------------------------------------------------------------------------

    async def get_language(self, user: str) -> str | None:
        """The language a person chose, if any.

        The person's draft is read in the same query: the dialogue asks for it next, and
        `TicketStore.get_draft` takes it from here if nothing was written in between.
        """
        row = await fetchone(
            self.conn,
            "SELECT u.lang, d.kind, d.step, d.data, d.updated_at FROM (SELECT ? AS k) q "
            "LEFT JOIN users u ON u.user_key = q.k LEFT JOIN drafts d ON d.user_key = q.k",
            (user,),
        )
        draft = tuple(row[1:]) if row is not None and row[1] is not None else None
        self.read_ahead = (user, self.conn.total_changes, draft)
        return str(row[0]) if row and row[0] else None

    def draft_read_ahead(self, user: str) -> tuple[bool, tuple[Any, ...] | None]:
        """(True, the draft row or None) if `get_language(user)` read it and this connection
        wrote nothing since; (False, None) otherwise."""
        ahead = self.read_ahead
        if ahead is not None and ahead[0] == user and ahead[1] == self.conn.total_changes:
            return True, ahead[2]
        return False, None

    async def set_language(self, user: str, lang: str) -> None:
        """Remember a person's language."""
        await self.conn.execute(
            "INSERT INTO users (user_key, lang, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(user_key) DO UPDATE SET lang = excluded.lang, "
            "updated_at = excluded.updated_at",
            (user, lang, now_iso()),
        )

    # -- questions and feedback -----------------------------------------------------------

    async def log_question(
        self,
        user: str | None,
        text: str,
        lang: str,
        route: str,
        entry_id: str | None,
        score: float,
        candidates: list[tuple[str, float]],
        triage: str | None = None,
    ) -> int:
        """Record a question, how it was routed and its triage label; return its id."""
        row = await fetchone(
            self.conn,
            "INSERT INTO questions (user_key, text, lang, route, entry_id, score, candidates, "
            "created_at, triage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (user, text, lang, route, entry_id, score, json.dumps(candidates), now_iso(), triage),
        )
        assert row is not None
        return int(row[0])

    async def mark_clarify_picked(self, user: str, entry_id: str) -> None:
        """The person picked `entry_id` from their latest clarify choices (not a gap)."""
        await self.conn.execute(
            "UPDATE questions SET picked = ? WHERE id = (SELECT MAX(id) FROM questions "
            "WHERE user_key = ? AND route = 'clarify') AND picked IS NULL",
            (entry_id, user),
        )

    async def record_feedback(
        self, user: str, entry_id: str, helpful: bool, question_id: int | None = None
    ) -> None:
        """Store whether an answer helped (and mark the question with it)."""
        if question_id is not None:
            found = await fetchone(
                self.conn,
                "SELECT 1 FROM questions WHERE id = ? AND user_key = ?",
                (question_id, user),
            )
            if found is None:
                question_id = None
        if question_id is not None:
            await self.conn.execute(
                "UPDATE questions SET feedback = ? WHERE id = ?", (int(helpful), question_id)
            )
        await self.conn.execute(
            "INSERT INTO feedback (user_key, question_id, entry_id, helpful, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (user, question_id, entry_id, int(helpful), now_iso()),
        )
