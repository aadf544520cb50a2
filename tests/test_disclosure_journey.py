"""End to end: a citizen files a disclosure request through the real dialogue core, staff
request a correction, the citizen corrects in chat, staff answer, the citizen gets the
decision from the outbox, and the year's table reconciles."""

# ruff: noqa: F811  (the fixtures of tests/test_tickets.py are imported by name)

from __future__ import annotations

from bot.dialogue import Incoming
from bot.disclosure.answers import Answer, Applicant
from bot.disclosure.desk import DisclosureDesk
from bot.disclosure.table import compute
from bot.tickets.model import Status
from tests.test_tickets import (  # noqa: F401  (fixtures)
    CITIZEN,
    STAFF,
    STAFF_CHAT_ID,
    Clock,
    Env,
    actions_of,
    calendar,
    chat,
    clock,
    d,
    env,
    text_of,
)

ID_NUMBER = "110101199003071234"


async def press(env: Env, action: str, user: str = CITIZEN) -> str:
    return text_of(await env.send(Incoming(user, action=action)))


async def test_request_correction_answer_and_table(env: Env, clock: Clock) -> None:
    # A message asking for a document offers the request form.
    replies = await env.go(CITIZEN, "我要申请公开村里的低保名单")
    assert "dq:start" in actions_of(replies)
    replies = await env.send(Incoming(CITIZEN, action="dq:start"))
    assert "dq:app:natural" in actions_of(replies) and "20个工作日" in text_of(replies)
    await press(env, "dq:app:natural")
    assert "身份证件号码" in await env.say(CITIZEN, "张三")
    assert "联系方式" in await env.say(CITIZEN, ID_NUMBER)
    assert "需要的政府信息" in await env.say(CITIZEN, "13812345678")
    assert "用途" in await env.say(CITIZEN, "东村低保名单")
    await press(env, "dq:skip")
    await press(env, "dq:form:electronic")
    summary = await env.send(Incoming(CITIZEN, action="dq:way:chat"))
    assert ID_NUMBER not in text_of(summary) and "110" in text_of(summary)
    confirm = next(a for a in actions_of(summary) if a.startswith("dq:confirm:"))
    mark = await env.outbox_mark()
    await press(env, confirm)
    await press(env, confirm)  # a double tap files once
    assert await env.ticket_count() == 1
    receipt = "\n".join(await env.texts_to(chat(CITIZEN), mark))
    number = receipt.split("编号 ")[1].split("。")[0]
    assert "2026-03-30" in receipt  # 20 working days from Monday 2026-03-02
    card = "\n".join(await env.texts_to(STAFF_CHAT_ID, mark))
    assert number in card and ID_NUMBER not in card and "13812345678" not in card

    # /status shows the request with its statutory date.
    status = await env.say(CITIZEN, "/status")
    assert number in status and "政府信息公开申请" in status and "2026-03-30" in status

    # Staff ask for a correction on day 2; the clock stops.
    clock.on(d("2026-03-04"))
    mark = await env.outbox_mark()
    async with env.store.transaction():
        await DisclosureDesk(env.desk).request_correction(STAFF, number, "请写明年份")
    notice = [m for m in await env.outbox(mark) if m.chat_id == chat(CITIZEN)]
    assert "补正" in notice[0].text and "2026-03-18" in notice[0].text
    correct = next(a for a in notice[0].actions if a.startswith("dc:"))
    assert "待补正" in await env.say(CITIZEN, f"/status {number}")

    # The citizen presses 提交补正 and sends the correction; the count restarts.
    clock.on(d("2026-03-10"))
    assert number in await press(env, correct)
    mark = await env.outbox_mark()
    await env.go(CITIZEN, "2025年度")
    ack = "\n".join(await env.texts_to(chat(CITIZEN), mark))
    assert "2026-04-08" in ack
    ticket = await env.ticket(number)
    assert ticket.status is Status.CORRECTED and ticket.deadline == d("2026-04-08")

    # Staff answer: disclosed; the citizen receives the decision.
    clock.on(d("2026-03-20"))
    mark = await env.outbox_mark()
    async with env.store.transaction():
        await DisclosureDesk(env.desk).answer(STAFF, number, Answer.DISCLOSED, "名单见附件")
    decision = "\n".join(await env.texts_to(chat(CITIZEN), mark))
    assert "予以公开" in decision and "第三十六条" in decision and "名单见附件" in decision
    assert (await env.ticket(number)).status is Status.CLOSED

    # The year's table counts it and reconciles.
    table = compute(await DisclosureDesk(env.desk).requests.records(2026), 2026)
    assert table.new[Applicant.NATURAL] == 1
    assert table.results["public"][Applicant.NATURAL] == 1
    table.check()


async def test_a_complaint_in_the_form_is_pointed_to_the_complaint_channel(env: Env) -> None:
    await env.say(CITIZEN, "/disclose")
    await press(env, "dq:app:commercial")
    await env.go(CITIZEN, "某某公司", "91330100MA2XXXXXX1", "0571-88888888")
    replies = await env.go(CITIZEN, "我要投诉村委会乱收费，要求查处")
    assert "第三十九条" in text_of(replies)
    assert "m:complain" in actions_of(replies)
    assert await env.ticket_count() == 0
    assert await env.desk.tickets.get_draft(CITIZEN) is None


async def test_the_kb_entry_offers_the_form(env: Env) -> None:
    entry = env.kb.get("info-disclosure-request")
    assert entry is not None
    assert "dq:start" in env.dialogue.answer(entry, "zh").button_actions()


async def test_english_request_offers_the_form(env: Env) -> None:
    replies = await env.go(CITIZEN, "/lang en")
    replies = await env.go(CITIZEN, "I want to request the village's budget")
    assert "dq:start" in actions_of(replies)
