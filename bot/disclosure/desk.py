"""Disclosure requests on the ticket desk: filing, 补正, extension, consultation, the answer.

Every change goes through the one transition table (`bot.tickets.model.TRANSITIONS`) and
the audit log of `TicketDesk`; the clock (`bot.disclosure.clock`) sets the ticket's
deadline, so the desk's scan reminds and escalates as for any ticket (docs/disclosure.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from bot.disclosure.answers import ABANDONED_ROW, ADVERSE, Answer, Applicant, result_row
from bot.disclosure.clock import ClockError, RequestClock
from bot.disclosure.receipt import Arrival, Delivery, ReceiptError, received_on
from bot.disclosure.render import correction_notice, decision_text, offered_actions, staff_card
from bot.disclosure.store import DisclosureRequest, DisclosureStore
from bot.disclosure.table import REVIEW_KINDS, REVIEW_RESULTS
from bot.messages import t
from bot.replies import Paragraph, Reply
from bot.tickets.model import Action, StaffMember, Status, Ticket
from bot.tickets.service import STAFF_CHAT, SYSTEM, TicketDesk, TicketError
from bot.workdays import WorkCalendar

KIND = "disclosure"
DELIVERY_FORMS = ("paper", "electronic")
DELIVERY_WAYS = ("collect", "post", "email", "chat")
#: Answers whose `detail` is required: where it is public, which office, why withheld.
NEEDS_DETAIL = frozenset({Answer.ALREADY_PUBLIC, Answer.NOT_OURS})
#: The applicant of a request recorded by staff without a chat account: notices stay at
#: the desk (staff deliver them by the way the applicant chose).
DESK_APPLICANT = "desk:counter"
CHAT_TODAY = Arrival(Delivery.CHAT)
#: The years and the largest single count a section-四 entry takes (a typing slip, not law).
REVIEW_YEAR_LOW, REVIEW_YEAR_HIGH = 2000, 2100
REVIEW_COUNT_MAX = 9999


@dataclass(frozen=True)
class DisclosureForm:
    """What the applicant gives (Art. 29)."""

    applicant: Applicant
    name: str
    id_number: str
    contact: str
    description: str
    delivery_form: str
    delivery_way: str
    purpose: str | None = None


class DisclosureDesk:
    """Disclosure operations on a `TicketDesk` (same store, calendar, notifier, clock)."""

    def __init__(self, desk: TicketDesk):
        self.desk = desk
        self.requests = DisclosureStore(desk.store)

    @property
    def cal(self) -> WorkCalendar:
        """The working-day calendar."""
        return self.desk.calendar

    # -- filing ---------------------------------------------------------------------------

    async def file(
        self,
        citizen: str,
        form: DisclosureForm,
        lang: str = "zh",
        source_key: str | None = None,
        arrival: Arrival | None = None,
        recorded_by: StaffMember | None = None,
    ) -> Ticket:
        """File a request; received per Art. 31 (default: sent in the chat today).

        `recorded_by`: the staff member who wrote up an oral request or entered a paper
        one (Art. 29); the audit log names them and the way it came.
        """
        tickets = self.desk.tickets
        if source_key is not None:
            existing = await tickets.by_source(source_key)
            if existing is not None:
                return existing
        if form.delivery_form not in DELIVERY_FORMS or form.delivery_way not in DELIVERY_WAYS:
            raise TicketError("disclosure_bad_delivery")
        today = self.desk.today()
        clock = RequestClock(received=self.received(arrival))
        due = clock.next_deadline(self.cal)
        number = await tickets.next_number(today.year)
        ticket_id = await tickets.insert(
            {
                "number": number,
                "kind": KIND,
                "category": KIND,
                "status": Status.RECEIVED.value,
                "citizen": citizen,
                "description": form.description,
                "phone": None,
                "lang": lang,
                "created_at": self.desk.clock().isoformat(),
                "deadline": due.isoformat(),
                "source_key": source_key,
            }
        )
        await self.requests.insert(
            DisclosureRequest(
                ticket_id,
                form.applicant,
                form.name,
                form.id_number,
                form.contact,
                form.purpose,
                form.delivery_form,
                form.delivery_way,
                clock,
            )
        )
        actor, note = citizen, None
        if recorded_by is not None:
            actor = recorded_by.key
            note = t("disclosure_recorded_note", "zh", via=(arrival or CHAT_TODAY).via.value)
        await self.desk._event(ticket_id, actor, Action.FILE, None, Status.RECEIVED, note, True)
        ticket = await self.desk._get(ticket_id)
        notice = clock.correction_notice_due(self.cal).isoformat()
        await self.desk._to_citizen(
            ticket,
            "disclosure_filed",
            deadline=due.isoformat(),
            notice=notice,
            received=clock.received.isoformat(),
        )
        await self.desk.notifier.notify(STAFF_CHAT, self._card(ticket, form, clock), ticket.id)
        return ticket

    def _card(self, ticket: Ticket, form: DisclosureForm, clock: RequestClock) -> Reply:
        """The staff-group card: personal data masked (the group need not see it)."""
        # The group sees the extension too: the desk lets only a supervisor extend.
        offered = offered_actions(True, clock, supervisor=True)
        return staff_card(ticket, form.applicant, form.name, form.contact, offered)

    # -- staff actions --------------------------------------------------------------------

    async def request_correction(
        self, actor: StaffMember, number: str, what: str, period_days: int | None = None
    ) -> Ticket:
        """The one-time 补正 notice (Art. 30): what to correct and by when; the clock stops."""
        ticket, request = await self._request(number)
        today = self.desk.today()
        if period_days is None:
            clock = _clocked(ticket, lambda: request.clock.request_correction(self.cal, today))
        else:
            clock = _clocked(
                ticket, lambda: request.clock.request_correction(self.cal, today, period_days)
            )
        assert clock.correction_by is not None
        by = clock.correction_by.isoformat()
        ticket = await self._move_clock(
            ticket, clock, actor.key, Action.REQUEST_CORRECTION, f"{by}: {what}", True, deadline=by
        )
        await self.desk.notifier.notify(
            ticket.citizen, correction_notice(ticket, what, by), ticket.id
        )
        return ticket

    async def record_correction(
        self, actor: str, number: str, text: str, arrival: Arrival | None = None
    ) -> Ticket:
        """The correction arrived (in chat, or recorded by staff); Art. 31 sets its day."""
        ticket, request = await self._request(number)
        clock = _clocked(ticket, lambda: request.clock.record_correction(self.received(arrival)))
        due = clock.next_deadline(self.cal).isoformat()
        ticket = await self._move_clock(
            ticket,
            clock,
            actor,
            Action.CORRECT,
            text,
            True,
            deadline=due,
            description=f"{ticket.description}\n{t('disclosure_correction_label', 'zh')}{text}",
        )
        await self.desk._to_citizen(ticket, "disclosure_corrected", deadline=due)
        await self.desk.notifier.notify(
            ticket.assignee or STAFF_CHAT,
            _text(t("disclosure_staff_corrected", "zh", number=ticket.number, deadline=due)),
            ticket.id,
        )
        return ticket

    async def extend(self, actor: StaffMember, number: str, days: int, reason: str) -> Ticket:
        """The one extension (Art. 33): a supervisor, a reason, the applicant told."""
        if not actor.is_supervisor:
            raise TicketError("ticket_supervisor_only")
        ticket, request = await self._request(number)
        if ticket.status is Status.CORRECTION:
            raise TicketError("disclosure_clock_stopped", number=ticket.number)
        clock = _clocked(ticket, lambda: request.clock.extend(days))
        due = clock.next_deadline(self.cal).isoformat()
        ticket = await self._move_clock(
            ticket,
            clock,
            actor.key,
            Action.EXTEND,
            f"{due}: {reason}",
            True,
            deadline=due,
            extended=1,
        )
        await self.desk._to_citizen(ticket, "disclosure_extended", deadline=due, reason=reason)
        return ticket

    async def start_consultation(self, actor: StaffMember, number: str, third_party: str) -> Ticket:
        """Ask a third party (Art. 32); its 15 working days do not count (Art. 33)."""
        ticket, request = await self._request(number)
        clock = _clocked(ticket, lambda: request.clock.start_consultation(self.desk.today()))
        due = clock.next_deadline(self.cal).isoformat()
        ticket = await self._move_clock(
            ticket, clock, actor.key, Action.CONSULT, f"{due}: {third_party}", False, deadline=due
        )
        await self.desk._to_citizen(ticket, "disclosure_consulting")
        return ticket

    async def end_consultation(self, actor: StaffMember, number: str, note: str) -> Ticket:
        """The third party answered (or did not within 15 days); the clock runs again."""
        ticket, request = await self._request(number)
        clock = _clocked(ticket, lambda: request.clock.end_consultation(self.desk.today()))
        due = clock.next_deadline(self.cal).isoformat()
        ticket = await self._move_clock(
            ticket, clock, actor.key, Action.CONSULT_END, note or None, False, deadline=due
        )
        return ticket

    async def answer(
        self,
        actor: StaffMember,
        number: str,
        answer: Answer,
        detail: str = "",
        reason: str | None = None,
    ) -> Ticket:
        """The decision (Arts. 36, 37, 39), counted in its table row, sent to the applicant."""
        ticket, request = await self._request(number)
        if request.clock.consulting:
            raise TicketError("disclosure_consulting_open", number=ticket.number)
        try:
            row = result_row(answer, reason)
        except ValueError as exc:
            raise TicketError("disclosure_bad_reason") from exc
        if answer in NEEDS_DETAIL and not detail.strip():
            raise TicketError(f"disclosure_needs_detail_{answer.value}")
        lang = ticket.lang
        decision = decision_text(answer, reason, detail, request.delivery_way, lang)
        ticket = await self.desk._move(
            ticket,
            actor.key,
            Action.ANSWER,
            f"{answer.value}: {detail}".rstrip(": "),
            True,
            outcome=decision,
            answered_at=self.desk.clock().isoformat(),
            closed_at=self.desk.clock().isoformat(),
        )
        await self.requests.update(
            ticket.id,
            answer=answer.value,
            reason=reason,
            detail=detail or None,
            result_row=row,
            concluded=self.desk.today().isoformat(),
        )
        key = "disclosure_decision_adverse" if answer in ADVERSE else ("disclosure_decision")
        await self.desk._to_citizen(ticket, key, decision=decision)
        return ticket

    async def add_review(
        self, actor: StaffMember, year: int, kind: str, result: str, count: int, note: str = ""
    ) -> None:
        """Record section-四 counts: reconsideration and lawsuits decided outside the desk."""
        if kind not in REVIEW_KINDS or result not in REVIEW_RESULTS:
            raise TicketError("disclosure_bad_review")
        if not REVIEW_YEAR_LOW <= year <= REVIEW_YEAR_HIGH:
            raise TicketError(
                "disclosure_bad_review_year", low=REVIEW_YEAR_LOW, high=REVIEW_YEAR_HIGH
            )
        if not 1 <= count <= REVIEW_COUNT_MAX:
            raise TicketError("disclosure_bad_review_count", high=REVIEW_COUNT_MAX)
        await self.requests.add_review(
            year, kind, result, count, note or None, actor.key, self.desk.clock().isoformat()
        )

    # -- deadlines ------------------------------------------------------------------------

    async def scan(self) -> dict[str, int]:
        """Abandon requests whose correction did not come; remind before the 补正 notice day."""
        today = self.desk.today()
        counts = {"disclosure_abandoned": 0, "disclosure_notice_reminded": 0}
        for ticket_id in await self.requests.open_ids():
            ticket = await self.desk._get(ticket_id)
            request = await self.requests.get(ticket_id)
            assert request is not None
            clock = request.clock
            if ticket.status is Status.CORRECTION and clock.correction_by is not None:
                if today > clock.correction_by:
                    counts["disclosure_abandoned"] += await self.abandon(ticket)
                continue
            notice = clock.correction_notice_due(self.cal)
            if (
                clock.correction_requested is None
                and not request.notice_reminded
                and ticket.is_open
                and self.cal.previous_working_day(notice) <= today <= notice
            ):
                counts["disclosure_notice_reminded"] += await self.remind_notice(ticket, notice)
        return counts

    async def remind_notice(self, ticket: Ticket, notice: dt.date) -> bool:
        """Remind the handler of the 补正 notice day once; False when already reminded."""
        if not await self.desk.deadlines.notice_reminded_once(ticket.id):
            return False
        text = t("disclosure_notice_reminder", "zh", number=ticket.number, date=notice.isoformat())
        await self.desk._event(
            ticket.id,
            SYSTEM,
            Action.REMIND,
            ticket.status,
            ticket.status,
            notice.isoformat(),
            False,
        )
        await self.desk.notifier.notify(ticket.assignee or STAFF_CHAT, _text(text), ticket.id)
        return True

    async def abandon(self, ticket: Ticket) -> bool:
        """Close a request whose correction did not come (视为放弃) once; False when another
        scan, or the citizen's correction, moved it first."""
        if not await self.desk._move_once(ticket, Action.ABANDON):
            return False
        now = self.desk.clock().isoformat()
        ticket = await self.desk._move(ticket, SYSTEM, Action.ABANDON, None, True, closed_at=now)
        await self.requests.update(
            ticket.id, result_row=ABANDONED_ROW, concluded=self.desk.today().isoformat()
        )
        await self.desk._to_citizen(ticket, "disclosure_abandoned")
        return True

    # -- helpers --------------------------------------------------------------------------

    def received(self, arrival: Arrival | None) -> dt.date:
        """The day of receipt (Art. 31); a chat message counts from today."""
        today = self.desk.today()
        try:
            return received_on(arrival or Arrival(Delivery.CHAT, submitted=today), self.cal, today)
        except ReceiptError as exc:
            raise TicketError(exc.key) from exc

    async def _move_clock(
        self,
        ticket: Ticket,
        clock: RequestClock,
        actor: str,
        action: Action,
        note: str | None,
        public: bool,
        **fields: object,
    ) -> Ticket:
        """Move the ticket on a new clock: its deadline set afresh (not reminded, not
        overdue), the request's clock stored with it."""
        ticket = await self.desk._move(
            ticket, actor, action, note, public, reminded=0, overdue=0, **fields
        )
        await self.requests.update(ticket.id, clock=clock)
        return ticket

    async def _request(self, number: str) -> tuple[Ticket, DisclosureRequest]:
        ticket = await self.desk._find(number)
        request = await self.requests.get(ticket.id)
        if ticket.kind != KIND or request is None:
            raise TicketError("disclosure_not_a_request", number=ticket.number)
        if request.concluded is not None:
            raise TicketError("ticket_closed", number=ticket.number, status=ticket.status.value)
        return ticket, request

    async def request_of(self, ticket: Ticket) -> DisclosureRequest | None:
        """The disclosure fields of a ticket (None for other kinds)."""
        return await self.requests.get(ticket.id) if ticket.kind == KIND else None

    def today(self) -> dt.date:
        """Today in China."""
        return self.desk.today()


def _clocked(ticket: Ticket, change: Callable[[], RequestClock]) -> RequestClock:
    """The clock after `change`, or the refusal as the ticket desk's error."""
    try:
        return change()
    except ClockError as exc:
        raise TicketError(exc.key, number=ticket.number) from exc


def _text(text: str) -> Reply:
    return Reply((Paragraph(text),))
