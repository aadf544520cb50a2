"""The dialogue core: one incoming message in, the replies to send out. No channel code."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from bot import privacy
from bot.actions import identifier, number
from bot.commands import available, help_text
from bot.disclosure.desk import DisclosureDesk
from bot.disclosure.intake import DRAFT_KINDS, DisclosureIntake, offer, wants_disclosure
from bot.disclosure.staff import STAFF_KIND, DisclosureStaff
from bot.knowledge.model import Entry, KnowledgeBase
from bot.matching.matcher import Match, Matcher
from bot.matching.routes import Route, find_ticket_number
from bot.messages import LANGUAGES, supported, t
from bot.render import entry_blocks
from bot.replies import Button, Heading, Paragraph, Reply, text_reply
from bot.text import MAX_MATCH_CHARS, detect_language, has_content, normalize, strip_controls
from bot.tickets.intake import MAX_ATTACHMENT_BYTES, Intake
from bot.tickets.model import Attachment, Draft, Status
from bot.tickets.render import citizen_detail, citizen_list
from bot.tickets.service import RATINGS, TicketDesk, TicketError
from bot.tickets.staff import StaffDesk
from bot.triage import (
    EMERGENCY_RULE,
    Outcome,
    Triage,
    Triager,
    channel_reply,
    doubt_reply,
    emergency_reply,
)

#: Longest message accepted as is (Telegram's own limit); longer ones are cut.
MAX_MESSAGE_CHARS = 4096
PAGE_SIZE = 8
#: Highest page number a browse button may carry (a later page shows the last one).
MAX_PAGE = 9999
COMPLAINT_HOWTO_ID = "complaint-howto"
CENTRE_HOURS_ID = "centre-hours"
_THANKS = ("谢", "thank", "thx")
#: Commands that show personal data or ticket details: private chats only.
PRIVATE_COMMANDS = frozenset(
    {
        "mydata",
        "forget",
        "status",
        "ticket",
        "reveal",
        "queue",
        "complain",
        "complaint",
        "human",
        "disclose",
    }
)
#: The sample KB's entry on information-disclosure requests: it offers the request form.
DISCLOSURE_ENTRY_ID = "info-disclosure-request"
#: Entry ids up to this length go into button data as they are; longer ones are hashed.
MAX_REF_CHARS = 40
#: The route logged for a message stopped by triage (an emergency, another channel).
TRIAGE_ROUTE = "triage"


def _takes_content(draft: Draft) -> bool:
    """Whether a form step takes the person's own account (description, question, comment)."""
    return draft.kind in ("inquiry", "comment") or draft.step == "description"


def _is_none_of_these(text: str) -> bool:
    """The "none of these" choice, typed in any language."""
    typed = normalize(text).strip(" .。!！")
    return typed in {normalize(t("clarify_none_of_these", lang)) for lang in LANGUAGES}


def _is_bare_number(text: str) -> bool:
    """One to three digits alone: a menu choice, never a question for the KB."""
    return number(normalize(text).strip(), 999) is not None


@dataclass(frozen=True)
class Incoming:
    """A message from a person, as any channel sees it."""

    user: str
    text: str | None = None
    #: The action of a pressed button, instead of text.
    action: str | None = None
    #: The channel's idea of the person's language (e.g. Telegram's language_code).
    lang_hint: str | None = None
    #: False for stickers, photos without caption, voice…
    is_text: bool = True
    #: Photos or documents sent with the message (complaint evidence).
    attachments: tuple[Attachment, ...] = ()
    #: A shared location, as text ("lat,lon").
    location: str | None = None
    #: The ticket a staff member's reply refers to (a reply to the bot's ticket message).
    reply_to_ticket: int | None = None
    #: False in a group chat, where personal data and staff details must not be shown.
    private: bool = True


class Preferences(Protocol):
    """What the core keeps about people and questions (the SQLite `Store` in production)."""

    async def get_language(self, user: str) -> str | None:
        """Return the language the person chose, if any."""

    async def set_language(self, user: str, lang: str) -> None:
        """Remember the person's language."""

    async def log_question(
        self,
        user: str | None,
        text: str,
        lang: str,
        route: str,
        entry_id: str | None,
        score: float,
        candidates: list[tuple[str, float]],
        triage: str | None = None,
    ) -> int:
        """Record a question and its route (and its triage label); return its id."""

    async def record_feedback(
        self, user: str, entry_id: str, helpful: bool, question_id: int | None = None
    ) -> None:
        """Store whether an answer helped."""

    async def mark_clarify_picked(self, user: str, entry_id: str) -> None:
        """The person picked an entry from their latest clarify choices."""


class AdminHook(Protocol):
    """Admin commands a channel may plug in."""

    async def command(self, user: str, command: str, arg: str) -> list[Reply] | None:
        """Run an admin command; None when it is not one or not allowed."""


class MemoryPreferences:
    """Preferences kept in memory (tests, one-off runs)."""

    def __init__(self) -> None:
        self.languages: dict[str, str] = {}
        self.questions: list[tuple[str | None, str, str, str | None]] = []
        self.feedback: list[tuple[str, str, bool]] = []
        #: The triage label of each question (None when it was not triaged).
        self.triage: list[str | None] = []

    async def get_language(self, user: str) -> str | None:
        """Return the language the person chose, if any."""
        return self.languages.get(user)

    async def set_language(self, user: str, lang: str) -> None:
        """Remember the person's language."""
        self.languages[user] = lang

    async def log_question(
        self,
        user: str | None,
        text: str,
        lang: str,
        route: str,
        entry_id: str | None,
        score: float,
        candidates: list[tuple[str, float]],
        triage: str | None = None,
    ) -> int:
        """Record a question and its route (and its triage label); return its id."""
        self.questions.append((user, text, route, entry_id))
        self.triage.append(triage)
        return len(self.questions)

    async def record_feedback(
        self, user: str, entry_id: str, helpful: bool, question_id: int | None = None
    ) -> None:
        """Store whether an answer helped."""
        self.feedback.append((user, entry_id, helpful))

    async def mark_clarify_picked(self, user: str, entry_id: str) -> None:
        """The person picked an entry from their latest clarify choices."""


class Dialogue:
    """Turns incoming messages into replies, using the knowledge base and the matcher."""

    def __init__(
        self,
        matcher: Matcher,
        preferences: Preferences | None = None,
        desk: TicketDesk | None = None,
    ):
        self.matcher = matcher
        self.preferences: Preferences = preferences or MemoryPreferences()
        self._refs: dict[str, dict[str, str]] = {}
        self.desk = desk
        self.intake = Intake(desk) if desk is not None else None
        self.staff = StaffDesk(desk) if desk is not None else None
        self.disclosure_staff = DisclosureStaff(desk) if desk is not None else None
        self.disclosure = DisclosureIntake(DisclosureDesk(desk)) if desk is not None else None
        #: Admin commands (/reload, /gaps, /stats), set by a channel that has admins.
        self.admin: AdminHook | None = None
        #: Commands the channel handles itself, listed in /help (the terminal's /quit).
        self.channel_commands: tuple[str, ...] = ()
        self._triager: Triager | None = None

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base in use."""
        return self.matcher.kb

    def warm(self) -> None:
        """Build the matcher's and triage's per-KB tables now (a server's start), so that
        the first visitors do not wait for them (about 0.5 s for the sample KB)."""
        self.matcher.warm()
        _ = self.triager

    def use(self, matcher: Matcher) -> None:
        """Switch to another knowledge base's matcher (a reload); in-flight calls finish."""
        self.matcher = matcher
        if self.desk is not None:
            self.desk.kb = matcher.kb

    def attach_desk(self, desk: TicketDesk, max_attachment_bytes: int | None = None) -> None:
        """Turn on complaints, status and hand-over to staff with this ticket desk; a
        channel that takes smaller files than Telegram gives its limit."""
        self.desk = desk
        self.intake = Intake(desk, max_attachment_bytes or MAX_ATTACHMENT_BYTES)
        self.staff = StaffDesk(desk)
        self.disclosure_staff = DisclosureStaff(desk)
        self.disclosure = DisclosureIntake(DisclosureDesk(desk))

    async def language(self, incoming: Incoming) -> str:
        """The person's language: their choice, else the channel hint, else the text's."""
        return (await self._language(incoming))[0]

    async def _language(self, incoming: Incoming) -> tuple[str, bool]:
        """The language, and whether the person chose it."""
        chosen = await self.preferences.get_language(incoming.user)
        if chosen:
            return chosen, True
        return self._guess_language(incoming), False

    def _guess_language(self, incoming: Incoming) -> str:
        if incoming.lang_hint:
            return supported(incoming.lang_hint)
        if incoming.text and not incoming.text.lstrip().startswith("/"):
            return detect_language(strip_controls(incoming.text))
        return "zh"

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Return the replies to `incoming`."""
        lang, chosen = await self._language(incoming)
        if incoming.action is not None:
            return await self.on_action(incoming, incoming.action, lang)
        text = strip_controls(incoming.text or "").strip()
        if text.startswith("/"):
            return await self.on_command(incoming, text, lang)
        draft: Draft | None = None
        if self.desk is not None:
            replied = await self._staff_reply(incoming, text)
            if replied is not None:
                return replied
            draft = await self.desk.tickets.get_draft(incoming.user)
            if draft is not None and draft.kind == STAFF_KIND and self.disclosure_staff:
                # The text a staff member was asked for after a button: theirs, not triaged.
                return await self.disclosure_staff.on_text(draft, text)
        if draft is not None:
            lang = str(draft.data.get("lang", lang))
        elif not chosen and not incoming.lang_hint and text:
            lang = detect_language(text, lang)
        # Triage comes before everything that reads the text (docs/triage.md).
        found = self._triage(text, draft) if incoming.is_text else None
        if found is not None and found.outcome is not Outcome.DOUBT and found.named:
            return await self._triaged(incoming.user, text, lang, found, draft)
        first = self._notes(found, lang)
        if draft is not None:
            handled = await self._form_step(incoming, text, draft)
            if handled is not None:
                return first + handled
        if not incoming.is_text:
            return [text_reply(t("no_text", lang))]
        if _is_none_of_these(text):  # "都不是" typed instead of pressed
            return [self.none(lang)]
        if _is_bare_number(text):  # a menu number typed where there is no numbered list
            return [text_reply(t("bare_number", lang), self.menu(lang))]
        if not text or not has_content(text):
            return [text_reply(t("empty_message", lang))]
        replies = await self.on_question(
            incoming.user, text[:MAX_MESSAGE_CHARS], lang, found.label if found else None
        )
        if len(text) > MAX_MATCH_CHARS * 2:
            replies.insert(0, text_reply(t("too_long", lang, limit=MAX_MATCH_CHARS)))
        return first + replies

    async def _staff_reply(self, incoming: Incoming, text: str) -> list[Reply] | None:
        """A staff member's reply to a ticket message (never triaged: it is staff's)."""
        assert self.staff is not None
        if incoming.reply_to_ticket is not None and text:
            return await self.staff.reply_to(incoming.user, incoming.reply_to_ticket, text)
        return None

    async def _form_step(self, incoming: Incoming, text: str, draft: Draft) -> list[Reply] | None:
        """The next step of an open form (None: the message is a question after all)."""
        assert self.desk is not None and self.intake is not None
        if draft.kind in DRAFT_KINDS and self.disclosure is not None:
            return await self.disclosure.on_text(draft, text)
        if draft.kind == "comment" and self._reads_as_question(text):
            # A question (or a ticket number) is not a comment on the last rating: answer it.
            await self.desk.tickets.delete_draft(incoming.user)
            return None
        return await self.intake.on_text(draft, text, incoming.attachments, incoming.location)

    # -- triage ---------------------------------------------------------------------------

    @property
    def triager(self) -> Triager:
        """Triage for the knowledge base in use (rebuilt after a reload)."""
        if self._triager is None or self._triager.kb is not self.kb:
            self._triager = Triager(self.kb)
        return self._triager

    def is_emergency(self, text: str) -> bool:
        """Whether a message is a present emergency (a channel answers it before a flood)."""
        found = self.triager.triage(strip_controls(text), channels=False)
        return found is not None and found.outcome is Outcome.EMERGENCY

    def _notes(self, found: Triage | None, lang: str) -> list[Reply]:
        """What comes before the usual reply: the numbers in doubt, a channel described."""
        if found is None:
            return []
        notes = [doubt_reply(found, self.triager.rules, lang)] if found.services else []
        if found.outcome is Outcome.CHANNEL:
            channel = self.triager.channel(found.rule or "")
            assert channel is not None
            notes.append(text_reply(channel.message.get(lang)))
        return notes

    def _triage(self, text: str, draft: Draft | None) -> Triage | None:
        """Triage a message; at a form step that is not free text, emergencies only."""
        if not text or not has_content(text):
            return None
        return self.triager.triage(text, channels=draft is None or _takes_content(draft))

    async def _triaged(
        self, user: str, text: str, lang: str, found: Triage, draft: Draft | None
    ) -> list[Reply]:
        """An emergency or another channel's matter: that reply, and nothing is filed."""
        await self.preferences.log_question(
            user, text[:MAX_MATCH_CHARS], lang, TRIAGE_ROUTE, None, 0.0, [], triage=found.label
        )
        kept = draft is not None and not _takes_content(draft) and draft.step != "category"
        if draft is not None and not kept:
            assert self.desk is not None
            await self.desk.tickets.delete_draft(user)
        if found.outcome is Outcome.CHANNEL:
            channel = self.triager.channel(found.rule or "")
            assert channel is not None
            replies = [channel_reply(channel, lang, self.way_on(lang))]
            if found.services:  # emergency words in doubt as well: the numbers first
                replies.insert(0, doubt_reply(found, self.triager.rules, lang))
        else:
            extra = None
            if found.rule == EMERGENCY_RULE:
                rule = next((r for r in self.kb.triage if r.id == EMERGENCY_RULE), None)
                extra = rule.message.get(lang) if rule is not None else None
            replies = [emergency_reply(found, self.triager.rules, lang, self.way_on(lang), extra)]
        if kept:
            replies.append(text_reply(t("triage_form_kept", lang)))
        return replies

    def _reads_as_question(self, text: str) -> bool:
        """Whether a message the form would take as a comment is really a new question."""
        if find_ticket_number(text):
            return True
        return self.matcher.match(text).route in (Route.ANSWER, Route.CLARIFY, Route.STATUS)

    # -- questions ------------------------------------------------------------------------

    async def on_question(
        self, user: str, text: str, lang: str, triage: str | None = None
    ) -> list[Reply]:
        """Route a free-text question, and log it with its route (and triage, if any)."""
        match = self.matcher.match(text)
        asks_for_information = (
            self.disclosure is not None
            and wants_disclosure(text)
            and match.route not in (Route.STATUS, Route.COMPLAINT)
        )
        question_id = await self.preferences.log_question(
            user,
            text[:MAX_MATCH_CHARS],
            lang,
            match.route.value,
            match.entry_id,
            match.score,
            [(c.entry_id, c.score) for c in match.candidates],
            triage=triage,
        )
        if asks_for_information and not (
            match.route is Route.ANSWER and match.entry_id == DISCLOSURE_ENTRY_ID
        ):
            return [offer(lang)]  # a request for a document: the request form (issue 14)
        return await self.reply_for(match, text, lang, question_id, user)

    async def reply_for(
        self,
        match: Match,
        text: str,
        lang: str,
        question_id: int | None = None,
        user: str | None = None,
    ) -> list[Reply]:
        """The replies for a matcher decision."""
        if self.intake is not None and user is not None:
            if match.route is Route.COMPLAINT:
                return await self.intake.start_complaint(user, lang)
            if match.route is Route.STATUS:
                return await self.citizen_status(user, match.ticket, lang)
            if match.route is Route.HUMAN:
                return await self.intake.start_inquiry(user, lang)
        if match.route is Route.ANSWER and match.entry_id:
            entry = self.kb.get(match.entry_id)
            if entry is not None:
                return [self.answer(entry, lang, question_id)]
        if match.route is Route.CLARIFY:
            return [self.clarify(match, lang)]
        if match.route is Route.GREETING:
            return [self.greeting(text, lang)]
        if match.route is Route.COMPLAINT:
            return [self.complaint(lang)]
        if match.route is Route.STATUS:
            return [self.status(match.ticket, lang)]
        if match.route is Route.HUMAN:
            return [self.human(lang)]
        return [self.none(lang)]

    def answer(self, entry: Entry, lang: str, question_id: int | None = None) -> Reply:
        """An entry's answer, with related entries and feedback buttons."""
        rows: list[tuple[Button, ...]] = []
        related = [self.kb.get(r) for r in entry.related]
        for rel in [r for r in related if r is not None][:3]:
            rows.append((Button(rel.title.get(lang), self.entry_action(rel.id)),))
        ref = self.ref(entry.id)
        tail = f":{question_id}" if question_id is not None else ""
        rows.append((Button("👍", f"f:{ref}:y{tail}"), Button("👎", f"f:{ref}:n{tail}")))
        if entry.id == DISCLOSURE_ENTRY_ID and self.disclosure is not None:
            rows.insert(0, (Button(t("disclosure_button_start", lang), "dq:start"),))
        blocks = (*entry_blocks(entry, lang), Paragraph(t("feedback_question", lang)))
        return Reply(blocks, tuple(rows))

    def clarify(self, match: Match, lang: str) -> Reply:
        """Offer the closest entries as choices."""
        rows: list[tuple[Button, ...]] = []
        for candidate in self.matcher.clarify_choices(match):
            entry = self.kb.get(candidate.entry_id)
            if entry is not None:
                action = self.entry_action(entry.id) + ":c"  # picked from "did you mean"
                rows.append((Button(entry.title.get(lang), action),))
        rows.append((Button(t("clarify_none_of_these", lang), "n"),))
        return Reply((Paragraph(t("clarify", lang)),), tuple(rows))

    def none(self, lang: str) -> Reply:
        """Say plainly that nothing fits, and offer a person or a complaint."""
        blocks: list[Heading | Paragraph] = [Paragraph(t("none", lang))]
        phones = self.contact_phones(lang)
        if phones:
            blocks.append(Paragraph(t("none_contact", lang, phones=phones)))
        return Reply(tuple(blocks), self.way_on(lang))

    def way_on(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        """The way on from a dead end: a person, or the complaint form."""
        return (
            (Button(t("button_human", lang), "m:human"),),
            (Button(t("button_complain", lang), "m:complain"),),
        )

    def greeting(self, text: str, lang: str) -> Reply:
        """A greeting, thanks or a request for help."""
        if any(word in normalize(text) for word in _THANKS):
            return text_reply(t("thanks_reply", lang))
        return self.welcome(lang)

    def welcome(self, lang: str) -> Reply:
        """What the bot can do, with the main menu."""
        centre = self.kb.centre.name.get(lang) if self.kb.centre else ""
        blocks = (
            Paragraph(t("greeting", lang, centre=centre or "—")),
            Paragraph(t("capabilities", lang)),
        )
        return Reply(blocks, self.menu(lang))

    def menu(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        """The main menu buttons."""
        return (
            (
                Button(t("button_browse", lang), "b"),
                Button(t("button_complain", lang), "m:complain"),
            ),
            (
                Button(t("button_status", lang), "m:status"),
                Button(t("button_human", lang), "m:human"),
            ),
        )

    def complaint(self, lang: str) -> Reply:
        """Until complaints can be filed here: say so and show how to complain."""
        blocks: list[Heading | Paragraph] = [Paragraph(t("complaint_pending", lang))]
        howto = self.kb.get(COMPLAINT_HOWTO_ID)
        if howto is not None:
            return Reply((*blocks, *entry_blocks(howto, lang)))
        blocks.extend(Paragraph(line) for line in self.contact_lines(lang, supervision=True))
        return Reply(tuple(blocks))

    def status(self, ticket: str | None, lang: str) -> Reply:
        """Until tickets exist here: say so and give the phone."""
        blocks = [Paragraph(t("status_pending", lang, ticket=f" {ticket}" if ticket else ""))]
        blocks.extend(Paragraph(line) for line in self.contact_lines(lang))
        return Reply(tuple(blocks))

    def human(self, lang: str) -> Reply:
        """Until hand-over exists here: say so and give phone, hours and address."""
        blocks = [Paragraph(t("human_pending", lang))]
        blocks.extend(Paragraph(line) for line in self.contact_lines(lang))
        return Reply(tuple(blocks))

    def contact_phones(self, lang: str) -> str:
        """The centre's phones as one line."""
        centre = self.kb.centre
        if centre is None:
            return "12345"
        numbers = [f"{p.label.get(lang)} {p.number}".strip() for p in centre.phones[:2]]
        return "；".join(numbers) if lang == "zh" else "; ".join(numbers)

    def contact_lines(self, lang: str, supervision: bool = False) -> list[str]:
        """Phones, hours and address of the centre, plus the 12345 hotline."""
        lines = []
        centre = self.kb.centre
        if centre is not None:
            lines.append(t("none_contact", lang, phones=self.contact_phones(lang)))
            if supervision and centre.supervision_phone:
                lines.append(t("supervision", lang, phone=centre.supervision_phone))
            if centre.hours:
                lines.append(t("centre_hours", lang, hours=centre.hours.get(lang)))
            if centre.address:
                lines.append(t("centre_address", lang, address=centre.address.get(lang)))
        lines.append(t("hotline_12345", lang))
        return lines

    # -- commands and buttons -------------------------------------------------------------

    async def on_command(self, incoming: Incoming, text: str, lang: str) -> list[Reply]:
        """Handle /start, /help, /lang, /services, /complain, /status, /human."""
        command, _, arg = text[1:].partition(" ")
        command = command.split("@")[0].lower()
        arg = arg.strip()
        if not incoming.private and command in PRIVATE_COMMANDS:
            return [text_reply(t("private_only", lang))]
        if command == "start":
            return [self.welcome(lang)]
        if command == "help":
            commands = available(self.desk is not None, self.channel_commands)
            return [text_reply(help_text(commands, lang), self.menu(lang))]
        if command == "lang":
            new = arg.lower()
            if new not in LANGUAGES:
                return [text_reply(t("lang_unknown", lang))]
            await self.preferences.set_language(incoming.user, new)
            return [text_reply(t("lang_switched", new))]
        if command in ("services", "browse"):
            return [self.browse(lang)]
        if command in ("complain", "complaint", "status", "human"):
            return await self._menu_action(
                incoming.user, command.replace("complaint", "complain"), lang, arg
            )
        if command in ("disclose", "disclosure") and self.disclosure is not None:
            return await self.disclosure.start(incoming.user, lang)
        if command in ("cancel", "skip"):
            if self.intake is not None:
                draft = await self.intake.tickets.get_draft(incoming.user)
                if draft is not None:
                    if command == "skip" and draft.kind in DRAFT_KINDS and self.disclosure:
                        return await self.disclosure.on_action(incoming.user, "skip", lang)
                    if command == "skip" and draft.kind == STAFF_KIND and self.disclosure_staff:
                        found = await self.disclosure_staff.action(incoming.user, "skip", lang)
                        return found or [text_reply(t("expired", lang))]
                    if command == "skip" and draft.kind == "comment":
                        await self.intake.tickets.delete_draft(incoming.user)
                        return [text_reply(t("ticket_comment_skipped", lang))]
                    if command == "skip" and draft.kind == "complaint":
                        return await self.intake.on_action(incoming.user, "skip", lang)
                    return await self.intake.cancel(incoming.user, lang)
            return [text_reply(t("form_cancelled", lang))]
        if command in ("mydata", "forget") and self.desk is not None:
            return [self.privacy_prompt(command, lang)]
        if self.staff is not None:
            staff_replies = await self.staff.command(incoming.user, command, arg)
            if staff_replies is not None:
                return staff_replies
        if self.disclosure_staff is not None:
            found = await self.disclosure_staff.command(
                incoming.user, command, arg, incoming.private
            )
            if found is not None:
                return found
        if self.admin is not None:
            admin_replies = await self.admin.command(incoming.user, command, arg)
            if admin_replies is not None:
                return admin_replies
        return [text_reply(t("unknown_command", lang))]

    def privacy_prompt(self, command: str, lang: str) -> Reply:
        """Ask for confirmation before exporting or erasing a person's data."""
        buttons = (
            (
                Button(t(f"button_{command}", lang), f"pd:{command}"),
                Button(t("button_cancel", lang), "pd:cancel"),
            ),
        )
        return Reply((Paragraph(t(f"{command}_confirm", lang)),), buttons)

    async def _privacy(self, user: str, which: str, lang: str) -> list[Reply]:
        assert self.desk is not None
        if which == "mydata":
            data = await privacy.export(self.desk.store, user)
            reply = Reply(
                (Paragraph(t("mydata_ready", lang)),), document=("citizen-desk-mydata.json", data)
            )
            return [reply]
        if which == "forget":
            counts = await privacy.forget(self.desk.store, user)
            return [text_reply(t("forget_done", lang, tickets=counts["tickets"]))]
        return [text_reply(t("form_cancelled", lang))]

    async def on_action(self, incoming: Incoming, action: str, lang: str) -> list[Reply]:
        """Handle a pressed button; an unknown or stale one changes nothing."""
        kind, _, rest = action.partition(":")
        if kind == "e":
            ref, _, marker = rest.partition(":")
            entry = self.kb.get(self.resolve(ref))
            if entry is not None and marker in ("", "c"):
                if marker == "c":
                    await self.preferences.mark_clarify_picked(incoming.user, entry.id)
                return [self.answer(entry, lang)]
        elif kind == "n" and not rest:
            return [self.none(lang)]
        elif kind == "b":
            return self._browse_action(rest, lang)
        elif kind == "m" and rest in ("complain", "status", "human", "browse"):
            return await self._menu_action(incoming.user, rest, lang)
        elif kind == "f":
            return await self._feedback(incoming.user, rest, lang)
        elif kind == "pd" and not incoming.private:
            return [text_reply(t("private_only", lang))]
        elif kind == "pd" and self.desk is not None and rest in ("mydata", "forget", "cancel"):
            return await self._privacy(incoming.user, rest, lang)
        elif kind == "dq" and self.disclosure is not None:
            return await self.disclosure.on_action(incoming.user, rest, lang)
        elif kind == "dc" and self.disclosure is not None and (ticket := identifier(rest)):
            return await self.disclosure.start_correction(incoming.user, ticket, lang)
        elif kind == "fm" and self.intake is not None:
            return await self.intake.on_action(incoming.user, rest, lang)
        elif kind == "r" and self.desk is not None:
            return await self._rate(incoming.user, rest, lang)
        elif kind == "ds" and self.disclosure_staff is not None:
            found = await self.disclosure_staff.action(incoming.user, rest, lang)
            if found is not None:
                return found
        elif kind == "t" and self.staff is not None:
            replies = await self.staff.action(incoming.user, action)
            if replies is not None:
                return replies
        return [text_reply(t("expired", lang))]

    async def _feedback(self, user: str, rest: str, lang: str) -> list[Reply]:
        ref, _, tail = rest.partition(":")
        verdict, _, question = tail.partition(":")
        entry = self.kb.get(self.resolve(ref))
        question_id = identifier(question) if question else None
        if entry is None or verdict not in ("y", "n") or (question and question_id is None):
            return [text_reply(t("expired", lang))]
        await self.preferences.record_feedback(user, entry.id, verdict == "y", question_id)
        if verdict == "n":  # 👎: not a dead end — a person or the complaint form
            return [Reply((Paragraph(t("feedback_sorry", lang)),), self.way_on(lang))]
        return [text_reply(t("feedback_thanks", lang))]

    # -- short references for button data (Telegram allows 64 bytes) ----------------------

    def ref(self, entry_id: str) -> str:
        """A short, stable reference to an entry for button data."""
        if len(entry_id) <= MAX_REF_CHARS:
            return entry_id
        return "#" + hashlib.sha1(entry_id.encode()).hexdigest()[:12]

    def resolve(self, ref: str) -> str:
        """The entry id behind a reference (unknown references resolve to themselves)."""
        if not ref.startswith("#"):
            return ref
        table = self._refs.get(self.kb.fingerprint)
        if table is None:
            table = {self.ref(e.id): e.id for e in self.kb.entries}
            self._refs = {self.kb.fingerprint: table}
        return table.get(ref, ref)

    def entry_action(self, entry_id: str) -> str:
        """The button action that shows an entry."""
        return f"e:{self.ref(entry_id)}"

    async def _menu_action(self, user: str, which: str, lang: str, arg: str = "") -> list[Reply]:
        if self.intake is not None:
            if which == "complain":
                return await self.intake.start_complaint(user, lang)
            if which == "status":
                return await self.citizen_status(user, arg or None, lang)
            if which == "human":
                return await self.intake.start_inquiry(user, lang)
        if which == "complain":
            return [self.complaint(lang)]
        if which == "status":
            return [self.status(arg or None, lang)]
        if which == "human":
            return [self.human(lang)]
        return [self.browse(lang)]

    async def citizen_status(self, user: str, number: str | None, lang: str) -> list[Reply]:
        """The citizen's own tickets, or one of them with its public timeline."""
        assert self.desk is not None
        if number:
            ticket_number = find_ticket_number(number) or number
            try:
                ticket = await self.desk.citizen_ticket(user, ticket_number)
            except TicketError as exc:
                return [text_reply(t(exc.key, lang, **exc.values))]
            events = await self.desk.timeline(ticket, public_only=True)
            detail = text_reply(citizen_detail(self.kb, ticket, events, lang))
            if ticket.status is Status.ANSWERED:  # the rating buttons, again
                return [detail, self.desk.outcome_reply(ticket)]
            return [detail]
        tickets = await self.desk.tickets.of_citizen(user)
        return [text_reply(citizen_list(self.kb, tickets, lang))]

    async def _rate(self, user: str, rest: str, lang: str) -> list[Reply]:
        assert self.desk is not None and self.intake is not None
        ticket_text, _, rating_text = rest.partition(":")
        ticket_id, rating = identifier(ticket_text), number(rating_text, max(RATINGS), low=1)
        if ticket_id is None or rating is None:
            return [text_reply(t("expired", lang))]
        try:
            ticket = await self.desk.rate(user, ticket_id, rating)
        except TicketError as exc:
            return [text_reply(t(exc.key, lang, **exc.values))]
        if ticket.status.value == "closed":
            await self.intake.start_comment(user, ticket.id, ticket.lang)
        return []

    def _browse_action(self, rest: str, lang: str) -> list[Reply]:
        if not rest:
            return [self.browse(lang)]
        category, _, page_text = rest.rpartition(":")
        page = number(page_text, MAX_PAGE)
        if page is None or category not in self.category_ids():
            return [text_reply(t("expired", lang))]
        return [self.browse_category(category, page, lang)]

    def category_ids(self) -> tuple[str, ...]:
        """Browsing categories; entries without one fall under "other" (`-`)."""
        ids = self.kb.category_ids()
        if any(e.category is None for e in self.kb.entries):
            ids = (*ids, "-")
        return ids

    def category_title(self, category_id: str, lang: str) -> str:
        """A category's display name."""
        if category_id == "-":
            return t("category_other", lang)
        declared = self.kb.category(category_id)
        return declared.title.get(lang) if declared else category_id

    def browse(self, lang: str) -> Reply:
        """The list of categories."""
        ids = self.category_ids()
        if not ids:
            return text_reply(t("browse_empty", lang))
        rows = tuple((Button(self.category_title(c, lang), f"b:{c}:0"),) for c in ids)
        return Reply((Paragraph(t("browse_categories", lang)),), rows)

    def browse_category(self, category_id: str, page: int, lang: str) -> Reply:
        """One page of a category's entries, with paging buttons."""
        wanted = None if category_id == "-" else category_id
        entries = [e for e in self.kb.entries if e.category == wanted]
        pages = max(1, (len(entries) + PAGE_SIZE - 1) // PAGE_SIZE)
        page = min(page, pages - 1)
        chunk = entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        rows: list[tuple[Button, ...]] = [
            (Button(e.title.get(lang), self.entry_action(e.id)),) for e in chunk
        ]
        paging: list[Button] = []
        if page > 0:
            paging.append(Button(t("button_back", lang), f"b:{category_id}:{page - 1}"))
        if page + 1 < pages:
            paging.append(Button(t("button_more", lang), f"b:{category_id}:{page + 1}"))
        if paging:
            rows.append(tuple(paging))
        title = self.category_title(category_id, lang)
        text = t("browse_entries", lang, category=title)
        if pages > 1:
            text += f" ({page + 1}/{pages})"
        return Reply((Paragraph(text),), tuple(rows))
