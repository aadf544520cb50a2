"""Staff views of disclosure requests: the open list and one request, for the CLI and chat."""

from __future__ import annotations

from bot.disclosure.desk import DisclosureDesk
from bot.disclosure.render import applicant_label, mask
from bot.messages import t
from bot.tickets.render import status_label
from bot.tickets.service import TicketError


async def listing(disclosure: DisclosureDesk, lang: str = "en") -> str:
    """Open requests with their statutory date; applicant masked."""
    lines = []
    for ticket_id in await disclosure.requests.open_ids():
        ticket = await disclosure.desk._get(ticket_id)
        request = await disclosure.requests.get(ticket_id)
        assert request is not None
        lines.append(
            f"{ticket.number}\t{status_label(ticket, lang)}\t{ticket.deadline.isoformat()}\t"
            f"{applicant_label(request.applicant, lang)}\t{mask(request.name)}"
        )
    return "\n".join(lines) or t("disclosure_none_open", lang)


async def detail(disclosure: DisclosureDesk, number: str, show_contact: bool = True) -> str:
    """The handling officer's view; the ID always masked, name and contact unless allowed."""
    ticket = await disclosure.desk._find(number)
    request = await disclosure.request_of(ticket)
    if request is None:
        raise TicketError("disclosure_not_a_request", number=ticket.number)
    clock = request.clock
    name = request.name if show_contact else mask(request.name)
    contact = request.contact if show_contact else mask(request.contact)
    lines = [
        f"{ticket.number}  {status_label(ticket, 'zh')}  {t('label_deadline', 'zh')} "
        f"{ticket.deadline.isoformat()}",
        f"{t('disclosure_label_applicant', 'zh')}: {applicant_label(request.applicant, 'zh')} "
        f"{name or '-'}",
        f"{t('disclosure_label_id', 'zh')}: {mask(request.id_number)}",
        f"{t('label_contact', 'zh')}: {contact or '-'}",
        f"{t('disclosure_label_description', 'zh')}: {ticket.description}",
        f"{t('disclosure_label_purpose', 'zh')}: {request.purpose or '-'}",
        f"{t('disclosure_label_delivery', 'zh')}: {request.delivery_form} / {request.delivery_way}",
        f"received {clock.received}; correction notice by "
        f"{clock.correction_notice_due(disclosure.cal)}; answer due "
        f"{clock.answer_due(disclosure.cal) or 'stopped'}",
    ]
    if request.answer:
        lines.append(f"answer: {request.answer} {request.reason or ''} → {request.result_row}")
    return "\n".join(lines)
