"""Admin and supervisor commands on a channel: /reload, /gaps, /stats, /review."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from bot.messages import plural, t
from bot.reload import KnowledgeReloader, past_review
from bot.replies import Reply, text_reply

log = logging.getLogger(__name__)

#: Produces a text for a command (the gaps report, the month's figures).
TextSource = Callable[[], Awaitable[str]]


class AdminCommands:
    """Commands for admins (by user key) and, for /stats, supervisors too."""

    def __init__(
        self,
        admins: frozenset[str],
        reloader: KnowledgeReloader,
        is_supervisor: Callable[[str], Awaitable[bool]],
        gaps: TextSource | None = None,
        stats: TextSource | None = None,
    ):
        self.admins = admins
        self.reloader = reloader
        self.is_supervisor = is_supervisor
        self.gaps = gaps
        self.stats = stats
        self._tasks: set[asyncio.Task[str]] = set()

    async def command(self, user: str, command: str, arg: str) -> list[Reply] | None:
        """Run an admin command; None when it is not one or `user` may not use it."""
        if command == "stats" and self.stats is not None:
            if user in self.admins or await self.is_supervisor(user):
                return [text_reply(await self.stats())]
            self._refused(user, command)
            return None
        if command not in ("reload", "gaps", "review"):
            return None
        if user not in self.admins:
            self._refused(user, command)
            return None
        if command == "reload":
            # In the background: the update is being processed inside a transaction, and
            # loading a large knowledge base must not hold up everyone else's answers.
            # The report reaches every admin when it is done.
            task = asyncio.get_running_loop().create_task(self.reloader.reload())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return [text_reply(t("reload_started", self.reloader.lang))]
        if command == "gaps" and self.gaps is not None:
            return [text_reply(await self.gaps())]
        return [text_reply(self.review_text(dt.date.today()))]

    def review_text(self, today: dt.date) -> str:
        """Entries past their review date (sent weekly, and on /review)."""
        due = past_review(self.reloader.dialogue.kb, today)
        lang = self.reloader.lang
        if not due:
            return t("review_none", lang)
        lines = [t("review_due", lang, entries=plural("kb_entries", lang, len(due)))]
        lines.extend(
            t("review_entry", lang, id=e.id, date=e.review_by, source=e.source) for e in due
        )
        return "\n".join(lines)

    def _refused(self, user: str, command: str) -> None:
        log.warning("user %s without the right tried /%s", user, command)
