"""Live knowledge updates: validate first, swap without pausing, report what changed."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.dialogue import Dialogue
from bot.knowledge.loader import YAML_SUFFIXES, load_knowledge
from bot.knowledge.model import Entry, KnowledgeBase, Source
from bot.matching.matcher import Matcher
from bot.matching.settings import MatchSettings

log = logging.getLogger(__name__)

#: Sends a text to every admin (the Telegram admins' chats and the log).
AdminNotice = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class Changes:
    """What a reload changed."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    edited: tuple[str, ...]

    def summary(self) -> str:
        """One line per kind of change."""
        parts = [
            f"added {len(self.added)}: {', '.join(self.added) or '-'}",
            f"removed {len(self.removed)}: {', '.join(self.removed) or '-'}",
            f"edited {len(self.edited)}: {', '.join(self.edited) or '-'}",
        ]
        return "\n".join(parts)


def diff(old: KnowledgeBase, new: KnowledgeBase) -> Changes:
    """Entries added, removed and edited between two knowledge bases."""
    before = {e.id: _content(e) for e in old.entries}
    after = {e.id: _content(e) for e in new.entries}
    return Changes(
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
        edited=tuple(sorted(i for i in before.keys() & after.keys() if before[i] != after[i])),
    )


def _content(entry: Entry) -> Entry:
    """The entry without where it was defined (moving it is not an edit)."""
    return dataclasses.replace(entry, source=Source(""))


def past_review(kb: KnowledgeBase, today: dt.date) -> list[Entry]:
    """Entries whose `review_by` date has passed."""
    return [e for e in kb.entries if e.review_by is not None and e.review_by < today]


class KnowledgeReloader:
    """Reloads the KB on file changes or on request; a broken edit never replaces a good KB."""

    def __init__(
        self,
        kb_dir: Path,
        dialogue: Dialogue,
        notice: AdminNotice,
        settings: MatchSettings | None = None,
    ):
        self.kb_dir = kb_dir
        self.dialogue = dialogue
        self.notice = notice
        self.settings = settings or MatchSettings()
        self._lock = asyncio.Lock()

    async def reload(self) -> str:
        """Load, check and swap in the KB; return the report sent to admins."""
        async with self._lock:
            # Loading and indexing run in a thread: answering goes on meanwhile.
            result = await asyncio.to_thread(load_knowledge, self.kb_dir)
            if result.kb is None:
                report = (
                    "knowledge reload failed; still serving the previous knowledge base.\n"
                    + result.report()
                )
                # Handled (the previous KB serves, the admins get the report): one line.
                log.warning("%s", report.replace("\n", "; "))
                await self.notice(report)
                return report
            matcher = await asyncio.to_thread(Matcher, result.kb, self.settings)
            changes = diff(self.dialogue.kb, result.kb)
            self.dialogue.use(matcher)
            report = f"knowledge reloaded: {len(result.kb.entries)} entries\n{changes.summary()}"
            warnings = [str(p) for p in result.problems]
            if warnings:
                report += "\nwarnings:\n" + "\n".join(warnings)
            log.info("%s", report.replace("\n", "; "))
            await self.notice(report)
            return report

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload whenever a YAML file under the KB directory changes (until `stop`)."""
        from watchfiles import awatch

        async for changes in awatch(self.kb_dir, stop_event=stop, debounce=500, step=100):
            if any(Path(path).suffix.lower() in YAML_SUFFIXES for _, path in changes):
                await self.reload()
