"""The statutory clock of a disclosure request, as pure functions of its dated events.

《政府信息公开条例》 (2019): the answer is due within 20 working days of receipt (Art. 33),
extendable once by up to 20 working days; an unclear request gets one 补正 notice within
7 working days of receipt, and the count starts again when the correction arrives
(Art. 30); time spent consulting a third party (15 working days, Art. 32) is not counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.workdays import WorkCalendar

#: Art. 33: the answer is due within 20 working days of receipt.
ANSWER_DAYS = 20
#: Art. 33: one extension of at most 20 working days.
MAX_EXTENSION_DAYS = 20
#: Art. 30: the one-time 补正 notice goes out within 7 working days of receipt.
CORRECTION_NOTICE_DAYS = 7
#: The period the desk gives the applicant to correct, unless staff set another.
DEFAULT_CORRECTION_PERIOD = 10
#: Art. 32: a consulted third party has 15 working days to give its opinion.
CONSULTATION_DAYS = 15


class ClockError(ValueError):
    """A clock event the law does not allow at this point; `key` names the message."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


class Phase(StrEnum):
    """Where the clock stands."""

    RUNNING = "running"  # counting toward the answer
    AWAITING_CORRECTION = "awaiting_correction"  # stopped: 补正 requested
    CONSULTING = "consulting"  # stopped: third party consulted
    ABANDONED = "abandoned"  # no correction in time: 视为放弃


@dataclass(frozen=True)
class Consultation:
    """A third-party consultation (Art. 32): its days do not count toward the answer."""

    start: dt.date
    end: dt.date | None = None


@dataclass(frozen=True)
class RequestClock:
    """The dated events that set a request's deadlines; each method returns a new clock."""

    received: dt.date
    correction_requested: dt.date | None = None
    correction_by: dt.date | None = None
    corrected: dt.date | None = None
    extension_days: int = 0
    consultations: tuple[Consultation, ...] = ()

    # -- events ---------------------------------------------------------------------------

    def request_correction(
        self, cal: WorkCalendar, on: dt.date, period_days: int = DEFAULT_CORRECTION_PERIOD
    ) -> RequestClock:
        """The one-time 补正 notice: only once, within 7 working days of receipt (Art. 30)."""
        if self.correction_requested is not None:
            raise ClockError("disclosure_correction_once")
        if on < self.received or on > self.correction_notice_due(cal):
            raise ClockError("disclosure_correction_late")
        if period_days < 1:
            raise ClockError("disclosure_bad_days")
        by = cal.add_working_days(on, period_days)
        return replace(self, correction_requested=on, correction_by=by)

    def record_correction(self, on: dt.date) -> RequestClock:
        """The correction arrived: the count starts again from that day (Art. 30)."""
        if self.correction_requested is None or self.corrected is not None:
            raise ClockError("disclosure_no_correction_pending")
        if on < self.correction_requested:
            raise ClockError("disclosure_bad_date")
        return replace(self, corrected=on)

    def extend(self, days: int) -> RequestClock:
        """The one extension of up to 20 working days (Art. 33)."""
        if self.extension_days:
            raise ClockError("disclosure_extension_once")
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            raise ClockError("disclosure_bad_days")
        return replace(self, extension_days=days)

    def start_consultation(self, on: dt.date) -> RequestClock:
        """Ask a third party (Art. 32); the clock stops."""
        if self.consulting:
            raise ClockError("disclosure_consulting_already")
        return replace(self, consultations=(*self.consultations, Consultation(on)))

    def end_consultation(self, on: dt.date) -> RequestClock:
        """The third party answered (or its 15 days passed); the clock runs again."""
        if not self.consulting:
            raise ClockError("disclosure_not_consulting")
        last = self.consultations[-1]
        if on < last.start:
            raise ClockError("disclosure_bad_date")
        return replace(self, consultations=(*self.consultations[:-1], Consultation(last.start, on)))

    # -- state ----------------------------------------------------------------------------

    @property
    def consulting(self) -> bool:
        """A consultation is under way."""
        return bool(self.consultations) and self.consultations[-1].end is None

    @property
    def awaiting_correction(self) -> bool:
        """A 补正 notice went out and no correction has come back yet."""
        return self.correction_requested is not None and self.corrected is None

    def phase(self, today: dt.date) -> Phase:
        """Where the clock stands on `today`."""
        if self.awaiting_correction:
            assert self.correction_by is not None
            return Phase.ABANDONED if today > self.correction_by else Phase.AWAITING_CORRECTION
        if self.consulting:
            return Phase.CONSULTING
        return Phase.RUNNING

    def start(self) -> dt.date:
        """The day the 20 working days count from: receipt, or the correction's arrival."""
        return self.corrected or self.received

    def correction_notice_due(self, cal: WorkCalendar) -> dt.date:
        """The last day for the 补正 notice (Art. 30)."""
        return cal.add_working_days(self.received, CORRECTION_NOTICE_DAYS)

    def paused_days(self, cal: WorkCalendar) -> int:
        """Working days spent consulting third parties since the count's start (Art. 33)."""
        start = self.start()
        total = 0
        for c in self.consultations:
            if c.end is None:
                continue
            total += max(0, cal.working_days_between(max(c.start, start), c.end))
        return total

    def answer_due(self, cal: WorkCalendar) -> dt.date | None:
        """The answer's deadline, or None while the clock is stopped (补正, consultation)."""
        if self.awaiting_correction or self.consulting:
            return None
        days = ANSWER_DAYS + self.extension_days + self.paused_days(cal)
        return cal.add_working_days(self.start(), days)

    def consultation_due(self, cal: WorkCalendar) -> dt.date | None:
        """The third party's last day to answer (Art. 32), while consulting."""
        if not self.consulting:
            return None
        return cal.add_working_days(self.consultations[-1].start, CONSULTATION_DAYS)

    def next_deadline(self, cal: WorkCalendar) -> dt.date:
        """The date staff must act by now: the answer, the correction or the consultation."""
        if self.awaiting_correction:
            assert self.correction_by is not None
            return self.correction_by
        if self.consulting:
            due = self.consultation_due(cal)
            assert due is not None
            return due
        due = self.answer_due(cal)
        assert due is not None
        return due


__all__ = [
    "ANSWER_DAYS",
    "CONSULTATION_DAYS",
    "CORRECTION_NOTICE_DAYS",
    "MAX_EXTENSION_DAYS",
    "ClockError",
    "Consultation",
    "Phase",
    "RequestClock",
]
