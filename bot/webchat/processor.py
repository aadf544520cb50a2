"""Stored visitor messages through the dialogue core, their replies into the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.dialogue import Dialogue, Incoming
from bot.messages import t
from bot.notify import OutboxNotifier
from bot.replies import Paragraph, Reply
from bot.store import Store
from bot.store.webchat import ChatMessage, WebChatSQL
from bot.tickets.model import Attachment

log = logging.getLogger(__name__)
#: How often the outbox is looked at for messages written by other connections.
WATCH_SECONDS = 1.0


class ChatProcessor:
    """Processes each stored message once: its effects and its done mark commit together."""

    def __init__(self, store: Store, dialogue: Dialogue, lock: asyncio.Lock | None = None):
        self.store = store
        self.dialogue = dialogue
        self.notifier = OutboxNotifier(store, warn_unset=False)
        self.sql = WebChatSQL(store.conn)
        self.lock = lock or asyncio.Lock()
        #: Set when a message is stored; the loop wakes at once.
        self.wake = asyncio.Event()
        #: Set when replies are in the outbox; event streams look again.
        self.replied = asyncio.Event()

    async def process_pending(self) -> int:
        """Process every stored message; return how many."""
        count = 0
        while True:
            async with self.lock:
                batch = await self.sql.pending()
            if not batch:
                return count
            for message in batch:
                await self._process(message)
                count += 1
            self._announce()

    def _announce(self) -> None:
        """Wake every waiting event stream (each then reads its own events)."""
        self.replied.set()
        self.replied = asyncio.Event()

    async def _process(self, message: ChatMessage) -> None:
        incoming = _incoming(message)
        try:
            async with self.lock, self.store.transaction():
                for reply in await self.dialogue.handle(incoming):
                    await self.notifier.notify(message.visitor, reply)
                await self.sql.done(message.id)
        except Exception:  # one bad message must not stop the chat: logged, apologised
            log.exception("web chat message %d failed", message.id)
            lang = await self.dialogue.language(Incoming(message.visitor))
            async with self.lock, self.store.transaction():
                sorry = Reply((Paragraph(t("internal_error", lang)),))
                await self.notifier.notify(message.visitor, sorry)
                await self.sql.done(message.id, "failed")

    async def run(self, poll: float = 5.0) -> None:
        """Process messages as they arrive (and any left from before a restart)."""
        while True:
            self.wake.clear()
            await self.process_pending()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=poll)

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
                latest = await self.sql.latest_outbox()
            if latest != seen:
                seen = latest
                self._announce()


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
