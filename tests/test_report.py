"""The 政务公开 figures report on a real SQLite file with a deterministic, seeded year.

The seeder builds the year as Python lists (questions, tickets with their events and
ratings, following the ticket workflow's rules) and writes them through `Store`. Every
expected figure is then computed here from those lists, in plain Python, and compared
with `compute()`, which reads the database with SQL.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import math
import random
import statistics
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge.model import ComplaintCategory, KnowledgeBase
from bot.privacy import ERASED
from bot.report import (
    Count,
    Figures,
    compute,
    gap_groups,
    month_summary,
    percentile,
    render_csv,
    render_html,
    render_markdown,
)
from bot.store import Store, TicketStore
from bot.workdays import WorkCalendar
from tests.conftest import CHROMIUM, need_chromium

SEED = 20260315
YEAR = 2026
CHINA = dt.timezone(dt.timedelta(hours=8))

#: Unanswered questions: the group key (already normalised) → ways people typed it.
GAPS: dict[str, tuple[str, ...]] = {
    "无人机怎么备案": ("无人机怎么备案", "无人机怎么备案？", "無人機怎麼備案", "无人机怎么备案?"),
    "宠物狗办证在哪里": ("宠物狗办证在哪里", "宠物狗办证在哪里？？"),
    "公租房摇号结果查询": ("公租房摇号结果查询", "公租房摇号结果查询。"),
    "电动车上牌要带什么": ("电动车上牌要带什么", "电动车上牌要带什么？"),
    "how do i renew a fishing licence": (
        "How do I renew a fishing licence?",
        "how do i renew a fishing licence",
        "ＨＯＷ ＤＯ Ｉ ＲＥＮＥＷ Ａ ＦＩＳＨＩＮＧ ＬＩＣＥＮＣＥ",
    ),
    "老年证丢了怎么补": ("老年证丢了怎么补", "老年证丢了怎么补！"),
}
GAP_WEIGHTS = (9, 6, 4, 3, 2, 1)
#: The candidates logged with each gap topic: the report counts a gap for its top candidate
#: when that scored at least the clarify threshold (0.25) and is still in the KB.
GAP_CANDIDATES: dict[str, list[tuple[str, float]]] = {
    "无人机怎么备案": [],
    "宠物狗办证在哪里": [("retired-guide", 0.5)],  # gone from the KB
    "公租房摇号结果查询": [("dilapidated-house", 0.31), ("homestead", 0.2)],
    "电动车上牌要带什么": [("farm-machinery-subsidy", 0.18)],  # below the threshold
    "how do i renew a fishing licence": [("disability-card", 0.25)],  # just at it
    "老年证丢了怎么补": [("senior-card", 0.41)],
}
#: Typed menu numbers and bare punctuation: not questions, counted nowhere.
NOT_QUESTIONS = ("7", "０", "②", "?")
ROUTE_WEIGHTS = {
    "answer": 52,
    "clarify": 16,
    "none": 12,
    "complaint": 6,
    "status": 5,
    "human": 4,
    "greeting": 4,
    "triage": 1,
}
#: Months are not equally busy (spring applications, the year-end rush).
MONTH_WEIGHTS = (6, 4, 9, 10, 8, 7, 6, 7, 9, 8, 9, 11)
RETIRED_ENTRY = "retired-guide"
#: The day the seeded database is looked at (open tickets past their deadline are overdue).
TODAY = dt.date(YEAR + 1, 1, 8)


# -- the seeded year, as Python values ------------------------------------------------------


@dataclass
class Question:
    text: str
    route: str
    entry_id: str | None
    picked: str | None
    created: dt.datetime
    user: str | None = "tg:1"


@dataclass
class TicketSeed:
    id: int
    category: str
    department: str | None
    created: dt.datetime
    deadline: dt.date
    status: str = "received"
    answered_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    overdue: bool = False
    extended: bool = False
    rework_count: int = 0
    rating: int | None = None
    merged_into: int | None = None
    events: list[tuple[str, dt.datetime]] = field(default_factory=list)
    ratings: list[tuple[int, int, dt.datetime]] = field(default_factory=list)

    def event(self, action: str, at: dt.datetime) -> None:
        self.events.append((action, at))


@dataclass
class Year:
    questions: list[Question]
    tickets: list[TicketSeed]


def cn(moment: dt.datetime) -> dt.date:
    """The China date of a UTC moment."""
    return moment.astimezone(CHINA).date()


def at_office(day: dt.date, rng: random.Random) -> dt.datetime:
    """A moment during office hours (China) on `day`, in UTC."""
    local = dt.datetime.combine(day, dt.time(8, 30), CHINA)
    local += dt.timedelta(minutes=rng.randrange(9 * 60), seconds=rng.randrange(60))
    return local.astimezone(dt.UTC)


def random_moment(rng: random.Random) -> dt.datetime:
    """Mostly in YEAR (weighted by month), some in the months around it; any time of day."""
    roll = rng.random()
    if roll < 0.04:
        day = dt.date(YEAR - 1, 12, rng.randint(1, 31))
    elif roll < 0.07:
        day = dt.date(YEAR + 1, 1, rng.randint(1, 20))
    else:
        month = rng.choices(range(1, 13), MONTH_WEIGHTS)[0]
        day = dt.date(YEAR, month, rng.randint(1, 28))
    moment = dt.datetime.combine(day, dt.time(0, 0), dt.UTC)
    return moment + dt.timedelta(seconds=rng.randrange(86400), microseconds=rng.randrange(10**6))


#: Moments on the edges of months: UTC late evening is the next day in China.
EDGES = (
    dt.datetime(YEAR - 1, 12, 31, 16, 30, tzinfo=dt.UTC),  # 1 January in China
    dt.datetime(YEAR - 1, 12, 31, 15, 59, 59, tzinfo=dt.UTC),  # still 2025 in China
    dt.datetime(YEAR, 2, 28, 17, 0, tzinfo=dt.UTC),  # 1 March in China
    dt.datetime(YEAR, 12, 31, 16, 0, tzinfo=dt.UTC),  # 2027 in China
)


def seed_questions(rng: random.Random, kb: KnowledgeBase) -> list[Question]:
    entries = [e.id for e in kb.entries]
    weights = [1 / (i + 1) for i in range(len(entries))]
    routes, route_weights = list(ROUTE_WEIGHTS), list(ROUTE_WEIGHTS.values())
    gap_keys = list(GAPS)
    moments = [random_moment(rng) for _ in range(720)] + list(EDGES) * 2
    questions = []
    for moment in moments:
        route = rng.choices(routes, route_weights)[0]
        entry = picked = None
        text = "低保怎么申请"
        if route == "answer":
            entry = RETIRED_ENTRY if rng.random() < 0.01 else rng.choices(entries, weights)[0]
        if route == "clarify":
            entry = rng.choice(entries)
            picked = rng.choices(entries, weights)[0] if rng.random() < 0.5 else None
        if route == "none" or (route == "clarify" and picked is None):
            text = rng.choice(GAPS[rng.choices(gap_keys, GAP_WEIGHTS)[0]])
        questions.append(Question(text, route, entry, picked, moment))
    # Typed menu numbers: not questions.
    for i, text in enumerate(NOT_QUESTIONS * 3):
        questions.append(Question(text, "none", None, None, moments[i * 7]))
    # Erased by a person's request: counted, but never listed as a gap.
    for moment in EDGES[:1] + (dt.datetime(YEAR, 5, 5, 3, tzinfo=dt.UTC),) * 2:
        questions.append(Question(ERASED, "none", None, None, moment, None))
    return questions


OUTCOMES = {"open": 30, "rejected": 5, "merged": 4, "answered": 6, "closed": 75}
FIRST_RATINGS = {5: 42, 4: 26, 3: 12, 2: 7, 1: 5, 0: 8}  # 0: not rated, closed after 3 days


class TicketSeeder:
    """Walks each ticket through the workflow's rules, recording events and ratings."""

    def __init__(self, rng: random.Random, kb: KnowledgeBase, calendar: WorkCalendar):
        self.rng = rng
        self.kb = kb
        self.calendar = calendar
        self.categories = list(kb.complaint_categories)
        self.departments = [d.id for d in kb.departments]

    def ticket(self, ticket_id: int) -> TicketSeed:
        rng = self.rng
        cat = rng.choices(
            self.categories, [5 if c.id != "inquiry" else 3 for c in self.categories]
        )[0]
        created = random_moment(rng)
        deadline = self.calendar.add_working_days(cn(created), cat.deadline_days)
        t = TicketSeed(ticket_id, cat.id, cat.department, created, deadline)
        t.event("file", created)
        t.event("claim", created + dt.timedelta(hours=rng.randint(1, 30)))
        t.status = "assigned"
        if rng.random() < 0.1:
            t.department = rng.choice(self.departments)
            t.event("transfer", created + dt.timedelta(hours=31))
        outcome = rng.choices(list(OUTCOMES), list(OUTCOMES.values()))[0]
        if (ticket_id == 1 and outcome == "merged") or (
            outcome == "open" and cn(created) < dt.date(YEAR, 11, 15)
        ):
            outcome = "closed"  # nothing to merge into yet; old tickets are done by now
        self.handle(t, cat, outcome)
        return t

    def first_day(self, t: TicketSeed, cat: ComplaintCategory) -> dt.date:
        """When the ticket is first answered (or rejected, merged); extends it when late."""
        most = cat.deadline_days + 4
        wd = min(most, round(self.rng.triangular(0, most, cat.deadline_days * 0.3)))
        day = self.calendar.add_working_days(cn(t.created), wd)
        if day > t.deadline and self.rng.random() < 0.45:
            ask = self.calendar.previous_working_day(t.deadline)
            t.event("extend", at_office(max(ask, cn(t.created)), self.rng))
            t.deadline = self.calendar.add_working_days(t.deadline, 5)
            t.extended = True
        if day > t.deadline:
            t.overdue = True
            t.event("escalate", at_office(self.calendar.next_working_day(t.deadline), self.rng))
        return day

    def handle(self, t: TicketSeed, cat: ComplaintCategory, outcome: str) -> None:
        rng = self.rng
        if outcome == "open":
            t.status = rng.choice(["received", "assigned", "in_progress"])
            if t.deadline < TODAY:
                t.overdue = True
                t.event("escalate", at_office(self.calendar.next_working_day(t.deadline), rng))
            return
        day = self.first_day(t, cat)
        moment = max(at_office(day, rng), t.created + dt.timedelta(minutes=5))
        if outcome == "rejected":
            t.status, t.closed_at = "rejected", moment
            t.event("reject", moment)
        elif outcome == "merged":
            t.status, t.merged_into = "merged", rng.randint(1, t.id - 1)
            t.event("merge", moment)
        else:
            t.status, t.answered_at = "answered", moment
            t.event("resolve", moment)
            if outcome == "closed":
                self.rate(t, cat)

    def rate(self, t: TicketSeed, cat: ComplaintCategory) -> None:
        rng = self.rng
        assert t.answered_at is not None
        rating = rng.choices(list(FIRST_RATINGS), list(FIRST_RATINGS.values()))[0]
        day = self.calendar.add_working_days(cn(t.answered_at), rng.randint(0, 2))
        when = max(at_office(day, rng), t.answered_at + dt.timedelta(minutes=1))
        if rating == 0:
            t.status, t.closed_at = "closed", when
            t.event("close", when)
            return
        t.ratings.append((1, rating, when))
        t.rating = rating
        if rating >= 3:
            t.status, t.closed_at = "closed", when
            t.event("rate", when)
            return
        self.rework(t, cat, when)

    def rework(self, t: TicketSeed, cat: ComplaintCategory, rated: dt.datetime) -> None:
        """A 差评 in round 1 reopens the ticket with a new deadline (flags reset)."""
        rng = self.rng
        t.event("reopen", rated)
        t.status, t.rework_count, t.answered_at, t.overdue = "reopened", 1, None, False
        t.deadline = self.calendar.add_working_days(cn(rated), cat.deadline_days)
        if rng.random() < 0.2:
            return
        day = self.calendar.add_working_days(cn(rated), rng.randint(0, cat.deadline_days + 3))
        if day > t.deadline:
            t.overdue = True
            t.event("escalate", at_office(self.calendar.next_working_day(t.deadline), rng))
        again = max(at_office(day, rng), rated + dt.timedelta(minutes=1))
        t.status, t.answered_at = "answered", again
        t.event("resolve", again)
        if rng.random() < 0.8:
            second = rng.choices([5, 4, 3, 2, 1], [20, 25, 20, 20, 15])[0]
            when = again + dt.timedelta(hours=rng.randint(1, 40))
            t.ratings.append((2, second, when))
            t.status, t.rating, t.closed_at = "closed", second, when
            t.event("rate", when)


def seed_year(kb: KnowledgeBase, calendar: WorkCalendar, seed: int = SEED) -> Year:
    """The whole seeded year, in Python values."""
    rng = random.Random(seed)
    questions = seed_questions(rng, kb)
    seeder = TicketSeeder(rng, kb, calendar)
    tickets = [seeder.ticket(i) for i in range(1, 231)]
    return Year(questions, tickets)


def _candidates(text: str) -> str:
    """The logged candidates of a seeded question (JSON)."""
    gap_of = {variant: key for key, variants in GAPS.items() for variant in variants}
    return json.dumps(GAP_CANDIDATES[gap_of[text]] if text in gap_of else [])


def _iso(moment: dt.datetime, index: int) -> str:
    """Stored times, written in the forms the bot writes (with or without microseconds)."""
    if index % 2:
        return moment.isoformat()
    return moment.replace(microsecond=0).isoformat(timespec="seconds")


async def write_year(store: Store, year: Year) -> None:
    """Write the seeded year through the store (real schema, real migrations)."""
    tickets = TicketStore(store)
    async with store.transaction():
        for i, q in enumerate(year.questions):
            await store.conn.execute(
                "INSERT INTO questions (user_key, text, lang, route, entry_id, score, "
                "candidates, created_at, picked) VALUES (?, ?, 'zh', ?, ?, 0.5, ?, ?, ?)",
                (
                    q.user,
                    q.text,
                    q.route,
                    q.entry_id,
                    _candidates(q.text),
                    _iso(q.created, i),
                    q.picked,
                ),
            )
        for t in year.tickets:
            await tickets.insert(_ticket_row(t))
            for action, at in sorted(t.events, key=lambda e: e[1]):
                await tickets.add_event(
                    t.id, _iso(at, t.id), "tg:9", action, None, None, None, True
                )
            for round_, rating, at in t.ratings:
                await tickets.add_rating(t.id, round_, rating, None, _iso(at, t.id))


def _ticket_row(t: TicketSeed) -> dict[str, Any]:
    def opt(moment: dt.datetime | None) -> str | None:
        return _iso(moment, t.id) if moment else None

    return {
        "id": t.id,
        "number": f"TS-{t.created.year}-{t.id:06d}",
        "kind": "complaint",
        "category": t.category,
        "department": t.department,
        "status": t.status,
        "citizen": f"tg:{1000 + t.id}",
        "description": "…",
        "created_at": _iso(t.created, t.id),
        "deadline": t.deadline.isoformat(),
        "overdue": int(t.overdue),
        "extended": int(t.extended),
        "answered_at": opt(t.answered_at),
        "closed_at": opt(t.closed_at),
        "rating": t.rating,
        "rework_count": t.rework_count,
        "merged_into": t.merged_into,
    }


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture(scope="module")
def year(sample_kb: KnowledgeBase, calendar: WorkCalendar) -> Year:
    return seed_year(sample_kb, calendar)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, year: Year) -> Path:
    path = tmp_path_factory.mktemp("report") / "desk.sqlite3"

    async def build() -> None:
        async with Store.opened(path) as store:
            await write_year(store, year)

    asyncio.run(build())
    return path


async def figures_of(
    db: Path, kb: KnowledgeBase, calendar: WorkCalendar, month: int | None = None
) -> Figures:
    async with Store.opened(db) as store:
        return await compute(store, kb, calendar, YEAR, month)


# -- the expected figures, from the Python lists ----------------------------------------


def in_period(moment: dt.datetime | None, month: int | None) -> bool:
    if moment is None:
        return False
    day = cn(moment)
    return day.year == YEAR and (month is None or day.month == month)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def counts(items: list[Count]) -> dict[str, int]:
    return {c.key: c.count for c in items}


def expected_questions(year: Year, kb: KnowledgeBase, month: int | None) -> dict[str, Any]:
    # A typed menu number is not a question: it counts nowhere.
    qs = [q for q in year.questions if in_period(q.created, month) and q.text not in NOT_QUESTIONS]
    routes = Counter(q.route for q in qs)
    served = Counter(
        q.entry_id if q.route == "answer" else q.picked
        for q in qs
        if (q.route == "answer" and q.entry_id) or (q.route == "clarify" and q.picked)
    )
    categories: Counter[str] = Counter()
    for entry_id, n in served.items():
        entry = kb.get(entry_id)  # type: ignore[arg-type]
        categories[(entry.category if entry else None) or ""] += n
    gap_of = {variant: key for key, variants in GAPS.items() for variant in variants}
    gaps = Counter(
        nearest_guide(gap_of[q.text], kb)
        for q in qs
        if q.text != ERASED and (q.route == "none" or (q.route == "clarify" and not q.picked))
    )
    top = sorted(served.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    total = len(qs)
    return {
        "total": total,
        "answered": routes["answer"],
        "clarified": routes["clarify"],
        "unanswered": routes["none"],
        "complaint": routes["complaint"],
        "status": routes["status"],
        "human": routes["human"],
        "greeting": routes["greeting"],
        "other": routes["triage"],
        "served": sum(served.values()),
        "answered_rate": ratio(routes["answer"], total),
        "clarified_rate": ratio(routes["clarify"], total),
        "unanswered_rate": ratio(routes["none"], total),
        "served_rate": ratio(sum(served.values()), total),
        "by_category": dict(categories),
        "top_entries": dict(top),
        "gaps": dict(gaps),
    }


def nearest_guide(gap: str, kb: KnowledgeBase) -> str:
    """The report's row for a gap topic: its top candidate if close enough, else ""."""
    top = GAP_CANDIDATES[gap][:1]
    return top[0][0] if top and top[0][1] >= 0.25 and kb.get(top[0][0]) else ""


def finished_at(t: TicketSeed) -> dt.datetime | None:
    return t.answered_at or t.closed_at


def first_done(t: TicketSeed) -> dt.datetime:
    return min(at for action, at in t.events if action in ("resolve", "reject"))


def nearest_rank(values: list[float], share: float) -> float | None:
    if not values:
        return None
    return sorted(values)[math.ceil(share * len(values)) - 1]


def expected_tickets(year: Year, calendar: WorkCalendar, month: int | None) -> dict[str, Any]:
    ts = [t for t in year.tickets if in_period(t.created, month)]
    status = Counter(t.status for t in ts)
    done = [t for t in year.tickets if in_period(finished_at(t), month)]
    on_time = [t for t in done if cn(finished_at(t)) <= t.deadline]  # type: ignore[arg-type]
    days = [float(calendar.working_days_between(cn(t.created), cn(first_done(t)))) for t in done]
    return {
        "received": len(ts),
        "closed": status["closed"],
        "rejected": status["rejected"],
        "merged": status["merged"],
        "answered": status["answered"],
        "open": sum(status[s] for s in ("received", "assigned", "in_progress", "reopened")),
        "extended": sum(1 for t in ts if any(a == "extend" for a, _ in t.events)),
        "reopened": sum(1 for t in ts if any(a == "reopen" for a, _ in t.events)),
        "overdue": sum(1 for t in ts if t.overdue),
        "finished": len(done),
        "on_time": len(on_time),
        "on_time_rate": ratio(len(on_time), len(done)),
        "handling_median": statistics.median(days) if days else None,
        "handling_p90": nearest_rank(days, 0.9),
        "by_category": dict(Counter(t.category for t in ts)),
        "by_department": dict(Counter(t.department or "" for t in ts)),
    }


def expected_satisfaction(year: Year, month: int | None) -> dict[str, Any]:
    ts = [t for t in year.tickets if in_period(t.created, month) and t.ratings]
    latest = Counter(max(t.ratings, key=lambda r: r[0])[1] for t in ts)
    bad = [t for t in ts if any(r == 1 and v <= 2 for r, v, _ in t.ratings)]
    followup = Counter(v for t in bad for r, v, _ in t.ratings if r == 2)
    rated = sum(latest.values())
    satisfied = latest[5] + latest[4] + latest[3]
    followup_rated = sum(followup.values())
    followup_ok = followup[5] + followup[4] + followup[3]
    return {
        "levels": {str(k): latest[k] for k in (5, 4, 3, 2, 1)},
        "rated": rated,
        "satisfied": satisfied,
        "rate": ratio(satisfied, rated),
        "bad_first": len(bad),
        "reworked": sum(1 for t in bad if t.rework_count),
        "followup": {str(k): followup[k] for k in (5, 4, 3, 2, 1)},
        "followup_rated": followup_rated,
        "followup_satisfied": followup_ok,
        "followup_rate": ratio(followup_ok, followup_rated),
    }


def check(actual: object, expected: dict[str, Any]) -> None:
    """Compare a figures dataclass with the expected values, field by field."""
    for name, want in expected.items():
        got = getattr(actual, name)
        if isinstance(got, tuple):
            got = counts(list(got))
        if isinstance(want, float):
            assert got == pytest.approx(want), name
        else:
            assert got == want, name


# -- the seeded data is varied enough to test something ---------------------------------


def test_seeded_year_covers_the_cases(year: Year) -> None:
    in_year = [t for t in year.tickets if in_period(t.created, None)]
    assert 180 <= len(in_year) <= 230
    assert len([q for q in year.questions if in_period(q.created, None)]) >= 600
    statuses = Counter(t.status for t in in_year)
    assert set(statuses) >= {"closed", "rejected", "merged", "answered", "reopened"}
    assert sum(1 for t in in_year if t.extended) >= 5
    assert sum(1 for t in in_year if t.overdue) >= 5
    assert sum(1 for t in in_year if any(r == 2 for r, _, _ in t.ratings)) >= 5
    # finished in the year although filed before it, and the other way round
    assert any(in_period(finished_at(t), None) and cn(t.created).year < YEAR for t in year.tickets)
    assert any(
        in_period(t.created, None) and cn(finished_at(t) or t.created).year > YEAR
        for t in year.tickets
        if finished_at(t)
    )


# -- compute() against the independent figures -------------------------------------------


async def test_year_figures(
    db: Path, year: Year, sample_kb: KnowledgeBase, calendar: WorkCalendar
) -> None:
    figures = await figures_of(db, sample_kb, calendar)
    assert (figures.year, figures.month) == (YEAR, None)
    assert figures.centre.zh == "青石镇为民服务中心"
    check(figures.questions, expected_questions(year, sample_kb, None))
    check(figures.tickets, expected_tickets(year, calendar, None))
    check(figures.satisfaction, expected_satisfaction(year, None))


@pytest.mark.parametrize("month", [1, 3, 7, 12])
async def test_month_figures(
    db: Path, year: Year, sample_kb: KnowledgeBase, calendar: WorkCalendar, month: int
) -> None:
    figures = await figures_of(db, sample_kb, calendar, month)
    check(figures.questions, expected_questions(year, sample_kb, month))
    check(figures.tickets, expected_tickets(year, calendar, month))
    check(figures.satisfaction, expected_satisfaction(year, month))


async def test_monthly_series(
    db: Path, year: Year, sample_kb: KnowledgeBase, calendar: WorkCalendar
) -> None:
    figures = await figures_of(db, sample_kb, calendar, 5)
    assert [m.month for m in figures.months] == list(range(1, 13))
    for point in figures.months:
        q = expected_questions(year, sample_kb, point.month)
        tk = expected_tickets(year, calendar, point.month)
        s = expected_satisfaction(year, point.month)
        assert point.questions == q["total"]
        assert point.tickets == tk["received"]
        assert (point.finished, point.on_time) == (tk["finished"], tk["on_time"])
        assert point.on_time_rate == pytest.approx(tk["on_time_rate"])
        assert (point.rated, point.satisfied) == (s["rated"], s["satisfied"])
        assert point.satisfaction_rate == pytest.approx(s["rate"])
    assert (
        sum(m.questions for m in figures.months)
        == expected_questions(year, sample_kb, None)["total"]
    )


async def test_edges_of_months_follow_china_time(tmp_path: Path, sample_kb: KnowledgeBase) -> None:
    moments = {
        "2025-12-31T15:59:59+00:00": None,  # 23:59:59 on 31 December in China
        "2025-12-31T16:00:00+00:00": 1,  # midnight, 1 January in China
        "2026-02-28T16:30:00.250000+00:00": 3,
        "2026-03-31T15:00:00Z": 3,
        "2026-12-31T16:00:00+00:00": None,
    }
    async with Store.opened(tmp_path / "edges.sqlite3") as store:
        for moment in moments:
            await store.conn.execute(
                "INSERT INTO questions (text, lang, route, score, candidates, created_at) "
                "VALUES ('q', 'zh', 'none', 0, '[]', ?)",
                (moment,),
            )
        calendar = WorkCalendar()
        whole = await compute(store, sample_kb, calendar, YEAR)
        march = await compute(store, sample_kb, calendar, YEAR, 3)
    assert whole.questions.total == 3
    assert march.questions.total == 2
    assert [m.questions for m in whole.months][:3] == [1, 0, 2]


async def test_empty_database(tmp_path: Path, sample_kb: KnowledgeBase) -> None:
    async with Store.opened(tmp_path / "empty.sqlite3") as store:
        figures = await compute(store, sample_kb, WorkCalendar(), YEAR, 6)
        summary = await month_summary(store, sample_kb, WorkCalendar(), "en", dt.date(YEAR, 6, 2))
    assert figures.questions.total == 0 and figures.questions.served_rate is None
    assert figures.tickets.on_time_rate is None and figures.tickets.handling_median is None
    assert figures.satisfaction.rate is None
    assert [c.count for c in figures.satisfaction.levels] == [0, 0, 0, 0, 0]
    assert "June 2026" in summary and "Questions: 0" in summary
    for text in (render_markdown(figures, "zh"), render_csv(figures), render_html(figures, "en")):
        assert text


# -- small parts ----------------------------------------------------------------------


def test_gap_groups_count_per_nearest_guide(sample_kb: KnowledgeBase) -> None:
    logged = {
        '[["dibao", 0.3], ["tekun", 0.29]]': 2,
        '[["dibao", 0.26]]': 3,
        '[["tekun", 0.2]]': 4,  # below the threshold
        '[["gone", 0.9]]': 1,  # not in the KB
        "[]": 1,
        "not json": 1,
    }
    groups = gap_groups(logged, sample_kb, 0.25)
    assert [(g.key, g.count) for g in groups] == [("", 7), ("dibao", 5)]
    assert groups[1].name.zh == "最低生活保障申请" and groups[0].name.zh.startswith("无相近事项")
    many = {json.dumps([[e.id, 0.5]]): 1 for e in sample_kb.entries}
    assert len(gap_groups(many, sample_kb, 0.25, limit=7)) == 7


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.9) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([float(v) for v in range(1, 11)], 0.9) == 9.0
    assert percentile([float(v) for v in range(1, 12)], 0.9) == 10.0


# -- renderings -------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


async def test_csv_holds_every_number(
    db: Path, year: Year, sample_kb: KnowledgeBase, calendar: WorkCalendar
) -> None:
    figures = await figures_of(db, sample_kb, calendar)
    rows = list(csv.reader(io.StringIO(render_csv(figures))))
    assert rows[0] == ["section", "metric", "value"]
    table = {(s, m): v for s, m, v in rows[1:]}
    assert len(table) == len(rows) - 1
    q = expected_questions(year, sample_kb, None)
    tk = expected_tickets(year, calendar, None)
    s = expected_satisfaction(year, None)
    assert table["report", "year"] == "2026" and table["report", "month"] == ""
    assert table["questions", "total"] == str(q["total"])
    assert table["questions", "served_rate"] == f"{q['served_rate']:.4f}"
    assert table["tickets", "received"] == str(tk["received"])
    assert table["tickets", "on_time_rate"] == f"{tk['on_time_rate']:.4f}"
    assert float(table["tickets", "handling_p90"]) == tk["handling_p90"]
    assert table["satisfaction", "rate"] == f"{s['rate']:.4f}"
    assert table["satisfaction", "reworked"] == str(s["reworked"])
    for key, n in tk["by_department"].items():
        assert table["tickets_by_department", key] == str(n)
    for key, n in s["levels"].items():
        assert table["satisfaction_levels", key] == str(n)
    march = expected_questions(year, sample_kb, 3)["total"]
    assert table["monthly", "2026-03.questions"] == str(march)


async def test_markdown_shows_the_figures(
    db: Path, year: Year, sample_kb: KnowledgeBase, calendar: WorkCalendar
) -> None:
    figures = await figures_of(db, sample_kb, calendar)
    zh = render_markdown(figures, "zh")
    en = render_markdown(figures, "en")
    tk = expected_tickets(year, calendar, None)
    s = expected_satisfaction(year, None)
    q = expected_questions(year, sample_kb, None)
    assert zh.startswith("# 青石镇为民服务中心 2026 年政务服务数据\n")
    assert en.startswith("# Qingshi Town Citizen Service Centre: service figures 2026\n")
    for text in (zh, en):
        assert f"| {q['total']} |" in text
        assert _pct(q["served_rate"]) in text
        assert f"{_pct(tk['on_time_rate'])} ({tk['on_time']}/{tk['finished']})" in text
        assert f"{_pct(s['rate'])} ({s['satisfied']}/{s['rated']})" in text
    assert "| 按期办结率 |" in zh and "| 满意率 |" in zh and "非常满意" in zh
    assert "| On-time rate |" in en and "Very satisfied" in en
    assert "| 相近事项 | 数量 |" in zh and "| Nearest guide | Count |" in en
    assert f"| 老年人优待证 | {q['gaps']['senior-card']} |" in zh
    # No citizen text: the gap rows are KB titles and one "no guide close enough" row.
    for variants in GAPS.values():
        assert not [v for v in variants if v in zh or v in en]
    assert "| 无相近事项（知识库暂未涵盖） |" in zh and "| No guide close enough" in en


# -- HTML -------------------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.external: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self._in_title = tag == "title"
        for name, value in attrs:
            if name in ("src", "href", "xlink:href") and value and not value.startswith("#"):
                self.external.append(value)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            self._in_title = False


async def html_page(db: Path, kb: KnowledgeBase, calendar: WorkCalendar, lang: str) -> str:
    return render_html(await figures_of(db, kb, calendar), lang)


async def test_html_is_self_contained(
    db: Path, sample_kb: KnowledgeBase, calendar: WorkCalendar
) -> None:
    page = await html_page(db, sample_kb, calendar, "zh")
    parser = _Page()
    parser.feed(page)
    parser.close()
    assert parser.title == "青石镇为民服务中心 2026 年政务服务数据"
    assert parser.tags["svg"] >= 3
    assert parser.tags["script"] == parser.tags["link"] == parser.tags["img"] == 0
    assert parser.external == []
    assert "http://" not in page and "https://" not in page
    assert "@media print" in page
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page


async def test_html_renders_in_chromium(
    db: Path, sample_kb: KnowledgeBase, calendar: WorkCalendar, tmp_path: Path
) -> None:
    need_chromium()
    page = tmp_path / "report.html"
    page.write_text(await html_page(db, sample_kb, calendar, "zh"), encoding="utf-8")
    result = screenshot(page, tmp_path / "report.png", tmp_path / "profile")
    png = tmp_path / "report.png"
    assert png.exists(), result.stderr
    assert png.stat().st_size > 20_000
    assert page_errors(result.stderr) == []


#: Chromium's stderr lines that are about the page (not about D-Bus, the GPU, …).
PAGE_WORDS = ("report.html", "file://", "net::ERR", "Uncaught", "Failed to load")


def page_errors(stderr: str) -> list[str]:
    """ERROR lines about the page, and any console message (the page has no script)."""
    return [
        line
        for line in stderr.splitlines()
        if ("ERROR" in line and any(word in line for word in PAGE_WORDS)) or ":CONSOLE" in line
    ]


def screenshot(page: Path, out: Path, profile: Path) -> subprocess.CompletedProcess[str]:
    """Render `page` in headless Chromium to a PNG."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        f"--user-data-dir={profile}",
        f"--screenshot={out}",
        "--window-size=1200,2000",
        page.resolve().as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_browser_check_catches_a_broken_page(tmp_path: Path) -> None:
    need_chromium()
    page = tmp_path / "report.html"
    page.write_text("<p>x</p><script>console.error('boom'); missing();</script>", "utf-8")
    result = screenshot(page, tmp_path / "broken.png", tmp_path / "profile")
    assert any("boom" in line for line in page_errors(result.stderr)), result.stderr
