"""The disclosure request form in chat (Art. 29), and the applicant's correction (Art. 30).

Buttons: `dq:…` for the form, `dc:<ticket id>` to send a correction. Each step is saved in
the `drafts` table before replying, like the complaint form.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from bot.disclosure.answers import Applicant
from bot.disclosure.desk import DELIVERY_FORMS, DELIVERY_WAYS, DisclosureDesk, DisclosureForm
from bot.disclosure.render import applicant_label, mask
from bot.messages import t
from bot.replies import Button, Paragraph, Reply, Section, text_reply
from bot.tickets.model import Draft
from bot.tickets.service import TicketError

FORM_KIND = "disclosure"
CORRECTION_KIND = "dcorrect"
DRAFT_KINDS = frozenset({FORM_KIND, CORRECTION_KIND})
STEPS = ("applicant", "name", "id_number", "contact", "description", "purpose", "form", "way")
TEXT_STEPS = frozenset({"name", "id_number", "contact", "description", "purpose"})
MIN_DESCRIPTION = 4

#: A message asking for a document or for information held by the government.
_WANTS = re.compile(
    r"(申请.{0,12}公开|信息公开申请|依申请公开|要求公开|公开.{0,8}(名单|预算|决算|文件|信息)"
    r"|\b(request|obtain|disclose|disclosure of|freedom of information)\b.{0,40}"
    r"\b(information|document|documents|budget|list|records?|file|files)\b)",
    re.IGNORECASE,
)
#: Art. 39: a 信访, complaint or 举报 in the form of a request is not one.
_COMPLAINT = re.compile(
    r"(投诉|举报|信访|上访|告状|反映.{0,6}问题|不作为|乱收费|要求.{0,6}(处理|查处|赔偿)"
    r"|\b(complain|complaint|report (him|her|them|an? )|petition)\b)",
    re.IGNORECASE,
)


def wants_disclosure(text: str) -> bool:
    """Whether a message asks for government information (offer the request form)."""
    return bool(_WANTS.search(text))


def is_complaint(text: str) -> bool:
    """Whether a request's description is really a complaint, report or 信访 (Art. 39)."""
    return bool(_COMPLAINT.search(text))


def offer(lang: str) -> Reply:
    """The offer of the request form."""
    button = Button(t("disclosure_button_start", lang), "dq:start")
    return Reply((Paragraph(t("disclosure_offer", lang)),), ((button,),))


class DisclosureIntake:
    """Runs the request form and the correction step for one desk."""

    def __init__(self, desk: DisclosureDesk):
        self.desk = desk
        self.tickets = desk.desk.tickets

    async def start(self, user: str, lang: str) -> list[Reply]:
        """Open the form at the applicant type."""
        draft = Draft(user, FORM_KIND, "applicant", {"id": uuid.uuid4().hex[:12], "lang": lang})
        await self.tickets.save_draft(draft)
        return [self.prompt(draft)]

    async def on_text(self, draft: Draft, text: str) -> list[Reply]:
        """A typed answer to the open step (or the correction's text)."""
        lang = str(draft.data.get("lang", "zh"))
        text = text.strip()
        if draft.kind == CORRECTION_KIND:
            return await self._correction(draft, text, lang)
        if draft.step not in TEXT_STEPS:
            return [text_reply(t("form_choose_button", lang)), self.prompt(draft)]
        if not text or (draft.step == "description" and len(text) < MIN_DESCRIPTION):
            return [text_reply(t("disclosure_too_short", lang)), self.prompt(draft)]
        if draft.step == "description" and is_complaint(text) and not wants_disclosure(text):
            await self.tickets.delete_draft(draft.user)
            button = Button(t("button_complain", lang), "m:complain")
            return [Reply((Paragraph(t("disclosure_petition", lang)),), ((button,),))]
        return await self._advance(draft, text)

    async def on_action(self, user: str, choice: str, lang: str) -> list[Reply]:
        """A form button (`dq:…`)."""
        kind, _, arg = choice.partition(":")
        if kind == "start":
            return await self.start(user, lang)
        draft = await self.tickets.get_draft(user)
        if draft is None or draft.kind != FORM_KIND:
            return [text_reply(t("expired", lang))]
        lang = str(draft.data.get("lang", lang))
        if kind == "cancel":
            await self.tickets.delete_draft(user)
            return [text_reply(t("form_cancelled", lang))]
        if kind == "app" and draft.step == "applicant" and arg in set(Applicant):
            return await self._advance(draft, arg)
        if kind == "form" and draft.step == "form" and arg in DELIVERY_FORMS:
            return await self._advance(draft, arg)
        if kind == "way" and draft.step == "way" and arg in DELIVERY_WAYS:
            return await self._advance(draft, arg)
        if kind == "skip" and draft.step == "purpose":
            return await self._advance(draft, None)
        if kind == "confirm" and draft.step == "confirm" and arg == draft.data.get("id"):
            return await self._file(draft, lang)
        return [text_reply(t("expired", lang))]

    async def start_correction(self, user: str, ticket_id: int, lang: str) -> list[Reply]:
        """The applicant pressed 提交补正: their next message is the correction."""
        ticket = await self.tickets.get(ticket_id)
        if ticket is None or ticket.citizen != user:
            return [text_reply(t("expired", lang))]
        data: dict[str, object] = {"ticket": ticket.number, "lang": ticket.lang}
        await self.tickets.save_draft(Draft(user, CORRECTION_KIND, "text", data))
        return [text_reply(t("disclosure_ask_correction", ticket.lang, number=ticket.number))]

    async def _correction(self, draft: Draft, text: str, lang: str) -> list[Reply]:
        number = str(draft.data["ticket"])
        if not text:
            return [text_reply(t("disclosure_ask_correction", lang, number=number))]
        await self.tickets.delete_draft(draft.user)
        try:
            await self.desk.record_correction(draft.user, number, text)
        except TicketError as exc:
            return [text_reply(t(exc.key, lang, **exc.values))]
        return []  # the acknowledgement comes from the desk's notification

    async def _advance(self, draft: Draft, value: Any) -> list[Reply]:
        data = {**draft.data, draft.step: value}
        index = STEPS.index(draft.step)
        following = STEPS[index + 1] if index + 1 < len(STEPS) else "confirm"
        draft = Draft(draft.user, draft.kind, following, data)
        await self.tickets.save_draft(draft)
        return [self.prompt(draft)]

    async def _file(self, draft: Draft, lang: str) -> list[Reply]:
        data = draft.data
        form = DisclosureForm(
            applicant=Applicant(str(data["applicant"])),
            name=str(data["name"]),
            id_number=str(data["id_number"]),
            contact=str(data["contact"]),
            description=str(data["description"]),
            delivery_form=str(data["form"]),
            delivery_way=str(data["way"]),
            purpose=str(data["purpose"]) if data.get("purpose") else None,
        )
        await self.desk.file(draft.user, form, lang, source_key=f"dq:{data['id']}")
        await self.tickets.delete_draft(draft.user)
        return []  # the receipt with the number and dates comes from the desk

    def prompt(self, draft: Draft) -> Reply:
        """The question of the draft's step."""
        lang = str(draft.data.get("lang", "zh"))
        cancel = (Button(t("button_cancel", lang), "dq:cancel"),)
        step = draft.step
        if step == "applicant":
            rows = tuple(
                (Button(applicant_label(a, lang), f"dq:app:{a.value}"),) for a in Applicant
            )
            return Reply((Paragraph(t("disclosure_intro", lang)),), (*rows, cancel))
        if step == "form":
            row = tuple(
                Button(t(f"disclosure_form_form_{f}", lang), f"dq:form:{f}") for f in DELIVERY_FORMS
            )
            return Reply((Paragraph(t("disclosure_ask_delivery_form", lang)),), (row, cancel))
        if step == "way":
            rows = tuple(
                (Button(t(f"disclosure_way_{w}", lang), f"dq:way:{w}"),) for w in DELIVERY_WAYS
            )
            return Reply((Paragraph(t("disclosure_ask_delivery_way", lang)),), (*rows, cancel))
        if step == "purpose":
            skip = (Button(t("button_skip", lang), "dq:skip"),)
            return Reply((Paragraph(t("disclosure_ask_purpose", lang)),), (skip, cancel))
        if step in TEXT_STEPS:
            key = {"id_number": "id", "description": "description"}.get(step, step)
            return Reply((Paragraph(t(f"disclosure_ask_{key}", lang)),), (cancel,))
        return self.summary(draft)

    def summary(self, draft: Draft) -> Reply:
        """The filled form (ID number masked) with 确认 / 取消."""
        lang = str(draft.data.get("lang", "zh"))
        data = draft.data
        none = t("none_given", lang)
        applicant = applicant_label(Applicant(str(data["applicant"])), lang)
        delivery = (
            f"{t('disclosure_form_form_' + str(data['form']), lang)} · "
            f"{t('disclosure_way_' + str(data['way']), lang)}"
        )
        sections = (
            Section(t("disclosure_label_applicant", lang), (applicant,), False),
            Section(t("disclosure_label_name", lang), (str(data["name"]),), False),
            Section(t("disclosure_label_id", lang), (mask(str(data["id_number"])),), False),
            Section(t("label_contact", lang), (str(data["contact"]),), False),
            Section(t("disclosure_label_description", lang), (str(data["description"]),), False),
            Section(
                t("disclosure_label_purpose", lang), (str(data.get("purpose") or none),), False
            ),
            Section(t("disclosure_label_delivery", lang), (delivery,), False),
        )
        buttons = (
            (
                Button(t("button_confirm", lang), f"dq:confirm:{data['id']}"),
                Button(t("button_cancel", lang), "dq:cancel"),
            ),
        )
        return Reply((Paragraph(t("disclosure_summary", lang)), *sections), buttons)
