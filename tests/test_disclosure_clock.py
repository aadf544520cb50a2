"""The disclosure clock (Arts. 30, 32, 33) on the real 2026 calendar, 调休 included.

2026 Spring Festival: Feb 15 (Sun) – Feb 23 (Mon) off; Sat Feb 14 and Sat Feb 28 worked.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.disclosure.clock import ClockError, Phase, RequestClock
from bot.workdays import WorkCalendar


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    """The official calendar."""
    return WorkCalendar()


def test_correction_notice_due_on_the_seventh_working_day_across_spring_festival(
    cal: WorkCalendar,
) -> None:
    clock = RequestClock(received=date(2026, 2, 10))
    # 11, 12, 13, Sat 14 (调休 worked), then 24, 25, 26: the holiday week is skipped.
    assert clock.correction_notice_due(cal) == date(2026, 2, 26)
    assert clock.request_correction(cal, date(2026, 2, 26)).correction_requested == date(
        2026, 2, 26
    )
    with pytest.raises(ClockError) as late:
        clock.request_correction(cal, date(2026, 2, 27))
    assert late.value.key == "disclosure_correction_late"


def test_answer_due_twenty_working_days_after_receipt(cal: WorkCalendar) -> None:
    clock = RequestClock(received=date(2026, 2, 10))
    # 11,12,13,14 | 24,25,26,27,28(Sat worked) | Mar 2–6 | Mar 9–13 | Mar 16 = 20th.
    assert clock.answer_due(cal) == date(2026, 3, 16)
    assert clock.phase(date(2026, 3, 1)) is Phase.RUNNING


def test_correction_stops_the_clock_and_restarts_the_count(cal: WorkCalendar) -> None:
    clock = RequestClock(received=date(2026, 3, 2)).request_correction(
        cal, date(2026, 3, 4), period_days=10
    )
    assert clock.answer_due(cal) is None  # stopped while waiting
    assert clock.correction_by == date(2026, 3, 18)
    assert clock.phase(date(2026, 3, 18)) is Phase.AWAITING_CORRECTION
    corrected = clock.record_correction(date(2026, 3, 10))
    # 20 working days from the correction (Mar 10), not from receipt (Mar 2).
    assert corrected.answer_due(cal) == date(2026, 4, 8)  # Apr 6 (清明) is off
    assert RequestClock(received=date(2026, 3, 2)).answer_due(cal) == date(2026, 3, 30)
    assert corrected.phase(date(2026, 4, 1)) is Phase.RUNNING


def test_no_correction_in_time_is_abandonment(cal: WorkCalendar) -> None:
    clock = RequestClock(received=date(2026, 3, 2)).request_correction(
        cal, date(2026, 3, 4), period_days=10
    )
    assert clock.phase(date(2026, 3, 19)) is Phase.ABANDONED


def test_correction_only_once(cal: WorkCalendar) -> None:
    clock = RequestClock(received=date(2026, 3, 2)).request_correction(cal, date(2026, 3, 3))
    with pytest.raises(ClockError) as again:
        clock.request_correction(cal, date(2026, 3, 4))
    assert again.value.key == "disclosure_correction_once"
    with pytest.raises(ClockError):
        RequestClock(received=date(2026, 3, 2)).record_correction(date(2026, 3, 5))


def test_one_extension_of_at_most_twenty_working_days(cal: WorkCalendar) -> None:
    clock = RequestClock(received=date(2026, 3, 2))
    extended = clock.extend(20)
    assert extended.answer_due(cal) == cal.add_working_days(date(2026, 3, 30), 20)
    assert extended.answer_due(cal) == date(2026, 4, 28)  # Apr 6 (清明) is off
    with pytest.raises(ClockError) as twice:
        extended.extend(5)
    assert twice.value.key == "disclosure_extension_once"
    for days in (0, 21):
        with pytest.raises(ClockError):
            clock.extend(days)


def test_third_party_consultation_days_are_not_counted(cal: WorkCalendar) -> None:
    clock = RequestClock(received=date(2026, 3, 2)).start_consultation(date(2026, 3, 9))
    assert clock.phase(date(2026, 3, 10)) is Phase.CONSULTING
    assert clock.answer_due(cal) is None
    assert clock.consultation_due(cal) == date(2026, 3, 30)  # 15 working days (Art. 32)
    assert clock.next_deadline(cal) == date(2026, 3, 30)
    done = clock.end_consultation(date(2026, 3, 16))  # 5 working days: Mar 10–13, 16
    assert done.paused_days(cal) == 5
    assert done.answer_due(cal) == cal.add_working_days(date(2026, 3, 30), 5)
    assert done.answer_due(cal) == date(2026, 4, 7)  # Mar 31, Apr 1, 2, 3, 7 (Apr 6 off)
    with pytest.raises(ClockError):
        done.end_consultation(date(2026, 3, 17))
    with pytest.raises(ClockError):
        clock.start_consultation(date(2026, 3, 11))
