"""Chinese working days (工作日) for complaint deadlines, including 调休 working weekends.

The official schedule comes from the `holidays` library (`holidays.country_holidays("CN")`),
which encodes each year's State Council notice (国务院办公厅关于部分节假日安排的通知):
statutory holidays, bridge days and the weekends that are worked in exchange (调休).

A year counts as *covered* by the library only if its static table lists that year's
notice (`special_public_holidays`). For any other year the library still returns
rule-based holidays, but without the notice's 调休 working weekends and bridge days, so
those dates are guesses and are not used here. An uncovered year falls back to
Monday–Friday and logs one warning per year, so a missing schedule never passes silently.

Admins can supply a year's schedule before the library has it: `extra_holidays` are days
off, `extra_workdays` are worked days (usually the 调休 weekends). Extras override the
library, and any extra date in a year marks that year as covered; for a year the library
does not cover, the extras are then applied on top of Monday–Friday, so they must list
the whole notice (every weekday off and every weekend worked).

Per-year data is computed once per `WorkCalendar` and cached, so create one calendar and
share it rather than building one per ticket.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import holidays

log = logging.getLogger(__name__)

_COUNTRY = "CN"


class _Year:
    """The working days of one calendar year, as ordinals (sorted tuple and set)."""

    __slots__ = ("members", "ordinals")

    def __init__(self, ordinals: Iterable[int]) -> None:
        self.ordinals: tuple[int, ...] = tuple(sorted(ordinals))
        self.members: frozenset[int] = frozenset(self.ordinals)


def _library_years(calendar: holidays.HolidayBase) -> frozenset[int]:
    """Years for which the library holds the State Council's 调休 schedule."""
    table = getattr(calendar, "special_public_holidays", None)
    if not isinstance(table, Mapping):
        # Library layout changed: cover nothing, so every year warns loudly.
        return frozenset()
    return frozenset(year for year in table if isinstance(year, int))


class WorkCalendar:
    """Chinese working days: the official schedule, admin extras, Monday–Friday fallback."""

    def __init__(
        self, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()
    ) -> None:
        self._extra_holidays = frozenset(extra_holidays)
        self._extra_workdays = frozenset(extra_workdays)
        clash = self._extra_holidays & self._extra_workdays
        if clash:
            listed = ", ".join(day.isoformat() for day in sorted(clash))
            raise ValueError(f"dates listed both as extra holidays and extra workdays: {listed}")
        self._library = holidays.country_holidays(_COUNTRY)
        self._library_years = _library_years(self._library)
        self._extra_years = frozenset(
            day.year for day in self._extra_holidays | self._extra_workdays
        )
        self._years: dict[int, _Year] = {}

    def covers(self, year: int) -> bool:
        """Whether the library or the configured extras hold that year's official schedule."""
        return year in self._library_years or year in self._extra_years

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is a working day (extras first, then the official calendar)."""
        return day.toordinal() in self._year(day.year).members

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (`start` not counted); 0 returns `start`."""
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        if days == 0:
            return start
        remaining = days
        year = start.year
        ordinals = self._year(year).ordinals
        index = bisect.bisect_right(ordinals, start.toordinal())
        while True:
            available = len(ordinals) - index
            if remaining <= available:
                return date.fromordinal(ordinals[index + remaining - 1])
            remaining -= available
            year += 1
            ordinals = self._year(year).ordinals
            index = 0

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative (minus those in (end, start]) if end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        low, high = start.toordinal(), end.toordinal()
        total = 0
        for year in range(start.year, end.year + 1):
            ordinals = self._year(year).ordinals
            total += bisect.bisect_right(ordinals, high) - bisect.bisect_right(ordinals, low)
        return total

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self.add_working_days(day, 1)

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before `day`."""
        year = day.year
        ordinals = self._year(year).ordinals
        index = bisect.bisect_left(ordinals, day.toordinal())
        while index == 0:
            year -= 1
            ordinals = self._year(year).ordinals
            index = len(ordinals)
        return date.fromordinal(ordinals[index - 1])

    def _year(self, year: int) -> _Year:
        """The cached working days of `year`, computed on first use."""
        cached = self._years.get(year)
        if cached is None:
            cached = self._years[year] = self._compute_year(year)
        return cached

    def _compute_year(self, year: int) -> _Year:
        """Build one year: library schedule or Monday–Friday, then the extras on top."""
        if not 1 <= year <= 9999:
            raise OverflowError(f"year {year} is outside the supported date range")
        first = date(year, 1, 1)
        days = [first + timedelta(days=n) for n in range((date(year, 12, 31) - first).days + 1)]
        if year in self._library_years:
            # Official schedule incl. 调休: weekends in `weekend_workdays` are worked.
            working = {day for day in days if self._library.is_working_day(day)}
        else:
            if year not in self._extra_years:
                log.warning(
                    "no official holiday calendar for %d: counting Monday–Friday as working "
                    "days; add the State Council's schedule for %d as extra holidays and "
                    "extra workdays in the configuration",
                    year,
                    year,
                )
            working = {day for day in days if day.weekday() < 5}
        working -= self._extra_holidays
        working |= {day for day in self._extra_workdays if day.year == year}
        return _Year(day.toordinal() for day in working)
