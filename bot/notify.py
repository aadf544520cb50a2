"""Notifications into the outbox: Telegram chats, the staff group, a terminal user or a web
chat visitor."""

from __future__ import annotations

import logging

from bot.actions import telegram_id
from bot.channels.telegram_format import keyboard_rows, reply_payloads
from bot.render import render_html, render_plain
from bot.replies import Reply
from bot.store import Store
from bot.store.webchat import KIND as WEBCHAT_KIND

log = logging.getLogger(__name__)

#: The owner recorded for staff-group menus: any staff member may press their buttons.
STAFF_OWNER = "staff"


class OutboxNotifier:
    """Writes notifications to the outbox in the caller's transaction."""

    def __init__(self, store: Store, staff_chat: int | None = None, warn_unset: bool = True):
        """`warn_unset=False` for a channel that has no staff group by design (the
        terminal chat: staff work through `citizen-desk tickets`)."""
        self.store = store
        self.staff_chat = staff_chat
        self._warned = not warn_unset

    async def notify(self, recipient: str, reply: Reply, ticket_id: int | None = None) -> None:
        """Queue `reply` for `recipient`: `tg:<id>`, `staff`, `terminal:<name>`, `chat:<id>`.

        Not `desk:…`: the counter hands such notices over itself.
        """
        if recipient.startswith("chat:"):
            payload = {
                "text": render_plain(reply.blocks),
                "html": render_html(reply.blocks),
                "buttons": keyboard_rows(reply),
            }
            await self.store.enqueue(0, WEBCHAT_KIND, payload, recipient, ticket_id)
            return
        if recipient.startswith("terminal:"):
            payload = {"text": render_plain(reply.blocks), "buttons": keyboard_rows(reply)}
            await self.store.enqueue(0, "terminal", payload, recipient, ticket_id)
            return
        if recipient.startswith("desk:"):
            # An applicant who came to the counter: staff hand the notice over themselves.
            log.debug("notice for a desk applicant kept in the ticket's log only")
            return
        if recipient == STAFF_OWNER:
            if self.staff_chat is None:
                if not self._warned:
                    log.warning(
                        "CITIZEN_DESK_STAFF_CHAT is not set: staff-group messages are dropped"
                    )
                    self._warned = True
                return
            chat_id, owner = self.staff_chat, STAFF_OWNER
        elif (tg_chat := telegram_id(recipient)) is not None:
            chat_id, owner = tg_chat, recipient
        else:
            log.error("no channel for recipient %s: message dropped", recipient)
            return
        for payload in reply_payloads(reply):
            await self.store.enqueue(chat_id, "send", payload, owner, ticket_id)
