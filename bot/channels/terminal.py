"""The terminal channel: a chat on standard input/output through the dialogue core."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from bot.actions import number
from bot.channels.terminal_input import End, LineReader
from bot.channels.terminal_menus import NOTICE, REPLY, Menus
from bot.dialogue import Dialogue, Incoming
from bot.messages import t
from bot.render import render_plain
from bot.replies import Button, Reply
from bot.store import Store

USER = "terminal:local"
PROMPT = "> "
#: How often the outbox is looked at for messages to this terminal (staff replies and
#: outcomes, written by `citizen-desk tickets` in another process).
POLL_SECONDS = 0.3
QUIT_COMMANDS = ("/quit", "/exit", "/q")


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
        poll_seconds: float = POLL_SECONDS,
    ):
        self.dialogue = dialogue
        dialogue.channel_commands = ("quit",)  # handled here; /help lists it
        self.out = out
        self.interactive = interactive
        self.store = store
        self.user = user
        self.poll_seconds = poll_seconds
        self.menus = Menus()
        #: One block of output at a time: a notification never splits a reply.
        self._lock = asyncio.Lock()
        #: The prompt is on screen, waiting for a line.
        self._prompting = False

    @property
    def choices(self) -> list[Button]:
        """Every button answerable by number, in number order."""
        live = sorted(self.menus.live, key=lambda m: m.start)
        return [button for menu in live for button in menu.buttons]

    async def greet(self) -> None:
        """Show the welcome message (interactive sessions only)."""
        lang = await self.lang()
        self.show([self.dialogue.welcome(lang)])
        await self.show_notifications()

    async def lang(self) -> str:
        """The terminal user's language."""
        return await self.dialogue.language(Incoming(self.user))

    async def handle_line(self, line: str) -> bool:
        """Handle one typed line; return False when the user wants to quit."""
        async with self._lock:
            return await self._handle(line.strip())

    async def _handle(self, text: str) -> bool:
        if text.lower() in QUIT_COMMANDS:
            self.write(t("bye", await self.lang()))
            return False
        typed = number(text, MAX_CHOICE)
        button = self.menus.pick(typed) if typed is not None else None
        if typed is not None and button is None and self.menus.live:
            # A number outside the menus is a mistyped choice, not a question.
            self.write(t("choose_number", await self.lang(), numbers=self.menus.ranges()))
            return True
        if button is not None:
            incoming = Incoming(self.user, action=button.action)
        else:
            incoming = Incoming(self.user, text=text)
        if self.store is None:
            replies = await self.dialogue.handle(incoming)
        else:
            async with self.store.transaction():
                replies = await self.dialogue.handle(incoming)
        self.show(replies)
        await self._deliver()
        return True

    async def show_notifications(self) -> None:
        """Print messages queued for this terminal user (ticket updates), once each."""
        async with self._lock:
            await self._deliver()

    async def _deliver(self) -> None:
        if self.store is None:
            return
        pending = await self.store.terminal_messages(self.user)
        if not pending:
            return
        if self._prompting:  # start below the prompt, and show it again after
            self.out.write("\n")
        buttons: list[Button] = []
        for _, _, rows in pending:
            buttons.extend(Button(cell["text"], cell["data"]) for row in rows for cell in row)
        menu = self.menus.add(NOTICE, buttons) if buttons else None
        shown = 0
        for item_id, text, rows in pending:
            lines = [text]
            for row in rows:
                for cell in row:
                    assert menu is not None
                    lines.append(f"  {menu.start + shown}. {cell['text']}")
                    shown += 1
            self.write("\n".join(lines))
            await self.store.outbox_sent(item_id, None)
        if self._prompting:
            self.prompt()

    def show(self, replies: list[Reply]) -> None:
        """Print replies; buttons become a numbered list remembered for the next line."""
        buttons = [b for reply in replies for row in reply.buttons for b in row]
        # A reply without buttons keeps the last choices usable.
        start = self.menus.add(REPLY, buttons).start if buttons else 0
        for reply in replies:
            lines = [render_plain(reply.blocks)]
            if reply.document is not None:
                name, data = reply.document
                path = Path(name).resolve()
                path.write_bytes(data)
                lines.append(f"→ {path}")
            for row in reply.buttons:
                for button in row:
                    lines.append(f"  {start}. {button.label}")
                    start += 1
            self.write("\n".join(lines))

    def write(self, text: str) -> None:
        """Print a block of output followed by a blank line."""
        self.out.write(text + "\n\n")
        self.out.flush()

    def prompt(self) -> None:
        """Show the prompt (interactive sessions only)."""
        if self.interactive:
            self.out.write(PROMPT)
            self.out.flush()
            self._prompting = True

    async def run(self, stream: TextIO) -> None:
        """Chat until end of input, /quit or Ctrl-C.

        Lines are read in a thread while ticket updates for this user are printed as they
        arrive, without waiting for the next line.
        """
        reader = LineReader(stream)
        with _interrupts(reader):
            reader.start()
            if self.interactive:
                await self.greet()
            else:
                await self.show_notifications()
            delivery = asyncio.create_task(self._deliver_forever())
            try:
                end = await self._read(reader)
            finally:
                delivery.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await delivery
        if end is End.INTERRUPT or (end is End.EOF and self.interactive):
            if self.interactive:  # the cursor is still on the prompt line, after ^C or ^D
                self.out.write("\n")
            self.write(t("bye", await self.lang()))

    async def _read(self, reader: LineReader) -> End | None:
        """Handle lines until the input ends (returned) or the user quits (None)."""
        while True:
            self.prompt()
            line = await reader.next()
            self._prompting = False
            if isinstance(line, End):
                return line
            if not await self.handle_line(line):
                return None

    async def _deliver_forever(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            await self.show_notifications()


@contextlib.contextmanager
def _interrupts(reader: LineReader) -> Iterator[None]:
    """Ctrl-C (SIGINT) and SIGTERM end the chat with a goodbye instead of a traceback."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, reader.interrupt)
        except (NotImplementedError, RuntimeError):  # not on this platform or thread
            continue
        installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
