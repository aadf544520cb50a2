"""Lines typed at the terminal, read in a thread so the chat can print while it waits."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable
from enum import Enum
from typing import TextIO


class End(Enum):
    """Why the input ended: end of file (Ctrl-D, a closed pipe) or an interrupt (Ctrl-C)."""

    EOF = "eof"
    INTERRUPT = "interrupt"


def decode_line(raw: bytes, number: int) -> str:
    """One line of input as text; invalid UTF-8 is replaced and reported on stderr."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        print(
            f"citizen-desk: line {number} of standard input is not valid UTF-8; "
            "unreadable bytes were replaced with �",
            file=sys.stderr,
        )
        return raw.decode("utf-8", errors="replace")


class LineReader:
    """Reads `stream` in a daemon thread and hands its lines to the event loop.

    A file descriptor is read with `os.read`, not through `sys.stdin`'s buffer: a daemon
    thread blocked inside the buffer's lock would make the interpreter abort at exit, and
    the chat must be able to exit (Ctrl-C) while the thread still waits for a line.
    """

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.queue: asyncio.Queue[str | End] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        #: Set by `interrupt`: lines already read but not handled are not handled.
        self.interrupted = False

    def start(self) -> None:
        """Start reading."""
        try:
            fd: int | None = self.stream.fileno()
        except (AttributeError, OSError, ValueError):  # io.StringIO and the like
            fd = None
        target: Callable[[], None] = self._read_text if fd is None else lambda: self._read_fd(fd)
        threading.Thread(target=target, name="terminal-input", daemon=True).start()

    def interrupt(self) -> None:
        """End the input now (from the event loop, e.g. on SIGINT)."""
        self.interrupted = True
        self.queue.put_nowait(End.INTERRUPT)

    async def next(self) -> str | End:
        """The next line (without its line break), or why the input ended."""
        item = await self.queue.get()
        return End.INTERRUPT if self.interrupted else item

    def _put(self, item: str | End) -> bool:
        try:
            self._loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: the chat has ended
            return False
        return True

    def _read_fd(self, fd: int) -> None:
        pending, number = b"", 0
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                if pending:
                    self._put(decode_line(pending.rstrip(b"\r"), number + 1))
                self._put(End.EOF)
                return
            pending += data
            while b"\n" in pending:
                raw, pending = pending.split(b"\n", 1)
                number += 1
                if not self._put(decode_line(raw.rstrip(b"\r"), number)):
                    return

    def _read_text(self) -> None:
        for line in iter(self.stream.readline, ""):
            if not self._put(line.rstrip("\r\n")):
                return
        self._put(End.EOF)
