"""Disclosure requests on the real desk: SQLite file, sample KB, 2026 calendar, outbox."""
# ruff: noqa: F811  (the fixtures of tests/test_tickets.py are imported by name)

from __future__ import annotations

import json

import pytest

from bot import privacy
from bot.disclosure.answers import Answer, Applicant
from bot.disclosure.desk import DisclosureDesk, DisclosureForm
from bot.disclosure.table import compute
from bot.logs import redact
from bot.tickets.model import TRANSITIONS, Action, Status, Ticket
from bot.tickets.service import TicketError
from tests.test_tickets import (  # noqa: F401  (fixtures)
    CITIZEN,
    STAFF,
    STAFF_CHAT_ID,
    SUPERVISOR,
    Clock,
    Env,
    calendar,
    chat,
    clock,
    d,
    env,
)

ID_NUMBER = "110101199003071234"
FORM = DisclosureForm(
    applicant=Applicant.NATURAL,
    name="张三",
    id_number=ID_NUMBER,
    contact="13812345678",
    description="2025年东村低保名单及审批结果",
    delivery_form="electronic",
    delivery_way="chat",
    purpose="核实本户情况",
)


async def run(env: Env, op: str, *args: object, **kwargs: object) -> Ticket:
    async with env.store.transaction():
        result: Ticket = await getattr(DisclosureDesk(env.desk), op)(*args, **kwargs)
        return result


async def file(env: Env) -> str:
    return (await run(env, "file", CITIZEN, FORM)).number


async def test_filing_sets_the_statutory_dates_and_masks_the_staff_card(env: Env) -> None:
    mark = await env.outbox_mark()
    number = await file(env)  # Monday 2026-03-02
    ticket = await env.ticket(number)
    assert ticket.kind == "disclosure" and ticket.status is Status.RECEIVED
    assert ticket.deadline == d("2026-03-30")  # 20 working days (Art. 33)
    to_citizen = "\n".join(await env.texts_to(chat(CITIZEN), mark))
    assert "2026-03-30" in to_citizen and "2026-03-11" in to_citizen  # 补正 notice by day 7
    card = "\n".join(await env.texts_to(STAFF_CHAT_ID, mark))
    assert number in card
    assert ID_NUMBER not in card and "13812345678" not in card and "张三" not in card
    assert "138" in card and "张*" in card


async def test_correction_restarts_the_clock_and_the_answer_reaches_the_citizen(
    env: Env, clock: Clock
) -> None:
    number = await file(env)
    clock.on(d("2026-03-04"))
    ticket = await run(env, "request_correction", STAFF, number, "请写明具体年份和村名")
    assert ticket.status is Status.CORRECTION
    assert ticket.deadline == d("2026-03-18")
    with pytest.raises(TicketError) as once:
        await run(env, "request_correction", STAFF, number, "再补一次")
    assert once.value.key == "disclosure_correction_once"
    with pytest.raises(TicketError):
        await run(env, "answer", STAFF, number, Answer.DISCLOSED)  # not while awaiting
    clock.on(d("2026-03-10"))
    ticket = await run(env, "record_correction", CITIZEN, number, "2025年，东村")
    assert ticket.status is Status.CORRECTED
    assert ticket.deadline == d("2026-04-08")
    with pytest.raises(TicketError) as again:
        await run(env, "request_correction", STAFF, number, "第二次")
    assert again.value.key == "disclosure_correction_once"
    mark = await env.outbox_mark()
    ticket = await run(env, "answer", STAFF, number, Answer.WITHHELD, "", "third_party")
    assert ticket.status is Status.CLOSED
    decision = "\n".join(await env.texts_to(chat(CITIZEN), mark))
    assert "不予公开" in decision and "第十五条" in decision and "行政复议" in decision
    request = await DisclosureDesk(env.desk).requests.get(ticket.id)
    assert request is not None and request.result_row == "withheld.third_party"
    events = [e.action for e in await env.desk.timeline(ticket, False)]
    assert events == [Action.FILE, Action.REQUEST_CORRECTION, Action.CORRECT, Action.ANSWER]


async def test_no_correction_in_time_is_abandoned_by_the_scan(env: Env, clock: Clock) -> None:
    number = await file(env)
    await run(env, "request_correction", STAFF, number, "请写明年份", 5)  # by 2026-03-09
    clock.on(d("2026-03-09"))
    await env.scan()
    assert (await env.ticket(number)).status is Status.CORRECTION
    clock.on(d("2026-03-10"))
    counts = await env.scan()
    assert counts["disclosure_abandoned"] == 1
    assert (await env.ticket(number)).status is Status.ABANDONED
    records = await DisclosureDesk(env.desk).requests.records(2026)
    assert records[0].row == "other.no_correction" and records[0].concluded == d("2026-03-10")


async def test_notice_reminder_before_the_seventh_day(env: Env, clock: Clock) -> None:
    number = await file(env)
    clock.on(d("2026-03-09"))
    assert "disclosure_notice_reminded" not in await env.scan()
    clock.on(d("2026-03-10"))  # the working day before 2026-03-11
    mark = await env.outbox_mark()
    assert (await env.scan())["disclosure_notice_reminded"] == 1
    assert any(number in x and "2026-03-11" in x for x in await env.texts_to(STAFF_CHAT_ID, mark))
    assert "disclosure_notice_reminded" not in await env.scan()  # once


async def test_extension_needs_a_supervisor_and_happens_once(env: Env) -> None:
    number = await file(env)
    with pytest.raises(TicketError) as staff:
        await run(env, "extend", STAFF, number, 10, "资料较多")
    assert staff.value.key == "ticket_supervisor_only"
    mark = await env.outbox_mark()
    ticket = await run(env, "extend", SUPERVISOR, number, 20, "资料较多")
    assert ticket.deadline == d("2026-04-28")
    assert any("2026-04-28" in x for x in await env.texts_to(chat(CITIZEN), mark))
    with pytest.raises(TicketError) as twice:
        await run(env, "extend", SUPERVISOR, number, 5, "再延")
    assert twice.value.key == "disclosure_extension_once"
    with pytest.raises(TicketError) as generic:
        async with env.store.transaction():
            await env.desk.extend(SUPERVISOR, number, 30, "generic extension")
    assert generic.value.key == "disclosure_use_own"


async def test_a_disclosure_request_is_never_merged(env: Env) -> None:
    number = await file(env)
    async with env.store.transaction():
        complaint = await env.desk.file(
            CITIZEN, "environment", description="村口垃圾无人清理", location="东风村"
        )
    for duplicate, into in ((number, complaint.number), (complaint.number, number)):
        with pytest.raises(TicketError) as refused:
            async with env.store.transaction():
                await env.desk.merge(SUPERVISOR, duplicate, into)
        assert refused.value.key == "disclosure_use_own"
    for kept in (number, complaint.number):
        ticket = await env.desk.tickets.by_number(kept)
        assert (
            ticket is not None and ticket.status is Status.RECEIVED and ticket.merged_into is None
        )


async def test_consultation_days_are_not_counted(env: Env, clock: Clock) -> None:
    number = await file(env)
    clock.on(d("2026-03-09"))
    ticket = await run(env, "start_consultation", STAFF, number, "某公司")
    assert ticket.deadline == d("2026-03-30")
    with pytest.raises(TicketError):
        await run(env, "answer", STAFF, number, Answer.DISCLOSED)
    clock.on(d("2026-03-16"))
    ticket = await run(env, "end_consultation", STAFF, number, "同意公开")
    assert ticket.deadline == d("2026-04-07")


async def test_answers_need_their_details(env: Env) -> None:
    number = await file(env)
    with pytest.raises(TicketError) as where:
        await run(env, "answer", STAFF, number, Answer.NOT_OURS, "")
    assert where.value.key == "disclosure_needs_detail_not_ours"
    with pytest.raises(TicketError) as why:
        await run(env, "answer", STAFF, number, Answer.WITHHELD, "", None)
    assert why.value.key == "disclosure_bad_reason"
    ticket = await run(env, "answer", STAFF, number, Answer.NOT_OURS, "县民政局 0571-1234567")
    assert ticket.status is Status.CLOSED
    with pytest.raises(TicketError):
        await run(env, "answer", STAFF, number, Answer.DISCLOSED)  # concluded


def test_disclosure_transitions_in_the_one_table() -> None:
    assert TRANSITIONS[(Status.RECEIVED, Action.REQUEST_CORRECTION)] is Status.CORRECTION
    assert TRANSITIONS[(Status.CORRECTION, Action.CORRECT)] is Status.CORRECTED
    assert TRANSITIONS[(Status.CORRECTION, Action.ABANDON)] is Status.ABANDONED
    assert TRANSITIONS[(Status.CORRECTED, Action.ANSWER)] is Status.CLOSED
    assert (Status.CORRECTED, Action.REQUEST_CORRECTION) not in TRANSITIONS
    assert (Status.CORRECTION, Action.ANSWER) not in TRANSITIONS
    assert (Status.ABANDONED, Action.CORRECT) not in TRANSITIONS
    assert (Status.CLOSED, Action.ANSWER) not in TRANSITIONS


async def test_mydata_and_forget_cover_the_request(env: Env) -> None:
    number = await file(env)
    data = json.loads(await privacy.export(env.store, CITIZEN))
    assert data["disclosure_requests"][0]["id_number"] == ID_NUMBER
    async with env.store.transaction():
        counts = await privacy.forget(env.store, CITIZEN)
    assert counts["disclosure_requests"] == 1
    stored = await env.scalar("SELECT id_number || contact || name FROM disclosure_requests")
    assert stored is None
    records = await DisclosureDesk(env.desk).requests.records(2026)
    assert len(records) == 1 and records[0].applicant is Applicant.NATURAL  # still counted
    assert (await env.ticket(number)).kind == "disclosure"


async def test_the_years_table_from_the_database_reconciles(env: Env, clock: Clock) -> None:
    first = await file(env)
    await file(env)
    await run(env, "answer", STAFF, first, Answer.ALREADY_PUBLIC, "镇政府网站 政府信息公开专栏")
    table = compute(await DisclosureDesk(env.desk).requests.records(2026), 2026)
    assert table.new[Applicant.NATURAL] == 2
    assert table.results["public"][Applicant.NATURAL] == 1
    assert table.carried_out[Applicant.NATURAL] == 1
    table.check()


async def test_reminder_before_the_answer_deadline_then_escalation(env: Env, clock: Clock) -> None:
    number = await file(env)  # answer due 2026-03-30
    clock.on(d("2026-03-27"))  # the working day before
    mark = await env.outbox_mark()
    assert (await env.scan())["reminded"] == 1
    assert any(number in x for x in await env.texts_to(STAFF_CHAT_ID, mark))
    clock.on(d("2026-03-31"))
    assert (await env.scan())["overdue"] == 1  # 督办
    assert (await env.ticket(number)).overdue


def test_id_numbers_and_phones_are_masked_in_logs() -> None:
    line = redact(f"filed by {ID_NUMBER}, 11010119900307123X, tel 13812345678")
    assert ID_NUMBER not in line and "11010119900307123X" not in line
    assert "110**************4" in line and "138****5678" in line
