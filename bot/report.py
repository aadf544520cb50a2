"""The centre's 政务公开 figures: questions, tickets and satisfaction for a year or a month.

`compute()` reads the database (the SQL is `ReportStore` in bot/store/reports.py) and returns a
frozen `Figures`; `render_markdown`, `render_csv` and `render_html` turn it into a report,
and `month_summary` into the short text of the bot's `/stats` command.

Every period is a calendar year or month in China time (UTC+8) — the stored times are UTC.

Definitions (also printed at the end of each report):

* **Questions** are counted by the time they were asked. *Answered*, *clarified* and
  *not answered* are the routes `answer`, `clarify` and `none`, as shares of all
  questions. *Answers given* adds the clarifications whose choice the person picked to
  the direct answers; the figures per knowledge-base category and per entry count these
  answers. A message with nothing but digits, spaces and punctuation (a typed menu
  number such as `7`) is not a question and is left out of every figure.
  The unanswered questions (`none`, or `clarify` with nothing picked) are counted per
  *nearest guide* (`gap_groups`): the entry the matcher ranked first, when it scored at
  least the clarify threshold (docs/matching.md), else "no guide close enough". The
  report never shows what a citizen typed — not even masked — so no name, number or
  address can reach a published page; the admins read the texts, masked, in
  `citizen-desk kb gaps` (bot/gaps.py).
* **Tickets** are counted by the time they were filed: received (all), closed, rejected,
  merged, answered and waiting for a rating, still open; *extended* and *reopened* are the
  tickets with at least one extend or reopen event; *overdue* those whose 督办 flag is
  set.
* **On-time rate** = tickets finished on or before their deadline / tickets finished in
  the period. A ticket is *finished* when it has an answer (`answered_at`, the latest
  one after a rework) or, without one, a closing time (a rejection); the period is
  that of the finishing time, whenever the ticket was filed. Merged tickets and tickets
  back in rework are not finished. The deadline is the one in force (after an
  extension, the extended one; after a rework, the rework's), compared with the China
  date of finishing.
* **Handling time** of the same finished tickets: working days (bot/workdays.py,
  counting (filed, done]) from the China date of filing to the China date of the first
  answer or rejection. The median is the usual one; the 90th percentile is the
  nearest-rank value (the ⌈0.9·n⌉-th smallest).
* **Satisfaction**, for the tickets filed in the period: each rated ticket counts once,
  with its 追评 (round 2) if there is one, else its round-1 rating. Satisfaction rate =
  (非常满意 + 满意 + 基本满意) / rated tickets. 差评 = a round-1 rating of 2 or 1; such a
  ticket is reworked (重办) and its 追评 results are shown separately.
* **Monthly series** (for the charts) always cover the whole year, with the same
  definitions per month.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from bot.gaps import parse_candidates
from bot.knowledge.model import KnowledgeBase, LocalText
from bot.matching.settings import MatchSettings
from bot.messages import REPORT_DEFINITIONS, t
from bot.privacy import ERASED
from bot.store import ReportStore, Store
from bot.workdays import WorkCalendar

if TYPE_CHECKING:  # matplotlib is imported only when a chart is drawn
    from matplotlib.figure import Figure as _Figure

#: Entries listed in "most answered", and unanswered questions in the gap list.
TOP_ENTRIES = 20
TOP_GAPS = 20
#: The five rating levels, best first.
LEVELS = (5, 4, 3, 2, 1)
SATISFIED = frozenset({5, 4, 3})
CHINA = dt.timezone(dt.timedelta(hours=8))
#: Routes with a count of their own in the figures, in display order.
ROUTES = ("answer", "clarify", "none", "complaint", "status", "human", "greeting")


# -- values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    """A label in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        """The label in `lang` (Chinese unless `en`)."""
        return self.en if lang == "en" else self.zh

    @classmethod
    def of(cls, text: LocalText) -> Name:
        """A KB text as a `Name`."""
        return cls(text.get("zh"), text.get("en"))


@dataclass(frozen=True)
class Count:
    """A labelled count (a category, an entry, a department, a rating level, a gap)."""

    key: str
    name: Name
    count: int


@dataclass(frozen=True)
class QuestionFigures:
    """Questions asked in the period."""

    total: int
    answered: int
    clarified: int
    unanswered: int
    complaint: int
    status: int
    human: int
    greeting: int
    other: int
    served: int
    answered_rate: float | None
    clarified_rate: float | None
    unanswered_rate: float | None
    served_rate: float | None
    by_category: tuple[Count, ...]
    top_entries: tuple[Count, ...]
    gaps: tuple[Count, ...]


@dataclass(frozen=True)
class TicketFigures:
    """Tickets filed in the period; on-time and handling times of those finished in it."""

    received: int
    closed: int
    rejected: int
    merged: int
    answered: int
    open: int
    extended: int
    reopened: int
    overdue: int
    finished: int
    on_time: int
    on_time_rate: float | None
    handling_median: float | None
    handling_p90: float | None
    by_category: tuple[Count, ...]
    by_department: tuple[Count, ...]


@dataclass(frozen=True)
class SatisfactionFigures:
    """Ratings of the tickets filed in the period."""

    levels: tuple[Count, ...]
    rated: int
    satisfied: int
    rate: float | None
    bad_first: int
    reworked: int
    followup: tuple[Count, ...]
    followup_rated: int
    followup_satisfied: int
    followup_rate: float | None


@dataclass(frozen=True)
class MonthPoint:
    """One month of the year's series."""

    month: int
    questions: int
    tickets: int
    finished: int
    on_time: int
    on_time_rate: float | None
    rated: int
    satisfied: int
    satisfaction_rate: float | None


@dataclass(frozen=True)
class Figures:
    """Everything in the report, as plain values."""

    year: int
    month: int | None
    centre: Name
    questions: QuestionFigures
    tickets: TicketFigures
    satisfaction: SatisfactionFigures
    months: tuple[MonthPoint, ...]


# -- computing -----------------------------------------------------------------------------


def period_key(year: int, month: int | None = None) -> str:
    """'YYYY' or 'YYYY-MM', as `ReportStore` matches it."""
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"month must be 1–12, got {month}")
    return f"{year:04d}" if month is None else f"{year:04d}-{month:02d}"


def china_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in China."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(CHINA).date()


def china_date(iso: str) -> dt.date:
    """The China date of a stored ISO time (UTC when it has no offset)."""
    moment = dt.datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(CHINA).date()


def rate(part: int, whole: int) -> float | None:
    """`part / whole`, or None when there is nothing to divide."""
    return part / whole if whole else None


def percentile(values: Iterable[float], share: float) -> float | None:
    """The nearest-rank percentile: the ⌈share·n⌉-th smallest value (None when empty)."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def ranked(counts: Mapping[str, int], names: Mapping[str, Name] | None = None) -> tuple[Count, ...]:
    """Counts, largest first (ties by key), labelled from `names` (else the key)."""
    names = names or {}
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(Count(k, names.get(k) or Name(k, k), n) for k, n in items)


#: The gap row of questions no guide came close to (key "" in the CSV).
_NO_GUIDE = Name(t("report_gap_no_guide", "zh"), t("report_gap_no_guide", "en"))


def gap_groups(
    candidates: Mapping[str, int], kb: KnowledgeBase, lean: float, limit: int = TOP_GAPS
) -> tuple[Count, ...]:
    """Unanswered questions per nearest guide, the most frequent first.

    `candidates` maps a logged candidate list (JSON) to its number of questions. A
    question counts for its top candidate when that scored at least `lean` and is still
    in the KB, else under "" (no guide close enough). Only KB titles label the rows.
    """
    grouped: Counter[str] = Counter()
    for raw, n in candidates.items():
        top = next(iter(parse_candidates(raw)), None)
        near = top is not None and top.score >= lean and kb.get(top.entry_id) is not None
        grouped[top.entry_id if near and top else ""] += n
    names = {e.id: Name.of(e.title) for e in kb.entries}
    names[""] = _NO_GUIDE
    return ranked(dict(grouped), names)[:limit]


async def compute(
    store: Store,
    kb: KnowledgeBase,
    calendar: WorkCalendar,
    year: int,
    month: int | None = None,
    matching: MatchSettings | None = None,
) -> Figures:
    """The figures of `year` (or one `month` of it), in China time.

    `matching` gives the clarify threshold a gap's nearest guide must reach.
    """
    reports = ReportStore(store)
    period = period_key(year, month)
    lean = (matching or MatchSettings()).clarify
    return Figures(
        year=year,
        month=month,
        centre=centre_name(kb),
        questions=await _questions(reports, kb, period, lean),
        tickets=await _tickets(reports, kb, calendar, period),
        satisfaction=await _satisfaction(reports, period),
        months=await _months(reports, year),
    )


def centre_name(kb: KnowledgeBase) -> Name:
    """The centre's name from the KB, or a generic one."""
    if kb.centre is not None:
        return Name.of(kb.centre.name)
    return Name("为民服务中心", "Citizen Service Centre")


async def _questions(
    reports: ReportStore, kb: KnowledgeBase, period: str, lean: float
) -> QuestionFigures:
    routes = await reports.route_counts(period)
    served = await reports.served_entries(period)
    total = sum(routes.values())
    served_total = sum(served.values())
    return QuestionFigures(
        total=total,
        answered=routes.get("answer", 0),
        clarified=routes.get("clarify", 0),
        unanswered=routes.get("none", 0),
        complaint=routes.get("complaint", 0),
        status=routes.get("status", 0),
        human=routes.get("human", 0),
        greeting=routes.get("greeting", 0),
        other=sum(n for route, n in routes.items() if route not in ROUTES),
        served=served_total,
        answered_rate=rate(routes.get("answer", 0), total),
        clarified_rate=rate(routes.get("clarify", 0), total),
        unanswered_rate=rate(routes.get("none", 0), total),
        served_rate=rate(served_total, total),
        by_category=_entry_categories(kb, served),
        top_entries=_top_entries(kb, served),
        gaps=gap_groups(await reports.unanswered_candidates(period, ERASED), kb, lean),
    )


_UNCATEGORISED = Name("未分类", "Uncategorised")


def _entry_categories(kb: KnowledgeBase, served: Mapping[str, int]) -> tuple[Count, ...]:
    """Answers per KB category of the entry (entries gone from the KB: uncategorised)."""
    counts: Counter[str] = Counter()
    for entry_id, n in served.items():
        entry = kb.get(entry_id)
        counts[(entry.category if entry else None) or ""] += n
    names = {c.id: Name.of(c.title) for c in kb.categories}
    names[""] = _UNCATEGORISED
    return ranked(dict(counts), names)


def _top_entries(kb: KnowledgeBase, served: Mapping[str, int]) -> tuple[Count, ...]:
    names = {e.id: Name.of(e.title) for e in kb.entries}
    return ranked(served, names)[:TOP_ENTRIES]


async def _tickets(
    reports: ReportStore, kb: KnowledgeBase, calendar: WorkCalendar, period: str
) -> TicketFigures:
    status = await reports.ticket_counts(period, "status")
    finished = await reports.finished_tickets(period)
    days = [
        float(calendar.working_days_between(china_date(filed), china_date(done)))
        for filed, done, _ in finished
    ]
    on_time = sum(1 for *_, ok in finished if ok)
    return TicketFigures(
        received=sum(status.values()),
        closed=status.get("closed", 0),
        rejected=status.get("rejected", 0),
        merged=status.get("merged", 0),
        answered=status.get("answered", 0),
        open=sum(status.get(s, 0) for s in ("received", "assigned", "in_progress", "reopened")),
        extended=await reports.tickets_with_action(period, "extend"),
        reopened=await reports.tickets_with_action(period, "reopen"),
        overdue=await reports.overdue_count(period),
        finished=len(finished),
        on_time=on_time,
        on_time_rate=rate(on_time, len(finished)),
        handling_median=statistics.median(days) if days else None,
        handling_p90=percentile(days, 0.9),
        by_category=ranked(await reports.ticket_counts(period, "category"), _category_names(kb)),
        by_department=ranked(
            await reports.ticket_counts(period, "department"), _department_names(kb)
        ),
    )


def _category_names(kb: KnowledgeBase) -> dict[str, Name]:
    return {c.id: Name.of(c.name) for c in kb.complaint_categories}


def _department_names(kb: KnowledgeBase) -> dict[str, Name]:
    names = {d.id: Name.of(d.name) for d in kb.departments}
    names[""] = Name("未指定", "None")
    return names


def _levels(counts: Mapping[int, int]) -> tuple[Count, ...]:
    return tuple(
        Count(
            str(level),
            Name(t(f"rating_{level}", "zh"), t(f"rating_{level}", "en")),
            counts.get(level, 0),
        )
        for level in LEVELS
    )


def _satisfied(counts: Mapping[int, int]) -> int:
    return sum(n for level, n in counts.items() if level in SATISFIED)


async def _satisfaction(reports: ReportStore, period: str) -> SatisfactionFigures:
    latest = await reports.latest_ratings(period)
    bad_first, reworked = await reports.bad_first_ratings(period)
    followup = await reports.followup_ratings(period)
    rated, satisfied = sum(latest.values()), _satisfied(latest)
    followup_rated, followup_satisfied = sum(followup.values()), _satisfied(followup)
    return SatisfactionFigures(
        levels=_levels(latest),
        rated=rated,
        satisfied=satisfied,
        rate=rate(satisfied, rated),
        bad_first=bad_first,
        reworked=reworked,
        followup=_levels(followup),
        followup_rated=followup_rated,
        followup_satisfied=followup_satisfied,
        followup_rate=rate(followup_satisfied, followup_rated),
    )


async def _months(reports: ReportStore, year: int) -> tuple[MonthPoint, ...]:
    questions = await reports.questions_by_month(year)
    tickets = await reports.tickets_by_month(year)
    on_time = await reports.on_time_by_month(year)
    ratings = await reports.satisfaction_by_month(year)
    points = []
    for month in range(1, 13):
        finished, ok = on_time.get(month, (0, 0))
        rated, satisfied = ratings.get(month, (0, 0))
        points.append(
            MonthPoint(
                month=month,
                questions=questions.get(month, 0),
                tickets=tickets.get(month, 0),
                finished=finished,
                on_time=ok,
                on_time_rate=rate(ok, finished),
                rated=rated,
                satisfied=satisfied,
                satisfaction_rate=rate(satisfied, rated),
            )
        )
    return tuple(points)


# -- words -----------------------------------------------------------------------------------


_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def text(key: str, lang: str, **values: object) -> str:
    """A report string in `lang` (zh unless en), from the message catalogue."""
    return t(f"report_{key}", lang, **values)


def title(figures: Figures, lang: str) -> str:
    """The report's title."""
    values = {"centre": figures.centre.get(lang), "year": figures.year}
    if figures.month is None:
        return text("title_year", lang, **values)
    return text(
        "title_month",
        lang,
        month=figures.month,
        month_name=_MONTHS_EN[figures.month - 1],
        **values,
    )


def month_label(month: int, lang: str) -> str:
    """'3月' or 'March'."""
    return text("month_short", lang, month=month, month_name=_MONTHS_EN[month - 1])


def pct(value: float | None) -> str:
    """A rate as a percentage with one decimal, '–' when undefined."""
    return "–" if value is None else f"{value * 100:.1f}%"


def num(value: float | None) -> str:
    """A number without a needless '.0', '–' when undefined."""
    if value is None:
        return "–"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def summary_rows(figures: Figures, lang: str) -> list[tuple[str, str]]:
    """The key figures as (label, value) rows."""
    q, tk, s = figures.questions, figures.tickets, figures.satisfaction
    rows = [
        ("q_total", str(q.total)),
        ("q_served_rate", pct(q.served_rate)),
        ("route_answer", f"{q.answered} ({pct(q.answered_rate)})"),
        ("route_clarify", f"{q.clarified} ({pct(q.clarified_rate)})"),
        ("route_none", f"{q.unanswered} ({pct(q.unanswered_rate)})"),
        ("t_received", str(tk.received)),
        ("t_closed", str(tk.closed)),
        ("t_on_time_rate", f"{pct(tk.on_time_rate)} ({tk.on_time}/{tk.finished})"),
        ("t_overdue", str(tk.overdue)),
        ("t_median", num(tk.handling_median)),
        ("t_p90", num(tk.handling_p90)),
        ("s_rate", f"{pct(s.rate)} ({s.satisfied}/{s.rated})"),
        ("s_bad_first", f"{s.bad_first}"),
    ]
    return [(text(key, lang), value) for key, value in rows]


def route_rows(q: QuestionFigures, lang: str) -> list[tuple[str, int, str]]:
    """(route label, count, share) for every route."""
    counts = (
        ("route_answer", q.answered),
        ("route_clarify", q.clarified),
        ("route_none", q.unanswered),
        ("route_complaint", q.complaint),
        ("route_status", q.status),
        ("route_human", q.human),
        ("route_greeting", q.greeting),
        ("route_other", q.other),
    )
    return [(text(k, lang), n, pct(rate(n, q.total))) for k, n in counts]


def ticket_rows(tk: TicketFigures, lang: str) -> list[tuple[str, str]]:
    """The ticket figures as (label, value) rows."""
    rows = (
        ("t_received", tk.received),
        ("t_closed", tk.closed),
        ("t_answered", tk.answered),
        ("t_open", tk.open),
        ("t_rejected", tk.rejected),
        ("t_merged", tk.merged),
        ("t_extended", tk.extended),
        ("t_reopened", tk.reopened),
        ("t_overdue", tk.overdue),
        ("t_finished", tk.finished),
    )
    extra = [
        (text("t_on_time_rate", lang), f"{pct(tk.on_time_rate)} ({tk.on_time}/{tk.finished})"),
        (text("t_median", lang), num(tk.handling_median)),
        (text("t_p90", lang), num(tk.handling_p90)),
    ]
    return [(text(k, lang), str(v)) for k, v in rows] + extra


def satisfaction_rows(s: SatisfactionFigures, lang: str) -> list[tuple[str, str]]:
    """The satisfaction figures as (label, value) rows."""
    return [
        (text("s_rated", lang), str(s.rated)),
        (text("s_rate", lang), f"{pct(s.rate)} ({s.satisfied}/{s.rated})"),
        (text("s_bad_first", lang), str(s.bad_first)),
        (text("s_reworked", lang), str(s.reworked)),
        (text("s_followup_rated", lang), str(s.followup_rated)),
        (
            text("s_followup_rate", lang),
            f"{pct(s.followup_rate)} ({s.followup_satisfied}/{s.followup_rated})",
        ),
    ]


def count_rows(counts: Iterable[Count], lang: str, total: int) -> list[tuple[str, str, str]]:
    """(label, count, share of `total`) rows."""
    return [(c.name.get(lang), str(c.count), pct(rate(c.count, total))) for c in counts]


def month_rows(figures: Figures, lang: str) -> list[tuple[str, str, str, str, str]]:
    """(month, questions, tickets, on-time rate, satisfaction rate) for every month."""
    return [
        (
            month_label(m.month, lang),
            str(m.questions),
            str(m.tickets),
            pct(m.on_time_rate),
            pct(m.satisfaction_rate),
        )
        for m in figures.months
    ]


Table = tuple[str, tuple[str, ...], list[tuple[str, ...]]]


def tables(figures: Figures, lang: str) -> list[tuple[str, list[Table]]]:
    """The report's sections: (heading, [(sub-heading, header, rows)])."""
    q, tk, s = figures.questions, figures.tickets, figures.satisfaction
    head_count = (text("count", lang), text("share", lang))
    two = (text("metric", lang), text("value", lang))
    return [
        (
            text("questions", lang),
            [
                (
                    text("routes", lang),
                    (text("route", lang), *head_count),
                    [(a, str(b), c) for a, b, c in route_rows(q, lang)],
                ),
                (
                    text("by_kb_category", lang),
                    (text("category", lang), *head_count),
                    list(count_rows(q.by_category, lang, q.served)),
                ),
                (
                    text("top_entries", lang, n=TOP_ENTRIES),
                    (text("entry", lang), *head_count),
                    list(count_rows(q.top_entries, lang, q.served)),
                ),
                (
                    text("gaps", lang),
                    (text("gap_topic", lang), text("count", lang)),
                    [(c.name.get(lang), str(c.count)) for c in q.gaps],
                ),
            ],
        ),
        (
            text("tickets", lang),
            [
                ("", two, list(ticket_rows(tk, lang))),
                (
                    text("by_ticket_category", lang),
                    (text("category", lang), *head_count),
                    list(count_rows(tk.by_category, lang, tk.received)),
                ),
                (
                    text("by_department", lang),
                    (text("department", lang), *head_count),
                    list(count_rows(tk.by_department, lang, tk.received)),
                ),
            ],
        ),
        (
            text("satisfaction", lang),
            [
                ("", two, list(satisfaction_rows(s, lang))),
                (
                    text("chart_levels", lang),
                    (text("level", lang), *head_count),
                    list(count_rows(s.levels, lang, s.rated)),
                ),
                (
                    text("followup", lang),
                    (text("level", lang), *head_count),
                    list(count_rows(s.followup, lang, s.followup_rated)),
                ),
            ],
        ),
        (
            text("monthly", lang),
            [
                (
                    "",
                    (
                        text("month", lang),
                        text("m_questions", lang),
                        text("m_tickets", lang),
                        text("t_on_time_rate", lang),
                        text("s_rate", lang),
                    ),
                    list(month_rows(figures, lang)),
                ),
            ],
        ),
    ]


# -- Markdown and CSV ------------------------------------------------------------------------


def _md_cell(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines.extend("| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows)
    return lines


def render_markdown(figures: Figures, lang: str = "zh") -> str:
    """The report as Markdown."""
    two = (text("metric", lang), text("value", lang))
    lines = [f"# {title(figures, lang)}", "", f"## {text('summary', lang)}", ""]
    lines += _md_table(two, summary_rows(figures, lang))
    for heading, parts in tables(figures, lang):
        lines += ["", f"## {heading}"]
        for sub, header, rows in parts:
            if sub:
                lines += ["", f"### {sub}"]
            lines += [""] + (_md_table(header, rows) if rows else [text("none", lang)])
    lines += ["", f"## {text('definitions', lang)}", ""]
    lines += [f"- {d}" for d in REPORT_DEFINITIONS["en" if lang == "en" else "zh"]]
    return "\n".join(lines) + "\n"


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _scalars(
    section: str, values: QuestionFigures | TicketFigures | SatisfactionFigures | MonthPoint
) -> list[tuple[str, str, object]]:
    """(section, field, value) for every field of a figures dataclass that is not a list."""
    found = ((f.name, getattr(values, f.name)) for f in fields(values))
    return [(section, name, v) for name, v in found if not isinstance(v, tuple)]


def _counts(section: str, counts: Iterable[Count]) -> list[tuple[str, str, object]]:
    return [(section, c.key, c.count) for c in counts]


def csv_rows(figures: Figures) -> list[tuple[str, str, str]]:
    """Every figure as (section, metric, value); rates as fractions with 4 decimals."""
    q, tk, s = figures.questions, figures.tickets, figures.satisfaction
    rows: list[tuple[str, str, object]] = [
        ("report", "centre", figures.centre.zh),
        ("report", "year", figures.year),
        ("report", "month", figures.month),
        *_scalars("questions", q),
        *_counts("questions_by_category", q.by_category),
        *_counts("top_entries", q.top_entries),
        *_counts("gaps", q.gaps),
        *_scalars("tickets", tk),
        *_counts("tickets_by_category", tk.by_category),
        *_counts("tickets_by_department", tk.by_department),
        *_scalars("satisfaction", s),
        *_counts("satisfaction_levels", s.levels),
        *_counts("satisfaction_followup", s.followup),
    ]
    for m in figures.months:
        prefix = f"{figures.year:04d}-{m.month:02d}"
        rows += [
            ("monthly", f"{prefix}.{name}", v)
            for _, name, v in _scalars("monthly", m)
            if name != "month"
        ]
    return [(a, b, _csv_value(v)) for a, b, v in rows]


def render_csv(figures: Figures) -> str:
    """The report as one CSV table: section,metric,value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "metric", "value"))
    writer.writerows(csv_rows(figures))
    return out.getvalue()


# -- HTML with charts ------------------------------------------------------------------------

#: CJK-capable fonts, tried in order (the page's CSS and the charts' text).
FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "DejaVu Sans",
)
_CSS_FONTS = ", ".join(f'"{f}"' for f in FONTS) + ", sans-serif"
_CSS = """
body { font-family: FONTS; color: #1f2933; margin: 0 auto; max-width: 1100px;
  padding: 24px 32px; line-height: 1.5; background: #fff; }
h1 { font-size: 26px; border-bottom: 3px solid #b91c1c; padding-bottom: 8px; }
h2 { font-size: 20px; margin-top: 28px; color: #7f1d1d; }
h3 { font-size: 16px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 14px; }
th, td { border: 1px solid #cbd2d9; padding: 4px 8px; text-align: left; }
th { background: #f5f7fa; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
table.summary { width: auto; min-width: 60%; }
.summary td:last-child { font-weight: 600; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.charts figure.wide { grid-column: 1 / -1; }
figure { margin: 0; border: 1px solid #e4e7eb; padding: 8px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
figure svg { width: 100%; height: auto; display: block; }
svg text { font-family: FONTS !important; }
.notes { font-size: 13px; color: #52606d; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h1 { font-size: 18pt; }
  figure, table, .part { break-inside: avoid; page-break-inside: avoid; }
  figure { margin-bottom: 12pt; border: none; }
  h2 { break-after: avoid; }
}
@page { size: A4; margin: 15mm; }
""".replace("FONTS", _CSS_FONTS)


def _esc(value: str) -> str:
    return html.escape(value, quote=True)


def _html_table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]], cls: str = "") -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(_html_cell(i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_cell(index: int, value: str) -> str:
    numeric = index > 0 and re.fullmatch(r"[\d.%–()/ ]+", value) is not None
    return f'<td class="n">{_esc(value)}</td>' if numeric else f"<td>{_esc(value)}</td>"


def render_html(figures: Figures, lang: str = "zh") -> str:
    """A self-contained HTML page: inline CSS and SVG charts, no scripts, nothing fetched."""
    heading = title(figures, lang)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">',
        f"<title>{_esc(heading)}</title><style>{_CSS}</style></head><body>",
        html_body(figures, lang, chart_svgs(figures, lang)),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def html_body(figures: Figures, lang: str, charts: tuple[str, str, str]) -> str:
    """The report's content, for a page's body: headings, tables, the three `charts`.

    `charts` are the markup of `chart_svgs` (inline SVG), or the same charts as images
    (the web console, whose CSP refuses the SVG's inline styles).
    """
    two = (text("metric", lang), text("value", lang))
    parts = [
        f"<h1>{_esc(title(figures, lang))}</h1>",
        f"<h2>{_esc(text('summary', lang))}</h2>",
        _html_table(two, summary_rows(figures, lang), "summary"),
        '<div class="charts">',
        _figure(text("chart_volume", lang), charts[0], wide=True),
        _figure(text("chart_rates", lang), charts[1]),
        _figure(text("chart_levels", lang), charts[2]),
        "</div>",
    ]
    parts += [_html_section(section, subs, lang) for section, subs in tables(figures, lang)]
    notes = "".join(
        f"<li>{_esc(d)}</li>" for d in REPORT_DEFINITIONS["en" if lang == "en" else "zh"]
    )
    parts.append(f'<h2>{_esc(text("definitions", lang))}</h2><ul class="notes">{notes}</ul>')
    return "\n".join(parts)


def _html_section(heading: str, subs: list[Table], lang: str) -> str:
    """A section's tables, each kept on one printed page with its headings."""
    blocks = []
    for index, (sub, header, rows) in enumerate(subs):
        head = f"<h2>{_esc(heading)}</h2>" if index == 0 else ""
        head += f"<h3>{_esc(sub)}</h3>" if sub else ""
        body = _html_table(header, rows) if rows else f"<p>{_esc(text('none', lang))}</p>"
        blocks.append(f'<div class="part">{head}{body}</div>')
    return "\n".join(blocks)


def _figure(caption: str, svg: str, wide: bool = False) -> str:
    cls = ' class="wide"' if wide else ""
    return f"<figure{cls}><figcaption>{_esc(caption)}</figcaption>{svg}</figure>"


def chart_svgs(figures: Figures, lang: str) -> tuple[str, str, str]:
    """The three charts as inline SVG: monthly volume, monthly rates, rating levels.

    matplotlib is imported here, so that the bot's start-up does not pay for it; figures
    are drawn without pyplot (no GUI backend, no global state) and saved as SVG whose
    text stays text, drawn by the browser with the page's fonts.
    """
    import warnings

    import matplotlib
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    fonts = [f for f in FONTS if f in installed] or ["DejaVu Sans"]
    with (
        matplotlib.rc_context(
            {
                "svg.fonttype": "none",
                "svg.hashsalt": "citizen-desk",
                "font.family": "sans-serif",
                "font.sans-serif": fonts,
                "font.size": 10,
                "axes.spines.top": False,
                "axes.spines.right": False,
            }
        ),
        warnings.catch_warnings(),
    ):
        # Without a CJK font here, only the measurements are off: the browser draws the text.
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        return (
            _svg(_volume_chart(figures, lang), "c1"),
            _svg(_rates_chart(figures, lang), "c2"),
            _svg(_levels_chart(figures, lang), "c3"),
        )


def chart_images(figures: Figures, lang: str) -> tuple[str, str, str]:
    """The three charts as `<img>` elements holding the SVG as a data URL.

    For a page whose CSP refuses inline styles (the web console): an image is a document
    of its own, so the SVG's styles apply inside it.
    """
    namespaces = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    captions = ("chart_volume", "chart_rates", "chart_levels")
    images = []
    for svg, caption in zip(chart_svgs(figures, lang), captions, strict=True):
        data = base64.b64encode(svg.replace("<svg ", "<svg " + namespaces, 1).encode()).decode()
        alt = _esc(text(caption, lang))
        images.append(f'<img class="chart" alt="{alt}" src="data:image/svg+xml;base64,{data}">')
    return images[0], images[1], images[2]


def _new_figure(width: float, height: float) -> _Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _volume_chart(figures: Figures, lang: str) -> _Figure:
    fig = _new_figure(10, 3.4)
    ax = fig.add_subplot()
    x = [m.month for m in figures.months]
    width = 0.4
    bars_q = ax.bar(
        [i - width / 2 for i in x],
        [m.questions for m in figures.months],
        width,
        label=text("m_questions", lang),
        color="#2f6db5",
    )
    bars_t = ax.bar(
        [i + width / 2 for i in x],
        [m.tickets for m in figures.months],
        width,
        label=text("m_tickets", lang),
        color="#d9822b",
    )
    for bars in (bars_q, bars_t):
        ax.bar_label(bars, fontsize=7, padding=1)
    ax.set_xticks(
        x, [month_label(i, lang)[:3] if lang == "en" else month_label(i, lang) for i in x]
    )
    ax.legend(frameon=False, ncols=2, loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    ax.margins(y=0.15)
    return fig


def _rates_chart(figures: Figures, lang: str) -> _Figure:
    fig = _new_figure(5, 3.2)
    ax = fig.add_subplot()
    x = [m.month for m in figures.months]
    nan = float("nan")
    on_time = [nan if m.on_time_rate is None else m.on_time_rate * 100 for m in figures.months]
    happy = [
        nan if m.satisfaction_rate is None else m.satisfaction_rate * 100 for m in figures.months
    ]
    ax.plot(x, on_time, marker="o", color="#2f6db5", label=text("t_on_time_rate", lang))
    ax.plot(x, happy, marker="s", color="#3f9142", label=text("s_rate", lang))
    ax.set_ylim(0, 105)
    ax.set_xticks(x, [str(i) for i in x])
    ax.set_xlabel(text("month", lang))
    ax.yaxis.set_major_formatter("{x:.0f}%")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="lower left")
    return fig


_LEVEL_COLOURS = ("#1a7f37", "#57a957", "#a3c86b", "#e8984f", "#c9372c")


def _levels_chart(figures: Figures, lang: str) -> _Figure:
    fig = _new_figure(5, 3.2)
    ax = fig.add_subplot()
    levels = figures.satisfaction.levels
    bars = ax.bar(range(len(levels)), [c.count for c in levels], color=_LEVEL_COLOURS)
    rated = figures.satisfaction.rated
    ax.bar_label(
        bars, [f"{c.count} ({pct(rate(c.count, rated))})" for c in levels], fontsize=8, padding=2
    )
    ax.set_xticks(
        range(len(levels)), [c.name.get(lang) for c in levels], fontsize=8 if lang == "en" else 10
    )
    ax.grid(axis="y", alpha=0.3)
    ax.margins(y=0.15)
    return fig


_SVG_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_XMLNS = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')


def _svg(fig: _Figure, prefix: str) -> str:
    """The figure as an SVG element for inlining: no prologue, no namespaces, unique ids."""
    buf = io.StringIO()
    fig.savefig(
        buf,
        format="svg",
        metadata={"Creator": None, "Date": None, "Format": None, "Type": None},
    )
    svg = _XMLNS.sub("", _SVG_PROLOGUE.sub("", buf.getvalue(), count=1))
    svg = svg.replace(' id="', f' id="{prefix}-')
    svg = svg.replace("url(#", f"url(#{prefix}-").replace('href="#', f'href="#{prefix}-')
    return svg.replace("<svg ", '<svg role="img" ', 1)


# -- /stats ----------------------------------------------------------------------------------


def summary_text(figures: Figures, lang: str = "zh") -> str:
    """A few lines for a chat: the period's key figures."""
    q, tk, s = figures.questions, figures.tickets, figures.satisfaction
    if lang == "en":
        return "\n".join(
            (
                title(figures, "en"),
                f"Questions: {q.total}, answered {pct(q.served_rate)} "
                f"(directly {pct(q.answered_rate)}, not answered {pct(q.unanswered_rate)})",
                f"Tickets: {tk.received} received, {tk.closed} closed, {tk.open} in progress, "
                f"{tk.overdue} overdue",
                f"On time: {pct(tk.on_time_rate)} of {tk.finished} finished; "
                f"median {num(tk.handling_median)} working days",
                f"Satisfaction: {pct(s.rate)} of {s.rated} rated; "
                f"{s.bad_first} first ratings of 2 or 1 (差评)",
            )
        )
    return "\n".join(
        (
            title(figures, "zh"),
            f"咨询 {q.total} 条，解答率 {pct(q.served_rate)}"
            f"（直接解答 {pct(q.answered_rate)}，未能解答 {pct(q.unanswered_rate)}）",
            f"工单 {tk.received} 件：已办结 {tk.closed}，办理中 {tk.open}，超期 {tk.overdue}",
            f"按期办结率 {pct(tk.on_time_rate)}（本期办结 {tk.finished} 件），"
            f"办理时长中位数 {num(tk.handling_median)} 个工作日",
            f"满意率 {pct(s.rate)}（已评价 {s.rated} 件），差评 {s.bad_first} 件",
        )
    )


async def month_summary(
    store: Store,
    kb: KnowledgeBase,
    calendar: WorkCalendar,
    lang: str = "zh",
    today: dt.date | None = None,
) -> str:
    """The `/stats` text: the current month (China time) so far."""
    day = today or china_today()
    return summary_text(await compute(store, kb, calendar, day.year, day.month), lang)


__all__ = [
    "Count",
    "Figures",
    "MonthPoint",
    "Name",
    "QuestionFigures",
    "SatisfactionFigures",
    "TicketFigures",
    "chart_images",
    "compute",
    "gap_groups",
    "html_body",
    "month_summary",
    "render_csv",
    "render_html",
    "render_markdown",
    "summary_text",
]
