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


async def file_request(emulator: BotApiEmulator) -> str:
    """The citizen files a request in chat; its number."""
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
    return number


async def test_request_to_decision_on_telegram(
    emulator: BotApiEmulator, sample_kb: KnowledgeBase, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    await register_staff(db)
    async with running_bot(emulator, sample_kb, db, staff_chat=STAFF_CHAT):
        number = await file_request(emulator)

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


async def group_press(
    emulator: BotApiEmulator, message: SentMessage, data: str, user: int = STAFF, count: int = 1
) -> list[SentMessage]:
    """A staff member presses a button in the staff group; the bot's next `count` messages."""
    assert data in message.callback_data, (data, message.callback_data)
    before = len(emulator.sent(STAFF_CHAT))
    emulator.add_callback(STAFF_CHAT, message.message_id, data, user_id=user)
    return (await emulator.wait_for_sent(STAFF_CHAT, before + count))[before:]


async def group_reply(
    emulator: BotApiEmulator, prompt: SentMessage, text: str, user: int = STAFF, count: int = 1
) -> list[SentMessage]:
    """A staff member replies to the bot's prompt in the staff group."""
    before = len(emulator.sent(STAFF_CHAT))
    emulator.add_message(
        STAFF_CHAT, text, chat_type="group", user_id=user, reply_to_message_id=prompt.message_id
    )
    return (await emulator.wait_for_sent(STAFF_CHAT, before + count))[before:]


def with_buttons(messages: list[SentMessage]) -> SentMessage:
    """The one message of `messages` that has buttons (the bot's answer to staff)."""
    found = [m for m in messages if m.callback_data]
    assert len(found) == 1, [m.plain_text for m in messages]
    return found[0]


async def test_staff_card_buttons_on_telegram(
    emulator: BotApiEmulator, sample_kb: KnowledgeBase, tmp_path: Path
) -> None:
    """The disclosure desk's actions from the staff card: each asks for its text (or a
    choice by buttons), goes through the desk, and the applicant hears of it."""
    db = tmp_path / "db.sqlite3"
    await register_staff(db)
    async with running_bot(emulator, sample_kb, db, staff_chat=STAFF_CHAT):
        number = await file_request(emulator)
        card = (await emulator.wait_for_sent(STAFF_CHAT, 1))[0]
        tid = card.callback_data[0].split(":")[2]
        # The desk's actions for a request; none of the complaint actions it refuses.
        assert card.callback_data == [
            f"t:claim:{tid}",
            f"t:assign:{tid}",
            f"ds:d-correct:{tid}",
            f"ds:d-consult:{tid}",
            f"ds:d-extend:{tid}",
            f"ds:d-answer:{tid}",
        ]
        assert not any(
            d.split(":")[1] in ("merge", "reject", "resolve") for d in card.callback_data
        )
        # A forged 退回 press on the request is refused: it has its own answer.
        refused = await group_press_forged(emulator, card, f"t:reject:{tid}")
        assert "政府信息公开申请" in refused

        # 补正: the bot asks what to correct; the reply to its prompt goes to the applicant.
        (prompt,) = await group_press(emulator, card, f"ds:d-correct:{tid}")
        assert number in (prompt.plain_text or "") and "补正" in (prompt.plain_text or "")
        assert prompt.callback_data == ["ds:cancel"]
        before = len(emulator.sent(CITIZEN))
        (done,) = await group_reply(emulator, prompt, "请写明村名和年份")
        assert number in (done.plain_text or "") and "待补正" in (done.plain_text or "")
        assert done.callback_data == [f"ds:d-corrected:{tid}"]
        notice = await citizen_gets(emulator, before)
        assert "请写明村名和年份" in (notice.plain_text or "")
        assert any(a.startswith("dc:") for a in notice.callback_data)
        # A second 补正 is refused at the press (Art. 30: one notice), no text asked for.
        (again,) = await group_press(emulator, card, f"ds:d-correct:{tid}")
        assert "不能进行" in (again.plain_text or "")
        assert again.callback_data == [f"ds:d-corrected:{tid}"]

        # A correction handed in at the counter is recorded; the applicant is told.
        (prompt,) = await group_press(emulator, done, f"ds:d-corrected:{tid}")
        before = len(emulator.sent(CITIZEN))
        replies = await group_reply(
            emulator, prompt, "窗口收到书面补正：青石镇东村，2026年", count=2
        )
        done = with_buttons(replies)
        assert done.callback_data == [
            f"ds:d-consult:{tid}",
            f"ds:d-answer:{tid}",
        ]  # not a supervisor
        ack = await citizen_gets(emulator, before)
        assert number in (ack.plain_text or "") and "补正" in (ack.plain_text or "")

        # Only a supervisor extends: a staff member's press is refused before any text.
        (no,) = await group_press(emulator, card, f"ds:d-extend:{tid}")
        assert "督办" in (no.plain_text or "") and not no.callback_data
        (prompt,) = await group_press(emulator, card, f"ds:d-extend:{tid}", SUPERVISOR)
        assert "1–20" in (prompt.plain_text or "")
        # Bad days: a polite error, the question again, nothing lost.
        bad = await group_reply(emulator, prompt, "三十 需要汇总", SUPERVISOR, count=2)
        assert "天数无效" in (bad[0].plain_text or "") and bad[1].callback_data == ["ds:cancel"]
        before = len(emulator.sent(CITIZEN))
        (done,) = await group_reply(emulator, bad[1], "10 需要汇总多个村的材料", SUPERVISOR)
        assert number in (done.plain_text or "")
        told = (await citizen_gets(emulator, before)).plain_text or ""
        assert "第三十三条" in told and "需要汇总多个村的材料" in told

        # A third-party consultation (Art. 32): the party asked for; the opinion skippable.
        (prompt,) = await group_press(emulator, card, f"ds:d-consult:{tid}")
        (done,) = await group_reply(emulator, prompt, "名单涉及的低保户本人")
        assert done.callback_data == [f"ds:d-consult-end:{tid}"]
        (prompt,) = await group_press(emulator, done, f"ds:d-consult-end:{tid}")
        assert prompt.callback_data == ["ds:skip", "ds:cancel"]
        (done,) = await group_press(emulator, prompt, "ds:skip")
        assert number in (done.plain_text or "") and f"ds:d-answer:{tid}" in done.callback_data

        # The answer: its type and the withheld reason by buttons, then the note.
        (menu,) = await group_press(emulator, card, f"ds:d-answer:{tid}")
        (prompt,) = await group_press(emulator, menu, f"ds:ans:{tid}:not_ours")
        assert "机关" in (prompt.plain_text or "") and prompt.callback_data == ["ds:cancel"]
        (cancelled,) = await group_press(emulator, prompt, "ds:cancel")
        assert "取消" in (cancelled.plain_text or "")
        assert f"ds:ans:{tid}:not_ours" in menu.callback_data
        (reasons,) = await group_press(emulator, menu, f"ds:ans:{tid}:withheld")
        assert len(reasons.callback_data) == 8
        (prompt,) = await group_press(emulator, reasons, f"ds:why:{tid}:third_party")
        assert prompt.callback_data == ["ds:skip", "ds:cancel"]
        before = len(emulator.sent(CITIZEN))
        (done,) = await group_reply(emulator, prompt, "名单含有个人身份和收入信息")
        assert number in (done.plain_text or "") and not done.callback_data  # concluded
        decision = (await citizen_gets(emulator, before)).plain_text or ""
        assert "不予公开" in decision and "第三十六条" in decision and "第十五条" in decision
        assert "名单含有个人身份和收入信息" in decision
        assert "行政复议" in decision and "行政诉讼" in decision and "第五十一条" in decision
        # The card's buttons now change nothing.
        (late,) = await group_press(emulator, card, f"ds:d-answer:{tid}")
        assert "已办结" in (late.plain_text or "") or "closed" in (late.plain_text or "")
    with sqlite3.connect(db) as conn:
        events = list(conn.execute("SELECT action, actor FROM ticket_events ORDER BY id"))
        row = conn.execute("SELECT result_row, detail FROM disclosure_requests").fetchone()
    actions = [a for a, _ in events]
    assert actions == [
        "file",
        "request_correction",
        "correct",
        "extend",
        "consult",
        "consult_end",
        "answer",
    ]
    assert events[3][1] == f"tg:{SUPERVISOR}" and events[-1][1] == f"tg:{STAFF}"
    assert row == ("withheld.third_party", "名单含有个人身份和收入信息")


async def group_press_forged(emulator: BotApiEmulator, card: SentMessage, data: str) -> str:
    """A press with data the card does not carry (a forged or old button)."""
    before = len(emulator.sent(STAFF_CHAT))
    emulator.add_callback(STAFF_CHAT, card.message_id, data, user_id=STAFF)
    return (await next_message(emulator, STAFF_CHAT, before)).plain_text or ""
