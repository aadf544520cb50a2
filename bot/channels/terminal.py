"""The terminal channel: a chat on standard input/output through the dialogue core."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from bot.actions import number
from bot.dialogue import Dialogue, Incoming
from bot.messages import t
from bot.render import render_plain
from bot.replies import Button, Reply
from bot.store import Store

USER = "terminal:local"
PROMPT = "> "


#: A typed menu number has one to three ASCII digits (not ², ① or a phone number).
MAX_CHOICE = 999


class TerminalChat:
    """Reads lines, shows replies; numbered choices are answered by typing the number."""

    def __init__(
        self,
        dialogue: Dialogue,
        out: TextIO = sys.stdout,
        interactive: bool = False,
        store: Store | None = None,
        user: str = USER,
    ):
        self.dialogue = dialogue
        self.out = out
        self.interactive = interactive
        self.store = store
        self.user = user
        self.choices: list[Button] = []

    async def greet(self) -> None:
        """Show the welcome message (interactive sessions only)."""
        lang = await self.dialogue.language(Incoming(self.user))
        self.show([self.dialogue.welcome(lang)])
        await self.show_notifications()

    async def handle_line(self, line: str) -> bool:
        """Handle one typed line; return False when the user wants to quit."""
        text = line.strip()
        if text.lower() in ("/quit", "/exit", "/q"):
            lang = await self.dialogue.language(Incoming(self.user))
            self.write(t("bye", lang))
            return False
        typed = number(text, MAX_CHOICE)
        if self.choices and typed is not None and not 1 <= typed <= len(self.choices):
            # A number outside the list is a mistyped choice, not a question.
            lang = await self.dialogue.language(Incoming(self.user))
            self.write(t("choose_number", lang, count=len(self.choices)))
            return True
        incoming = self._incoming(text)
        if self.store is None:
            replies = await self.dialogue.handle(incoming)
        else:
            async with self.store.transaction():
                replies = await self.dialogue.handle(incoming)
        self.show(replies)
        await self.show_notifications()
        return True

    async def show_notifications(self) -> None:
        """Print messages queued for this terminal user (ticket updates), once each."""
        if self.store is None:
            return
        pending = await self.store.terminal_messages(self.user)
        if not pending:
            return
        choices: list[Button] = []
        for item_id, text, buttons in pending:
            lines = [text]
            for row in buttons:
                for cell in row:
                    choices.append(Button(cell["text"], cell["data"]))
                    lines.append(f"  {len(choices)}. {cell['text']}")
            self.write("\n".join(lines))
            await self.store.outbox_sent(item_id, None)
        if choices:
            self.choices = choices

    def _incoming(self, text: str) -> Incoming:
        choice = number(text, len(self.choices), low=1)
        if choice is not None:
            return Incoming(self.user, action=self.choices[choice - 1].action)
        return Incoming(self.user, text=text)

    def show(self, replies: list[Reply]) -> None:
        """Print replies; buttons become a numbered list remembered for the next line."""
        choices: list[Button] = []
        for reply in replies:
            lines = [render_plain(reply.blocks)]
            if reply.document is not None:
                name, data = reply.document
                path = Path(name).resolve()
                path.write_bytes(data)
                lines.append(f"→ {path}")
            for row in reply.buttons:
                for button in row:
                    choices.append(button)
                    lines.append(f"  {len(choices)}. {button.label}")
            self.write("\n".join(lines))
        if choices:  # a reply without buttons keeps the last choices usable
            self.choices = choices

    def write(self, text: str) -> None:
        """Print a block of output followed by a blank line."""
        self.out.write(text + "\n\n")
        self.out.flush()

    async def run(self, stream: TextIO) -> None:
        """Chat until end of input or /quit."""
        if self.interactive:
            await self.greet()
        while True:
            if self.interactive:
                self.out.write(PROMPT)
                self.out.flush()
            line = stream.readline()
            if not line:
                break
            if not await self.handle_line(line):
                break
