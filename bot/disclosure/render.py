"""Disclosure requests as text: masked staff card, the 补正 notice, the decision."""

from __future__ import annotations

from bot.disclosure.answers import ADVERSE, Answer, Applicant
from bot.disclosure.clock import RequestClock
from bot.messages import t
from bot.replies import Button, Paragraph, Reply
from bot.tickets.model import Ticket


def mask(value: str | None) -> str:
    """Personal data for those who need not see it: first and last characters only."""
    if not value:
        return "-"
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(value) <= 2:
        return value[:1] + "*"
    keep = 1 if len(value) < 8 else 3
    return value[:keep] + "*" * (len(value) - keep - 2) + value[-2:]


def applicant_label(applicant: Applicant, lang: str) -> str:
    """The applicant type in `lang`."""
    return t(f"disclosure_applicant_{applicant.value}", lang)


def staff_card(
    ticket: Ticket,
    applicant: Applicant,
    name: str | None,
    contact: str | None,
    offered: tuple[str, ...] = (),
) -> Reply:
    """The new request for the staff group; name and contact masked, no ID number.

    Its buttons: claim and assign, and the disclosure desk's actions that apply now
    (`offered`); not reject, resolve or merge, which the desk refuses for a request."""
    lines = [
        t("staff_card_title", "zh", number=ticket.number, kind=t("kind_disclosure", "zh")),
        f"{t('disclosure_label_applicant', 'zh')}：{applicant_label(applicant, 'zh')} {mask(name)}",
        f"{t('label_contact', 'zh')}：{mask(contact)}",
        f"{t('label_deadline', 'zh')}：{ticket.deadline.isoformat()}",
        f"{t('disclosure_label_description', 'zh')}：{ticket.description}",
    ]
    general = (
        Button(t("button_claim", "zh"), f"t:claim:{ticket.id}"),
        Button(t("button_assign", "zh"), f"t:assign:{ticket.id}"),
    )
    return Reply((Paragraph("\n".join(lines)),), (general, *action_rows(ticket.id, offered, "zh")))


def action_rows(
    ticket_id: int, offered: tuple[str, ...], lang: str
) -> tuple[tuple[Button, ...], ...]:
    """The staff buttons (`ds:<action>:<ticket>`) of the disclosure actions `offered`,
    two to a row."""
    buttons = [
        Button(t(f"web_disclosure_action_{a}", lang), f"ds:{a}:{ticket_id}") for a in offered
    ]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def offered_actions(open_: bool, clock: RequestClock, supervisor: bool) -> tuple[str, ...]:
    """The staff actions that apply now, for the console and the chat (the desk still
    checks each one): `d-correct`, `d-corrected`, `d-consult`, `d-consult-end`, `d-extend`,
    `d-answer`."""
    if not open_:
        return ()
    offered = []
    if clock.correction_requested is None:
        offered.append("d-correct")
    if clock.awaiting_correction:
        offered.append("d-corrected")
    elif clock.consulting:
        offered.append("d-consult-end")
    else:
        offered.append("d-consult")
        if supervisor and not clock.extension_days:
            offered.append("d-extend")
        offered.append("d-answer")
    return tuple(offered)


def correction_notice(ticket: Ticket, what: str, by: str) -> Reply:
    """The one-time 补正 notice with a button to send the correction."""
    lang = ticket.lang
    text = t("disclosure_correction_notice", lang, number=ticket.number, what=what, by=by)
    button = Button(t("disclosure_button_correct", lang), f"dc:{ticket.id}")
    return Reply((Paragraph(text),), ((button,),))


def decision_text(
    answer: Answer, reason: str | None, detail: str, delivery_way: str, lang: str
) -> str:
    """The decision with its legal basis; a refusal adds the right to review or sue (Art. 51)."""
    parts = [t(f"disclosure_answer_{answer.value}", lang, detail=detail or "-")]
    if answer is Answer.WITHHELD and reason:
        parts.append(t(f"disclosure_reason_{reason}", lang))
    if answer in (Answer.DISCLOSED, Answer.PARTLY):
        parts.append(t(f"disclosure_delivery_{delivery_way}", lang))
        if detail:
            parts.append(detail)
    if answer in ADVERSE:
        parts.append(t("disclosure_remedy", lang))
    return "\n".join(parts)
