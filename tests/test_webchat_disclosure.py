"""A disclosure request filed through the web chat (the same dialogue core as Telegram and
the terminal): the receipt with its number and statutory date, /status, the 补正 notice
with its button, and the decision, all over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.disclosure.answers import Answer
from bot.disclosure.desk import DisclosureDesk
from bot.knowledge.model import KnowledgeBase
from bot.tickets.model import Role, StaffMember, Status
from tests.webchat_env import Chat, events, join, say, webchat

CLERK = StaffMember(7, Role.STAFF, None, "王五")
ID_NUMBER = "110101199003071234"


@pytest.fixture
async def chat(tmp_path: Path, sample_kb: KnowledgeBase) -> AsyncIterator[Chat]:
    # A form filled in by a test, faster than a person writes: not a flood.
    async with webchat(tmp_path / "db.sqlite3", sample_kb, flood_messages=100) as c:
        yield c


class Visitor:
    """One browser: says or presses something, and reads what came back since."""

    def __init__(self, chat: Chat, client: httpx.AsyncClient):
        self.chat, self.client, self.seen, self.n = chat, client, 0, 0

    async def send(self, **body: str) -> list[dict[str, Any]]:
        self.n += 1
        response = await say(self.client, f"visitor-{self.n:04d}", **body)
        assert response.status_code == 200, response.text
        assert await self.chat.processor.process_pending() == 1
        return await self.new()

    async def new(self) -> list[dict[str, Any]]:
        got = events(await self.client.get("/chat/events", params={"after": str(self.seen)}))
        if got:
            self.seen = got[-1][0]
        return [payload for _, payload in got]


def text(payloads: list[dict[str, Any]]) -> str:
    return "\n".join(p["text"] for p in payloads)


def actions(payloads: list[dict[str, Any]]) -> list[str]:
    return [b["data"] for p in payloads for row in p.get("buttons") or [] for b in row]


async def test_a_visitor_files_a_request_and_follows_it(chat: Chat) -> None:
    desk = chat.desk
    async with chat.client() as client:
        await join(client)
        me = Visitor(chat, client)
        opened = await me.send(text="/disclose")
        assert "dq:app:natural" in actions(opened) and "20个工作日" in text(opened)
        assert "姓名" in text(await me.send(action="dq:app:natural"))
        assert "身份证件号码" in text(await me.send(text="张三"))
        assert "联系方式" in text(await me.send(text=ID_NUMBER))
        assert "需要的政府信息" in text(await me.send(text="13812345678"))
        assert "用途" in text(await me.send(text="东村2025年低保名单"))
        await me.send(action="dq:skip")
        await me.send(action="dq:form:electronic")
        summary = await me.send(action="dq:way:chat")
        assert ID_NUMBER not in text(summary) and "110" in text(summary)
        confirm = next(a for a in actions(summary) if a.startswith("dq:confirm:"))
        receipt = text(await me.send(action=confirm))
        await me.send(action=confirm)  # a double tap files once

        number = receipt.split("编号 ")[1].split("。")[0]
        ticket = await desk.tickets.by_number(number)
        assert ticket is not None and ticket.kind == "disclosure"
        request = await DisclosureDesk(desk).request_of(ticket)
        assert request is not None
        # Sent in the chat: received that day, or the next working day (Art. 31).
        received = request.clock.received
        assert received >= desk.today() and desk.calendar.is_working_day(received)
        due = desk.calendar.add_working_days(received, 20)
        notice = desk.calendar.add_working_days(received, 7)
        assert ticket.deadline == due and ticket.citizen.startswith("chat:")
        assert f"收到申请之日：{received.isoformat()}" in receipt
        assert f"答复期限：{due.isoformat()}" in receipt and notice.isoformat() in receipt
        count = await desk.store.conn.execute_fetchall(
            "SELECT COUNT(*) FROM tickets WHERE kind = 'disclosure'"
        )
        assert tuple(count[0]) == (1,)

        status = text(await me.send(text="/status"))
        assert number in status and "政府信息公开申请" in status and due.isoformat() in status
        assert "已受理" in text(await me.send(text=f"/status {number}"))

        # Staff ask for a correction from the console's desk: the notice and its button
        # reach the page; the visitor presses it and sends the correction.
        async with chat.store.transaction():
            await DisclosureDesk(desk).request_correction(CLERK, number, "请写明村名")
        arrived = await me.new()
        assert "请写明村名" in text(arrived)
        button = next(a for a in actions(arrived) if a.startswith("dc:"))
        assert "待补正" in text(await me.send(text=f"/status {number}"))
        assert number in text(await me.send(action=button))
        corrected = text(await me.send(text="东风村"))
        assert "已收到申请" in corrected and number in corrected
        assert "已补正" in text(await me.send(text=f"/status {number}"))

        # The decision arrives in the chat (the way the applicant chose).
        async with chat.store.transaction():
            await DisclosureDesk(desk).answer(CLERK, number, Answer.DISCLOSED, "名单如下：……")
        decision = text(await me.new())
        assert "予以公开" in decision and "名单如下" in decision
        assert "已办结" in text(await me.send(text=f"/status {number}"))
    after = await desk.tickets.by_number(number)
    assert after is not None and after.status is Status.CLOSED


async def test_an_english_visitor_gets_the_form_and_receipt_in_english(chat: Chat) -> None:
    async with chat.client() as client:
        client.cookies.set("cd_lang", "en", path="/chat")
        await join(client)
        me = Visitor(chat, client)
        offered = await me.send(text="I want to request the village's budget")
        assert "dq:start" in actions(offered) and "request government information" in text(offered)
        assert "Request for government information" in text(await me.send(action="dq:start"))
        await me.send(action="dq:app:commercial")
        for answer in ("Acme Ltd", "91330100MA2XXXXXX1", "acme@example.org", "The 2025 budget"):
            await me.send(text=answer)
        await me.send(action="dq:skip")
        await me.send(action="dq:form:electronic")
        summary = await me.send(action="dq:way:email")
        confirm = next(a for a in actions(summary) if a.startswith("dq:confirm:"))
        receipt = text(await me.send(action=confirm))
        assert "Your information request is received, number TS-" in receipt
        assert "Answer due by " in receipt
        status = text(await me.send(text="/status"))
        assert "Information request" in status and "received" in status
