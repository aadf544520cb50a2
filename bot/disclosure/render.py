"""Disclosure requests as text: masked staff card, the 补正 notice, the decision."""

from __future__ import annotations

from bot.disclosure.answers import ADVERSE, Answer, Applicant
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
    ticket: Ticket, applicant: Applicant, name: str | None, contact: str | None
) -> Reply:
    """The new request for the staff group; name and contact masked, no ID number."""
    lines = [
        t("staff_card_title", "zh", number=ticket.number, kind=t("kind_disclosure", "zh")),
        f"{t('disclosure_label_applicant', 'zh')}：{applicant_label(applicant, 'zh')} {mask(name)}",
        f"{t('label_contact', 'zh')}：{mask(contact)}",
        f"{t('label_deadline', 'zh')}：{ticket.deadline.isoformat()}",
        f"{t('disclosure_label_description', 'zh')}：{ticket.description}",
    ]
    return Reply((Paragraph("\n".join(lines)),))


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
