"""The complaint/ticket core on real parts: SQLite file, sample KB, WorkCalendar, outbox.

Every operation runs inside `store.transaction()` as in production; notifications are
checked by reading the `outbox` table. Time comes from a controllable clock.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.dialogue import Dialogue, Incoming
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.messages import t
from bot.notify import OutboxNotifier
from bot.replies import Reply
from bot.store import Store, TicketStore
from bot.tickets.intake import MAX_ATTACHMENT_BYTES
from bot.tickets.model import (
    FINAL,
    TRANSITIONS,
    Action,
    Attachment,
    Draft,
    Role,
    StaffMember,
    Status,
    Ticket,
)
from bot.tickets.service import TicketDesk, TicketError
from bot.workdays import WorkCalendar

STAFF_CHAT_ID = -100
CITIZEN = "tg:42"
OTHER = "tg:43"
STAFF = StaffMember(7, Role.STAFF, "enforcement", "王五")
SUPERVISOR = StaffMember(9, Role.SUPERVISOR, None, "赵督办")
SUPERVISOR_2 = StaffMember(11, Role.SUPERVISOR, "discipline", "钱督办")
PHONE = "13812345678"
MASKED = "138****5678"
DESCRIPTION = "村口的垃圾堆了一个星期没有人清理，气味很大"
REPORT = "某村干部吃拿卡要，办事要收好处费"
PLACE = "青石镇东村村口桥头"
CHINA = dt.timezone(dt.timedelta(hours=8))


# -- the clock ------------------------------------------------------------------------------


class Clock:
    """A settable clock; `now` is passed to the desk as `clock=`."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def set(self, at: dt.datetime) -> None:
        assert at.tzinfo is dt.UTC
        self.at = at

    def on(self, day: dt.date, hour: int = 10) -> None:
        """`hour` o'clock China time on `day` (10:00 China = 02:00 UTC the same day)."""
        self.set(dt.datetime(day.year, day.month, day.day, hour, tzinfo=CHINA).astimezone(dt.UTC))


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# -- the environment ------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """One outbox row."""

    chat_id: int
    kind: str
    owner: str | None
    text: str
    actions: list[str]
    ticket_id: int | None


class Env:
    """One database file with the desk and the dialogue on top, reopenable like a restart."""

    def __init__(
        self,
        path: Path | str,
        kb: KnowledgeBase,
        matcher: Matcher,
        calendar: WorkCalendar,
        clock: Clock,
    ) -> None:
        self.path = path
        self.kb = kb
        self.matcher = matcher
        self.calendar = calendar
        self.clock = clock

    async def open(self) -> None:
        self.store = await Store.open(self.path)
        notifier = OutboxNotifier(self.store, STAFF_CHAT_ID)
        self.desk = TicketDesk(self.store, self.kb, self.calendar, notifier, clock=self.clock.now)
        self.dialogue = Dialogue(self.matcher, self.store)
        self.dialogue.attach_desk(self.desk)

    async def reopen(self) -> None:
        """A process restart: a new Store, desk and dialogue on the same file."""
        await self.store.close()
        await self.open()

    # desk operations, each in its own transaction

    async def do(self, op: str, *args: Any, **kwargs: Any) -> Any:
        async with self.store.transaction():
            return await getattr(self.desk, op)(*args, **kwargs)

    async def file(
        self, citizen: str = CITIZEN, category: str = "environment", **kwargs: Any
    ) -> Ticket:
        kwargs.setdefault("description", DESCRIPTION)
        ticket: Ticket = await self.do("file", citizen, category, **kwargs)
        return ticket

    async def scan(self) -> dict[str, int]:
        counts: dict[str, int] = await self.do("scan")
        return counts

    # the dialogue

    async def send(self, incoming: Incoming) -> list[Reply]:
        async with self.store.transaction():
            return await self.dialogue.handle(incoming)

    async def go(self, user: str, *inputs: str) -> list[Reply]:
        """Send texts and press buttons (`fm:…`, `t:…`, `r:…`); return the last replies."""
        replies: list[Reply] = []
        for item in inputs:
            if item.split(":")[0] in ("fm", "t", "r"):
                replies = await self.send(Incoming(user, action=item))
            else:
                replies = await self.send(Incoming(user, text=item))
        return replies

    async def say(self, user: str, *inputs: str) -> str:
        return text_of(await self.go(user, *inputs))

    # reading the database

    async def ticket(self, number: str) -> Ticket:
        ticket = await self.desk.tickets.by_number(number)
        assert ticket is not None
        return ticket

    async def scalar(self, sql: str, *args: Any) -> Any:
        async with self.store.conn.execute(sql, args) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def ticket_count(self) -> int:
        return int(await self.scalar("SELECT COUNT(*) FROM tickets"))

    async def outbox_mark(self) -> int:
        return int(await self.scalar("SELECT COALESCE(MAX(id), 0) FROM outbox"))

    async def outbox(self, after: int = 0) -> list[Sent]:
        async with self.store.conn.execute(
            "SELECT chat_id, kind, owner, payload, ticket_id FROM outbox WHERE id > ? ORDER BY id",
            (after,),
        ) as cur:
            rows = await cur.fetchall()
        sent = []
        for chat_id, kind, owner, payload, ticket_id in rows:
            data = json.loads(payload)
            actions = [b["data"] for row in data.get("buttons", []) for b in row]
            sent.append(Sent(chat_id, kind, owner, html.unescape(data["text"]), actions, ticket_id))
        return sent

    async def texts_to(self, chat_id: int, after: int = 0) -> list[str]:
        return [m.text for m in await self.outbox(after) if m.chat_id == chat_id]


def text_of(replies: list[Reply]) -> str:
    return "\n".join(r.plain_text() for r in replies)


def actions_of(replies: list[Reply]) -> list[str]:
    return [a for r in replies for a in r.button_actions()]


def chat(user: str) -> int:
    return int(user.removeprefix("tg:"))


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture
def clock() -> Clock:
    clock = Clock(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC))  # Monday 2026-03-02 10:00 China
    return clock


@pytest.fixture
async def env(
    db_target: Path | str,
    sample_kb: KnowledgeBase,
    matcher: Matcher,
    calendar: WorkCalendar,
    clock: Clock,
) -> AsyncIterator[Env]:
    env = Env(db_target, sample_kb, matcher, calendar, clock)
    await env.open()
    async with env.store.transaction():
        for member in (STAFF, SUPERVISOR, SUPERVISOR_2):
            await TicketStore(env.store).add_staff(member)
    yield env
    await env.store.close()


# -- numbering ------------------------------------------------------------------------------


async def test_numbers_are_sequential_and_never_reused(env: Env) -> None:
    first = await env.file()
    second = await env.file(OTHER)
    assert (first.number, second.number) == ("TS-2026-000001", "TS-2026-000002")
    rejected = await env.do("reject", STAFF, second.number, "不属于本中心受理范围，请拨打12345")
    assert rejected.status is Status.REJECTED
    assert (await env.ticket("TS-2026-000002")).id == second.id  # keeps its number
    third = await env.file()
    assert third.number == "TS-2026-000003"


async def test_a_new_year_starts_a_new_sequence(env: Env, clock: Clock) -> None:
    await env.file()
    await env.file()
    clock.set(dt.datetime(2027, 1, 4, 2, 0, tzinfo=dt.UTC))
    assert (await env.file()).number == "TS-2027-000001"
    assert (await env.file()).number == "TS-2027-000002"


async def test_the_year_is_the_china_date(env: Env, clock: Clock) -> None:
    clock.set(dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC))  # 2027-01-01 01:00 in China
    assert (await env.file()).number == "TS-2027-000001"


# -- deadlines in working days --------------------------------------------------------------


async def test_deadline_skips_spring_festival(env: Env, clock: Clock) -> None:
    # 15 working days from Tue 2026-02-10: 11, 12, 13, Sat 14 (调休, worked) = 4;
    # 15–23 Spring Festival off; 24, 25, 26, 27, Sat 28 (调休) = 9; Mar 2–6 = 14; Mar 9 = 15.
    clock.on(d("2026-02-10"))
    ticket = await env.file(category="other")
    assert ticket.deadline == d("2026-03-09")
    (filed,) = await env.texts_to(chat(CITIZEN))
    assert filed == t("ticket_filed", "zh", number=ticket.number, deadline="2026-03-09", days=15)


async def test_deadline_from_friday_counts_the_tiaoxiu_saturday(env: Env, clock: Clock) -> None:
    # window-service: 5 working days from Fri 2026-02-13: Sat 14 (调休, worked) = 1;
    # 15–23 off (Spring Festival); Tue 24 = 2, 25 = 3, 26 = 4, Fri 27 = 5 → 2026-02-27.
    # The clock is 2026-02-12 17:00 UTC, already Friday 13 in China: counting from the UTC
    # date (Thursday 12) would give 2026-02-26.
    clock.set(dt.datetime(2026, 2, 12, 17, 0, tzinfo=dt.UTC))
    ticket = await env.file(category="window-service")
    assert ticket.deadline == d("2026-02-27")


# -- the transition table -------------------------------------------------------------------


def test_final_statuses_allow_nothing_but_reveal() -> None:
    assert {action for (status, action) in TRANSITIONS if status in FINAL} == {Action.REVEAL}


async def test_resolve_on_a_closed_ticket_is_refused(env: Env) -> None:
    ticket = await env.file()
    await env.do("resolve", STAFF, ticket.number, "已清理完毕")
    closed = await env.do("rate", CITIZEN, ticket.id, 5)
    assert closed.status is Status.CLOSED
    events = len(await env.desk.timeline(closed, public_only=False))
    with pytest.raises(TicketError) as refused:
        await env.do("resolve", STAFF, ticket.number, "再次答复")
    assert refused.value.key in ("ticket_closed", "ticket_not_allowed")
    after = await env.ticket(ticket.number)
    assert after.status is Status.CLOSED and after.outcome == "已清理完毕"
    assert len(await env.desk.timeline(after, public_only=False)) == events


async def test_rating_an_unanswered_ticket_is_refused(env: Env) -> None:
    ticket = await env.file()
    with pytest.raises(TicketError) as refused:
        await env.do("rate", CITIZEN, ticket.id, 5)
    assert refused.value.key == "ticket_not_ratable"
    assert await env.desk.tickets.ratings(ticket.id) == []
    assert (await env.ticket(ticket.number)).status is Status.RECEIVED


@pytest.mark.parametrize("op", ["extend", "reveal"])
async def test_plain_staff_cannot_extend_or_reveal(env: Env, op: str) -> None:
    ticket = await env.file(category="conduct", phone=PHONE)
    args = (5, "需要调查取证") if op == "extend" else ()
    with pytest.raises(TicketError) as refused:
        await env.do(op, STAFF, ticket.number, *args)
    assert refused.value.key == "ticket_supervisor_only"
    after = await env.ticket(ticket.number)
    assert after.deadline == ticket.deadline and not after.extended
    events = await env.desk.timeline(after, public_only=False)
    assert [e.action for e in events] == [Action.FILE]


# -- reminders, overdue, 督办 -----------------------------------------------------------------


async def claimed_ticket(env: Env, clock: Clock) -> Ticket:
    """An `other` ticket filed Tue 2026-02-10 (deadline Mon 2026-03-09), claimed by STAFF."""
    clock.on(d("2026-02-10"))
    ticket = await env.file(category="other")
    claimed: Ticket = await env.do("claim", STAFF, ticket.number)
    assert claimed.assignee == STAFF.key and claimed.deadline == d("2026-03-09")
    return claimed


def reminder(ticket: Ticket) -> str:
    return t("staff_reminder", "zh", number=ticket.number, deadline="2026-03-09")


async def test_reminder_on_the_previous_working_day_once(env: Env, clock: Clock) -> None:
    ticket = await claimed_ticket(env, clock)
    clock.on(d("2026-03-05"))  # Thursday: too early
    assert (await env.scan())["reminded"] == 0
    clock.on(d("2026-03-06"))  # Friday, the working day before Monday's deadline
    assert await env.scan() == {"reminded": 1, "overdue": 0, "closed_unrated": 0}
    assert await env.texts_to(chat(STAFF.key)) == [reminder(ticket)]
    clock.on(d("2026-03-07"))
    assert (await env.scan())["reminded"] == 0
    assert await env.texts_to(chat(STAFF.key)) == [reminder(ticket)]
    assert (await env.ticket(ticket.number)).reminded


async def test_overdue_escalates_to_supervisors_and_staff_chat(env: Env, clock: Clock) -> None:
    ticket = await claimed_ticket(env, clock)
    clock.on(d("2026-03-09"))  # the deadline day itself is not overdue
    assert (await env.scan())["overdue"] == 0
    mark = await env.outbox_mark()
    clock.on(d("2026-03-10"))
    assert (await env.scan())["overdue"] == 1
    supervision = t(
        "staff_overdue", "zh", number=ticket.number, deadline="2026-03-09", who=STAFF.key
    )
    for chat_id in (STAFF_CHAT_ID, SUPERVISOR.user_id, SUPERVISOR_2.user_id):
        assert await env.texts_to(chat_id, mark) == [supervision], chat_id
    assert "【督办】" in supervision
    assert (await env.ticket(ticket.number)).overdue
    mark = await env.outbox_mark()
    assert await env.scan() == {"reminded": 0, "overdue": 0, "closed_unrated": 0}
    assert await env.outbox(mark) == []


async def test_citizen_status_shows_overdue(env: Env, clock: Clock) -> None:
    ticket = await claimed_ticket(env, clock)
    assert "已超期" not in await env.say(CITIZEN, "/status")
    clock.on(d("2026-03-10"))
    await env.scan()
    status = await env.say(CITIZEN, "/status")
    assert ticket.number in status and "已超期，已报督办" in status


async def test_unrated_answer_closes_after_three_working_days(env: Env, clock: Clock) -> None:
    ticket = await env.file()
    clock.on(d("2026-03-06"))  # answered on a Friday
    await env.do("resolve", STAFF, ticket.number, "已清理完毕")
    clock.on(d("2026-03-11"))  # Mon, Tue, Wed: three working days to rate
    assert (await env.scan())["closed_unrated"] == 0
    assert (await env.ticket(ticket.number)).status is Status.ANSWERED
    clock.on(d("2026-03-12"))
    assert await env.scan() == {"reminded": 0, "overdue": 0, "closed_unrated": 1}
    closed = await env.ticket(ticket.number)
    assert closed.status is Status.CLOSED and closed.rating is None
    last = (await env.desk.timeline(closed, public_only=False))[-1]
    assert (last.action, last.actor, last.to_status) == (Action.CLOSE, "system", Status.CLOSED)
    assert (await env.scan())["closed_unrated"] == 0


# -- rating ---------------------------------------------------------------------------------


async def test_dissatisfied_rating_reopens_then_second_round_closes(env: Env, clock: Clock) -> None:
    ticket = await env.file()  # environment: 10 working days
    await env.do("resolve", STAFF, ticket.number, "已安排清理")
    clock.on(d("2026-03-04"))
    mark = await env.outbox_mark()
    assert await env.go(CITIZEN, f"r:{ticket.id}:2") == []
    reopened = await env.ticket(ticket.number)
    new_deadline = d("2026-03-18")  # 10 working days from Wed 2026-03-04
    assert reopened.status is Status.REOPENED and reopened.deadline == new_deadline
    assert reopened.rework_count == 1
    told = t("ticket_reopened", "zh", number=ticket.number, deadline="2026-03-18")
    assert await env.texts_to(chat(CITIZEN), mark) == [told]
    label = t("rating_2", "zh")
    alert = t("staff_reopened", "zh", number=ticket.number, rating=label, deadline="2026-03-18")
    for supervisor in (SUPERVISOR, SUPERVISOR_2):
        assert await env.texts_to(supervisor.user_id, mark) == [alert]
    assert await env.desk.tickets.ratings(ticket.id) == [(1, 2, None)]

    mark = await env.outbox_mark()
    await env.do("resolve", STAFF, ticket.number, "已彻底清理并加派保洁")
    (again,) = [m for m in await env.outbox(mark) if m.chat_id == chat(CITIZEN)]
    assert "追评" in again.text and f"r:{ticket.id}:4" in again.actions
    assert await env.go(CITIZEN, f"r:{ticket.id}:4") == []
    closed = await env.ticket(ticket.number)
    assert closed.status is Status.CLOSED and closed.rating == 4
    assert await env.desk.tickets.ratings(ticket.id) == [(1, 2, None), (2, 4, None)]

    assert "已记录" in await env.say(CITIZEN, "这次处理得很及时")
    assert await env.desk.tickets.ratings(ticket.id) == [
        (1, 2, None),
        (2, 4, "这次处理得很及时"),
    ]


async def test_dissatisfied_again_after_rework_closes(env: Env) -> None:
    ticket = await env.file()
    await env.do("resolve", STAFF, ticket.number, "已安排清理")
    await env.do("rate", CITIZEN, ticket.id, 1)
    await env.do("resolve", STAFF, ticket.number, "已再次清理")
    closed = await env.do("rate", CITIZEN, ticket.id, 1)
    assert closed.status is Status.CLOSED and closed.rework_count == 1
    assert await env.desk.tickets.ratings(ticket.id) == [(1, 1, None), (2, 1, None)]


async def test_another_citizen_cannot_rate(env: Env) -> None:
    ticket = await env.file()
    await env.do("resolve", STAFF, ticket.number, "已清理")
    with pytest.raises(TicketError) as refused:
        await env.do("rate", OTHER, ticket.id, 1)
    assert refused.value.key == "rating_not_yours"
    # The refusal shows neither the internal id nor the other person's ticket number.
    said = await env.say(OTHER, f"r:{ticket.id}:1")
    assert said == t("rating_not_yours", "zh") and ticket.number not in said
    assert (await env.ticket(ticket.number)).status is Status.ANSWERED


# -- 举报 and phone numbers ------------------------------------------------------------------


async def test_report_card_hides_the_reporter(env: Env) -> None:
    ticket = await env.file(
        category="conduct", phone=PHONE, description="某村干部吃拿卡要，办事要收好处费"
    )
    assert ticket.is_report
    card = env.desk.staff_card(ticket).plain_text()
    (posted,) = await env.texts_to(STAFF_CHAT_ID)
    for text in (card, posted):
        assert CITIZEN not in text and PHONE not in text and MASKED not in text
        assert t("identity_hidden", "zh") in text


async def test_supervisor_reveal_shows_the_reporter_and_is_audited(env: Env) -> None:
    ticket = await env.file(
        category="conduct", phone=PHONE, description="某村干部吃拿卡要，办事要收好处费"
    )
    revealed = await env.do("reveal", SUPERVISOR, ticket.number)
    card = env.desk.staff_card(revealed, reveal=True).plain_text()
    assert CITIZEN in card and PHONE in card
    last = (await env.desk.timeline(ticket, public_only=False))[-1]
    assert (last.action, last.actor, last.public) == (Action.REVEAL, SUPERVISOR.key, False)
    public = await env.desk.timeline(ticket, public_only=True)
    assert Action.REVEAL not in [e.action for e in public]


async def test_reveal_through_staff_commands(env: Env) -> None:
    ticket = await env.file(
        category="conduct", phone=PHONE, description="某村干部吃拿卡要，办事要收好处费"
    )
    refused = await env.say(STAFF.key, f"/reveal {ticket.number}")
    assert refused == t("ticket_supervisor_only", "zh")
    shown = await env.say(STAFF.key, f"/ticket {ticket.number}")
    assert PHONE not in shown and MASKED not in shown and CITIZEN not in shown
    revealed = await env.say(SUPERVISOR.key, f"/reveal {ticket.number}")
    assert PHONE in revealed and CITIZEN in revealed
    reveals = [
        e for e in await env.desk.timeline(ticket, public_only=False) if e.action is Action.REVEAL
    ]
    assert [e.actor for e in reveals] == [SUPERVISOR.key]


async def test_phone_is_masked_in_the_staff_card_unless_revealed(env: Env) -> None:
    ticket = await env.file(phone=PHONE)
    card = env.desk.staff_card(ticket).plain_text()
    assert f"{CITIZEN} {MASKED}" in card and PHONE not in card
    (posted,) = await env.texts_to(STAFF_CHAT_ID)
    assert MASKED in posted and PHONE not in posted
    assert PHONE in env.desk.staff_card(ticket, reveal=True).plain_text()


# -- privacy between citizens ---------------------------------------------------------------


async def test_another_citizen_cannot_see_a_ticket(env: Env) -> None:
    ticket = await env.file()
    assert (await env.do("citizen_ticket", CITIZEN, ticket.number)).id == ticket.id
    with pytest.raises(TicketError) as foreign:
        await env.do("citizen_ticket", OTHER, ticket.number)
    missing = "TS-2026-000099"
    with pytest.raises(TicketError) as absent:
        await env.do("citizen_ticket", OTHER, missing)
    assert foreign.value.key == absent.value.key == "ticket_not_found"
    foreign_text = t(foreign.value.key, "zh", **foreign.value.values)
    absent_text = t(absent.value.key, "zh", **absent.value.values)
    assert foreign_text.replace(ticket.number, "#") == absent_text.replace(missing, "#")


async def test_status_of_someone_elses_ticket_reads_like_a_missing_one(env: Env) -> None:
    ticket = await env.file()
    own = await env.say(CITIZEN, f"/status {ticket.number}")
    assert DESCRIPTION in own
    missing = "TS-2026-000099"
    foreign = await env.say(OTHER, f"/status {ticket.number}")
    absent = await env.say(OTHER, f"/status {missing}")
    assert DESCRIPTION not in foreign
    assert foreign.replace(ticket.number, "#") == absent.replace(missing, "#")
    assert foreign == t("ticket_not_found", "zh", number=ticket.number)


# -- merge and extend -----------------------------------------------------------------------


async def test_merged_ticket_citizen_gets_the_outcome(env: Env) -> None:
    target = await env.file()
    duplicate = await env.file(OTHER, description="村口垃圾堆很久了，臭气熏天，没人来管")
    merged = await env.do("merge", STAFF, duplicate.number, target.number)
    assert merged.status is Status.MERGED and merged.merged_into == target.id
    told = t("ticket_merged", "zh", number=duplicate.number, target=target.number)
    assert told in await env.texts_to(chat(OTHER))
    mark = await env.outbox_mark()
    await env.do("resolve", STAFF, target.number, "已清理并设置垃圾桶")
    outcome = t(
        "ticket_merged_outcome",
        "zh",
        number=duplicate.number,
        target=target.number,
        outcome="已清理并设置垃圾桶",
    )
    assert await env.texts_to(chat(OTHER), mark) == [outcome]
    (own,) = [m for m in await env.outbox(mark) if m.chat_id == chat(CITIZEN)]
    assert "已清理并设置垃圾桶" in own.text and f"r:{target.id}:5" in own.actions


def merged_outcome(merged: Ticket, target: Ticket, outcome: str) -> str:
    return t(
        "ticket_merged_outcome", "zh", number=merged.number, target=target.number, outcome=outcome
    )


async def test_merge_into_an_answered_ticket_sends_its_outcome(env: Env) -> None:
    target = await env.file()
    await env.do("resolve", STAFF, target.number, "已清理完毕")
    duplicate = await env.file(OTHER)
    mark = await env.outbox_mark()
    await env.do("merge", STAFF, duplicate.number, target.number)
    assert await env.texts_to(chat(OTHER), mark) == [
        t("ticket_merged", "zh", number=duplicate.number, target=target.number),
        merged_outcome(duplicate, target, "已清理完毕"),
    ]
    assert await env.texts_to(chat(CITIZEN), mark) == []  # nothing sent twice


async def test_outcome_reaches_tickets_merged_in_a_chain(env: Env) -> None:
    first = await env.file()
    second = await env.file(OTHER)
    third = await env.file("tg:44")
    await env.do("merge", STAFF, third.number, second.number)
    await env.do("merge", STAFF, second.number, first.number)
    mark = await env.outbox_mark()
    await env.do("resolve", STAFF, first.number, "已清理完毕")
    assert await env.texts_to(chat(OTHER), mark) == [merged_outcome(second, first, "已清理完毕")]
    assert await env.texts_to(44, mark) == [merged_outcome(third, first, "已清理完毕")]


async def test_merge_into_itself_is_refused(env: Env) -> None:
    ticket = await env.file()
    with pytest.raises(TicketError) as refused:
        await env.do("merge", STAFF, ticket.number, ticket.number)
    assert refused.value.key == "ticket_merge_self"
    after = await env.ticket(ticket.number)
    assert after.status is Status.RECEIVED and after.merged_into is None


async def test_supervisor_extends_in_working_days(env: Env, clock: Clock) -> None:
    clock.on(d("2026-02-10"))
    ticket = await env.file(category="other")  # deadline Mon 2026-03-09
    mark = await env.outbox_mark()
    extended = await env.do("extend", SUPERVISOR, ticket.number, 5, "需要现场勘查")
    assert extended.deadline == d("2026-03-16") and extended.extended  # Mon + 5 working days
    told = t(
        "ticket_extended", "zh", number=ticket.number, deadline="2026-03-16", reason="需要现场勘查"
    )
    assert await env.texts_to(chat(CITIZEN), mark) == [told]


# -- the intake form through the dialogue ---------------------------------------------------


async def draft_step(env: Env, user: str = CITIZEN) -> str | None:
    draft = await env.desk.tickets.get_draft(user)
    return draft.step if draft else None


async def to_step(env: Env, step: str, user: str = CITIZEN) -> list[Reply]:
    """Fill the `environment` form up to `step` (category, description, … confirm)."""
    inputs = {
        "category": ["/complain"],
        "description": ["fm:cat:environment"],
        "location": [DESCRIPTION],
        "time": [PLACE],
        "attachments": ["昨天上午"],
        "phone": ["fm:skip"],
        "confirm": [PHONE],
    }
    sequence: list[str] = []
    for name, items in inputs.items():
        sequence += items
        if name == step:
            break
    replies = await env.go(user, *sequence)
    assert await draft_step(env, user) == step
    return replies


def confirm_action(replies: list[Reply]) -> str:
    (action,) = [a for a in actions_of(replies) if a.startswith("fm:confirm:")]
    return action


async def test_complain_offers_category_buttons(env: Env) -> None:
    replies = await env.go(CITIZEN, "/complain")
    actions = actions_of(replies)
    assert "fm:cat:environment" in actions and "fm:cat:conduct" in actions
    assert "fm:cat:inquiry" not in actions  # 转人工 is not a form category
    assert "fm:cancel" in actions
    assert await draft_step(env) == "category"


async def test_category_asks_for_the_description_and_refuses_a_short_one(env: Env) -> None:
    replies = await env.go(CITIZEN, "/complain", "fm:cat:environment")
    assert text_of(replies) == t("form_description", "zh")
    assert await env.say(CITIZEN, "垃圾没人管") == t("form_description_short", "zh")
    assert await draft_step(env) == "description"


@pytest.mark.parametrize(
    ("description", "expected"),
    [("邻居家着火了，快来人", ("119", "110")), ("我要起诉村委会，法院已经立案", ("12368",))],
    ids=["emergency", "court"],
)
async def test_triaged_description_files_nothing(
    env: Env, description: str, expected: tuple[str, ...]
) -> None:
    await env.go(CITIZEN, "/complain", "fm:cat:environment")
    reply = await env.say(CITIZEN, description)
    assert all(number in reply for number in expected)
    assert await env.desk.tickets.get_draft(CITIZEN) is None
    assert await env.ticket_count() == 0
    assert await env.outbox() == []


async def test_full_form_files_exactly_one_ticket(env: Env) -> None:
    summary = await to_step(env, "confirm")
    assert DESCRIPTION in text_of(summary) and PHONE in text_of(summary)
    confirm = confirm_action(summary)
    assert await env.go(CITIZEN, confirm) == []
    assert await env.go(CITIZEN, confirm) == []
    await env.reopen()
    assert await env.go(CITIZEN, confirm) == []
    assert await env.ticket_count() == 1
    ticket = await env.ticket("TS-2026-000001")
    assert (ticket.citizen, ticket.category, ticket.department) == (
        CITIZEN,
        "environment",
        "enforcement",
    )
    assert (ticket.location, ticket.occurred, ticket.phone) == (
        PLACE,
        "昨天上午",
        PHONE,
    )
    assert ticket.deadline == d("2026-03-16")  # 10 working days from Mon 2026-03-02
    assert await env.desk.tickets.get_draft(CITIZEN) is None
    filed = t("ticket_filed", "zh", number=ticket.number, deadline="2026-03-16", days=10)
    assert await env.texts_to(chat(CITIZEN)) == [filed]
    (card,) = [m for m in await env.outbox() if m.chat_id == STAFF_CHAT_ID]
    assert card.kind == "send" and card.owner == "staff" and card.ticket_id == ticket.id
    assert ticket.number in card.text and DESCRIPTION in card.text
    assert card.actions == [
        f"t:claim:{ticket.id}",
        f"t:assign:{ticket.id}",
        f"t:reject:{ticket.id}",
    ]


async def test_restart_mid_form_keeps_the_draft(env: Env) -> None:
    await to_step(env, "location")
    await env.reopen()
    replies = await env.go(CITIZEN, PLACE)
    assert text_of(replies) == t("form_time", "zh")
    draft = await env.desk.tickets.get_draft(CITIZEN)
    assert draft is not None and draft.step == "time"
    assert draft.data["description"] == DESCRIPTION
    assert draft.data["location"] == PLACE


@pytest.mark.parametrize("step", ["category", "description", "location", "phone", "confirm"])
async def test_cancel_drops_the_draft(env: Env, step: str) -> None:
    await to_step(env, step)
    assert await env.say(CITIZEN, "/cancel") == t("form_cancelled", "zh")
    assert await env.desk.tickets.get_draft(CITIZEN) is None
    assert await env.ticket_count() == 0


async def test_skip_command_skips_optional_steps_only(env: Env) -> None:
    await to_step(env, "description")
    await env.say(CITIZEN, "/skip")  # the description is required
    assert await draft_step(env) == "description"
    await env.go(CITIZEN, DESCRIPTION)
    assert await env.say(CITIZEN, "/skip") == t("form_time", "zh")
    draft = await env.desk.tickets.get_draft(CITIZEN)
    assert draft is not None and draft.step == "time" and draft.data["location"] is None


async def test_phone_number_is_checked(env: Env) -> None:
    await to_step(env, "phone")
    assert await env.say(CITIZEN, "12345") == t("form_phone_bad", "zh")
    assert await draft_step(env) == "phone"
    await env.go(CITIZEN, "138-1234-5678")
    draft = await env.desk.tickets.get_draft(CITIZEN)
    assert draft is not None and draft.step == "confirm" and draft.data["phone"] == PHONE


def photo(file_id: str = "FILEID", size: int = 1000) -> Incoming:
    return Incoming(CITIZEN, attachments=(Attachment("photo", file_id, size),), is_text=False)


async def test_photo_attachment_ends_up_on_the_ticket(env: Env) -> None:
    await to_step(env, "attachments")
    added = text_of(await env.send(photo()))
    assert added == t("form_attachment_added", "zh", count=1)
    summary = await env.go(CITIZEN, "fm:done", "fm:skip")
    await env.go(CITIZEN, confirm_action(summary))
    ticket = await env.ticket("TS-2026-000001")
    assert ticket.attachments == (Attachment("photo", "FILEID", 1000),)
    assert ticket.phone is None
    assert "附件：1" in env.desk.staff_card(ticket).plain_text()


async def test_attachment_over_20_mb_is_refused(env: Env) -> None:
    await to_step(env, "attachments")
    reply = text_of(await env.send(photo(size=MAX_ATTACHMENT_BYTES + 1)))
    assert t("form_attachment_too_big", "zh", mb=20) in reply and "20MB" in reply
    draft = await env.desk.tickets.get_draft(CITIZEN)
    assert draft is not None and draft.data.get("attachments") == []


async def test_more_than_five_attachments_are_refused(env: Env) -> None:
    await to_step(env, "attachments")
    for n in range(1, 6):
        await env.send(photo(f"F{n}"))
    reply = text_of(await env.send(photo("F6")))
    assert t("form_attachment_limit", "zh") in reply
    summary = await env.go(CITIZEN, "fm:done", "fm:skip")
    await env.go(CITIZEN, confirm_action(summary))
    ticket = await env.ticket("TS-2026-000001")
    assert [a.file_id for a in ticket.attachments] == ["F1", "F2", "F3", "F4", "F5"]


# -- staff commands through the dialogue ----------------------------------------------------


def done(ticket: Ticket | str, status: Status) -> str:
    number = ticket if isinstance(ticket, str) else ticket.number
    return t("staff_done", "zh", number=number, status=t(f"status_{status.value}", "zh"))


async def test_staff_queue_ticket_and_claim(env: Env) -> None:
    ticket = await env.file(phone=PHONE)
    queue = await env.say(STAFF.key, "/queue")
    assert "我的工单（0）" in queue and "未认领（1）" in queue and ticket.number in queue
    assert PHONE not in queue  # lists never show a phone number
    shown = await env.say(STAFF.key, f"/ticket {ticket.number}")
    assert DESCRIPTION in shown and PHONE in shown  # opening the ticket shows it
    assert await env.say(STAFF.key, f"/claim {ticket.number}") == done(ticket, Status.ASSIGNED)
    claimed = await env.ticket(ticket.number)
    assert claimed.assignee == STAFF.key and claimed.status is Status.ASSIGNED
    assert "我的工单（1）" in await env.say(STAFF.key, "/queue")


async def test_staff_reply_reaches_the_citizen_and_notes_stay_internal(env: Env) -> None:
    ticket = await env.file()
    note = "内部：该点位属于东村保洁承包范围"
    assert await env.say(STAFF.key, f"/note {ticket.number} {note}") == done(
        ticket, Status.RECEIVED
    )
    mark = await env.outbox_mark()
    sent = await env.say(STAFF.key, f"/reply {ticket.number} 已联系保洁公司，明天上午清理")
    assert sent == t("staff_reply_sent", "zh", number=ticket.number)
    assert await env.texts_to(chat(CITIZEN), mark) == [
        t("ticket_staff_reply", "zh", number=ticket.number, text="已联系保洁公司，明天上午清理")
    ]
    assert (await env.ticket(ticket.number)).status is Status.IN_PROGRESS
    status = await env.say(CITIZEN, f"/status {ticket.number}")
    assert "已联系保洁公司" in status
    assert note not in status and t("event_note", "zh") not in status
    assert note in await env.say(STAFF.key, f"/ticket {ticket.number}")
    assert all(note not in m.text for m in await env.outbox())


async def test_staff_transfer_needs_a_known_department(env: Env) -> None:
    ticket = await env.file()
    await env.go(STAFF.key, f"/claim {ticket.number}")
    refused = await env.say(STAFF.key, f"/transfer {ticket.number} nowhere")
    assert refused == t("ticket_bad_department", "zh", dept="nowhere")
    assert (await env.ticket(ticket.number)).department == "enforcement"
    assert await env.say(STAFF.key, f"/transfer {ticket.number} construction") == done(
        ticket, Status.ASSIGNED
    )
    moved = await env.ticket(ticket.number)
    assert moved.department == "construction" and moved.assignee is None


async def test_staff_resolve_and_reject(env: Env) -> None:
    first = await env.file()
    second = await env.file(OTHER)
    assert await env.say(STAFF.key, f"/resolve {first.number} 已清理完毕") == done(
        first, Status.ANSWERED
    )
    assert (await env.ticket(first.number)).outcome == "已清理完毕"
    reason = "属于劳动争议，请向县劳动人事争议仲裁院申请"
    assert await env.say(STAFF.key, f"/reject {second.number} {reason}") == done(
        second, Status.REJECTED
    )
    assert t("ticket_rejected", "zh", number=second.number, reason=reason) in await env.texts_to(
        chat(OTHER)
    )
    again = await env.say(STAFF.key, f"/resolve {second.number} 已处理")
    assert again == t("ticket_closed", "zh", number=second.number, status="rejected")


async def test_staff_merge_command(env: Env) -> None:
    target = await env.file()
    duplicate = await env.file(OTHER)
    reply = await env.say(STAFF.key, f"/merge {duplicate.number} {target.number}")
    assert reply == done(duplicate, Status.MERGED)
    assert (await env.ticket(duplicate.number)).merged_into == target.id
    refused = await env.say(STAFF.key, f"/merge {target.number} {target.number}")
    assert refused == t("ticket_merge_self", "zh")


@pytest.mark.parametrize(
    "command",
    ["/reply {n} 你好", "/claim {n}", "/resolve {n} 已办结", "/note {n} 备注", "/queue"],
)
async def test_non_staff_commands_are_unknown(env: Env, command: str) -> None:
    ticket = await env.file()
    before = await env.outbox_mark()
    events = await env.desk.timeline(ticket, public_only=False)
    reply = await env.say(OTHER, command.format(n=ticket.number))
    assert reply == await env.say(OTHER, "/nosuchcommand")
    assert "没有这个命令" in reply
    assert await env.ticket(ticket.number) == ticket
    assert await env.desk.timeline(ticket, public_only=False) == events
    assert await env.outbox(before) == []


async def test_the_draft_read_with_the_language_is_used_only_while_nothing_was_written(
    tmp_path: Path,
) -> None:
    async with Store.opened(tmp_path / "db.sqlite3") as store:
        tickets = TicketStore(store)
        await store.set_language("tg:1", "en")
        await tickets.save_draft(Draft("tg:1", "complaint", "description", {"category": "x"}))
        assert await store.get_language("tg:1") == "en"
        assert store.draft_read_ahead("tg:1")[0]  # one query brought both
        draft = await tickets.get_draft("tg:1")
        assert draft is not None and draft.step == "description"
        await store.get_language("tg:1")
        await tickets.save_draft(Draft("tg:1", "complaint", "location", {"category": "x"}))
        assert not store.draft_read_ahead("tg:1")[0]  # written since: read again
        draft = await tickets.get_draft("tg:1")
        assert draft is not None and draft.step == "location"
        await store.get_language("tg:1")
        await tickets.delete_draft("tg:1")
        assert await tickets.get_draft("tg:1") is None
        assert await store.get_language("tg:2") is None
        assert store.draft_read_ahead("tg:2") == (True, None)
        assert not store.draft_read_ahead("tg:1")[0]  # another person's read
