"""The complaint form, the inquiry question and the rating comment, saved at every step."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from bot.knowledge.model import ComplaintCategory, KnowledgeBase
from bot.messages import LANGUAGES, t
from bot.replies import Button, Paragraph, Reply, Section, text_reply
from bot.store import TicketStore
from bot.tickets.model import Attachment, Draft
from bot.tickets.service import TicketDesk, TicketError

MIN_DESCRIPTION = 10
MAX_ATTACHMENTS = 5
#: Telegram's limit (what a bot may download); a channel may take less (the web chat).
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MEGABYTE = 1024 * 1024
#: A mainland mobile number in ASCII digits (full-width ones are normalised first).
PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")
#: The form's steps in order; a category's `fields` decide which optional ones it asks.
STEPS = ("category", "description", "location", "time", "attachments", "phone", "anonymous")
OPTIONAL = {"location": "location", "time": "time", "attachments": "attachments", "phone": "phone"}


def _typed_labels(key: str) -> frozenset[str]:
    """A button's label in every language, as a person might type it instead of pressing."""
    return frozenset(t(key, lang).strip().lower() for lang in LANGUAGES)


class Intake:
    """Runs the forms; every step is written to the `drafts` table before replying."""

    def __init__(self, desk: TicketDesk, max_attachment_bytes: int = MAX_ATTACHMENT_BYTES):
        self.desk = desk
        self.tickets: TicketStore = desk.tickets
        #: The channel's largest file, refused above and said in the prompt.
        self.max_attachment_bytes = max_attachment_bytes

    @property
    def attachment_mb(self) -> int:
        """The channel's file limit in whole megabytes, as the texts say it."""
        return self.max_attachment_bytes // MEGABYTE

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base in use (complaint categories)."""
        return self.desk.kb

    # -- starting -------------------------------------------------------------------------

    async def start_complaint(self, user: str, lang: str) -> list[Reply]:
        """Begin a complaint (the dialogue triages every message first: docs/triage.md)."""
        draft = Draft(user, "complaint", "category", {"id": uuid.uuid4().hex[:12], "lang": lang})
        await self.tickets.save_draft(draft)
        return [self.prompt(draft)]

    async def start_inquiry(self, user: str, lang: str) -> list[Reply]:
        """Ask for the question a person wants a staff member to answer."""
        draft = Draft(user, "inquiry", "question", {"id": uuid.uuid4().hex[:12], "lang": lang})
        await self.tickets.save_draft(draft)
        days = self.desk.category("inquiry").deadline_days
        return [text_reply(t("inquiry_ask", lang, days=days))]

    async def start_comment(self, user: str, ticket_id: int, lang: str) -> None:
        """After a rating, the next message may be a comment."""
        await self.tickets.save_draft(
            Draft(user, "comment", "text", {"ticket": ticket_id, "lang": lang})
        )

    async def cancel(self, user: str, lang: str) -> list[Reply]:
        """Drop the form in progress."""
        await self.tickets.delete_draft(user)
        return [text_reply(t("form_cancelled", lang))]

    # -- the steps ------------------------------------------------------------------------

    async def on_text(
        self,
        draft: Draft,
        text: str,
        attachments: tuple[Attachment, ...] = (),
        location: str | None = None,
    ) -> list[Reply]:
        """Handle a message while a form is open."""
        lang = str(draft.data.get("lang", "zh"))
        if draft.kind == "inquiry":
            return await self._inquiry(draft, text, lang)
        if draft.kind == "comment":
            ticket_id = int(str(draft.data["ticket"]))
            await self.tickets.delete_draft(draft.user)
            if text.strip():
                await self.desk.comment(draft.user, ticket_id, text.strip())
                return [text_reply(t("ticket_comment_thanks", lang))]
            return []
        step = draft.step
        typed = text.strip().lower()
        if typed in _typed_labels("button_skip") and step in OPTIONAL:
            return await self._advance(draft, step, None)  # the button's label, typed
        if typed in _typed_labels("button_done") and step == "attachments":
            return await self._advance(draft, step, draft.data.get("attachments", []))
        if step == "description":
            return await self._description(draft, text, lang)
        if step in ("location", "time") and (text.strip() or location):
            value = location if step == "location" and location else text.strip()
            return await self._advance(draft, step, value)
        if step == "attachments" and attachments:
            return await self._attachments(draft, attachments, lang)
        if step == "phone" and text.strip():
            digits = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", text))
            if not PHONE_RE.match(digits):
                return [self._with_skip(t("form_phone_bad", lang), draft)]
            return await self._advance(draft, "phone", digits)
        return [text_reply(t("form_choose_button", lang)), self.prompt(draft)]

    async def on_action(self, user: str, choice: str, lang: str) -> list[Reply]:
        """Handle a form button (`fm:…`)."""
        kind, _, arg = choice.partition(":")
        if kind == "confirm":
            return await self._confirm(user, arg, lang)
        draft = await self.tickets.get_draft(user)
        if draft is None or draft.kind != "complaint":
            return [text_reply(t("expired", lang))]
        lang = str(draft.data.get("lang", lang))
        if kind == "cat" and draft.step == "category":
            category = self.kb.complaint_category(arg)
            if category is None or not category.intake:
                return [text_reply(t("expired", lang))]
            data = {**draft.data, "category": category.id}
            return await self._advance(
                Draft(user, draft.kind, draft.step, data), "category", category.id
            )
        if kind == "skip" and draft.step in OPTIONAL:
            return await self._advance(draft, draft.step, None)
        if kind == "skip":  # /skip at a step that cannot be skipped: say so, ask again
            return [text_reply(t("form_cannot_skip", lang)), self.prompt(draft)]
        if kind == "done" and draft.step == "attachments":
            return await self._advance(draft, "attachments", draft.data.get("attachments", []))
        if kind == "anon" and draft.step == "anonymous":
            return await self._advance(draft, "anonymous", arg == "y")
        if kind == "edit" and draft.step == "confirm":
            return [self._edit_menu(draft, lang)]
        if kind == "field" and draft.step == "confirm" and arg in STEPS:
            edited = Draft(user, draft.kind, arg, {**draft.data, "editing": True})
            await self.tickets.save_draft(edited)
            return [self.prompt(edited)]
        if kind == "cancel":
            return await self.cancel(user, lang)
        return [text_reply(t("expired", lang))]

    async def _description(self, draft: Draft, text: str, lang: str) -> list[Reply]:
        text = text.strip()
        if len(text) < MIN_DESCRIPTION:
            return [text_reply(t("form_description_short", lang))]
        return await self._advance(draft, "description", text)

    async def _attachments(
        self, draft: Draft, attachments: tuple[Attachment, ...], lang: str
    ) -> list[Reply]:
        stored = list(draft.data.get("attachments", []))  # type: ignore[call-overload]
        replies: list[Reply] = []
        for attachment in attachments:
            if attachment.size > self.max_attachment_bytes:
                replies.append(
                    text_reply(t("form_attachment_too_big", lang, mb=self.attachment_mb))
                )
                continue
            if len(stored) >= MAX_ATTACHMENTS:
                replies.append(text_reply(t("form_attachment_limit", lang)))
                break
            stored.append(attachment.__dict__)
        draft = Draft(draft.user, draft.kind, draft.step, {**draft.data, "attachments": stored})
        await self.tickets.save_draft(draft)
        buttons = ((Button(t("button_done", lang), "fm:done"),),)
        replies.append(text_reply(t("form_attachment_added", lang, count=len(stored)), buttons))
        return replies

    async def _advance(self, draft: Draft, step: str, value: Any) -> list[Reply]:
        data = {**draft.data, step: value}
        following = "confirm" if data.get("editing") else self._next_step(step, data)
        draft = Draft(draft.user, draft.kind, following, data)
        await self.tickets.save_draft(draft)
        return [self.prompt(draft)]

    def _next_step(self, step: str, data: dict[str, Any]) -> str:
        steps = steps_of(self._category(data))
        following = [s for s in steps if STEPS.index(s) > STEPS.index(step)]
        return following[0] if following else "confirm"

    def _category(self, data: dict[str, Any]) -> ComplaintCategory | None:
        return self.kb.complaint_category(str(data.get("category", "")))

    async def _confirm(self, user: str, draft_id: str, lang: str) -> list[Reply]:
        existing = await self.tickets.by_source(draft_id) if draft_id else None
        if existing is not None:  # a double tap or a redelivered press
            return []
        draft = await self.tickets.get_draft(user)
        if draft is None or draft.kind != "complaint" or draft.data.get("id") != draft_id:
            return [text_reply(t("expired", lang))]
        if draft.step != "confirm":
            return [self.prompt(draft)]
        data = draft.data
        attachments = tuple(Attachment(**a) for a in data.get("attachments") or [])  # type: ignore[attr-defined]
        await self.desk.file(
            user,
            str(data["category"]),
            str(data["description"]),
            lang=str(data.get("lang", lang)),
            location=_opt(data.get("location")),
            occurred=_opt(data.get("time")),
            phone=_opt(data.get("phone")),
            attachments=attachments,
            anonymous=bool(data.get("anonymous", False)),
            source_key=draft_id,
        )
        await self.tickets.delete_draft(user)
        return []  # the confirmation with the number comes from the desk's notification

    async def _inquiry(self, draft: Draft, text: str, lang: str) -> list[Reply]:
        text = text.strip()
        if len(text) < 2:
            return [
                text_reply(t("inquiry_ask", lang, days=self.desk.category("inquiry").deadline_days))
            ]
        try:
            await self.desk.file(
                draft.user, "inquiry", text, lang=lang, source_key=str(draft.data["id"])
            )
        except TicketError as exc:
            return [text_reply(t(exc.key, lang, **exc.values))]
        await self.tickets.delete_draft(draft.user)
        return []

    # -- prompts --------------------------------------------------------------------------

    def prompt(self, draft: Draft) -> Reply:
        """The question for the draft's current step."""
        lang = str(draft.data.get("lang", "zh"))
        step = draft.step
        if step == "category":
            rows = tuple(
                (Button(c.name.get(lang), f"fm:cat:{c.id}"),)
                for c in self.kb.complaint_categories
                if c.intake
            )
            return Reply(
                (Paragraph(t("form_category", lang)),),
                (*rows, (Button(t("button_cancel", lang), "fm:cancel"),)),
            )
        if step == "description":
            return text_reply(t("form_description", lang))
        if step in ("location", "time", "phone"):
            return self._with_skip(t(f"form_{step}", lang), draft)
        if step == "attachments":
            return Reply(
                (Paragraph(t("form_attachments", lang, mb=self.attachment_mb)),),
                (
                    (
                        Button(t("button_done", lang), "fm:done"),
                        Button(t("button_skip", lang), "fm:skip"),
                    ),
                ),
            )
        if step == "anonymous":
            return Reply(
                (Paragraph(t("form_anonymous", lang)),),
                (
                    (
                        Button(t("button_yes_anonymous", lang), "fm:anon:y"),
                        Button(t("button_no_anonymous", lang), "fm:anon:n"),
                    ),
                ),
            )
        return self.summary(draft)

    def _with_skip(self, text: str, draft: Draft) -> Reply:
        lang = str(draft.data.get("lang", "zh"))
        return text_reply(text, ((Button(t("button_skip", lang), "fm:skip"),),))

    def summary(self, draft: Draft) -> Reply:
        """The filled form with 确认 / 修改 / 取消."""
        lang = str(draft.data.get("lang", "zh"))
        data = draft.data
        category = self._category(data)
        none = t("none_given", lang)
        sections = [
            Section(
                t("label_category", lang), (category.name.get(lang) if category else none,), False
            ),
            Section(t("label_description", lang), (str(data.get("description") or none),), False),
        ]
        for step, label in (
            ("location", "label_location"),
            ("time", "label_time"),
            ("phone", "label_phone"),
        ):
            if category is not None and step in category.fields:
                sections.append(Section(t(label, lang), (str(data.get(step) or none),), False))
        if category is not None and "attachments" in category.fields:
            count = len(data.get("attachments") or [])  # type: ignore[arg-type]
            sections.append(Section(t("label_attachments", lang), (str(count),), False))
        if category is not None and category.report:
            anonymous = t("yes", lang) if data.get("anonymous") else t("no", lang)
            sections.append(Section(t("label_anonymous", lang), (anonymous,), False))
        buttons = (
            (
                Button(t("button_confirm", lang), f"fm:confirm:{data['id']}"),
                Button(t("button_edit", lang), "fm:edit"),
                Button(t("button_cancel", lang), "fm:cancel"),
            ),
        )
        return Reply((Paragraph(t("form_summary", lang)), *sections), buttons)

    def _edit_menu(self, draft: Draft, lang: str) -> Reply:
        category = self._category(draft.data)
        labels = {
            "category": "label_category",
            "description": "label_description",
            "location": "label_location",
            "time": "label_time",
            "attachments": "label_attachments",
            "phone": "label_phone",
            "anonymous": "label_anonymous",
        }
        rows = tuple(
            (Button(t(labels[step], lang), f"fm:field:{step}"),) for step in steps_of(category)
        )
        return Reply((Paragraph(t("form_edit_which", lang)),), rows)


def steps_of(category: ComplaintCategory | None) -> list[str]:
    """The form's steps for a category: its optional fields, anonymity for a 举报."""
    steps = []
    for step in STEPS:
        if step in OPTIONAL and (category is None or step not in category.fields):
            continue
        if step == "anonymous" and not (category and category.report):
            continue
        steps.append(step)
    return steps


def _opt(value: object) -> str | None:
    return str(value) if value not in (None, "", []) else None
