"""The day of receipt by way of delivery (Art. 31) and the deadlines that follow from it.

2026 Spring Festival: Feb 15 (Sun) – Feb 23 (Mon) off; Sat Feb 14 and Sat Feb 28 worked.
Qingming: Mon Apr 6 off.
"""
# ruff: noqa: F811  (the fixtures of tests/test_tickets.py are imported by name)

from __future__ import annotations

import pytest

from bot.disclosure.clock import RequestClock
from bot.disclosure.desk import DisclosureDesk
from bot.disclosure.receipt import Arrival, Delivery, ReceiptError, received_on
from bot.tickets.model import Status
from bot.tickets.service import TicketError
from bot.workdays import WorkCalendar
from tests.test_disclosure_desk import FORM, run
from tests.test_tickets import (  # noqa: F401  (fixtures)
    CITIZEN,
    STAFF,
    Clock,
    Env,
    calendar,
    chat,
    clock,
    d,
    env,
)

TODAY = d("2026-03-02")


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    """The official calendar."""
    return WorkCalendar()


def test_in_person_counts_the_day_handed_in_even_a_worked_saturday(cal: WorkCalendar) -> None:
    arrival = Arrival(Delivery.IN_PERSON, submitted=d("2026-02-14"))
    assert received_on(arrival, cal, TODAY) == d("2026-02-14")


def test_post_counts_the_day_signed_for_not_the_day_posted(cal: WorkCalendar) -> None:
    # Posted before the holiday, signed for on the first working day after it.
    arrival = Arrival(Delivery.POST, submitted=d("2026-02-12"), signed_for=d("2026-02-24"))
    assert received_on(arrival, cal, TODAY) == d("2026-02-24")
    with pytest.raises(ReceiptError) as missing:
        received_on(Arrival(Delivery.POST, submitted=d("2026-02-12")), cal, TODAY)
    assert missing.value.key == "disclosure_receipt_needs_signed_for"


def test_letter_and_online_count_the_day_confirmed(cal: WorkCalendar) -> None:
    letter = Arrival(Delivery.LETTER, signed_for=d("2026-02-13"), confirmed=d("2026-02-14"))
    assert received_on(letter, cal, TODAY) == d("2026-02-14")
    online = Arrival(Delivery.ONLINE, submitted=d("2026-02-16"), confirmed=d("2026-02-24"))
    assert received_on(online, cal, TODAY) == d("2026-02-24")
    with pytest.raises(ReceiptError) as missing:
        received_on(Arrival(Delivery.ONLINE, submitted=d("2026-02-16")), cal, TODAY)
    assert missing.value.key == "disclosure_receipt_needs_confirmed"


def test_chat_on_a_day_off_counts_from_the_next_working_day(cal: WorkCalendar) -> None:
    assert received_on(Arrival(Delivery.CHAT, d("2026-02-15")), cal, TODAY) == d("2026-02-24")
    assert received_on(Arrival(Delivery.CHAT, d("2026-02-14")), cal, TODAY) == d("2026-02-14")
    saturday = d("2026-03-07")
    assert received_on(Arrival(Delivery.CHAT, saturday), cal, saturday) == d("2026-03-09")


def test_a_receipt_day_after_today_is_refused(cal: WorkCalendar) -> None:
    with pytest.raises(ReceiptError) as future:
        received_on(Arrival(Delivery.IN_PERSON, d("2026-03-03")), cal, TODAY)
    assert future.value.key == "disclosure_receipt_future"


def test_deadlines_from_a_receipt_after_spring_festival(cal: WorkCalendar) -> None:
    clock = RequestClock(received=d("2026-02-24"))
    # 25, 26, 27, Sat 28 (worked), Mar 2, 3, 4.
    assert clock.correction_notice_due(cal) == d("2026-03-04")
    # … 5, 6, 9–13, 16–20, 23 = the 20th working day.
    assert clock.answer_due(cal) == d("2026-03-23")


async def test_a_posted_request_recorded_later_counts_from_the_day_signed_for(
    env: Env, clock: Clock
) -> None:
    clock.on(d("2026-02-26"))
    mark = await env.outbox_mark()
    arrival = Arrival(Delivery.POST, submitted=d("2026-02-11"), signed_for=d("2026-02-24"))
    ticket = await run(env, "file", CITIZEN, FORM, arrival=arrival)
    assert ticket.deadline == d("2026-03-23")
    to_citizen = "\n".join(await env.texts_to(chat(CITIZEN), mark))
    assert "2026-02-24" in to_citizen and "2026-03-04" in to_citizen
    request = await DisclosureDesk(env.desk).request_of(ticket)
    assert request is not None and request.clock.received == d("2026-02-24")


async def test_a_chat_request_on_a_holiday_counts_from_the_first_working_day(
    env: Env, clock: Clock
) -> None:
    clock.on(d("2026-02-17"))
    ticket = await run(env, "file", CITIZEN, FORM)
    assert ticket.deadline == d("2026-03-23")


async def test_a_future_signed_for_day_is_refused_by_the_desk(env: Env, clock: Clock) -> None:
    clock.on(d("2026-03-02"))
    with pytest.raises(TicketError) as refused:
        await run(
            env, "file", CITIZEN, FORM, arrival=Arrival(Delivery.POST, signed_for=d("2026-03-03"))
        )
    assert refused.value.key == "disclosure_receipt_future"


async def test_a_posted_correction_restarts_the_count_from_the_day_signed_for(
    env: Env, clock: Clock
) -> None:
    clock.on(d("2026-03-02"))
    number = (await run(env, "file", CITIZEN, FORM)).number
    clock.on(d("2026-03-04"))
    await run(env, "request_correction", STAFF, number, "请写明村名", 10)
    clock.on(d("2026-03-18"))  # the letter was signed for two days ago, recorded today
    arrival = Arrival(Delivery.POST, submitted=d("2026-03-12"), signed_for=d("2026-03-16"))
    ticket = await run(env, "record_correction", STAFF.key, number, "东村", arrival=arrival)
    assert ticket.status is Status.CORRECTED
    # 17–20, 23–27, 30, 31, Apr 1–3, (Apr 6 off) 7–10, 13, 14 = the 20th working day.
    assert ticket.deadline == d("2026-04-14")
