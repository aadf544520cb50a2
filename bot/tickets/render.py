"""Tickets as text: the staff card, the citizen's list and timeline, the staff queue."""

from __future__ import annotations

import datetime as dt

from bot.knowledge.model import KnowledgeBase
from bot.logs import mask_phone
from bot.messages import t
from bot.tickets.model import FINAL, Event, Status, Ticket


def status_label(ticket: Ticket, lang: str) -> str:
    """The status as the citizen reads it, with the overdue flag."""
    label = t(f"status_{ticket.status.value}", lang)
    if ticket.overdue and ticket.is_open:
        label += t("status_overdue_suffix", lang)
    return label


def category_name(kb: KnowledgeBase, ticket: Ticket, lang: str) -> str:
    """The ticket's category in `lang`."""
    if ticket.kind == "disclosure":
        return t("kind_disclosure", lang)
    category = kb.complaint_category(ticket.category)
    return category.name.get(lang) if category else ticket.category


def department_name(kb: KnowledgeBase, dept: str | None, lang: str = "zh") -> str:
    """A department's name."""
    if dept is None:
        return "-"
    found = kb.department(dept)
    return found.name.get(lang) if found else dept


def staff_summary(
    kb: KnowledgeBase, ticket: Ticket, reveal: bool = False, opened: bool = False
) -> str:
    """The ticket for staff; a protected reporter stays hidden unless revealed.

    In lists and the group card the phone number is masked; a staff member who opens the
    ticket (`/ticket`) sees it, except a protected reporter's.
    """
    hidden = (ticket.is_report or ticket.anonymous) and not reveal
    clear = reveal or opened
    contact = t("identity_hidden", "zh") if hidden else _contact(ticket, masked=not clear)
    if ticket.anonymous:  # fully anonymous: nobody sees the contact, not even on reveal
        contact = t("identity_anonymous", "zh")
    lines = [
        t("staff_card_title", "zh", number=ticket.number, kind=t(f"kind_{ticket.kind}", "zh")),
        f"{t('label_category', 'zh')}：{category_name(kb, ticket, 'zh')}",
        f"{t('label_department', 'zh')}：{department_name(kb, ticket.department)}",
        f"{t('label_status', 'zh')}：{status_label(ticket, 'zh')}",
        f"{t('label_deadline', 'zh')}：{ticket.deadline.isoformat()}",
        f"{t('label_description', 'zh')}：{ticket.description}",
    ]
    if ticket.location:
        lines.append(f"{t('label_location', 'zh')}：{ticket.location}")
    if ticket.occurred:
        lines.append(f"{t('label_time', 'zh')}：{ticket.occurred}")
    if ticket.attachments:
        lines.append(f"{t('label_attachments', 'zh')}：{len(ticket.attachments)}")
    lines.append(f"{t('label_contact', 'zh')}：{contact}")
    return "\n".join(lines)


def _contact(ticket: Ticket, masked: bool) -> str:
    phone = ticket.phone or "-"
    if masked:
        phone = mask_phone(phone)
    return f"{ticket.citizen} {phone}"


def citizen_list(kb: KnowledgeBase, tickets: list[Ticket], lang: str) -> str:
    """`/status`: the citizen's tickets, one line each."""
    if not tickets:
        return t("status_none", lang)
    lines = [t("status_list_title", lang)]
    for ticket in tickets:
        lines.append(
            t(
                "status_line",
                lang,
                number=ticket.number,
                category=category_name(kb, ticket, lang),
                status=status_label(ticket, lang),
                deadline=(
                    t("status_line_due", lang, deadline=ticket.deadline.isoformat())
                    if _has_deadline(ticket)
                    else ""
                ),
            )
        )
    return "\n".join(lines)


def _has_deadline(ticket: Ticket) -> bool:
    """A closed, rejected or merged ticket (or one awaiting its rating) has no time limit left."""
    return ticket.status not in FINAL and ticket.status is not Status.ANSWERED


def citizen_detail(kb: KnowledgeBase, ticket: Ticket, events: list[Event], lang: str) -> str:
    """`/status TS-…`: one ticket with its public timeline."""
    lines = [
        t("status_detail_title", lang, number=ticket.number),
        f"{t('label_category', lang)}: {category_name(kb, ticket, lang)}",
        f"{t('label_status', lang)}: {status_label(ticket, lang)}",
        f"{t('label_description', lang)}: {ticket.description}",
    ]
    if _has_deadline(ticket):
        lines.insert(3, f"{t('label_deadline', lang)}: {ticket.deadline.isoformat()}")
    if ticket.outcome:
        lines.append(f"{t('label_outcome', lang)}: {ticket.outcome}")
    lines.append(t("label_timeline", lang))
    for event in events:
        lines.append(f"• {_when(event.at)} {t(f'event_{event.action.value}', lang)}" + _note(event))
    return "\n".join(lines)


def staff_detail(
    kb: KnowledgeBase, ticket: Ticket, events: list[Event], reveal: bool, undelivered: int = 0
) -> str:
    """`/ticket TS-…` for staff: the card, the full timeline with internal notes."""
    lines = [staff_summary(kb, ticket, reveal, opened=True)]
    if undelivered:
        lines.append(t("staff_undeliverable", "zh", count=undelivered))
    if ticket.attachments:
        lines.append(t("label_attachments", "zh") + "：")
        lines.extend(f"• {a.kind} {a.name or ''} ({a.file_id})" for a in ticket.attachments)
    lines.append(t("label_timeline", "zh"))
    for event in events:
        scope = "" if event.public else t("internal_mark", "zh")
        actor = event.actor if not (ticket.is_report and event.actor == ticket.citizen) else "—"
        lines.append(
            f"• {_when(event.at)} {scope}{t(f'event_{event.action.value}', 'zh')} ({actor})"
            + _note(event)
        )
    return "\n".join(lines)


def queue_text(kb: KnowledgeBase, sections: list[tuple[str, tuple[int, list[Ticket]]]]) -> str:
    """`/queue`: open tickets grouped (mine, unassigned, overdue): counts, first by deadline."""
    lines = []
    for title, (total, tickets) in sections:
        lines.append(f"{title}（{total}）")
        for ticket in tickets:
            flag = t("status_overdue_suffix", "zh") if ticket.overdue else ""
            lines.append(
                f"• {ticket.number} {category_name(kb, ticket, 'zh')} "
                f"{t(f'status_{ticket.status.value}', 'zh')}{flag} {ticket.deadline.isoformat()}"
            )
    return "\n".join(lines)


def _when(at: dt.datetime) -> str:
    local = at + dt.timedelta(hours=8) if at.tzinfo else at
    return local.strftime("%Y-%m-%d %H:%M")


def _note(event: Event) -> str:
    return f"：{event.note}" if event.note and event.action.value not in ("rate", "reopen") else ""
