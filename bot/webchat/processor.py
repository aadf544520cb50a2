"""Stored visitor messages through the dialogue core, their replies into the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

from bot.channels.pacing import Pacer, notice
from bot.dialogue import Dialogue, Incoming
from bot.flood import Verdict
from bot.intake import HandlerFailed, IntakeLoop
from bot.messages import t
from bot.notify import OutboxNotifier
from bot.replies import Paragraph, Reply
from bot.store import Store
from bot.store.webchat import ChatMessage, WebChatSQL
from bot.tickets.model import Attachment

log = logging.getLogger(__name__)
#: How often the outbox is looked at for messages written by other connections.
WATCH_SECONDS = 1.0


@dataclass(eq=False)
class Listener:
    """One open event stream: the last event it sent, and what wakes it."""

    after: int
    woken: asyncio.Event = field(default_factory=asyncio.Event)


class Streams:
    """The open event streams by visitor, so that a reply wakes its own visitor's streams
    only (waking every stream made each of them query the outbox for every batch)."""

    def __init__(self) -> None:
        self.open: dict[str, set[Listener]] = {}

    @contextlib.contextmanager
    def listening(self, visitor: str, after: int) -> Iterator[Listener]:
        """Register a stream for the time it is open."""
        listener = Listener(after)
        self.open.setdefault(visitor, set()).add(listener)
        try:
            yield listener
        finally:
            found = self.open.get(visitor)
            if found is not None:
                found.discard(listener)
                if not found:
                    del self.open[visitor]

    def wake(self, visitor: str, newest: int | None = None) -> None:
        """Wake the visitor's streams (those behind `newest`, if given)."""
        for listener in self.open.get(visitor, ()):
            if newest is None or newest > listener.after:
                listener.woken.set()


class ChatProcessor:
    """Processes each stored message once: its effects and its done mark commit together
    (in batches, by the loop every channel shares: bot/intake.py).

    Flood control (`pacer`, Telegram's) judges a message by when it was stored, not by
    when it is processed: a backlog after downtime is no flood. A message it holds stays
    pending until it is due, and is answered then, in order.
    """

    def __init__(
        self, store: Store, dialogue: Dialogue, pacer: Pacer, lock: asyncio.Lock | None = None
    ):
        self.store = store
        self.dialogue = dialogue
        self.pacer = pacer
        self.notifier = OutboxNotifier(store, warn_unset=False)
        self.sql = WebChatSQL(store.conn)
        self.lock = lock or asyncio.Lock()
        #: Set when a message is stored; the loop wakes at once.
        self.wake = asyncio.Event()
        #: The open event streams, woken when their visitor's replies are in the outbox.
        self.streams = Streams()
        self.loop = IntakeLoop(self, self.wake)

    async def process_pending(self) -> int:
        """Process every stored message that is due; return how many were handled (held
        ones are not counted). A database error (locked by another writer, connection
        lost) propagates, the message left pending."""
        return await self.loop.drain()

    async def run(self, poll: float = 5.0, retry: float = 1.0) -> None:
        """Process messages as they arrive (and any left from before a restart), and held
        ones when they are due. After a database error the loop waits (`retry` seconds,
        doubling) and tries again: the message stays pending, to be answered, not given
        up."""
        await self.loop.run(poll, retry)

    # -- the intake loop's hooks (bot/intake.py) ---------------------------------------------

    async def take(self) -> list[ChatMessage]:
        """The stored messages that are due, oldest first."""
        async with self.lock:
            return await self.sql.pending(time.time())

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """A transaction on the chat's connection, the lock held (POSTs wait for it)."""
        async with self.lock, self.store.transaction():
            yield

    async def process_batch(self, batch: list[ChatMessage]) -> int:
        """Answer or hold each message, as flood control says; return how many were not
        held."""
        answered = 0
        for message in batch:
            try:
                answered += await self._paced(message)
            except HandlerFailed:
                if len(batch) == 1:  # logged once: when it is marked failed
                    log.exception("web chat message %d failed", message.id)
                raise
        return answered

    async def fail(self, message: ChatMessage) -> None:
        """Mark a message the core failed on failed, and apologise."""
        lang = await self.dialogue.language(Incoming(message.visitor))
        sorry = Reply((Paragraph(t("internal_error", lang)),))
        await self.notifier.notify(message.visitor, sorry)
        await self.sql.done(message.id, "failed")

    async def committed(self, batch: list[ChatMessage]) -> None:
        """The visitors' streams send the replies now, not after the whole round."""
        for visitor in {m.visitor for m in batch}:
            self.streams.wake(visitor)

    async def pause(self, poll: float) -> float:
        """Until the first held message is due, or `poll`."""
        async with self.lock:
            due = await self.sql.next_due(time.time())
        return poll if due is None else min(poll, max(0.0, due - time.time()))

    async def _paced(self, message: ChatMessage) -> bool:
        """Answer a message, or hold it for later, as flood control says (in the caller's
        transaction); False if held."""
        try:
            incoming = _incoming(message)
        except TypeError as exc:  # a stored record the core cannot read
            raise HandlerFailed from exc
        visitor, now = message.visitor, time.time()
        if incoming.action is not None:
            # A button press is not counted, but waits for the messages held before it.
            verdict = Verdict(self.pacer.follow(visitor, message.id, now))
        else:
            text = incoming.text or ""
            verdict = self.pacer.admit(visitor, message.id, text, message.sent_at, now)
        if verdict.notice is not None:
            lang = await self.dialogue.language(Incoming(visitor, lang_hint=incoming.lang_hint))
            await self.notifier.notify(visitor, notice(verdict.notice, lang))
        if verdict.held(now):
            await self.sql.hold(message.id, verdict.due)
            return False
        if not verdict.dropped:
            try:
                for reply in await self.dialogue.handle(incoming):
                    await self.notifier.notify(visitor, reply)
            except Exception as exc:  # one bad message must not stop the chat
                raise HandlerFailed from exc
        await self.sql.done(message.id)
        return True

    async def watch_outbox(self, every: float = WATCH_SECONDS) -> None:
        """Wake the event streams when the outbox grows from elsewhere: a clerk's reply or
        outcome written by the console or by `citizen-desk tickets` in another process.

        One query a second for all open pages, instead of one per page; without it an
        outcome waited for a stream's next keepalive (up to 10 s).
        """
        async with self.lock:
            seen = await self.sql.latest_outbox()
        while True:
            await asyncio.sleep(every)
            async with self.lock:
                seen, newest = await self.sql.newest_events(seen)
            # Only streams behind their visitor's newest event look again: replies the
            # processor wrote itself were sent already.
            for visitor, event_id in newest.items():
                self.streams.wake(visitor, event_id)


def _incoming(message: ChatMessage) -> Incoming:
    """The neutral message the core takes: text, a button, or a file as an attachment
    (as a Telegram photo without a caption)."""
    text = message.payload.get("text")
    action = message.payload.get("action")
    attachment = message.payload.get("attachment")
    attachments = (Attachment(**attachment),) if isinstance(attachment, dict) else ()
    return Incoming(
        message.visitor,
        text=text if isinstance(text, str) else None,
        action=action if isinstance(action, str) else None,
        lang_hint=str(message.payload.get("lang") or "") or None,
        is_text=not attachments,
        attachments=attachments,
    )
