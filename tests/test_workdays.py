"""Chinese working-day calendar: official 2026 schedule, 调休, fallback years and extras.

Official 2026 schedule (国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04):
  元旦   Jan 1 (Thu) – Jan 3 (Sat) off;            Sun Jan 4 worked.
  春节   Feb 15 (Sun) – Feb 23 (Mon) off;          Sat Feb 14 and Sat Feb 28 worked.
  清明节 Apr 4 (Sat) – Apr 6 (Mon) off.
  劳动节 May 1 (Fri) – May 5 (Tue) off;            Sat May 9 worked.
  端午节 Jun 19 (Fri) – Jun 21 (Sun) off.
  中秋节 Sep 25 (Fri) – Sep 27 (Sun) off.
  国庆节 Oct 1 (Thu) – Oct 7 (Wed) off;            Sun Sep 20 and Sat Oct 10 worked.
`holidays` 0.109 has no 2027 notice yet, so 2027 is an uncovered (Monday–Friday) year.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest

from bot.workdays import WorkCalendar


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    """One shared calendar without extras."""
    return WorkCalendar()


def _warnings_for(caplog: pytest.LogCaptureFixture, year: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and f"calendar for {year}" in r.getMessage()
    ]


def test_covered_years() -> None:
    calendar = WorkCalendar()
    assert calendar.covers(2025)
    assert calendar.covers(2026)
    assert not calendar.covers(2027)  # rule-based guesses only in holidays 0.109
    assert not calendar.covers(2031)


def test_2026_matches_the_state_council_notice() -> None:
    calendar = WorkCalendar()
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    weekdays_off = [d for d in days if d.weekday() < 5 and not calendar.is_working_day(d)]
    weekends_worked = [d for d in days if d.weekday() >= 5 and calendar.is_working_day(d)]
    assert weekdays_off == [
        date(2026, 1, 1), date(2026, 1, 2),
        date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18), date(2026, 2, 19),
        date(2026, 2, 20), date(2026, 2, 23),
        date(2026, 4, 6),
        date(2026, 5, 1), date(2026, 5, 4), date(2026, 5, 5),
        date(2026, 6, 19),
        date(2026, 9, 25),
        date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5), date(2026, 10, 6),
        date(2026, 10, 7),
    ]  # fmt: skip
    assert weekends_worked == [
        date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28),
        date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10),
    ]  # fmt: skip


def test_spring_festival_2026(calendar: WorkCalendar) -> None:
    for day in range(15, 24):  # Feb 15 – Feb 23 off
        assert not calendar.is_working_day(date(2026, 2, day))
    assert calendar.is_working_day(date(2026, 2, 14))  # 调休 Saturday
    assert calendar.is_working_day(date(2026, 2, 28))  # 调休 Saturday
    assert not calendar.is_working_day(date(2026, 2, 21))  # plain Saturday inside the break
    # From Tue Feb 10: Feb 11, 12, 13 (1–3), Sat Feb 14 (4, 调休), Feb 15–23 off,
    # Feb 24, 25, 26, 27 (5–8), Sat Feb 28 (9, 调休), Mar 2–6 (10–14), Mon Mar 9 (15).
    assert calendar.add_working_days(date(2026, 2, 10), 15) == date(2026, 3, 9)
    assert calendar.working_days_between(date(2026, 2, 10), date(2026, 3, 9)) == 15
    assert calendar.next_working_day(date(2026, 2, 13)) == date(2026, 2, 14)
    assert calendar.previous_working_day(date(2026, 2, 24)) == date(2026, 2, 14)


def test_national_day_2026(calendar: WorkCalendar) -> None:
    assert calendar.is_working_day(date(2026, 9, 20))  # 调休 Sunday
    for day in range(1, 8):  # Oct 1 – Oct 7 off
        assert not calendar.is_working_day(date(2026, 10, day))
    assert calendar.is_working_day(date(2026, 10, 10))  # 调休 Saturday
    # From Mon Sep 28: Sep 29, 30 (1–2), Oct 1–7 off, Oct 8, 9 (3–4), Sat Oct 10 (5).
    assert calendar.add_working_days(date(2026, 9, 28), 5) == date(2026, 10, 10)
    assert calendar.next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)


def test_new_year_2026_crosses_back_into_2025(calendar: WorkCalendar) -> None:
    # Jan 1–3 off, Sun Jan 4 worked: the working day before it is Wed 2025-12-31.
    assert calendar.previous_working_day(date(2026, 1, 4)) == date(2025, 12, 31)
    assert calendar.previous_working_day(date(2026, 1, 5)) == date(2026, 1, 4)


def test_deadline_into_uncovered_2027_falls_back_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar = WorkCalendar()
    with caplog.at_level(logging.WARNING, logger="bot.workdays"):
        # From Sun 2026-12-20: Dec 21–25 (1–5), Dec 28–31 (6–9), Fri 2027-01-01 (10,
        # counted because 2027 has no schedule), Jan 4–8 (11–15).
        assert calendar.add_working_days(date(2026, 12, 20), 15) == date(2027, 1, 8)
        assert calendar.is_working_day(date(2027, 1, 1))
    assert len(_warnings_for(caplog, 2027)) == 1


def test_deadline_into_2027_uses_configured_schedule(caplog: pytest.LogCaptureFixture) -> None:
    # New Year's Day 2027 (Fri) is a statutory holiday; configured as the admins would.
    calendar = WorkCalendar(extra_holidays=[date(2027, 1, 1)])
    assert calendar.covers(2027)
    with caplog.at_level(logging.WARNING, logger="bot.workdays"):
        # Dec 21–31 give 9, Jan 1 off, Jan 4–8 (10–14), Mon Jan 11 (15).
        assert calendar.add_working_days(date(2026, 12, 20), 15) == date(2027, 1, 11)
        assert not calendar.is_working_day(date(2027, 1, 1))
        assert calendar.working_days_between(date(2026, 12, 31), date(2027, 1, 4)) == 1
    assert _warnings_for(caplog, 2027) == []


def test_uncovered_year_is_monday_to_friday_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar = WorkCalendar()
    with caplog.at_level(logging.WARNING, logger="bot.workdays"):
        assert calendar.is_working_day(date(2031, 1, 1))  # Wed; no schedule, so counted
        assert not calendar.is_working_day(date(2031, 1, 4))  # Sat
        assert not calendar.is_working_day(date(2031, 1, 25))  # Sat in 春节, not worked
        assert calendar.add_working_days(date(2031, 1, 1), 5) == date(2031, 1, 8)
        for n in range(300):
            calendar.add_working_days(date(2031, 3, 1) + timedelta(days=n % 200), n % 30)
            calendar.is_working_day(date(2031, 6, 1) + timedelta(days=n % 100))
    warnings = _warnings_for(caplog, 2031)
    assert len(warnings) == 1
    assert warnings[0].startswith("no official holiday calendar for 2031: counting Monday–Friday")


def test_extras_override_the_library(caplog: pytest.LogCaptureFixture) -> None:
    calendar = WorkCalendar(
        extra_holidays=[date(2026, 3, 2), date(2031, 1, 1)],
        extra_workdays=[date(2026, 2, 16), date(2026, 3, 1), date(2031, 1, 4)],
    )
    assert not calendar.is_working_day(date(2026, 3, 2))  # Monday made a holiday
    assert calendar.is_working_day(date(2026, 2, 16))  # 除夕 made a working day
    assert calendar.is_working_day(date(2026, 3, 1))  # Sunday made a working day
    # From Fri Feb 27: Sat Feb 28 (1, 调休), Sun Mar 1 (2, extra), Mar 2 off, Tue Mar 3 (3).
    assert calendar.add_working_days(date(2026, 2, 27), 3) == date(2026, 3, 3)
    with caplog.at_level(logging.WARNING, logger="bot.workdays"):
        assert calendar.covers(2031)
        assert not calendar.is_working_day(date(2031, 1, 1))
        assert calendar.is_working_day(date(2031, 1, 4))
        assert calendar.is_working_day(date(2031, 1, 2))  # Monday–Friday base
    assert _warnings_for(caplog, 2031) == []


def test_extras_must_not_contradict_each_other() -> None:
    with pytest.raises(ValueError, match="2026-03-02"):
        WorkCalendar(extra_holidays=[date(2026, 3, 2)], extra_workdays=[date(2026, 3, 2)])


def test_zero_and_negative_days(calendar: WorkCalendar) -> None:
    assert calendar.add_working_days(date(2026, 2, 17), 0) == date(2026, 2, 17)  # even a holiday
    assert calendar.working_days_between(date(2026, 2, 17), date(2026, 2, 17)) == 0
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 2, 17), -1)


def test_between_is_consistent_with_add(calendar: WorkCalendar) -> None:
    # Start dates from 2025-11-01 through 2026-12-20 (some deadlines reach 2027).
    for offset in range(0, 415, 2):
        start = date(2025, 11, 1) + timedelta(days=offset)
        for days in (1, 3, 15, 60):
            end = calendar.add_working_days(start, days)
            assert end > start
            assert calendar.is_working_day(end)
            assert calendar.working_days_between(start, end) == days
            assert calendar.working_days_between(start, end - timedelta(days=1)) == days - 1
            assert calendar.working_days_between(end, start) == -days
        nxt = calendar.next_working_day(start)
        assert calendar.previous_working_day(nxt) == (
            start if calendar.is_working_day(start) else calendar.previous_working_day(start)
        )
