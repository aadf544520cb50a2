"""A disclosure request end to end on Telegram, through the Bot API emulator: the citizen
files in chat, staff handle it with the staff commands, the citizen gets the decision."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.knowledge.model import KnowledgeBase
from tests.emulator import BotApiEmulator, SentMessage
from tests.emulator.bot_api import BOT_USERNAME
from tests.telegram_harness import running_bot
from tests.test_complaint_loop import (
    CITIZEN,
    STAFF,
    STAFF_CHAT,
    SUPERVISOR,
    citizen_presses,
    citizen_says,
    next_message,
    register_staff,
)

ID_NUMBER = "110101199003071234"
PHONE = "13812345678"


async def staff_says(emulator: BotApiEmulator, text: str, user: int = STAFF) -> str:
    """A staff member sends a command in their private chat with the bot."""
    before = len(emulator.sent(user))
    emulator.add_message(user, text, user_id=user)
    reply = await next_message(emulator, user, before)
    assert reply.plain_text is not None
    return reply.plain_text


async def in_group(emulator: BotApiEmulator, command: str) -> str:
    """A staff member sends `command@bot` in the staff group."""
    before = len(emulator.sent(STAFF_CHAT))
    emulator.add_message(STAFF_CHAT, command, chat_type="group", user_id=STAFF)
    reply = await next_message(emulator, STAFF_CHAT, before)
    assert reply.plain_text is not None
    return reply.plain_text


async def citizen_gets(emulator: BotApiEmulator, before: int) -> SentMessage:
    message = await next_message(emulator, CITIZEN, before)
    assert message.plain_text is not None
    return message


async def test_request_to_decision_on_telegram(
    emulator: BotApiEmulator, sample_kb: KnowledgeBase, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    await register_staff(db)
    async with running_bot(emulator, sample_kb, db, staff_chat=STAFF_CHAT):
        form = await citizen_says(emulator, "我要申请公开村里的低保名单")
        form = await citizen_presses(emulator, form, "dq:start")
        await citizen_presses(emulator, form, "dq:app:natural")
        await citizen_says(emulator, "张三")
        await citizen_says(emulator, ID_NUMBER)
        await citizen_says(emulator, PHONE)
        purpose = await citizen_says(emulator, "东村2026年低保名单")
        delivery = await citizen_presses(emulator, purpose, "dq:skip")
        way = await citizen_presses(emulator, delivery, "dq:form:electronic")
        summary = await citizen_presses(emulator, way, "dq:way:chat")
        assert summary.plain_text is not None and ID_NUMBER not in summary.plain_text
        confirm = next(a for a in summary.callback_data if a.startswith("dq:confirm:"))
        receipt = await citizen_presses(emulator, summary, confirm)
        assert receipt.plain_text is not None and "第三十三条" in receipt.plain_text
        number = receipt.plain_text.split("编号 ")[1].split("。")[0]

        # The staff group sees the card, and lists requests, with personal data masked.
        card = (await emulator.wait_for_sent(STAFF_CHAT, 1))[0]
        assert card.plain_text is not None and number in card.plain_text
        listed = await in_group(emulator, f"/dlist@{BOT_USERNAME}")
        assert number in listed and "张*" in listed and "张三" not in listed
        shown = await in_group(emulator, f"/dshow@{BOT_USERNAME} {number}")
        assert PHONE not in shown and ID_NUMBER not in shown and "东村" in shown
        # In the private chat the handling officer sees the contact (never the ID).
        shown = await staff_says(emulator, f"/dshow {number}")
        assert PHONE in shown and ID_NUMBER not in shown

        # The one-time 补正 notice reaches the citizen with its button.
        before = len(emulator.sent(CITIZEN))
        done = await staff_says(emulator, f"/dcorrect {number} 请写明村名和年份")
        assert number in done and "待补正" in done
        notice = await citizen_gets(emulator, before)
        assert "请写明村名和年份" in (notice.plain_text or "")
        assert "只能告知一次" in await staff_says(emulator, f"/dcorrect {number} 再来一次")
        correct = next(a for a in notice.callback_data if a.startswith("dc:"))
        await citizen_presses(emulator, notice, correct)
        ack = await citizen_says(emulator, "青石镇东村，2026年")
        assert ack.plain_text is not None and number in ack.plain_text

        # Only a supervisor extends; the applicant is told why.
        assert "督办" in await staff_says(emulator, f"/dextend {number} 10 需要汇总")
        before = len(emulator.sent(CITIZEN))
        await staff_says(emulator, f"/dextend {number} 10 需要汇总多个村的材料", SUPERVISOR)
        told = await citizen_gets(emulator, before)
        assert "第三十三条" in (told.plain_text or "") and "需要汇总" in (told.plain_text or "")

        # A refusal needs its reason; the decision tells of reconsideration and lawsuit.
        assert "secret" in await staff_says(emulator, f"/danswer {number} withheld")
        before = len(emulator.sent(CITIZEN))
        done = await staff_says(emulator, f"/danswer {number} withheld third_party 涉及个人隐私")
        assert number in done
        decision = (await citizen_gets(emulator, before)).plain_text or ""
        assert "行政复议" in decision and "诉讼" in decision

        # A citizen cannot use the staff commands.
        assert "没有这个命令" in ((await citizen_says(emulator, "/dlist")).plain_text or "")
    with sqlite3.connect(db) as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM ticket_events ORDER BY id")]
        row = conn.execute("SELECT result_row FROM disclosure_requests").fetchone()
    assert actions == ["file", "request_correction", "correct", "extend", "answer"]
    assert row == ("withheld.third_party",)
