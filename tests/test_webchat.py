"""The web chat: durable intake exactly once, and each visitor's own event stream."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.knowledge.model import KnowledgeBase
from bot.replies import Paragraph, Reply
from tests.webchat_env import Chat, events, join, say, webchat


@pytest.fixture
async def chat(tmp_path: Path, sample_kb: KnowledgeBase) -> AsyncIterator[Chat]:
    async with webchat(tmp_path / "db.sqlite3", sample_kb) as c:
        yield c


async def scalar(chat: Chat, sql: str, *args: object) -> object:
    async with chat.store.conn.execute(sql, args) as cur:
        row = await cur.fetchone()
    return row[0] if row else None


async def test_a_question_is_stored_before_200_and_answered_through_the_outbox(
    chat: Chat,
) -> None:
    async with chat.client() as client:
        await join(client)
        sent = await say(client, "msg-00000001", text="低保怎么申请")
        assert sent.status_code == 200 and sent.json() == {"ok": True, "duplicate": False}
        # Stored durably, on the console's own connection: before any processing.
        assert await scalar(chat, "SELECT COUNT(*) FROM webchat_inbox WHERE state='pending'") == 1
        assert not chat.processor.store.conn.in_transaction  # committed, nothing left open
        assert await chat.processor.process_pending() == 1
        stream = await client.get("/chat/events")
        assert stream.headers["content-type"].startswith("text/event-stream")
        got = events(stream)
        assert got and "低保" in got[0][1]["text"]
        assert await scalar(chat, "SELECT state FROM webchat_inbox") == "done"


async def test_a_retried_post_is_processed_once(chat: Chat) -> None:
    async with chat.client() as client:
        await join(client)
        first = await say(client, "retry-0001", text="低保怎么申请")
        again = await say(client, "retry-0001", text="低保怎么申请")
        assert again.status_code == 200 and again.json()["duplicate"] is True
        assert first.json()["duplicate"] is False
        assert await chat.processor.process_pending() == 1
        assert await chat.processor.process_pending() == 0
        answers = events(await client.get("/chat/events"))
        replayed = await say(client, "retry-0001", text="低保怎么申请")  # after processing
        assert replayed.json()["duplicate"] is True
        assert await chat.processor.process_pending() == 0
        assert events(await client.get("/chat/events")) == answers


async def test_the_stream_resumes_after_last_event_id(chat: Chat) -> None:
    async with chat.client() as client:
        await join(client)
        await say(client, "resume-001", text="低保怎么申请")
        await chat.processor.process_pending()
        first = events(await client.get("/chat/events"))
        last = first[-1][0]
        await say(client, "resume-002", text="谢谢")
        await chat.processor.process_pending()
        resumed = events(await client.get("/chat/events", headers={"last-event-id": str(last)}))
        assert resumed and all(event_id > last for event_id, _ in resumed)
        assert [e for e, _ in first + resumed] == sorted({e for e, _ in first + resumed})


async def test_a_last_event_id_that_is_not_a_number_is_as_if_absent(chat: Chat) -> None:
    async with chat.client() as client:
        await join(client)
        await say(client, "lastid-001", text="低保怎么申请")
        await chat.processor.process_pending()
        everything = events(await client.get("/chat/events"))
        assert everything
        # Header bytes are read as Latin-1 by Starlette: b"\xb2" arrives as "²".
        for forged in ("²", "¹³", "99999999999999999999", "9" * 5000):
            sent = {"last-event-id": forged.encode("latin-1")}
            got = await client.get("/chat/events", headers=sent)
            assert got.status_code == 200, forged
            assert events(got) == everything, forged


async def test_another_visitor_gets_nothing_of_mine(chat: Chat) -> None:
    async with chat.client() as me, chat.client("10.0.0.2") as other:
        await join(me)
        await join(other)
        await say(me, "mine-0001", text="低保怎么申请")
        await chat.processor.process_pending()
        mine = events(await me.get("/chat/events"))
        assert mine
        # The other visitor, with my event ids and my message id, sees none of it.
        assert events(await other.get("/chat/events")) == []
        assert events(await other.get("/chat/events", headers={"last-event-id": "0"})) == []
        stolen = await say(other, "mine-0001", text="另一个问题")
        assert stolen.json()["duplicate"] is False  # ids are per visitor: theirs is new
        # A forged or absent key gets nothing at all.
        other.cookies.set("cd_chat", "x" * 43, path="/chat")
        assert events(await other.get("/chat/events")) == []
        async with chat.client() as stranger:
            assert (await stranger.get("/chat/events")).status_code == 403
            assert (await say(stranger, "strange-01", text="hi")).status_code == 403


async def test_a_staff_notification_reaches_the_visitor_later(chat: Chat) -> None:
    async with chat.client() as client:
        await join(client)
        await say(client, "hello-0001", text="你好")
        await chat.processor.process_pending()
        seen = events(await client.get("/chat/events"))
        visitor = await scalar(chat, "SELECT visitor FROM webchat_inbox")
        assert isinstance(visitor, str) and visitor.startswith("chat:")
        async with chat.store.transaction():
            await chat.desk.notifier.notify(visitor, Reply((Paragraph("工单已办结"),)))
        later = events(
            await client.get("/chat/events", headers={"last-event-id": str(seen[-1][0])})
        )
        assert [p["text"] for _, p in later] == ["工单已办结"]


async def test_bad_and_oversized_messages_are_refused_with_a_reason(chat: Chat) -> None:
    async with chat.client() as client:
        await join(client)
        long = await say(client, "long-00001", text="长" * 5000)
        assert long.status_code == 413 and "4096" in long.json()["message"]
        english = await client.post(
            "/chat/send?lang=en",
            json={"id": "long-00002", "text": "x" * 5000},
            headers={"origin": "http://desk.test"},
        )
        assert "too long" in english.json()["message"]
        assert (await say(client, "short", text="hi")).status_code == 400  # id too short
        cross = await client.post(
            "/chat/send",
            json={"id": "cross-0001", "text": "hi"},
            headers={"origin": "http://evil.test"},
        )
        assert cross.status_code == 403
        assert await scalar(chat, "SELECT COUNT(*) FROM webchat_inbox") == 0


async def test_the_page_is_zh_by_default_and_en_on_request(chat: Chat) -> None:
    async with chat.client() as client:
        zh = await client.get("/chat")
        assert zh.status_code == 200 and '<html lang="zh-CN">' in zh.text
        assert "在线咨询" in zh.text and 'aria-live="polite"' in zh.text
        assert '<label for="text">输入您的问题</label>' in zh.text
        cookie = zh.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/chat" in cookie
        en = await client.get("/chat", params={"lang": "en"})
        assert '<html lang="en">' in en.text and "Type your question" in en.text


async def test_the_page_shows_the_cores_buttons_and_loads_nothing_from_outside(
    chat: Chat,
) -> None:
    welcome = chat.processor.dialogue.welcome("zh")
    async with chat.client() as client:
        page = (await client.get("/chat")).text
        for row in welcome.buttons:
            for button in row:
                assert f'data-action="{button.action}">{button.label}</button>' in page
        assert "<script>" not in page and " on" + "click=" not in page  # no inline script
        sources = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert sources and all(s.startswith(("/", "?", "data:")) for s in sources)
        for path in ("/static/chat.js", "/static/chat.css"):
            assert (await client.get(path)).status_code == 200
        csp = (await client.get("/chat")).headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp


async def test_a_post_without_the_pages_token_is_refused(chat: Chat) -> None:
    async with chat.client() as client:
        await join(client)
        del client.headers["x-csrf-token"]
        assert (await say(client, "nocsrf-001", text="hi")).status_code == 403
        client.headers["x-csrf-token"] = "0" * 64
        assert (await say(client, "nocsrf-002", text="hi")).status_code == 403
        assert await scalar(chat, "SELECT COUNT(*) FROM webchat_inbox") == 0


async def test_a_button_press_goes_through_the_core(chat: Chat) -> None:
    action = chat.processor.dialogue.welcome("zh").buttons[0][0].action
    async with chat.client() as client:
        await join(client)
        assert (await say(client, "press-0001", action=action)).status_code == 200
        assert await chat.processor.process_pending() == 1
        got = events(await client.get("/chat/events"))
        assert got and got[0][1]["text"]
