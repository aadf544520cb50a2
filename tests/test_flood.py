"""Flood control: paced by when people wrote, a held message is answered later, in order."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from bot.flood import MAX_HELD_WINDOWS, FloodGuard, Verdict
from bot.matching.matcher import Matcher
from tests.emulator import BotApiEmulator
from tests.telegram_harness import running_bot

CHAT = 5001


# -- the guard on its own -------------------------------------------------------------------


def test_messages_written_at_a_human_pace_pass_however_late_they_are_judged() -> None:
    guard = FloodGuard(limit=8, window=10)
    now = 10_000.0  # judged all at once, an hour after they were written
    verdicts = [guard.admit("a", n, 6400 + 1.6 * n, now) for n in range(12)]
    assert verdicts == [Verdict(now)] * 12


def test_past_the_limit_a_message_is_held_until_there_is_room_in_order() -> None:
    guard = FloodGuard(limit=3, window=2)
    verdicts = [guard.admit("a", n, 100.0, 100.0) for n in range(7)]
    assert [v.due for v in verdicts] == [100, 100, 100, 102, 102, 102, 104]
    assert [v.notice for v in verdicts] == [None] * 3 + ["flood_held"] + [None] * 3
    # Someone else is not held back by a's flood.
    assert guard.admit("b", "b1", 100.0, 100.0) == Verdict(100.0)
    # a's next message, written later but while some are held, comes after them.
    assert guard.admit("a", 7, 101.0, 101.0).due == 104
    # A button press of a's waits for what a wrote before it.
    assert guard.follow("a", "press", 101.0) == 104


def test_a_flood_too_long_to_hold_is_dropped_and_told_once() -> None:
    guard = FloodGuard(limit=3, window=2)
    verdicts = [guard.admit("a", n, 100.0, 100.0) for n in range(30)]
    kept = 3 * (1 + MAX_HELD_WINDOWS)
    assert [v.dropped for v in verdicts] == [False] * kept + [True] * (30 - kept)
    assert [v.notice for v in verdicts if v.notice] == ["flood_held", "flood_dropped"]


def test_a_message_judged_again_gets_the_same_verdict_and_counts_once() -> None:
    guard = FloodGuard(limit=2, window=10)
    first = [guard.admit("a", n, 100.0, 100.0) for n in range(3)]
    # A rolled-back batch redone: the same verdicts, the held notice again (it was undone).
    again = [guard.admit("a", n, 100.0, 100.5) for n in range(3)]
    assert again == [Verdict(100.5), Verdict(100.5), first[2]]
    assert first[2].notice == "flood_held"
    # The held one, once due, is answered without a second notice.
    assert guard.admit("a", 2, 100.0, 111.0) == Verdict(111.0)
    # Calm again: the next flood is told again.
    assert guard.admit("a", 3, 130.0, 130.0) == Verdict(130.0)
    assert [guard.admit("a", n, 130.0, 130.0).notice for n in (4, 5)] == [None, "flood_held"]


# -- through Telegram -----------------------------------------------------------------------


def answers(emulator: BotApiEmulator) -> list[str]:
    return [
        m.plain_text or "" for m in emulator.sent(CHAT) if "最低生活保障" in (m.plain_text or "")
    ]


async def test_a_backlog_written_at_a_human_pace_is_all_answered(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    # 12 questions 1.6 s apart (6 per 10 s, under the limit of 8) while the bot was down.
    start = int(time.time()) - 3600
    for n in range(12):
        emulator.add_message(CHAT, "低保怎么申请", date=int(start + 1.6 * n))
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3"):
        await emulator.wait_for(lambda: len(answers(emulator)) >= 12 or None, timeout=30)
    assert len(answers(emulator)) == 12
    assert not any("好几条" in (m.plain_text or "") for m in emulator.sent(CHAT))


async def test_a_real_flood_is_held_paced_and_cut_off_with_one_notice_each(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    settings = {"flood_messages": 3, "flood_window": 2}
    kept = 3 * (1 + MAX_HELD_WINDOWS)  # 3 at once, then 3 per 2 s for 3 windows
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3", **settings):
        for _ in range(30):
            emulator.add_message(CHAT, "低保怎么申请")
        written = time.monotonic()
        await emulator.wait_for(lambda: len(answers(emulator)) >= kept or None, timeout=30)
        await emulator.wait_for_confirmed(30)
        await _quiet(emulator, seconds=1.0)
    texts = [m.plain_text or "" for m in emulator.sent(CHAT)]
    assert sum("按顺序逐条回复" in t for t in texts) == 1
    assert sum("后面几条没有处理" in t for t in texts) == 1
    assert len(answers(emulator)) == kept
    # Held answers come no earlier than their turn: 3 at once, then 3 every 2 s. (Telegram
    # dates are whole seconds, hence a margin of 1 s.)
    sent_at = [
        c.finished - written
        for c in emulator.call_log
        if c.method == "sendMessage" and "最低生活保障" in str(c.params.get("text"))
    ]
    for n, at in enumerate(sent_at):
        assert at >= 2 * (n // 3) - 1, sent_at


async def test_held_messages_wait_in_the_database_across_a_restart(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    settings = {"flood_messages": 3, "flood_window": 2}
    async with running_bot(emulator, matcher, db, **settings):
        for _ in range(9):
            emulator.add_message(CHAT, "低保怎么申请")
        await emulator.wait_for(lambda: len(answers(emulator)) >= 3 or None)
        await emulator.wait_for_confirmed(9)
    # Stopped with 6 held: they are stored, pending, with the time they are due.
    with sqlite3.connect(db) as conn:
        held = conn.execute(
            "SELECT COUNT(*) FROM updates WHERE state = 'pending' AND not_before > 0"
        ).fetchone()[0]
    assert held + len(answers(emulator)) - 3 == 6 and held > 0
    async with running_bot(emulator, matcher, db, **settings):
        await emulator.wait_for(lambda: len(answers(emulator)) >= 9 or None, timeout=30)
        await _quiet(emulator, seconds=1.0)
    assert len(answers(emulator)) == 9
    with sqlite3.connect(db) as conn:
        states = conn.execute("SELECT state, COUNT(*) FROM updates GROUP BY state").fetchall()
    assert states == [("done", 9)]


async def _quiet(emulator: BotApiEmulator, seconds: float) -> None:
    """Wait until nothing more has been sent for `seconds`."""
    while True:
        count = len(emulator.sent(CHAT))
        await asyncio.sleep(seconds)
        if len(emulator.sent(CHAT)) == count:
            return


async def test_a_press_after_held_messages_waits_for_them_and_is_answered_once(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    settings = {"flood_messages": 1, "flood_window": 3}
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3", **settings):
        emulator.add_message(CHAT, "低保怎么申请")
        first = (await emulator.wait_for_sent(CHAT, 1))[-1]
        emulator.add_message(CHAT, "社保卡怎么办")  # held: 1 per 3 s
        emulator.add_message(CHAT, "低保怎么申请")  # held after it
        emulator.add_callback(CHAT, first.message_id, "f:dibao:y:1")
        await emulator.wait_for(lambda: len(emulator.sent(CHAT)) >= 5 or None, timeout=15)
        await _quiet(emulator, seconds=1.0)
    texts = [m.plain_text or "" for m in emulator.sent(CHAT)]
    assert "按顺序逐条回复" in texts[1]
    assert "社会保障卡" in texts[2] and "最低生活保障" in texts[3]
    assert len(texts) == 5  # the press's reply last, after what was written before it
    assert len(emulator.calls_to("answerCallbackQuery")) == 1
