"""Transcript tests of the Telegram channel: python-telegram-bot over HTTP to the emulator."""

# The emulator fixture is used as a test argument of the same name.

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.dialogue import Incoming
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.replies import Reply
from bot.store import Store
from tests.conftest import write_kb
from tests.emulator import BotApiEmulator, SentMessage
from tests.telegram_harness import processes, running_bot

CHAT = 5001


def all_callback_data_fits(emulator: BotApiEmulator, chat_id: int) -> bool:
    return all(len(d.encode()) <= 64 for m in emulator.sent(chat_id) for d in m.callback_data)


async def ask(emulator: BotApiEmulator, text: str, chat: int = CHAT, **kw: object) -> SentMessage:
    before = len(emulator.sent(chat))
    emulator.add_message(chat, text, **kw)  # type: ignore[arg-type]
    messages = await emulator.wait_for_sent(chat, before + 1)
    return messages[-1]


async def press(
    emulator: BotApiEmulator, message: SentMessage, data: str, chat: int = CHAT
) -> None:
    emulator.add_callback(chat, message.message_id, data)


async def test_question_gets_html_answer_with_buttons(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3"):
        answer = await ask(emulator, "低保怎么申请")
    assert answer.parse_mode == "HTML"
    assert answer.text is not None and answer.text.startswith("<b>最低生活保障申请</b>")
    assert answer.plain_text is not None and "所需材料" in answer.plain_text
    assert "f:dibao:y:1" in answer.callback_data
    assert all_callback_data_fits(emulator, CHAT)


async def test_commands_registered_in_both_languages(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3"):
        pass
    zh = emulator.commands_for("zh")
    en = emulator.commands_for("en")
    assert {c["command"] for c in zh} == {c["command"] for c in en}
    assert any(c["description"] == "浏览办事指南" for c in zh)
    assert any(c["description"] == "Browse service guides" for c in en)


async def test_start_in_the_users_language_and_lang_switch_is_remembered(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    async with running_bot(emulator, matcher, db):
        hello = await ask(emulator, "/start", language_code="en-GB")
        assert hello.plain_text is not None and "Hello!" in hello.plain_text
        labels = [b["text"] for b in hello.buttons]
        assert labels == [
            "Service guides",
            "Make a complaint",
            "Check progress",
            "Talk to a person",
        ]
        await ask(emulator, "/lang zh", language_code="en-GB")
        again = await ask(emulator, "/start", language_code="en-GB")
        assert again.plain_text is not None and "您好" in again.plain_text
    with sqlite3.connect(db) as conn:
        assert conn.execute(
            "SELECT lang FROM users WHERE user_key = ?", (f"tg:{CHAT}",)
        ).fetchone() == ("zh",)
    # A new process remembers the choice.
    async with running_bot(emulator, matcher, db):
        third = await ask(emulator, "/start", language_code="en-GB")
    assert third.plain_text is not None and "您好" in third.plain_text


async def test_a_press_before_the_send_is_recorded_still_counts(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    """The sender records a send's menu a moment after Telegram has shown it; a press in
    that moment is the owner's, not an expired menu."""
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3") as service:
        real_record = service.record
        slow = asyncio.Event()

        async def record(store: Store, outcomes: list[Any]) -> None:
            if slow.is_set():
                await asyncio.sleep(1.0)  # a database busy with something else
            await real_record(store, outcomes)

        service.record = record  # type: ignore[method-assign]
        slow.set()
        choices = await ask(emulator, "身份证户口")
        first = choices.callback_data[0]
        await press(emulator, choices, first)
        messages = await emulator.wait_for_sent(CHAT, 2)
        slow.clear()
    entry = matcher.kb.get(first[2:-2])
    assert entry is not None and messages[-1].text is not None
    assert messages[-1].text.startswith(f"<b>{entry.title.get('zh')}</b>")


async def processed(db: Path, count: int, timeout: float = 60) -> None:
    """Wait until `count` updates are processed."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(db) as conn:
            done = conn.execute("SELECT COUNT(*) FROM updates WHERE state = 'done'").fetchone()
        if done[0] >= count:
            return
        assert time.monotonic() < deadline, f"{done[0]} of {count} updates processed"
        await asyncio.sleep(0.05)


async def test_a_press_while_the_send_awaits_its_answer_counts(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    """Telegram shows a menu before the bot has the answer to its sendMessage (a slow
    network, the send worker's pipe): a press then is the owner's, found by its buttons
    among the chat's messages in flight; someone else's press on it is still refused."""
    db = tmp_path / "db.sqlite3"
    group = -4243
    async with running_bot(emulator, matcher, db):
        gate = emulator.hold_answers("sendMessage")
        try:
            choices = await ask(emulator, "身份证户口")
            first = choices.callback_data[0]
            emulator.add_message(
                group, "@citizen_desk_test_bot 低保怎么申请", chat_type="group", user_id=1
            )
            group_answer = (await emulator.wait_for_sent(group, 1))[-1]
            await press(emulator, choices, first)
            emulator.add_callback(group, group_answer.message_id, "f:dibao:y:2", user_id=2)
            await processed(db, 4)  # both presses, while the menus' sends are in flight
        finally:
            gate.set()
        messages = await emulator.wait_for_sent(CHAT, 2, timeout=60)
        other = (await emulator.wait_for_sent(group, 2, timeout=60))[-1]
    entry = matcher.kb.get(first[2:-2])
    assert entry is not None and messages[-1].text is not None
    assert messages[-1].text.startswith(f"<b>{entry.title.get('zh')}</b>")
    assert other.plain_text is not None and "已过期" in other.plain_text


async def test_ambiguous_question_keyboard_then_answer(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3"):
        choices = await ask(emulator, "身份证户口")
        assert choices.plain_text is not None and "您是想问" in choices.plain_text
        first = choices.callback_data[0]
        assert first.startswith("e:") and first.endswith(":c")
        await press(emulator, choices, first)
        messages = await emulator.wait_for_sent(CHAT, 2)
        await emulator.wait_for(lambda: emulator.callback_answers or None)
    entry = matcher.kb.get(first[2:-2])
    assert entry is not None
    assert messages[-1].text is not None
    assert messages[-1].text.startswith(f"<b>{entry.title.get('zh')}</b>")
    assert emulator.callback_answers  # the button's spinner was stopped


async def test_related_buttons_and_feedback_are_stored(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    async with running_bot(emulator, matcher, db):
        answer = await ask(emulator, "低保怎么申请")
        related = [d for d in answer.callback_data if d.startswith("e:")]
        assert related
        await press(emulator, answer, related[0])
        await emulator.wait_for_sent(CHAT, 2)
        await press(emulator, answer, "f:dibao:n:1")
        sorry = (await emulator.wait_for_sent(CHAT, 3))[-1]
        assert (
            sorry.plain_text == "抱歉没能帮上忙。您可以转人工，由工作人员答复您；"
            "如果遇到了问题，也可以直接投诉反映。"
        )
        assert {"m:human", "m:complain"} <= set(sorry.callback_data)
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT f.entry_id, f.helpful, q.text, f.created_at FROM feedback f "
            "JOIN questions q ON q.id = f.question_id"
        ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [("dibao", 0, "低保怎么申请")]
    assert rows[0][3]


def big_category_kb(tmp_path: Path, count: int = 19) -> KnowledgeBase:
    entries = "\n".join(
        f"""  - id: item-{n}
    title: 事项{n:02d}
    category: many
    questions: [事项{n:02d}怎么办]
    answer: {{summary: 第{n}项的说明。}}"""
        for n in range(count)
    )
    text = f"categories:\n  - {{id: many, title: 很多事项}}\nentries:\n{entries}\n"
    kb = load_knowledge(write_kb(tmp_path / "kb", {"kb.yaml": text})).kb
    assert kb is not None
    return kb


async def test_browse_categories_entries_and_paging(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    kb = big_category_kb(tmp_path)
    async with running_bot(emulator, kb, tmp_path / "db.sqlite3"):
        menu = await ask(emulator, "/services")
        assert menu.callback_data == ["b:many:0"]
        # Browsing edits the menu in place: categories → first page → second page.
        await press(emulator, menu, "b:many:0")
        await emulator.wait_for(lambda: menu.edits >= 1)
        assert "(1/3)" in (menu.plain_text or "")
        entries = [d for d in menu.callback_data if d.startswith("e:")]
        assert len(entries) == 8
        assert "b:many:1" in menu.callback_data
        await press(emulator, menu, "b:many:1")
        await emulator.wait_for(lambda: menu.edits >= 2)
        assert "(2/3)" in (menu.plain_text or "")
        assert set(menu.callback_data) >= {"b:many:0", "b:many:2"}
        assert len(emulator.sent(CHAT)) == 1
        await press(emulator, menu, "e:item-9")
        shown = (await emulator.wait_for_sent(CHAT, 2))[-1]
    assert shown.text is not None and shown.text.startswith("<b>事项09</b>")
    assert all_callback_data_fits(emulator, CHAT)


async def test_stale_and_forged_callbacks_change_nothing(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    async with running_bot(emulator, matcher, db):
        answer = await ask(emulator, "低保怎么申请")
        # A message the bot never sent.
        emulator.add_callback(CHAT, 999, "e:dibao")
        expired = (await emulator.wait_for_sent(CHAT, 2))[-1]
        assert expired.plain_text is not None and "已过期" in expired.plain_text
        # Forged data on a real menu.
        await press(emulator, answer, "f:dibao:maybe")
        forged = (await emulator.wait_for_sent(CHAT, 3))[-1]
        assert forged.plain_text is not None and "已过期" in forged.plain_text
        # Someone else pressing a button under this user's answer (in a group).
        group = -4242
        emulator.add_message(
            group, "@citizen_desk_test_bot 低保怎么申请", chat_type="group", user_id=1
        )
        group_answer = (await emulator.wait_for_sent(group, 1))[-1]
        emulator.add_callback(group, group_answer.message_id, "f:dibao:y:2", user_id=2)
        other = (await emulator.wait_for_sent(group, 2))[-1]
        assert other.plain_text is not None and "已过期" in other.plain_text
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM feedback").fetchone() == (0,)


async def test_group_answers_only_when_mentioned_or_replied_to(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    group = -1001
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3"):
        emulator.add_message(group, "低保怎么申请", chat_type="group", user_id=7)
        emulator.add_message(
            group, "@citizen_desk_test_bot 低保怎么申请", chat_type="group", user_id=7
        )
        first = (await emulator.wait_for_sent(group, 1))[-1]
        emulator.add_message(
            group,
            "社保卡丢了咋办",
            chat_type="group",
            user_id=7,
            reply_to_message_id=first.message_id,
        )
        await emulator.wait_for_sent(group, 2)
        emulator.add_message(group, "大家好", chat_type="group", user_id=8)
        emulator.add_message(group, "@citizen_desk_test_bot 你好", chat_type="group", user_id=8)
        await emulator.wait_for_sent(group, 3)
        await asyncio.sleep(0.3)
    sent = emulator.sent(group)
    assert len(sent) == 3
    assert sent[0].text is not None and "最低生活保障" in sent[0].text
    assert sent[1].text is not None and "社会保障卡" in sent[1].text


async def test_non_text_messages_get_a_polite_request(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3"):
        for kind in (
            {"sticker": True},
            {"photo": True},
            {"voice": True},
            {"contact": "13800000000"},
        ):
            reply = await ask(emulator, "", **kind)
            assert reply.plain_text is not None and "请用文字" in reply.plain_text


def long_answer_kb(tmp_path: Path) -> KnowledgeBase:
    steps = "\n".join(
        f"        - 第{n}步：到窗口递交材料 <原件> & 复印件，等待审核。" for n in range(400)
    )
    text = f"""entries:
  - id: long-guide
    title: 长<指南> & 说明
    questions: [长指南怎么办]
    answer:
      summary: 标题里有 <b>不是标签</b> & 符号
      steps:
{steps}
"""
    kb = load_knowledge(write_kb(tmp_path / "kb", {"kb.yaml": text})).kb
    assert kb is not None
    return kb


async def test_long_answer_is_split_below_4096_and_html_is_escaped(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    async with running_bot(emulator, long_answer_kb(tmp_path), tmp_path / "db.sqlite3"):
        emulator.add_message(CHAT, "长指南怎么办")
        await emulator.wait_for(lambda: any(m.reply_markup for m in emulator.sent(CHAT)) or None)
    parts = emulator.sent(CHAT)
    assert len(parts) >= 4
    assert all(len(p.text or "") <= 4096 for p in parts)
    assert all(p.reply_markup is None for p in parts[:-1])
    assert parts[-1].reply_markup is not None
    whole = "\n".join(p.plain_text or "" for p in parts)
    assert "长<指南> & 说明" in whole
    assert "<b>不是标签</b> & 符号" in whole
    assert whole.count("到窗口递交材料 <原件> & 复印件") == 400
    # Lines are never cut: every step is whole in one part.
    for part in parts:
        for line in (part.plain_text or "").splitlines():
            if "步：" in line:
                assert line.endswith("等待审核。")


async def test_429_is_waited_out_and_the_message_arrives_once(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3"):
        emulator.fail_next("sendMessage", error_code=429, retry_after=1)
        start = time.monotonic()
        emulator.add_message(CHAT, "低保怎么申请")
        await emulator.wait_for_sent(CHAT, 1)
        waited = time.monotonic() - start
        await asyncio.sleep(0.3)
    assert waited >= 0.9
    assert len(emulator.sent(CHAT)) == 1
    assert len(emulator.calls_to("sendMessage")) == 2


async def test_blocked_chat_is_marked_undeliverable(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    async with running_bot(emulator, matcher, db):
        emulator.block_chat(CHAT)
        emulator.add_message(CHAT, "低保怎么申请")
        await emulator.wait_for_call("sendMessage", 1)
        await asyncio.sleep(0.3)
    assert len(emulator.calls_to("sendMessage")) == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state FROM outbox").fetchall() == [("undeliverable",)]


async def test_webhook_mode_checks_the_secret(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path, unused_tcp_port: int
) -> None:
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram-hook"
    settings = {
        "webhook_url": url,
        "webhook_listen": f"127.0.0.1:{unused_tcp_port}",
        "webhook_secret": "s3cret-token",
    }
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3", **settings):
        await emulator.wait_for_call("setWebhook", 1)
        assert emulator.webhook_url == url
        assert emulator.webhook_secret_token == "s3cret-token"
        emulator.add_message(CHAT, "低保怎么申请")
        answer = (await emulator.wait_for_sent(CHAT, 1))[-1]
        assert answer.text is not None and "最低生活保障" in answer.text
        update = {
            "update_id": 424242,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": CHAT, "type": "private"},
                "text": "低保",
            },
        }
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(url, json=update, headers=headers) as resp:
                    assert resp.status == 403
            async with http.get(f"http://127.0.0.1:{unused_tcp_port}/healthz") as resp:
                assert (await resp.json())["kb_entries"] == 32
        await asyncio.sleep(0.3)
    assert emulator.webhook_status_codes and set(emulator.webhook_status_codes) == {200}
    assert len(emulator.sent(CHAT)) == 1  # the forged update was never processed


@pytest.fixture
def unused_tcp_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_messages_to_one_chat_are_paced(emulator: BotApiEmulator, tmp_path: Path) -> None:
    """About one message per second per chat: a long answer's parts are spaced out."""
    async with running_bot(
        emulator, long_answer_kb(tmp_path), tmp_path / "db.sqlite3", chat_interval=0.3
    ):
        emulator.add_message(CHAT, "长指南怎么办")
        await emulator.wait_for(lambda: any(m.reply_markup for m in emulator.sent(CHAT)) or None)
    calls = [r for r in emulator.call_log if r.method == "sendMessage"]
    gaps = [b.started - a.started for a, b in itertools.pairwise(calls)]
    assert len(calls) >= 4 and min(gaps) >= 0.28


async def test_personal_commands_are_refused_in_groups(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    group = -2002
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3"):
        for command in ("/mydata@citizen_desk_test_bot", "/status@citizen_desk_test_bot"):
            emulator.add_message(group, command, chat_type="group", user_id=7)
        await emulator.wait_for_sent(group, 2)
    texts = [m.plain_text or "" for m in emulator.sent(group)]
    assert all("私聊" in text for text in texts)
    assert all(m.kind == "text" and not m.callback_data for m in emulator.sent(group))


async def test_a_failing_update_is_undone_alone_and_its_sender_gets_an_apology(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    """One batch holds good updates, one whose handler fails after writing, and one python-
    telegram-bot cannot read: the good ones are answered once, the failing one's writes are
    undone, both bad ones are marked failed, and the readable one's sender hears why."""
    db = tmp_path / "db.sqlite3"
    questions = {CHAT + i: q for i, q in enumerate(["低保怎么申请", "怎么办理居住证", "医保报销"])}
    async with running_bot(emulator, matcher, db) as service:
        real_handle = service.dialogue.handle

        async def handle(incoming: Incoming) -> list[Reply]:
            replies = await real_handle(incoming)  # logs the question first
            if incoming.text == "炸":
                raise RuntimeError("a bug in a handler")
            return replies

        service.dialogue.handle = handle  # type: ignore[method-assign]
        await asyncio.sleep(0.2)  # the next getUpdates returns every update below at once
        chats = list(questions)
        emulator.add_message(chats[0], questions[chats[0]])
        emulator.add_message(CHAT + 9, "炸", language_code="en")
        emulator.add_raw_update({"message": {"message_id": 1, "chat": {"id": CHAT + 8}}})
        for chat in chats[1:]:
            emulator.add_message(chat, questions[chat])
        for chat in [*chats, CHAT + 9]:
            await emulator.wait_for_sent(chat, 1)
        await asyncio.sleep(0.3)
    for chat in chats:
        assert len(emulator.sent(chat)) == 1
        assert "👍" in [b["text"] for b in emulator.last_sent(chat).buttons]
    apology = emulator.sent(CHAT + 9)
    assert len(apology) == 1 and "Sorry, something went wrong" in (apology[0].text or "")
    assert emulator.sent(CHAT + 8) == []
    with sqlite3.connect(db) as conn:
        states = conn.execute("SELECT state, COUNT(*) FROM updates GROUP BY state").fetchall()
        logged = [r[0] for r in conn.execute("SELECT text FROM questions ORDER BY id")]
    assert dict(states) == {"done": 3, "failed": 2}
    assert sorted(logged) == sorted(questions.values())


async def test_the_send_worker_restarts_after_dying_and_gets_no_token_on_its_command_line(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    async with running_bot(emulator, matcher, db) as service:
        first = await ask(emulator, "低保怎么申请")
        # Wait until the send is recorded: killed before that, the worker's answer is lost
        # and the message is sent again (in doubt, never lost).
        for _ in range(100):
            with sqlite3.connect(db) as conn:
                if conn.execute("SELECT state FROM outbox").fetchall() == [("sent",)]:
                    break
            await asyncio.sleep(0.02)
        worker = service.send_worker
        assert worker is not None and worker.pid is not None
        killed = worker.pid
        assert "bot.channels.telegram_worker" in processes()[killed]
        assert emulator.token not in " ".join(processes()[killed])
        os.kill(killed, signal.SIGKILL)
        second = await ask(emulator, "怎么办理居住证")
        assert worker.pid is not None and worker.pid != killed
    assert "最低生活保障" in (first.plain_text or "")
    assert "居住证" in (second.plain_text or "")
    assert len(emulator.sent(CHAT)) == 2


async def test_messages_are_sent_in_process_when_the_worker_is_off(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    async with running_bot(emulator, matcher, db, send_worker=False) as service:
        answer = await ask(emulator, "低保怎么申请")
        assert service.send_worker is None
    assert answer.parse_mode == "HTML" and "👍" in [b["text"] for b in answer.buttons]


async def test_a_chat_waiting_for_a_retry_holds_back_its_later_messages(tmp_path: Path) -> None:
    """The sender waits until the retry instead of spinning on the later message."""
    async with Store.opened(tmp_path / "db.sqlite3") as store:
        first = await store.enqueue(CHAT, "send", {"text": "一"}, "tg:1")
        await store.enqueue(CHAT, "send", {"text": "二"}, "tg:1")
        await store.outbox_retry(first, 30.0, "timed out")
        assert await store.due_outbox() == []
        due = await store.next_outbox_time()
        assert due is not None and 25 < due - time.time() <= 30
        await store.enqueue(CHAT + 1, "send", {"text": "三"}, "tg:2")
        assert [i.chat_id for i in await store.due_outbox(skip_chats=[CHAT + 2])] == [CHAT + 1]
        assert await store.due_outbox(skip_chats=[CHAT + 1]) == []
