"""The ticket workflow: every change checked against the transition table, audited, notified.

Callers run each operation inside `store.transaction()`, so the change, its audit lines
and the notifications it causes (written to the outbox by the `Notifier`) commit together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from bot.config import Settings
from bot.knowledge.model import ComplaintCategory, KnowledgeBase
from bot.messages import t
from bot.replies import Button, Paragraph, Reply
from bot.store import Store, TicketStore
from bot.store.deadlines import DeadlineStore
from bot.tickets.model import (
    Action,
    Attachment,
    Event,
    StaffMember,
    Status,
    Ticket,
    next_status,
)
from bot.workdays import WorkCalendar

STAFF_CHAT = "staff"
SYSTEM = "system"
#: Days a citizen has to rate an answer before the ticket closes unrated.
RATING_DAYS = 3
RATINGS = (5, 4, 3, 2, 1)
#: The longest extension a supervisor can grant at once, in working days.
MAX_EXTENSION_DAYS = 120
SATISFIED = frozenset({5, 4, 3})


class TicketError(Exception):
    """An operation that is not allowed; `key` names the catalogue message."""

    def __init__(self, key: str, **values: Any):
        super().__init__(key)
        self.key = key
        self.values = values


class Notifier(Protocol):
    """Queues a message for a recipient (`tg:<id>`, `terminal:…`, `staff`)."""

    async def notify(self, recipient: str, reply: Reply, ticket_id: int | None = None) -> None:
        """Queue `reply` for `recipient` in the current transaction."""


def utcnow() -> dt.datetime:
    """The current time (UTC)."""
    return dt.datetime.now(dt.UTC)


class TicketDesk:
    """Files and moves tickets; one per process, sharing the processing `Store`."""

    def __init__(
        self,
        store: Store,
        kb: KnowledgeBase,
        calendar: WorkCalendar,
        notifier: Notifier,
        clock: Callable[[], dt.datetime] = utcnow,
    ):
        self.store = store
        self.tickets = TicketStore(store)
        self.deadlines = DeadlineStore(store)
        self.kb = kb
        self.calendar = calendar
        self.notifier = notifier
        self.clock = clock

    @classmethod
    def from_settings(
        cls,
        store: Store,
        kb: KnowledgeBase,
        settings: Settings,
        clock: Callable[[], dt.datetime] = utcnow,
        staff_group: bool = True,
    ) -> TicketDesk:
        """A desk writing notifications to the outbox, with the configured calendar;
        `staff_group=False` where no staff group is expected (no warning when unset)."""
        from bot.notify import OutboxNotifier

        calendar = WorkCalendar(settings.extra_holidays, settings.extra_workdays)
        notifier = OutboxNotifier(store, settings.staff_chat, warn_unset=staff_group)
        return cls(store, kb, calendar, notifier, clock)

    def today(self) -> dt.date:
        """Today in China (UTC+8), where the working days are counted."""
        return (self.clock() + dt.timedelta(hours=8)).date()

    def category(self, category_id: str) -> ComplaintCategory:
        """A complaint category; unknown ids fall back to `other`."""
        found = self.kb.complaint_category(category_id) or self.kb.complaint_category("other")
        if found is None:
            raise TicketError("ticket_bad_category")
        return found

    # -- filing ---------------------------------------------------------------------------

    async def file(
        self,
        citizen: str,
        category_id: str,
        description: str,
        *,
        lang: str = "zh",
        location: str | None = None,
        occurred: str | None = None,
        phone: str | None = None,
        attachments: tuple[Attachment, ...] = (),
        anonymous: bool = False,
        source_key: str | None = None,
    ) -> Ticket:
        """File a ticket; the same `source_key` never files twice."""
        if source_key is not None:
            existing = await self.tickets.by_source(source_key)
            if existing is not None:
                return existing
        category = self.category(category_id)
        now = self.clock()
        number = await self.tickets.next_number(self.today().year)
        kind = (
            "inquiry"
            if category.id == "inquiry"
            else ("report" if category.report else "complaint")
        )
        deadline = self.calendar.add_working_days(self.today(), category.deadline_days)
        ticket_id = await self.tickets.insert(
            {
                "number": number,
                "kind": kind,
                "category": category.id,
                "department": category.department,
                "status": Status.RECEIVED.value,
                "citizen": citizen,
                "anonymous": int(anonymous),
                "description": description,
                "location": location,
                "occurred": occurred,
                "phone": phone,
                "attachments": _attachments_json(attachments),
                "lang": lang,
                "created_at": now.isoformat(),
                "deadline": deadline.isoformat(),
                "source_key": source_key,
            }
        )
        await self._event(ticket_id, citizen, Action.FILE, None, Status.RECEIVED, None, True)
        ticket = await self._get(ticket_id)
        days = category.deadline_days
        await self.notifier.notify(
            citizen,
            _text(t("ticket_filed", lang, number=number, deadline=deadline.isoformat(), days=days)),
            ticket.id,
        )
        await self.notifier.notify(STAFF_CHAT, self.staff_card(ticket), ticket.id)
        return ticket

    def staff_card(self, ticket: Ticket, reveal: bool = False) -> Reply:
        """The ticket as staff see it in the group, with claim / assign / reject buttons."""
        from bot.tickets.render import staff_summary

        buttons = (
            (
                Button(t("button_claim", "zh"), f"t:claim:{ticket.id}"),
                Button(t("button_assign", "zh"), f"t:assign:{ticket.id}"),
                Button(t("button_reject", "zh"), f"t:reject:{ticket.id}"),
            ),
        )
        return Reply((Paragraph(staff_summary(self.kb, ticket, reveal)),), buttons)

    # -- staff actions --------------------------------------------------------------------

    async def claim(self, actor: StaffMember, number: str) -> Ticket:
        """Take a ticket: it is assigned to the actor."""
        ticket = await self._open(number)
        ticket = await self._move(
            ticket,
            actor.key,
            Action.CLAIM,
            None,
            False,
            assignee=actor.key,
            department=actor.dept or ticket.department,
        )
        return ticket

    async def assign(
        self, actor: StaffMember, number: str, department: str | None, assignee: str | None
    ) -> Ticket:
        """Dispatch (派单) to a department and/or a person."""
        ticket = await self._open(number)
        if department is not None and self.kb.department(department) is None:
            raise TicketError("ticket_bad_department", dept=department)
        note = department or assignee
        ticket = await self._move(
            ticket,
            actor.key,
            Action.ASSIGN,
            note,
            False,
            department=department or ticket.department,
            assignee=assignee,
        )
        if assignee:
            await self.notifier.notify(
                assignee, _text(t("staff_assigned", "zh", number=ticket.number)), ticket.id
            )
        return ticket

    async def transfer(self, actor: StaffMember, number: str, department: str) -> Ticket:
        """Hand a ticket to another department (the assignee is cleared)."""
        ticket = await self._open(number)
        dept = self.kb.department(department)
        if dept is None:
            raise TicketError("ticket_bad_department", dept=department)
        ticket = await self._move(
            ticket,
            actor.key,
            Action.TRANSFER,
            department,
            True,
            department=department,
            assignee=None,
        )
        return ticket

    async def reply(self, actor: StaffMember, number: str, text: str) -> Ticket:
        """A message to the citizen; the ticket is in progress."""
        ticket = await self._open(number)
        ticket = await self._move(ticket, actor.key, Action.REPLY, text, True)
        await self._to_citizen(ticket, "ticket_staff_reply", text=text)
        return ticket

    async def note(self, actor: StaffMember, number: str, text: str) -> Ticket:
        """An internal note (never shown to the citizen)."""
        ticket = await self._find(number)
        return await self._move(ticket, actor.key, Action.NOTE, text, False)

    async def resolve(self, actor: StaffMember, number: str, outcome: str) -> Ticket:
        """Record the investigation's outcome and send it to the citizen with a rating request."""
        ticket = _not_disclosure(await self._open(number))
        now = self.clock().isoformat()
        ticket = await self._move(
            ticket, actor.key, Action.RESOLVE, outcome, True, outcome=outcome, answered_at=now
        )
        await self.notifier.notify(ticket.citizen, self.outcome_reply(ticket), ticket.id)
        await self._merged_outcome(await self.tickets.merged_into(ticket.id), ticket, outcome)
        return ticket

    async def _merged_outcome(self, tickets: list[Ticket], target: Ticket, outcome: str) -> None:
        """Tell `target`'s outcome to the citizens of `tickets` and of tickets merged into them."""
        pending = list(tickets)
        while pending:
            merged = pending.pop(0)
            await self._to_citizen(
                merged, "ticket_merged_outcome", target=target.number, outcome=outcome
            )
            pending += await self.tickets.merged_into(merged.id)

    def outcome_reply(self, ticket: Ticket) -> Reply:
        """The outcome with the five-level rating buttons."""
        lang = ticket.lang
        key = "ticket_outcome_again" if ticket.rework_count else "ticket_outcome"
        text = t(key, lang, number=ticket.number, outcome=ticket.outcome or "")
        rows = tuple((Button(t(f"rating_{r}", lang), f"r:{ticket.id}:{r}"),) for r in RATINGS)
        return Reply((Paragraph(text),), rows)

    async def reject(self, actor: StaffMember, number: str, reason: str) -> Ticket:
        """不予受理: tell the citizen why and where to go instead."""
        ticket = _not_disclosure(await self._open(number))
        now = self.clock().isoformat()
        ticket = await self._move(ticket, actor.key, Action.REJECT, reason, True, closed_at=now)
        await self._to_citizen(ticket, "ticket_rejected", reason=reason)
        return ticket

    async def merge(self, actor: StaffMember, number: str, into: str) -> Ticket:
        """Join a duplicate to another open ticket; its citizen gets that ticket's outcome."""
        # A disclosure request is answered on its own clock; nothing is merged into or out of it.
        ticket = _not_disclosure(await self._open(number))
        target = _not_disclosure(await self._open(into))
        if target.id == ticket.id:
            raise TicketError("ticket_merge_self")
        ticket = await self._move(
            ticket,
            actor.key,
            Action.MERGE,
            target.number,
            True,
            merged_into=target.id,
            closed_at=self.clock().isoformat(),
        )
        await self._to_citizen(ticket, "ticket_merged", target=target.number)
        if target.status is Status.ANSWERED:  # already answered: its outcome now
            await self._merged_outcome([ticket], target, target.outcome or "")
        return ticket

    async def extend(self, actor: StaffMember, number: str, days: int, reason: str) -> Ticket:
        """延期: a new deadline with a reason (supervisors only), told to the citizen."""
        if not actor.is_supervisor:
            raise TicketError("ticket_supervisor_only")
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            raise TicketError("ticket_bad_days")
        ticket = _not_disclosure(await self._open(number))
        # An overdue ticket's extension counts from today, never into the past.
        deadline = self.calendar.add_working_days(max(ticket.deadline, self.today()), days)
        ticket = await self._move(
            ticket,
            actor.key,
            Action.EXTEND,
            f"{deadline.isoformat()}: {reason}",
            True,
            deadline=deadline.isoformat(),
            extended=1,
            overdue=0,
            reminded=0,
        )
        await self._to_citizen(
            ticket, "ticket_extended", deadline=deadline.isoformat(), reason=reason
        )
        return ticket

    async def mark_for_kb(self, actor: StaffMember, number: str) -> Ticket:
        """Mark an answered inquiry: its question and answer become a draft KB entry."""
        ticket = await self._find(number)
        if ticket.kind != "inquiry" or not ticket.outcome:
            raise TicketError("ticket_not_kb_candidate", number=ticket.number)
        await self.tickets.update(ticket.id, kb_candidate=1)
        await self._event(
            ticket.id,
            actor.key,
            Action.NOTE,
            ticket.status,
            ticket.status,
            "→ knowledge base",
            False,
        )
        return await self._get(ticket.id)

    async def reveal(self, actor: StaffMember, number: str) -> Ticket:
        """Show a protected reporter's identity to a supervisor; the reveal is audited."""
        if not actor.is_supervisor:
            raise TicketError("ticket_supervisor_only")
        ticket = await self._find(number)
        await self._event(
            ticket.id, actor.key, Action.REVEAL, ticket.status, ticket.status, None, False
        )
        return ticket

    # -- citizen actions ------------------------------------------------------------------

    async def rate(self, citizen: str, ticket_id: int, rating: int) -> Ticket:
        """A five-level rating: satisfied closes; dissatisfied reopens once (重办)."""
        ticket = await self.tickets.get(ticket_id)
        if ticket is None or ticket.citizen != citizen:
            raise TicketError("rating_not_yours")  # never the internal id, nor another's number
        if ticket.status is not Status.ANSWERED or rating not in RATINGS:
            raise TicketError("ticket_not_ratable", number=ticket.number)
        round_ = ticket.rework_count + 1
        now = self.clock()
        category = self.category(ticket.category)  # before any write: it may refuse
        await self.tickets.add_rating(ticket.id, round_, rating, None, now.isoformat())
        if rating in SATISFIED or ticket.rework_count >= 1:
            ticket = await self._move(
                ticket,
                citizen,
                Action.RATE,
                str(rating),
                True,
                rating=rating,
                closed_at=now.isoformat(),
            )
            await self._to_citizen(ticket, "ticket_rated", number=ticket.number)
            return ticket
        deadline = self.calendar.add_working_days(self.today(), category.deadline_days)
        ticket = await self._move(
            ticket,
            citizen,
            Action.REOPEN,
            str(rating),
            True,
            rating=rating,
            rework_count=ticket.rework_count + 1,
            deadline=deadline.isoformat(),
            reminded=0,
            overdue=0,
            answered_at=None,
        )
        await self._to_citizen(ticket, "ticket_reopened", deadline=deadline.isoformat())
        label = t(f"rating_{rating}", "zh")
        for supervisor in await self._supervisors():
            text = t(
                "staff_reopened",
                "zh",
                number=ticket.number,
                rating=label,
                deadline=deadline.isoformat(),
            )
            await self.notifier.notify(supervisor.key, _text(text), ticket.id)
        return ticket

    async def comment(self, citizen: str, ticket_id: int, text: str) -> None:
        """Attach the citizen's comment to their latest rating."""
        ticket = await self.tickets.get(ticket_id)
        if ticket is None or ticket.citizen != citizen:
            raise TicketError("ticket_not_found", number=str(ticket_id))
        await self.tickets.set_rating_comment(ticket.id, text)
        await self._event(
            ticket.id, citizen, Action.NOTE, ticket.status, ticket.status, text, False
        )

    async def citizen_ticket(self, citizen: str, number: str) -> Ticket:
        """One of the citizen's own tickets; anyone else's is "not found"."""
        ticket = await self.tickets.by_number(number)
        if ticket is None or ticket.citizen != citizen:
            raise TicketError("ticket_not_found", number=number)
        return ticket

    # -- deadlines ------------------------------------------------------------------------

    async def scan(self) -> dict[str, int]:
        """Remind, escalate overdue tickets (督办) and close unrated answers; return counts."""
        from bot.disclosure.desk import DisclosureDesk

        today = self.today()
        counts = {"reminded": 0, "overdue": 0, "closed_unrated": 0}
        # First: a request whose correction never came is abandoned, not escalated.
        counts.update({k: v for k, v in (await DisclosureDesk(self).scan()).items() if v})
        # previous_working_day(deadline) <= today  ⇔  deadline <= next_working_day(today)
        due = await self.tickets.due_tickets(
            today.isoformat(), self.calendar.next_working_day(today).isoformat()
        )
        for ticket in due:
            if ticket.deadline < today and not ticket.overdue:
                counts["overdue"] += await self.escalate(ticket)
            elif (
                not ticket.reminded
                and not ticket.overdue
                and today >= self.calendar.previous_working_day(ticket.deadline)
            ):
                counts["reminded"] += await self.remind(ticket)
        for ticket in await self.tickets.answered():
            answered = ticket.answered_at
            if answered is None:
                continue
            answered_day = (answered + dt.timedelta(hours=8)).date()
            if self.calendar.working_days_between(answered_day, today) > RATING_DAYS:
                counts["closed_unrated"] += await self.close_unrated(ticket)
        return counts

    # Each deadline action below is taken by one conditional UPDATE: a scan that finds it
    # already taken (by another replica, or the desk CLI, at the same moment) does nothing.

    async def remind(self, ticket: Ticket) -> bool:
        """Remind the handler of a deadline once; False when it was already reminded."""
        if not await self.tickets.flag_once(ticket.id, "reminded"):
            return False
        await self._move(
            ticket, SYSTEM, Action.REMIND, ticket.deadline.isoformat(), False, reminded=1
        )
        text = t("staff_reminder", "zh", number=ticket.number, deadline=ticket.deadline.isoformat())
        await self.notifier.notify(ticket.assignee or STAFF_CHAT, _text(text), ticket.id)
        return True

    async def escalate(self, ticket: Ticket) -> bool:
        """Report an overdue ticket (督办) once; False when it was already reported."""
        if not await self.tickets.flag_once(ticket.id, "overdue"):
            return False
        await self._escalate(ticket)
        return True

    async def close_unrated(self, ticket: Ticket) -> bool:
        """Close an answer left unrated; False when it is no longer waiting for a rating."""
        if not await self._move_once(ticket, Action.CLOSE):
            return False
        await self._move(
            ticket, SYSTEM, Action.CLOSE, "unrated", True, closed_at=self.clock().isoformat()
        )
        return True

    async def _move_once(self, ticket: Ticket, action: Action) -> bool:
        """Take `action`'s status change if the ticket is still in the status it was read
        in; False when another scan changed it first (the caller then does nothing)."""
        to = next_status(ticket.status, action)
        assert to is not None, (ticket.status, action)
        return await self.deadlines.move_once(ticket.id, ticket.status, to)

    async def _escalate(self, ticket: Ticket) -> None:
        await self._move(
            ticket, SYSTEM, Action.ESCALATE, ticket.deadline.isoformat(), True, overdue=1
        )
        text = t(
            "staff_overdue",
            "zh",
            number=ticket.number,
            deadline=ticket.deadline.isoformat(),
            who=ticket.assignee or ticket.department or "-",
        )
        await self.notifier.notify(STAFF_CHAT, _text(text), ticket.id)
        for supervisor in await self._supervisors():
            await self.notifier.notify(supervisor.key, _text(text), ticket.id)

    # -- helpers --------------------------------------------------------------------------

    async def _supervisors(self) -> list[StaffMember]:
        return [m for m in await self.tickets.staff() if m.is_supervisor]

    async def _find(self, number: str) -> Ticket:
        ticket = await self.tickets.by_number(number)
        if ticket is None:
            raise TicketError("ticket_not_found", number=number)
        return ticket

    async def _open(self, number: str) -> Ticket:
        ticket = await self._find(number)
        if not ticket.is_open and ticket.status is not Status.ANSWERED:
            raise TicketError("ticket_closed", number=ticket.number, status=ticket.status.value)
        return ticket

    async def _get(self, ticket_id: int) -> Ticket:
        ticket = await self.tickets.get(ticket_id)
        assert ticket is not None
        return ticket

    async def _move(
        self,
        ticket: Ticket,
        actor: str,
        action: Action,
        note: str | None,
        public: bool,
        **changes: Any,
    ) -> Ticket:
        """Apply `action` if the transition table allows it; audit it; return the new ticket."""
        to = next_status(ticket.status, action)
        if to is None:
            raise TicketError(
                "ticket_not_allowed",
                number=ticket.number,
                status=ticket.status.value,
                action=action.value,
            )
        if to is not ticket.status:
            changes["status"] = to.value
        if changes:
            await self.tickets.update(ticket.id, **changes)
        await self._event(ticket.id, actor, action, ticket.status, to, note, public)
        return await self._get(ticket.id)

    async def _event(
        self,
        ticket_id: int,
        actor: str,
        action: Action,
        from_status: Status | None,
        to_status: Status | None,
        note: str | None,
        public: bool,
    ) -> None:
        await self.tickets.add_event(
            ticket_id,
            self.clock().isoformat(),
            actor,
            action.value,
            from_status.value if from_status else None,
            to_status.value if to_status else None,
            note,
            public,
        )

    async def _to_citizen(self, ticket: Ticket, key: str, **values: Any) -> None:
        values.setdefault("number", ticket.number)
        await self.notifier.notify(ticket.citizen, _text(t(key, ticket.lang, **values)), ticket.id)

    async def timeline(self, ticket: Ticket, public_only: bool) -> list[Event]:
        """The audit log (public lines only for the citizen)."""
        return await self.tickets.events(ticket.id, public_only)


def _not_disclosure(ticket: Ticket) -> Ticket:
    """Disclosure requests have their own answer and extension (bot/disclosure/desk.py)."""
    if ticket.kind == "disclosure":
        raise TicketError("disclosure_use_own", number=ticket.number)
    return ticket


def _text(text: str) -> Reply:
    return Reply((Paragraph(text),))


def _attachments_json(attachments: tuple[Attachment, ...]) -> str:
    import json

    return json.dumps([a.__dict__ for a in attachments], ensure_ascii=False)


__all__ = ["STAFF_CHAT", "Notifier", "TicketDesk", "TicketError"]
