"""The terminal chat as a person uses it (issue 10.9): `citizen-desk chat` on a real
pseudo-terminal, a real SQLite file, and the staff side through the real TicketDesk."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.channels.terminal import USER

TIMEOUT = 30.0
#: The complaint form up to its confirmation: category 4 (环境卫生), description, place,
#: no time, no phone, no attachment.
COMPLAINT = [
    "我要反映问题",
    "4",
    "村口垃圾堆了两个星期没人清运，臭气熏天",
    "村口",
    "/skip",
    "/skip",
    "/skip",
]


class Terminal:
    """`citizen-desk chat` on a pseudo-terminal: what the person types and sees."""

    def __init__(self, db: Path, *args: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_DESK_")}
        env["CITIZEN_DESK_DB"] = str(db)
        master, slave = pty.openpty()
        self.master = master
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "chat", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,  # the pty becomes its controlling terminal: ^C is SIGINT
            close_fds=True,
        )
        os.close(slave)
        self.screen = ""

    def read(self, timeout: float = 0.1) -> str:
        """Whatever arrives within `timeout` seconds (added to the screen)."""
        chunks = []
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if not ready:
                break
            try:
                data = os.read(self.master, 65536)
            except OSError:  # the process ended and closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        text = b"".join(chunks).decode("utf-8", errors="replace").replace("\r\n", "\n")
        self.screen += text
        return text

    def wait_for(self, text: str, timeout: float = TIMEOUT) -> str:
        """Read until `text` is on the screen; fail with the screen if it never comes."""
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared:\n{self.screen}")
            self.read(0.1)
        return self.screen

    def type(self, line: str, wait: str | None = "\n> ") -> str:
        """Type a line and Enter; wait for the next prompt; return what appeared since."""
        start = len(self.screen)
        os.write(self.master, line.encode() + b"\n")
        if wait is not None:
            deadline = time.monotonic() + TIMEOUT
            while wait not in self.screen[start + len(line) :]:
                if time.monotonic() > deadline:
                    raise AssertionError(f"no {wait!r} after {line!r}:\n{self.screen}")
                self.read(0.1)
        return self.screen[start:]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        os.close(self.master)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(tmp_path / "db.sqlite3")
    term.wait_for("\n> ")
    yield term
    term.close()


def test_no_staff_chat_warning_in_the_middle_of_a_complaint(terminal: Terminal) -> None:
    for line in COMPLAINT:
        terminal.type(line)
    filed = terminal.type("1")
    assert "TS-" in filed
    terminal.type("低保怎么申请")
    assert "CITIZEN_DESK_STAFF_CHAT" not in terminal.screen
    assert USER  # the terminal citizen's key, used by the staff-side tests
