"""Forged button data and typed numbers: one strict parser, refused as an expired menu.

The parser on its own (examples and fuzzing), the dialogue core on a real SQLite file with
a real ticket desk (every action kind, fuzzed), and the Telegram channel over HTTP to the
emulator, where a forged press is answered and its update is not marked failed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.actions import ID_MAX, identifier, number, telegram_id
from bot.dialogue import Dialogue, Incoming
from bot.errors import UsageError
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.messages import t
from bot.notify import OutboxNotifier
from bot.replies import Reply, text_reply
from bot.store import Store, TicketStore
from bot.tickets.model import Role, StaffMember, Ticket
from bot.tickets.service import TicketDesk
from bot.web.serve import parse_listen
from bot.workdays import WorkCalendar
from tests.emulator import BotApiEmulator
from tests.telegram_harness import running_bot

CITIZEN = "tg:42"
SUPERVISOR = StaffMember(9, Role.SUPERVISOR, None, "赵督办")
EXPIRED = t("expired", "zh")
#: Characters `str.isdigit()` accepts that `int()` refuses, and digits of other scripts.
NOT_ASCII_DIGITS = ("²", "①", "³", "٣", "５", "𝟙", "1²", "²1")
TOO_BIG = ("99999999999999999999", str(ID_MAX + 1), "9" * 5000)


# -- the parser -----------------------------------------------------------------------------


def test_number_takes_ascii_digits_within_bounds() -> None:
    assert number("0", 5) == 0
    assert number("5", 5) == 5
    assert number("3", 5, low=1) == 3
    assert number("0", 5, low=1) is None
    assert number("6", 5) is None
    assert number(str(ID_MAX), ID_MAX) == ID_MAX
    assert identifier("17") == 17


@pytest.mark.parametrize(
    "text", ["", " 1", "1 ", "+1", "-1", "1.0", "1_0", "0x1", "1e3", *NOT_ASCII_DIGITS, *TOO_BIG]
)
def test_number_refuses_everything_else(text: str) -> None:
    assert number(text, ID_MAX) is None
    assert identifier(text) is None


@given(st.text(), st.integers(min_value=0, max_value=ID_MAX))
def test_number_never_raises_and_returns_only_what_the_text_says(text: str, high: int) -> None:
    value = number(text, high)
    if value is not None:
        assert text.isascii() and text.isdigit()
        assert int(text) == value and 0 <= value <= high


@given(st.integers(min_value=0, max_value=ID_MAX))
def test_every_number_in_range_is_read_back(value: int) -> None:
    assert number(str(value), ID_MAX) == value
    assert identifier(str(value)) == (value or None)


@pytest.mark.parametrize(
    ("key", "value"),
    [("tg:42", 42), ("tg:-1001234567890", -1001234567890), ("tg:4503599627370496", 2**52)],
)
def test_a_telegram_key_gives_its_chat_id(key: str, value: int) -> None:
    assert telegram_id(key) == value


@pytest.mark.parametrize(
    "key",
    [
        "tg:",
        "tg:-",
        "tg:--1",
        "tg:0",
        "tg:+1",
        "tg:²",
        "tg:①",
        "tg:1" + "0" * 20,
        "tg:" + "9" * 5000,
        "web:5",
        "42",
    ],
)
def test_a_key_that_is_not_a_telegram_one_gives_none(key: str) -> None:
    assert telegram_id(key) is None


@given(st.text())
def test_telegram_id_never_raises(text: str) -> None:
    value = telegram_id("tg:" + text)
    assert value is None or str(value) == text


# -- the dialogue core on a real database ---------------------------------------------------


@dataclass
class Desk:
    """A real SQLite file with the ticket desk and the dialogue on top."""

    store: Store
    dialogue: Dialogue
    desk: TicketDesk

    async def press(self, user: str, action: str) -> list[Reply]:
        async with self.store.transaction():
            return await self.dialogue.handle(Incoming(user, action=action))

    async def command(self, user: str, text: str) -> list[Reply]:
        async with self.store.transaction():
            return await self.dialogue.handle(Incoming(user, text=text))

    async def answered_ticket(self) -> Ticket:
        """A ticket of CITIZEN that waits for its rating."""
        async with self.store.transaction():
            ticket = await self.desk.file(CITIZEN, "environment", "村口的垃圾堆了一个星期没人清理")
            await self.desk.claim(SUPERVISOR, ticket.number)
            return await self.desk.resolve(SUPERVISOR, ticket.number, "已经清理干净")


async def open_desk(path: Path, kb: KnowledgeBase, matcher: Matcher) -> Desk:
    store = await Store.open(path)
    desk = TicketDesk(store, kb, WorkCalendar(), OutboxNotifier(store, -100))
    dialogue = Dialogue(matcher, store)
    dialogue.attach_desk(desk)
    async with store.transaction():
        await TicketStore(store).add_staff(SUPERVISOR)
    return Desk(store, dialogue, desk)


@pytest.fixture
async def desk(tmp_path: Path, sample_kb: KnowledgeBase, matcher: Matcher) -> AsyncIterator[Desk]:
    opened = await open_desk(tmp_path / "db.sqlite3", sample_kb, matcher)
    yield opened
    await opened.store.close()


def text_of(replies: list[Reply]) -> str:
    return "\n".join(r.plain_text() for r in replies)


def forged_actions(ticket: int) -> list[tuple[str, str]]:
    """(user, action) for every action kind with a number in it, each number forged."""
    forged = []
    for bad in (*NOT_ASCII_DIGITS, *TOO_BIG):
        forged += [
            (CITIZEN, f"r:{bad}:5"),
            (CITIZEN, f"r:{ticket}:{bad}"),
            (CITIZEN, f"b:family:{bad}"),
            (CITIZEN, f"b:-:{bad}"),
            (CITIZEN, f"f:dibao:y:{bad}"),
            (CITIZEN, f"f:dibao:n:{bad}"),
            (SUPERVISOR.key, f"t:claim:{bad}"),
            (SUPERVISOR.key, f"t:assign:{bad}"),
            (SUPERVISOR.key, f"t:dept:{bad}:enforcement"),
            (CITIZEN, f"dc:{bad}"),
            (CITIZEN, f"dq:{bad}"),
            (CITIZEN, f"dq:confirm:{bad}"),
        ]
    return forged


async def test_forged_numbers_in_every_action_are_an_expired_menu(desk: Desk) -> None:
    ticket = await desk.answered_ticket()
    for user, action in forged_actions(ticket.id):
        replies = await desk.press(user, action)
        assert text_of(replies) == EXPIRED, action
    async with desk.store.conn.execute("SELECT COUNT(*) FROM feedback") as cur:
        assert tuple(await cur.fetchone()) == (0,)  # type: ignore[arg-type]
    # Nothing was rated, and the real buttons still work.
    assert (await desk.desk.tickets.get(ticket.id)).status.value == "answered"  # type: ignore[union-attr]
    assert await desk.press(CITIZEN, f"r:{ticket.id}:5") == []
    assert (await desk.desk.tickets.get(ticket.id)).status.value == "closed"  # type: ignore[union-attr]
    browse = await desk.press(CITIZEN, "b:family:0")
    assert any(a.startswith("e:") for r in browse for a in r.button_actions())
    assert text_of(await desk.press(CITIZEN, "f:dibao:y:1")) == t("feedback_thanks", "zh")


async def test_a_forged_number_of_days_for_extend_is_the_usage(desk: Desk) -> None:
    ticket = await desk.answered_ticket()
    usage = t("staff_usage", "zh", usage="/extend TS-2026-000001 5 理由")
    for bad in (*NOT_ASCII_DIGITS, *TOO_BIG):
        replies = await desk.command(SUPERVISOR.key, f"/extend {ticket.number} {bad} 理由")
        assert text_of(replies) == usage, bad


@pytest.mark.parametrize("text", ["TS-٢٠٢٦-٠٠٠٠٠١", "TS-2026-①", "ts２０２６０００００１"])
async def test_a_ticket_number_in_other_digits_is_not_a_ticket_number(
    desk: Desk, text: str
) -> None:
    replies = await desk.command(SUPERVISOR.key, f"/claim {text}")
    assert text_of(replies) == t("staff_usage", "zh", usage="/claim TS-2026-000001")


async def test_a_phone_number_in_other_digits_is_refused_full_width_is_read(desk: Desk) -> None:
    for step in ("/complain", "fm:cat:environment", "村口的垃圾堆了一个星期没人清理", "东村村口"):
        await (desk.press if step.startswith("fm:") else desk.command)(CITIZEN, step)
    await desk.command(CITIZEN, "昨天上午")
    await desk.press(CITIZEN, "fm:skip")  # no photos
    bad = await desk.command(CITIZEN, "1٣٨١٢٣٤٥٦٧٨")
    assert t("form_phone_bad", "zh") in text_of(bad)
    await desk.command(CITIZEN, "１３８ １２３４ ５６７８")
    draft = await desk.desk.tickets.get_draft(CITIZEN)
    assert draft is not None and draft.step == "confirm"
    assert draft.data["phone"] == "13812345678"


#: Mostly digits of every kind (and separators), so the numeric fields are hit hard.
DIGITISH = st.sampled_from([*"0123456789:-+ ", *"".join(NOT_ASCII_DIGITS)])
ACTION_TEXT = st.one_of(
    st.text(alphabet=st.one_of(DIGITISH, st.characters(codec="utf-8")), max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(TOO_BIG),
)
FORGED = st.one_of(
    st.tuples(
        st.sampled_from(["r", "b", "f", "t", "e", "fm", "m", "pd", "n", "dq", "dc"]), ACTION_TEXT
    ).map(":".join),
    st.builds(
        "{}:{}:{}".format,
        st.sampled_from(["r", "b", "t", "dq"]),
        st.one_of(ACTION_TEXT, st.sampled_from(["claim", "assign", "dept", "family", "-"])),
        ACTION_TEXT,
    ),
    st.builds("f:dibao:{}:{}".format, st.sampled_from(["y", "n", "x"]), ACTION_TEXT),
)


def test_fuzzed_actions_never_raise(
    tmp_path: Path, sample_kb: KnowledgeBase, matcher: Matcher
) -> None:
    """Any action from a citizen or a supervisor is answered without an exception."""
    loop = asyncio.new_event_loop()
    opened = loop.run_until_complete(open_desk(tmp_path / "db.sqlite3", sample_kb, matcher))
    loop.run_until_complete(opened.answered_ticket())

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from([CITIZEN, SUPERVISOR.key]), FORGED)
    def press(user: str, action: str) -> None:
        replies = loop.run_until_complete(opened.press(user, action))
        assert isinstance(replies, list)

    try:
        press()
    finally:
        loop.run_until_complete(opened.store.close())
        loop.close()


# -- Telegram, over HTTP to the emulator ----------------------------------------------------

CHAT = 5101


async def test_forged_presses_on_a_real_menu_get_the_expired_answer_and_no_failed_update(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    forged = ["r:²:5", "r:1:①", "r:99999999999999999999:1", "b:family:²", "f:dibao:y:²"]
    forged.append("f:dibao:y:99999999999999999999")
    async with running_bot(emulator, matcher, db):
        emulator.add_message(CHAT, "低保怎么申请")
        answer = (await emulator.wait_for_sent(CHAT, 1))[-1]
        for count, data in enumerate(forged, start=2):
            emulator.add_callback(CHAT, answer.message_id, data)
            reply = (await emulator.wait_for_sent(CHAT, count))[-1]
            assert reply.plain_text == EXPIRED, data
    with sqlite3.connect(db) as conn:
        states = dict(conn.execute("SELECT state, COUNT(*) FROM updates GROUP BY state"))
        feedback = conn.execute("SELECT COUNT(*) FROM feedback").fetchone()
    assert states == {"done": 1 + len(forged)}
    assert feedback == (0,)


@pytest.mark.parametrize("port", ["²", "①", "0", "65536", "9" * 5000, "８０"])
def test_a_listen_port_that_is_not_one_is_a_usage_error(port: str) -> None:
    with pytest.raises(UsageError, match="HOST:PORT"):
        parse_listen(f"127.0.0.1:{port}")
    assert parse_listen("127.0.0.1:8080") == ("127.0.0.1", 8080)


async def test_forged_user_keys_reach_neither_the_staff_table_nor_the_outbox(
    desk: Desk, tmp_path: Path
) -> None:
    """`tg:²` once raised in the staff lookup and in the notifier (isdigit, then int)."""
    tickets = TicketStore(desk.store)
    for key in ("tg:²", "tg:①", "tg:" + "9" * 5000, "tg:99999999999999999999"):
        assert await tickets.staff_member(key) is None
        async with desk.store.transaction():
            await OutboxNotifier(desk.store, -100).notify(key, text_reply("x"))
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone() == (0,)
