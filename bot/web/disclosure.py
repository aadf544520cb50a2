"""A disclosure request in the console: its clock as staff read it, and the staff actions.

Every action calls the same `DisclosureDesk` method as `citizen-desk disclosure …` and the
Telegram commands, so the transition table, the statutory clock, the audit log and the
refusals are the ones of the CLI (docs/disclosure.md); this module only reads the form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.datastructures import FormData

from bot import actions
from bot.disclosure.answers import RESULT_ROWS, WITHHELD_REASONS, Answer
from bot.disclosure.clock import MAX_EXTENSION_DAYS
from bot.disclosure.desk import DisclosureDesk
from bot.disclosure.render import applicant_label, mask, offered_actions
from bot.messages import t
from bot.tickets.model import Role, StaffMember, Ticket
from bot.tickets.service import TicketDesk, TicketError

Operation = Callable[[TicketDesk, StaffMember, str, FormData], Awaitable[Ticket]]
#: The longest text a form field takes (as the console's other forms).
TEXT_MAX = 4000
#: The longest 补正 period staff may give, in working days (a typing slip, not a rule).
CORRECTION_DAYS_MAX = 60
_ROW_LABELS = {r.key: (r.zh, r.en) for r in RESULT_ROWS}


def _text(form: FormData, name: str, required: bool = True) -> str:
    value = str(form.get(name, "")).strip()
    if required and not value:
        raise TicketError("web_field_required")
    if len(value) > TEXT_MAX:
        raise TicketError("web_field_too_long")
    return value


def _days(form: FormData, high: int, key: str) -> int | None:
    """The form's `days` as 1 … `high`; empty is None; anything else is refused by `key`."""
    raw = str(form.get("days", "")).strip()
    if not raw:
        return None
    days = actions.number(raw, high, low=1)
    if days is None:
        raise TicketError(key)
    return days


async def _correct(desk: TicketDesk, actor: StaffMember, number: str, form: FormData) -> Ticket:
    what = _text(form, "text")
    days = _days(form, CORRECTION_DAYS_MAX, "web_disclosure_bad_correction_days")
    return await DisclosureDesk(desk).request_correction(actor, number, what, days)


async def _corrected(desk: TicketDesk, actor: StaffMember, number: str, form: FormData) -> Ticket:
    return await DisclosureDesk(desk).record_correction(actor.key, number, _text(form, "text"))


async def _consult(desk: TicketDesk, actor: StaffMember, number: str, form: FormData) -> Ticket:
    return await DisclosureDesk(desk).start_consultation(actor, number, _text(form, "text"))


async def _consult_end(desk: TicketDesk, actor: StaffMember, number: str, form: FormData) -> Ticket:
    note = _text(form, "text", required=False)
    return await DisclosureDesk(desk).end_consultation(actor, number, note)


async def _extend(desk: TicketDesk, actor: StaffMember, number: str, form: FormData) -> Ticket:
    days = _days(form, MAX_EXTENSION_DAYS, "disclosure_bad_days")
    if days is None:
        raise TicketError("disclosure_bad_days")
    return await DisclosureDesk(desk).extend(actor, number, days, _text(form, "text"))


async def _answer(desk: TicketDesk, actor: StaffMember, number: str, form: FormData) -> Ticket:
    kind = str(form.get("answer", ""))
    if kind not in {a.value for a in Answer}:
        raise TicketError("web_disclosure_pick_answer")
    answer = Answer(kind)
    reason = str(form.get("reason", "")) or None
    if answer is not Answer.WITHHELD:
        reason = None  # the reason select is only for 不予公开
    detail = _text(form, "text", required=False)
    return await DisclosureDesk(desk).answer(actor, number, answer, detail, reason)


#: action → (operation, the role it needs); the URL is /t/<number>/<action>.
OPERATIONS: dict[str, tuple[Operation, Role]] = {
    "d-correct": (_correct, Role.STAFF),
    "d-corrected": (_corrected, Role.STAFF),
    "d-consult": (_consult, Role.STAFF),
    "d-consult-end": (_consult_end, Role.STAFF),
    "d-extend": (_extend, Role.SUPERVISOR),
    "d-answer": (_answer, Role.STAFF),
}
#: The general ticket actions a disclosure request does not take: it has its own answer
#: and extension (the desk refuses them too), and is not merged into another ticket.
NOT_FOR_DISCLOSURE = frozenset({"resolve", "reject", "extend", "merge"})


@dataclass(frozen=True)
class DisclosureState:
    """A request's fields and statutory dates, and the actions it takes now."""

    applicant: str
    name: str
    id_masked: str
    contact: str
    purpose: str
    delivery: str
    dates: tuple[tuple[str, str], ...]
    answer: str | None
    offered: tuple[str, ...]
    answers: tuple[tuple[str, str], ...]
    reasons: tuple[tuple[str, str], ...]


async def state(
    desk: TicketDesk, ticket: Ticket, lang: str, supervisor: bool
) -> DisclosureState | None:
    """The disclosure view of `ticket` for staff (None for other kinds); the ID masked."""
    disclosure = DisclosureDesk(desk)
    request = await disclosure.request_of(ticket)
    if request is None:
        return None
    clock, cal = request.clock, desk.calendar
    dates = [("web_disclosure_received", clock.received.isoformat())]
    if clock.correction_requested is None:
        dates.append(("web_disclosure_notice_due", clock.correction_notice_due(cal).isoformat()))
    else:
        by = clock.correction_by.isoformat() if clock.correction_by else "-"
        dates.append(("web_disclosure_correction_asked", clock.correction_requested.isoformat()))
        dates.append(("web_disclosure_correction_by", by))
    if clock.corrected is not None:
        dates.append(("web_disclosure_corrected_on", clock.corrected.isoformat()))
    for c in clock.consultations:
        end = c.end.isoformat() if c.end else t("web_disclosure_open", lang)
        dates.append(("web_disclosure_consultation", f"{c.start.isoformat()} – {end}"))
    due = clock.consultation_due(cal)
    if due is not None:
        dates.append(("web_disclosure_consultation_due", due.isoformat()))
    if clock.extension_days:
        dates.append(("web_disclosure_extension", str(clock.extension_days)))
    answer_due = clock.answer_due(cal)
    stopped = t("web_disclosure_stopped", lang)
    dates.append(("web_disclosure_answer_due", answer_due.isoformat() if answer_due else stopped))
    if request.concluded is not None:
        dates.append(("web_disclosure_concluded", request.concluded.isoformat()))
    return DisclosureState(
        applicant_label(request.applicant, lang),
        request.name or "-",
        mask(request.id_number),
        request.contact or "-",
        request.purpose or "-",
        f"{t('disclosure_form_form_' + request.delivery_form, lang)} / "
        f"{t('disclosure_way_' + request.delivery_way, lang)}",
        tuple(dates),
        _answer_label(request.answer, request.result_row, lang),
        offered_actions(request.concluded is None, clock, supervisor),
        tuple((a.value, t(f"web_disclosure_answer_{a.value}", lang)) for a in Answer),
        tuple((r, _row_label(f"withheld.{r}", lang)) for r in WITHHELD_REASONS),
    )


def _row_label(key: str, lang: str) -> str:
    zh, en = _ROW_LABELS[key]
    return zh if lang == "zh" else en


def _answer_label(answer: str | None, row: str | None, lang: str) -> str | None:
    """The recorded answer and the table row it counts in."""
    if row is None:
        return None
    if answer is None:  # abandoned: no answer, counted in 三（六）1
        return _row_label(row, lang)
    return f"{t(f'web_disclosure_answer_{answer}', lang)} → {_row_label(row, lang)}"
