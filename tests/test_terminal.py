"""The terminal chat as a person uses it (issue 10.9): `citizen-desk chat` on a real
pseudo-terminal, a real SQLite file, and the staff side through the real TicketDesk."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import re
import select
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.channels.terminal import USER
from bot.config import Settings
from bot.knowledge.loader import load_knowledge, sample_kb_path
from bot.messages import t
from bot.store import Store
from bot.tickets.model import Role, StaffMember, Status, Ticket
from bot.tickets.service import TicketDesk

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


def _controlling_terminal() -> None:
    """Make standard input (the pty) the new session's controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


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
            start_new_session=True,
            preexec_fn=_controlling_terminal,  # so that ^C is SIGINT, as in a real terminal
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
        return self.wait_until(lambda screen: text in screen, repr(text), timeout)

    def wait_until(self, ok: Callable[[str], bool], what: str, timeout: float = TIMEOUT) -> str:
        """Read until `ok(screen)`; fail with the screen if `what` never comes."""
        deadline = time.monotonic() + timeout
        while not ok(self.screen):
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} never appeared:\n{self.screen}")
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


DESK = StaffMember(0, Role.SUPERVISOR, None, "desk")
ACK = 5.0  # seconds a staff reply may take to appear on the terminal without typing


def staff(db: Path, action: str, number: str, text: str = "") -> Ticket:
    """A staff member's action on a ticket, through the real TicketDesk on the same file."""

    async def act() -> Ticket:
        kb = load_knowledge(sample_kb_path()).kb
        assert kb is not None
        async with Store.opened(db) as store:
            desk = TicketDesk.from_settings(store, kb, Settings(db_path=db), staff_group=False)
            async with store.transaction():
                if action == "claim":
                    return await desk.claim(DESK, number)
                if action == "resolve":
                    return await desk.resolve(DESK, number, text)
                if action == "reply":
                    return await desk.reply(DESK, number, text)
                assert action == "reject"
                return await desk.reject(DESK, number, text)

    return asyncio.run(act())


def tickets_of(db: Path) -> list[Ticket]:
    async def read() -> list[Ticket]:
        async with Store.opened(db) as store:
            kb = load_knowledge(sample_kb_path()).kb
            assert kb is not None
            desk = TicketDesk.from_settings(store, kb, Settings(db_path=db))
            return await desk.tickets.of_citizen(USER)

    return asyncio.run(read())


def ratings_of(db: Path, ticket_id: int) -> list[tuple[int, int, str | None]]:
    async def read() -> list[tuple[int, int, str | None]]:
        async with Store.opened(db) as store:
            kb = load_knowledge(sample_kb_path()).kb
            assert kb is not None
            desk = TicketDesk.from_settings(store, kb, Settings(db_path=db))
            return await desk.tickets.ratings(ticket_id)

    return asyncio.run(read())


def file_complaint(terminal: Terminal) -> str:
    """File the sample complaint by typing; return its ticket number."""
    for line in COMPLAINT:
        terminal.type(line)
    filed = terminal.type("1")
    found = re.search(r"TS-\d{4}-\d{6}", filed)
    assert found, filed
    return found.group(0)


def choice_number(screen: str, label: str) -> str:
    """The number shown before `label` in the last menu that lists it."""
    found = re.findall(rf"^  (\d+)\. {re.escape(label)}$", screen, flags=re.MULTILINE)
    assert found, f"no choice {label!r} on:\n{screen}"
    return str(found[-1])


def test_ctrl_c_says_goodbye_and_exits_at_once(terminal: Terminal) -> None:
    terminal.type("低保怎么申请")
    os.write(terminal.master, b"\x03")  # Ctrl-C: the terminal sends SIGINT
    started = time.monotonic()
    terminal.wait_for(t("bye", "zh"), timeout=5)
    assert terminal.proc.wait(5) == 0
    assert time.monotonic() - started < 3
    terminal.read(0.2)
    assert "Traceback" not in terminal.screen and "KeyboardInterrupt" not in terminal.screen


def test_ctrl_d_says_goodbye(terminal: Terminal) -> None:
    os.write(terminal.master, b"\x04")  # Ctrl-D at the start of a line: end of input
    terminal.wait_for(t("bye", "zh"), timeout=5)
    assert terminal.proc.wait(5) == 0
    assert "Traceback" not in terminal.screen


def test_ctrl_c_in_english_says_goodbye_in_english(tmp_path: Path) -> None:
    term = Terminal(tmp_path / "db.sqlite3", "--lang", "en")
    try:
        term.wait_for("\n> ")
        os.write(term.master, b"\x03")
        term.wait_for(t("bye", "en"), timeout=5)
        assert term.proc.wait(5) == 0
    finally:
        term.close()


def test_staff_reply_and_outcome_appear_without_typing(terminal: Terminal, tmp_path: Path) -> None:
    number = file_complaint(terminal)
    staff(tmp_path / "db.sqlite3", "claim", number)
    staff(tmp_path / "db.sqlite3", "reply", number, "已通知保洁公司明早清运")
    terminal.wait_for("已通知保洁公司明早清运", timeout=ACK)
    staff(tmp_path / "db.sqlite3", "resolve", number, "垃圾已清运，并增设一个垃圾桶")
    terminal.wait_for("垃圾已清运，并增设一个垃圾桶", timeout=ACK)
    # The prompt is shown again below the update (its bytes may follow the text a moment later).
    screen = terminal.wait_until(
        lambda s: s.rstrip().endswith(">"), "the prompt below the update", timeout=ACK
    )
    assert screen.index("垃圾已清运，并增设一个垃圾桶") < screen.rstrip().rindex(">")
    rating = choice_number(terminal.screen, t("rating_5", "zh"))
    terminal.type(rating)
    assert ratings_of(tmp_path / "db.sqlite3", tickets_of(tmp_path / "db.sqlite3")[0].id) == [
        (1, 5, None)
    ]


def test_a_typed_menu_number_is_not_taken_as_an_unseen_rating(
    terminal: Terminal, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    number = file_complaint(terminal)
    welcome = terminal.type("/start")
    status = choice_number(welcome, t("button_status", "zh"))
    staff(db, "resolve", number, "垃圾已清运，并增设一个垃圾桶")
    # The outcome arrives under the main menu (at once, or after the next line).
    terminal.type("/lang zh")
    terminal.wait_for("垃圾已清运，并增设一个垃圾桶", timeout=ACK)
    rating = choice_number(terminal.screen, t("rating_5", "zh"))
    assert rating != status  # no number means two things on the screen
    shown = terminal.type(status)  # the main menu's 查询进度, as typed
    (ticket,) = tickets_of(db)
    assert ticket.status is Status.ANSWERED and ratings_of(db, ticket.id) == []
    assert number in shown
    terminal.type(rating)
    (ticket,) = tickets_of(db)
    assert ticket.status is Status.CLOSED and ratings_of(db, ticket.id) == [(1, 5, None)]


def test_help_lists_every_command(terminal: Terminal) -> None:
    shown = terminal.type("/help")
    commands = ("/start", "/services", "/complain", "/status", "/human", "/cancel", "/skip")
    for command in (*commands, "/mydata", "/forget", "/lang", "/quit", "/help"):
        assert re.search(rf"^{command} \S", shown, flags=re.MULTILINE), (command, shown)
    for command in re.findall(r"^/(\w+)", shown, flags=re.MULTILINE):  # each one works
        if command != "quit":
            assert t("unknown_command", "zh") not in terminal.type(f"/{command}"), command


@pytest.mark.parametrize("end", ["closed", "rejected"])
def test_status_shows_no_deadline_on_a_finished_ticket(
    terminal: Terminal, tmp_path: Path, end: str
) -> None:
    db = tmp_path / "db.sqlite3"
    number = file_complaint(terminal)
    due = tickets_of(db)[0].deadline.isoformat()
    assert due in terminal.type("/status") and due in terminal.type(f"/status {number}")
    if end == "closed":
        staff(db, "resolve", number, "垃圾已清运")
        terminal.type("/lang zh")
        terminal.wait_for("垃圾已清运", timeout=ACK)
        terminal.type(choice_number(terminal.screen, t("rating_5", "zh")))
        terminal.type("/skip")
    else:
        staff(db, "reject", number, "不属于本镇管辖，请向县环保局反映")
        terminal.type("/lang zh")
        terminal.wait_for("不属于本镇管辖", timeout=ACK)
    assert tickets_of(db)[0].status.value == end
    listed = terminal.type("/status")
    detail = terminal.type(f"/status {number}")
    assert number in listed and number in detail
    for shown in (listed, detail):
        assert due not in shown and t("label_deadline", "zh") not in shown
        assert "时限" not in shown


def test_no_staff_chat_warning_in_the_middle_of_a_complaint(terminal: Terminal) -> None:
    for line in COMPLAINT:
        terminal.type(line)
    filed = terminal.type("1")
    assert "TS-" in filed
    terminal.type("低保怎么申请")
    assert "CITIZEN_DESK_STAFF_CHAT" not in terminal.screen
    assert USER  # the terminal citizen's key, used by the staff-side tests


@pytest.mark.parametrize("typed", ["²", "①"])
def test_a_typed_superscript_or_circled_digit_is_answered_politely(
    terminal: Terminal, typed: str
) -> None:
    terminal.type("/start")  # a numbered menu is on screen: the typed "digit" is not a choice
    answer = terminal.type(typed)
    assert "Traceback" not in terminal.screen and "Error" not in terminal.screen
    assert terminal.proc.poll() is None, terminal.screen  # still running
    assert answer.strip() and t("internal_error", "zh") not in answer, answer
    assert "低保" in terminal.type("低保怎么申请")  # and the chat goes on
