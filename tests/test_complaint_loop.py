"""The whole complaint loop, end to end: Telegram through the emulator, and terminal + CLI."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge.model import KnowledgeBase
from bot.store import Store, TicketStore
from bot.tickets.model import Role, StaffMember
from tests.emulator import BotApiEmulator, SentMessage
from tests.telegram_harness import running_bot

CITIZEN = 5001
STAFF = 7
SUPERVISOR = 8
STAFF_CHAT = -100777


async def register_staff(db: Path) -> None:
    async with Store.opened(db) as store:
        tickets = TicketStore(store)
        await tickets.add_staff(StaffMember(STAFF, Role.STAFF, "construction", "王五"))
        await tickets.add_staff(StaffMember(SUPERVISOR, Role.SUPERVISOR, None, "李督办"))


async def next_message(emulator: BotApiEmulator, chat: int, before: int) -> SentMessage:
    return (await emulator.wait_for_sent(chat, before + 1))[before]


async def citizen_says(emulator: BotApiEmulator, text: str = "", **kw: object) -> SentMessage:
    before = len(emulator.sent(CITIZEN))
    emulator.add_message(CITIZEN, text, **kw)  # type: ignore[arg-type]
    return await next_message(emulator, CITIZEN, before)


async def citizen_presses(emulator: BotApiEmulator, message: SentMessage, data: str) -> SentMessage:
    assert data in message.callback_data, (data, message.callback_data)
    before = len(emulator.sent(CITIZEN))
    emulator.add_callback(CITIZEN, message.message_id, data)
    return await next_message(emulator, CITIZEN, before)


def staff_replies_to(emulator: BotApiEmulator, card: SentMessage, text: str) -> None:
    """A staff member answers in the staff group by replying to the bot's ticket card."""
    emulator.add_message(
        STAFF_CHAT, text, chat_type="group", user_id=STAFF, reply_to_message_id=card.message_id
    )


def ticket_row(db: Path) -> tuple[str, str, int | None]:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT number, status, rating FROM tickets").fetchone()
    return row[0], row[1], row[2]


async def test_telegram_complaint_loop(
    emulator: BotApiEmulator, sample_kb: KnowledgeBase, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    await register_staff(db)
    async with running_bot(emulator, sample_kb, db, staff_chat=STAFF_CHAT):
        # The citizen files a complaint through the form.
        form = await citizen_says(emulator, "/complain")
        assert "fm:cat:roads" in form.callback_data
        prompt = await citizen_presses(emulator, form, "fm:cat:roads")
        assert prompt.plain_text is not None and "至少10个字" in prompt.plain_text
        where = await citizen_says(emulator, "李湾村路口的路灯坏了一个多月了，晚上很危险")
        assert "fm:skip" in where.callback_data
        when = await citizen_says(emulator, location=(32.1234, 114.5678))
        evidence = await citizen_presses(emulator, when, "fm:skip")
        assert "fm:done" in evidence.callback_data
        added = await citizen_says(emulator, photo=True)
        assert added.plain_text is not None and "第1个附件" in added.plain_text
        phone = await citizen_presses(emulator, added, "fm:done")
        assert phone.plain_text is not None and "手机号" in phone.plain_text
        summary = await citizen_says(emulator, "138 1234 5678")
        assert summary.plain_text is not None and "13812345678" in summary.plain_text
        confirm = next(d for d in summary.callback_data if d.startswith("fm:confirm:"))
        filed = await citizen_presses(emulator, summary, confirm)
        assert filed.plain_text is not None and "TS-2026-" in filed.plain_text
        number = ticket_row(db)[0]
        assert number in filed.plain_text
        # A double tap files nothing more.
        emulator.add_callback(CITIZEN, summary.message_id, confirm)
        await asyncio.sleep(0.5)
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT COUNT(*) FROM tickets").fetchone() == (1,)

        # The staff group gets the ticket with claim / assign / reject.
        card = (await emulator.wait_for_sent(STAFF_CHAT, 1))[0]
        assert card.plain_text is not None and number in card.plain_text
        assert "138****5678" in card.plain_text and "13812345678" not in card.plain_text
        ticket_id = card.callback_data[0].split(":")[2]
        assert card.callback_data == [
            f"t:claim:{ticket_id}",
            f"t:assign:{ticket_id}",
            f"t:reject:{ticket_id}",
        ]
        emulator.add_callback(STAFF_CHAT, card.message_id, f"t:claim:{ticket_id}", user_id=STAFF)
        claimed = await next_message(emulator, STAFF_CHAT, 1)
        assert claimed.plain_text is not None and "已派单" in claimed.plain_text

        # Replying to the bot's ticket message answers the citizen.
        before = len(emulator.sent(CITIZEN))
        staff_replies_to(emulator, card, "已安排施工队明天维修")
        reply = await next_message(emulator, CITIZEN, before)
        assert reply.plain_text is not None and "已安排施工队明天维修" in reply.plain_text

        # The outcome comes back with the five-level rating.
        before = len(emulator.sent(CITIZEN))
        emulator.add_message(STAFF, f"/resolve {number} 路灯已于昨日修复", user_id=STAFF)
        outcome = await next_message(emulator, CITIZEN, before)
        assert outcome.plain_text is not None and "路灯已于昨日修复" in outcome.plain_text
        assert outcome.callback_data == [f"r:{ticket_id}:{r}" for r in (5, 4, 3, 2, 1)]

        # 不满意 reopens it; a supervisor is told.
        reopened = await citizen_presses(emulator, outcome, f"r:{ticket_id}:2")
        assert reopened.plain_text is not None and "重办" in reopened.plain_text
        alert = (await emulator.wait_for_sent(SUPERVISOR, 1))[-1]
        assert (
            alert.plain_text is not None
            and number in alert.plain_text
            and "不满意" in alert.plain_text
        )
        assert ticket_row(db)[1] == "reopened"

        # Resolved again; the second rating (追评) closes it.
        before = len(emulator.sent(CITIZEN))
        emulator.add_message(STAFF, f"/resolve {number} 已更换整套灯具", user_id=STAFF)
        again = await next_message(emulator, CITIZEN, before)
        assert again.plain_text is not None and "追评" in again.plain_text
        thanks = await citizen_presses(emulator, again, f"r:{ticket_id}:5")
        assert thanks.plain_text is not None and "已办结" in thanks.plain_text
        noted = await citizen_says(emulator, "修得很及时，谢谢")
        assert noted.plain_text == "已记录您的意见，谢谢！"
        status = await citizen_says(emulator, f"{number} 办得怎么样了")
        assert status.plain_text is not None and "已办结" in status.plain_text
    assert ticket_row(db)[1:] == ("closed", 5)
    with sqlite3.connect(db) as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM ticket_events ORDER BY id")]
        ratings = conn.execute("SELECT round, rating, comment FROM ratings ORDER BY id").fetchall()
        attachments = conn.execute("SELECT attachments, location FROM tickets").fetchone()
    assert actions == ["file", "claim", "reply", "resolve", "reopen", "resolve", "rate", "note"]
    assert ratings == [(1, 2, None), (2, 5, "修得很及时，谢谢")]
    assert '"kind": "photo"' in attachments[0] and attachments[1] == "32.12340,114.56780"


async def test_non_staff_commands_are_refused_like_unknown_ones(
    emulator: BotApiEmulator,
    sample_kb: KnowledgeBase,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    async with running_bot(emulator, sample_kb, tmp_path / "db.sqlite3"):
        unknown = await citizen_says(emulator, "/frobnicate")
        refused = await citizen_says(emulator, "/resolve TS-2026-000001 done")
        queue = await citizen_says(emulator, "/queue")
    assert refused.plain_text == unknown.plain_text == queue.plain_text
    assert "tried /resolve" in caplog.text


async def test_outbox_survives_a_restart_while_the_api_fails(
    emulator: BotApiEmulator, sample_kb: KnowledgeBase, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    emulator.fail_next("sendMessage", error_code=500, times=1000)
    async with running_bot(emulator, sample_kb, db):
        emulator.add_message(CITIZEN, "低保怎么申请")
        await emulator.wait_for_call("sendMessage", 1)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state FROM outbox").fetchall() == [("pending",)]
    emulator.clear_failures()
    emulator.fail_next("sendMessage", error_code=429, retry_after=1, times=1)
    async with running_bot(emulator, sample_kb, db):
        await emulator.wait_for_sent(CITIZEN, 1, timeout=20)
        await asyncio.sleep(0.5)
    sent = emulator.sent(CITIZEN)
    assert len(sent) == 1 and sent[0].text is not None and "最低生活保障" in sent[0].text
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state FROM outbox").fetchall() == [("sent",)]


def cli(db: Path, *args: str, stdin: str = "") -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_DESK_")}
    env["CITIZEN_DESK_DB"] = str(db)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_terminal_and_desk_cli_loop(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    filed = cli(
        db,
        "chat",
        stdin="我要反映问题\n4\n村口垃圾堆了两个星期没人清运，臭气熏天\n村口\n/skip\n/skip\n/skip\n1\n",
    )
    assert "工单号：TS-2026-000001" in filed
    assert "TS-2026-000001" in cli(db, "tickets", "list")
    cli(db, "tickets", "claim", "TS-2026-000001")
    cli(db, "tickets", "reply", "TS-2026-000001", "已通知保洁公司")
    cli(db, "tickets", "resolve", "TS-2026-000001", "垃圾已清运，并增设一个垃圾桶")
    rated = cli(db, "chat", stdin="4\n")  # the outcome is shown with numbered ratings; 4 = 不满意
    assert "垃圾已清运" in rated and "重办" in rated
    cli(db, "tickets", "resolve", "TS-2026-000001", "已安排每天清运一次")
    closed = cli(db, "chat", stdin="1\n很好\n/status TS-2026-000001\n")
    assert "已办结" in closed and "已记录您的意见" in closed
    shown = cli(db, "tickets", "show", "TS-2026-000001")
    for action in ("受理", "认领", "工作人员回复", "不满意，重办", "评价并办结"):
        assert action in shown


async def test_staff_reply_and_claim_before_the_card_is_recorded(
    emulator: BotApiEmulator, sample_kb: KnowledgeBase, tmp_path: Path
) -> None:
    """The staff card is on screen a moment before the sender records it: a reply to it
    and a claim in that moment still reach the ticket."""
    db = tmp_path / "db.sqlite3"
    await register_staff(db)
    async with running_bot(emulator, sample_kb, db, staff_chat=STAFF_CHAT) as service:
        real_record = service.record
        slow = asyncio.Event()

        async def record(store: Store, outcomes: list[Any]) -> None:
            if slow.is_set() and any(o.item.chat_id == STAFF_CHAT for o in outcomes):
                await asyncio.sleep(1.5)  # the database is busy elsewhere
            await real_record(store, outcomes)

        service.record = record  # type: ignore[method-assign]
        form = await citizen_says(emulator, "/complain")
        await citizen_presses(emulator, form, "fm:cat:roads")
        where = await citizen_says(emulator, "李湾村路口的路灯坏了一个多月了，晚上很危险")
        when = await citizen_presses(emulator, where, "fm:skip")
        evidence = await citizen_presses(emulator, when, "fm:skip")
        phone = await citizen_presses(emulator, evidence, "fm:done")
        summary = await citizen_says(emulator, "138 1234 5678")
        confirm = next(d for d in summary.callback_data if d.startswith("fm:confirm:"))
        slow.set()
        await citizen_presses(emulator, summary, confirm)
        card = (await emulator.wait_for_sent(STAFF_CHAT, 1))[0]
        ticket_id = card.callback_data[0].split(":")[2]
        before = len(emulator.sent(CITIZEN))
        staff_replies_to(emulator, card, "已安排施工队明天维修")
        emulator.add_callback(STAFF_CHAT, card.message_id, f"t:claim:{ticket_id}", user_id=STAFF)
        reply = await next_message(emulator, CITIZEN, before)
        staff = await emulator.wait_for_sent(STAFF_CHAT, 3)
        slow.clear()
    assert phone.plain_text is not None and "手机号" in phone.plain_text
    assert reply.plain_text is not None and "已安排施工队明天维修" in reply.plain_text
    said = sorted(m.plain_text or "" for m in staff[1:])
    number = ticket_row(db)[0]
    # The reply reached the citizen, and the claim was taken (not "this menu has expired").
    assert said == [f"已完成：{number}（办理中）", f"已把您的回复发给群众（工单 {number}）。"]
