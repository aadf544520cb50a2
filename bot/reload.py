"""Live knowledge updates: validate first, swap without pausing, report what changed."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.dialogue import Dialogue
from bot.knowledge.loader import YAML_SUFFIXES, LoadResult, load_knowledge
from bot.knowledge.model import Entry, KnowledgeBase, Source
from bot.matching.matcher import Matcher
from bot.matching.settings import MatchSettings
from bot.messages import DEFAULT, plural, t
from bot.tickets.service import TicketDesk

log = logging.getLogger(__name__)

#: Sends a text to every admin (the Telegram admins' chats and the log).
AdminNotice = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class Changes:
    """What a reload changed."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    edited: tuple[str, ...]

    def summary(self, lang: str) -> str:
        """One line per kind of change, in `lang`."""
        kinds = (("added", self.added), ("removed", self.removed), ("edited", self.edited))
        return "\n".join(
            t(f"reload_{kind}", lang, n=len(ids), ids=", ".join(ids) or "-") for kind, ids in kinds
        )


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


def failed_report(result: LoadResult, lang: str) -> str:
    """The report of a reload refused for the errors in `result`."""
    return t("reload_failed", lang) + "\n" + result.report(lang)


def reloaded_report(result: LoadResult, changes: Changes, lang: str) -> str:
    """The report of a reload that swapped in `result`'s KB: counts, changes, warnings."""
    assert result.kb is not None
    entries = plural("kb_entries", lang, len(result.kb.entries))
    lines = [t("reload_done", lang, entries=entries), changes.summary(lang)]
    if result.problems:
        lines.append(t("reload_warnings", lang))
        lines.extend(p.render(lang) for p in result.problems)
    return "\n".join(lines)


@dataclass(frozen=True)
class ReloadOutcome:
    """One reload: when it ran, what loading found, and what it changed (None: refused)."""

    at: dt.datetime
    result: LoadResult
    changes: Changes | None

    @property
    def ok(self) -> bool:
        """The new KB was swapped in."""
        return self.changes is not None

    def report(self, lang: str) -> str:
        """The report of this reload in `lang`, as sent to the admins."""
        if self.changes is None:
            return failed_report(self.result, lang)
        return reloaded_report(self.result, self.changes, lang)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class KnowledgeReloader:
    """Reloads the KB on file changes or on request; a broken edit never replaces a good KB."""

    def __init__(
        self,
        kb_dir: Path,
        dialogue: Dialogue,
        notice: AdminNotice,
        settings: MatchSettings | None = None,
        lang: str = DEFAULT,
        loaded: LoadResult | None = None,
        announces: Callable[[], Awaitable[bool]] | None = None,
        desks: Sequence[TicketDesk] = (),
        swap_lock: asyncio.Lock | None = None,
    ):
        self.kb_dir = kb_dir
        self.lang = lang  # of the report sent to the admins; the log has it in English
        self.dialogue = dialogue
        self.notice = notice
        self.settings = settings or MatchSettings()
        self._lock = asyncio.Lock()
        #: Set once the file watcher is watching: an edit made after it is never missed.
        self.watching = asyncio.Event()
        #: The load that gave the KB in use (the start's, given by the caller, or the last
        #: good reload's) and when it ran: the console's knowledge page shows them.
        self.loaded = loaded
        self.loaded_at = _utcnow()
        #: The last reload, good or refused (None before the first).
        self.last: ReloadOutcome | None = None
        #: Whether this process tells the admins of a reload the file watcher made. With
        #: several replicas every one sees the edit and reloads; one of them tells.
        self.announces = announces
        #: Desks besides the dialogue's that follow the KB served (the console's own).
        self.desks = tuple(desks)
        #: Held only to swap a new KB in (it is loaded and indexed before, without it): the
        #: console's connection lock, so no console request waits for a build and each
        #: sees one KB throughout.
        self.swap_lock = swap_lock

    async def reload(self, announce: bool = True) -> str:
        """Load, check and swap in the KB; return the report, sent to the admins when
        `announce` (it is always logged)."""
        async with self._lock:
            # Loading and indexing run in a thread: answering goes on meanwhile.
            result = await asyncio.to_thread(load_knowledge, self.kb_dir)
            if result.kb is None:
                # Handled (the previous KB serves, the admins get the report): one line.
                self.last = ReloadOutcome(_utcnow(), result, None)
                log.warning("%s", self.last.report("en").replace("\n", "; "))
                report = self.last.report(self.lang)
                if announce:
                    await self.notice(report)
                return report
            kb = result.kb
            matcher = await asyncio.to_thread(lambda: Matcher(kb, self.settings).warm())
            changes = diff(self.dialogue.kb, result.kb)
            async with self.swap_lock or contextlib.nullcontext():
                self.dialogue.use(matcher)
                for desk in self.desks:
                    desk.kb = result.kb
                self.last = ReloadOutcome(_utcnow(), result, changes)
                self.loaded, self.loaded_at = result, self.last.at
            log.info("%s", self.last.report("en").replace("\n", "; "))
            report = self.last.report(self.lang)
            if announce:
                await self.notice(report)
            return report

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload whenever a YAML file under the KB directory changes (until `stop`)."""
        from watchfiles import awatch

        # The watcher registers the directory before its first wait; a wait that ends
        # empty every half second is the first moment we can tell it is watching.
        batches = awatch(
            self.kb_dir,
            stop_event=stop,
            debounce=500,
            step=100,
            rust_timeout=500,
            yield_on_timeout=True,
        )
        async for changes in batches:
            if not self.watching.is_set():
                log.info("watching %s for knowledge edits", self.kb_dir)
            self.watching.set()
            if any(Path(path).suffix.lower() in YAML_SUFFIXES for _, path in changes):
                await self.reload(self.announces is None or await self.announces())
