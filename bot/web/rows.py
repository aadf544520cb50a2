"""A ticket as the console shows it: labels, deadline with working days left, masked contact."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.logs import mask_phone
from bot.messages import t
from bot.tickets.model import FINAL, Status, Ticket
from bot.tickets.render import category_name, department_name, status_label
from bot.tickets.service import TicketDesk
from bot.web.people import shown

SUMMARY = 40


@dataclass(frozen=True)
class Row:
    """One line of a queue."""

    number: str
    category: str
    summary: str
    status: str
    assignee: str
    department: str
    deadline: str
    days_left: int | None
    overdue: bool
    #: The ticket's id, for a bulk action's checkbox.
    id: int = 0


def days_left(desk: TicketDesk, ticket: Ticket) -> int | None:
    """Working days to the deadline (negative when past); None once answered or final."""
    if ticket.status in FINAL or ticket.status is Status.ANSWERED:
        return None
    return desk.calendar.working_days_between(desk.today(), ticket.deadline)


def row(desk: TicketDesk, ticket: Ticket, lang: str, names: Mapping[str, str] = {}) -> Row:
    """The queue line of `ticket`, its assignee by name where `names` knows one."""
    left = days_left(desk, ticket)
    summary = ticket.description.replace("\n", " ")
    if len(summary) > SUMMARY:
        summary = summary[: SUMMARY - 1] + "…"
    return Row(
        ticket.number,
        category_name(desk.kb, ticket, lang),
        summary,
        status_label(ticket, lang),
        shown(ticket.assignee, names),
        department_name(desk.kb, ticket.department, lang),
        ticket.deadline.isoformat(),
        left,
        (left is not None and left < 0) or (ticket.overdue and ticket.is_open),
        ticket.id,
    )


def contact(ticket: Ticket, revealed: bool, lang: str) -> str:
    """Who filed it, as this viewer may see it: a 举报 reporter only when revealed."""
    if ticket.anonymous:
        return t("identity_anonymous", lang)
    if ticket.is_report and not revealed:
        return t("identity_hidden", lang)
    phone = ticket.phone or "-"
    return f"{ticket.citizen} {phone if revealed or not ticket.is_report else mask_phone(phone)}"
