"""The terminal channel: a chat on standard input/output through the dialogue core."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.dialogue import Dialogue, Incoming
from bot.messages import t
from bot.render import render_plain
from bot.replies import Button, Reply

USER = "terminal:local"
PROMPT = "> "


class TerminalChat:
    """Reads lines, shows replies; numbered choices are answered by typing the number."""

    def __init__(self, dialogue: Dialogue, out: TextIO = sys.stdout, interactive: bool = False):
        self.dialogue = dialogue
        self.out = out
        self.interactive = interactive
        self.choices: list[Button] = []

    async def greet(self) -> None:
        """Show the welcome message (interactive sessions only)."""
        lang = await self.dialogue.language(Incoming(USER))
        self.show([self.dialogue.welcome(lang)])

    async def handle_line(self, line: str) -> bool:
        """Handle one typed line; return False when the user wants to quit."""
        text = line.strip()
        if text.lower() in ("/quit", "/exit", "/q"):
            lang = await self.dialogue.language(Incoming(USER))
            self.write(t("bye", lang))
            return False
        incoming = self._incoming(text)
        replies = await self.dialogue.handle(incoming)
        self.show(replies)
        return True

    def _incoming(self, text: str) -> Incoming:
        if text.isdigit() and self.choices:
            number = int(text)
            if 1 <= number <= len(self.choices):
                return Incoming(USER, action=self.choices[number - 1].action)
        return Incoming(USER, text=text)

    def show(self, replies: list[Reply]) -> None:
        """Print replies; buttons become a numbered list remembered for the next line."""
        choices: list[Button] = []
        for reply in replies:
            lines = [render_plain(reply.blocks)]
            for row in reply.buttons:
                for button in row:
                    choices.append(button)
                    lines.append(f"  {len(choices)}. {button.label}")
            self.write("\n".join(lines))
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
