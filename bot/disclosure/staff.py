"""Disclosure requests from the Telegram staff group, through the same desk as the CLI.

Staff type the commands, or press the buttons of the staff card (`ds:<action>:<ticket>`):
an answer type and a withheld reason are chosen by button, and the text an action needs
(what to correct, the reason, where it is public, the right office …) is asked for and
kept as the staff member's draft until they reply (docs/disclosure.md)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot import actions
from bot.disclosure.answers import RESULT_ROWS, WITHHELD_REASONS, Answer
from bot.disclosure.clock import MAX_EXTENSION_DAYS
from bot.disclosure.desk import DisclosureDesk
from bot.disclosure.render import action_rows, offered_actions
from bot.disclosure.views import detail, listing
from bot.messages import t
from bot.replies import Button, Reply, text_reply
from bot.tickets.model import Draft, StaffMember, Ticket
from bot.tickets.render import status_label
from bot.tickets.service import TicketDesk, TicketError
from bot.tickets.staff import NUMBER_RE, normalize_number

log = logging.getLogger(__name__)

#: command → usage; `citizen-desk disclosure` offers the same actions.
DISCLOSURE_COMMANDS: dict[str, str] = {
    "dlist": "/dlist",
    "dshow": "/dshow TS-2026-000001",
    "dcorrect": "/dcorrect TS-2026-000001 需要补正的内容",
    "dcorrected": "/dcorrected TS-2026-000001 收到的补正内容",
    "dextend": "/dextend TS-2026-000001 10 延期理由",
    "dconsult": "/dconsult TS-2026-000001 第三方名称",
    "dconsultend": "/dconsultend TS-2026-000001 [意见]",
    "danswer": "/danswer TS-2026-000001 TYPE [REASON] 说明  (TYPE: "
    + ", ".join(a.value for a in Answer)
    + "; withheld REASON: "
    + ", ".join(WITHHELD_REASONS)
    + ")",
}
#: The draft of a staff member who pressed an action and is asked for its text.
STAFF_KIND = "dstaff"
#: The actions whose text is asked for after the press (`d-answer` after its type).
ASKS_TEXT = frozenset({"d-correct", "d-corrected", "d-consult", "d-consult-end", "d-extend"})
#: Answers whose detail is required (the desk refuses them without it).
_DETAIL_KEYS = {
    Answer.ALREADY_PUBLIC: "disclosure_staff_ask_where",
    Answer.NOT_OURS: "disclosure_staff_ask_office",
}
_REASON_LABELS = {
    r.key.split(".", 1)[1]: (r.zh, r.en) for r in RESULT_ROWS if r.group == "withheld"
}
#: Commands whose number is followed by text that must not be empty.
_NEEDS_TEXT = frozenset({"dcorrect", "dcorrected", "dextend", "dconsult", "danswer"})


class DisclosureStaff:
    """Turns staff-group commands into `DisclosureDesk` operations; non-staff get nothing."""

    def __init__(self, desk: TicketDesk):
        self.disclosure = DisclosureDesk(desk)

    async def command(self, user: str, command: str, arg: str, private: bool) -> list[Reply] | None:
        """Run a disclosure command; None when it is not one or `user` is not staff.

        In a group the applicant's contact stays masked; in the bot's private chat
        `/dshow` gives it, as `citizen-desk disclosure show` does.
        """
        if command not in DISCLOSURE_COMMANDS:
            return None
        member = await self.disclosure.desk.tickets.staff_member(user)
        if member is None:
            log.warning("non-staff user %s tried /%s", user, command)
            return None
        try:
            return [text_reply(await self._run(member, command, arg.strip(), private))]
        except TicketError as exc:
            return [text_reply(t(exc.key, "zh", **exc.values))]

    async def _run(self, member: StaffMember, command: str, arg: str, private: bool) -> str:
        if command == "dlist":
            return await listing(self.disclosure, "zh")
        usage = t("staff_usage", "zh", usage=DISCLOSURE_COMMANDS[command])
        number_text, _, rest = arg.partition(" ")
        rest = rest.strip()
        if not NUMBER_RE.match(number_text) or (command in _NEEDS_TEXT and not rest):
            return usage
        number = normalize_number(number_text)
        desk = self.disclosure
        if command == "dshow":
            return await detail(desk, number, show_contact=private)
        if command == "dcorrect":
            return _done(await desk.request_correction(member, number, rest))
        if command == "dcorrected":
            return _done(await desk.record_correction(member.key, number, rest))
        if command == "dconsult":
            return _done(await desk.start_consultation(member, number, rest))
        if command == "dconsultend":
            return _done(await desk.end_consultation(member, number, rest))
        if command == "dextend":
            days_text, _, reason = rest.partition(" ")
            days = actions.number(days_text, actions.ID_MAX)
            if days is None or not reason.strip():
                return usage
            return _done(await desk.extend(member, number, days, reason.strip()))
        return await self._answer(member, number, rest, usage)

    async def _answer(self, member: StaffMember, number: str, rest: str, usage: str) -> str:
        kind, _, text = rest.partition(" ")
        if kind not in {a.value for a in Answer}:
            return usage
        answer, reason = Answer(kind), None
        if answer is Answer.WITHHELD:
            reason, _, text = text.strip().partition(" ")
        ticket = await self.disclosure.answer(member, number, answer, text.strip(), reason)
        return _done(ticket)

    # -- buttons --------------------------------------------------------------------------

    async def action(self, user: str, rest: str, lang: str) -> list[Reply] | None:
        """A press of `ds:<rest>`; None when it is stale or `user` is not staff."""
        member = await self.disclosure.desk.tickets.staff_member(user)
        if member is None:
            log.warning("non-staff user %s pressed ds:%s", user, rest)
            return None
        if rest in ("cancel", "skip"):
            return await self._pending(member, rest, lang)
        verb, _, tail = rest.partition(":")
        id_text, _, arg = tail.partition(":")
        ticket_id = actions.identifier(id_text)
        ticket = await self.disclosure.desk.tickets.get(ticket_id) if ticket_id else None
        if ticket is None:
            return None
        try:
            return await self._press(member, ticket, verb, arg, lang)
        except TicketError as exc:
            return [text_reply(t(exc.key, lang, **exc.values))]

    async def _press(
        self, member: StaffMember, ticket: Ticket, verb: str, arg: str, lang: str
    ) -> list[Reply] | None:
        ticket, request = await self.disclosure._request(ticket.number)
        if verb in ("ans", "why"):
            verb, choice = "d-answer", verb
        else:
            choice = ""
        offered = offered_actions(True, request.clock, member.is_supervisor)
        if verb == "d-extend" and not member.is_supervisor:
            raise TicketError("ticket_supervisor_only")
        if verb not in offered:
            if verb not in ASKS_TEXT | {"d-answer"}:
                return None
            text = t("disclosure_staff_not_now", lang, number=ticket.number)
            return [text_reply(text, action_rows(ticket.id, offered, lang))]
        if verb in ASKS_TEXT:
            return await self._ask(member, ticket, verb, {}, lang)
        if not choice:
            answers = [(a.value, _answer_label(a, lang)) for a in Answer]
            return [_choices(ticket, "ans", answers, "disclosure_staff_pick_answer", lang)]
        if choice == "ans" and arg == Answer.WITHHELD.value:
            reasons = [(r, _REASON_LABELS[r][0 if lang == "zh" else 1]) for r in WITHHELD_REASONS]
            return [_choices(ticket, "why", reasons, "disclosure_staff_pick_reason", lang)]
        if choice == "ans" and arg in {a.value for a in Answer}:
            return await self._ask(member, ticket, verb, {"answer": arg}, lang)
        if choice == "why" and arg in WITHHELD_REASONS:
            data = {"answer": Answer.WITHHELD.value, "reason": arg}
            return await self._ask(member, ticket, verb, data, lang)
        return None

    async def _ask(
        self, member: StaffMember, ticket: Ticket, verb: str, data: Mapping[str, object], lang: str
    ) -> list[Reply]:
        """Keep the action as the member's draft and ask for its text."""
        tickets = self.disclosure.desk.tickets
        replies = []
        earlier = await tickets.get_draft(member.key)
        if earlier is not None and earlier.kind == STAFF_KIND:
            pending = earlier.data.get("ticket")
            if (pending, earlier.step) != (ticket.number, verb):
                dropped = t("disclosure_staff_dropped", lang, number=pending)
                replies.append(text_reply(dropped))
        data = {**data, "ticket": ticket.number, "lang": lang}
        draft = Draft(member.key, STAFF_KIND, verb, data)
        await tickets.save_draft(draft)
        return [*replies, _prompt(draft)]

    async def _pending(self, member: StaffMember, which: str, lang: str) -> list[Reply] | None:
        """Cancel the pending action, or skip its optional text."""
        tickets = self.disclosure.desk.tickets
        draft = await tickets.get_draft(member.key)
        if draft is None or draft.kind != STAFF_KIND:
            return None
        if which == "cancel":
            await tickets.delete_draft(member.key)
            return [text_reply(t("form_cancelled", lang))]
        if not _optional(draft):
            return [_prompt(draft)]
        return await self.on_text(draft, "")

    async def on_text(self, draft: Draft, text: str) -> list[Reply]:
        """The text a staff member was asked for: run the action through the desk."""
        lang = str(draft.data.get("lang", "zh"))
        tickets = self.disclosure.desk.tickets
        member = await tickets.staff_member(draft.user)
        if member is None:  # no longer staff
            await tickets.delete_draft(draft.user)
            return [text_reply(t("expired", lang))]
        text = text.strip()
        if not text and not _optional(draft):
            return [_prompt(draft)]
        number, verb, desk = str(draft.data["ticket"]), draft.step, self.disclosure
        days = None
        if verb == "d-extend":
            days_text, _, text = text.partition(" ")
            days = actions.number(days_text, MAX_EXTENSION_DAYS, low=1)
            text = text.strip()
            if days is None or not text:
                return [text_reply(t("disclosure_bad_days", lang)), _prompt(draft)]
        await tickets.delete_draft(draft.user)
        try:
            if verb == "d-correct":
                ticket = await desk.request_correction(member, number, text)
            elif verb == "d-corrected":
                ticket = await desk.record_correction(member.key, number, text)
            elif verb == "d-consult":
                ticket = await desk.start_consultation(member, number, text)
            elif verb == "d-consult-end":
                ticket = await desk.end_consultation(member, number, text)
            elif verb == "d-extend" and days is not None:
                ticket = await desk.extend(member, number, days, text)
            else:
                answer = Answer(str(draft.data["answer"]))
                reason = draft.data.get("reason")
                ticket = await desk.answer(
                    member, number, answer, text, str(reason) if reason else None
                )
        except TicketError as exc:
            return [text_reply(t(exc.key, lang, **exc.values))]
        request = await desk.request_of(ticket)
        offered: tuple[str, ...] = ()
        if request is not None:
            offered = offered_actions(
                request.concluded is None, request.clock, member.is_supervisor
            )
        return [text_reply(_done(ticket, lang), action_rows(ticket.id, offered, lang))]


def _optional(draft: Draft) -> bool:
    """Whether the asked text may be skipped: the consultation's opinion, an answer's
    detail unless the desk requires it."""
    if draft.step == "d-consult-end":
        return True
    return draft.step == "d-answer" and Answer(str(draft.data["answer"])) not in _DETAIL_KEYS


def _prompt(draft: Draft) -> Reply:
    """Ask for the draft's text, with a cancel button (and skip when it is optional)."""
    lang, number = str(draft.data.get("lang", "zh")), str(draft.data["ticket"])
    if draft.step == "d-extend":
        text = t("disclosure_staff_ask_extend", lang, number=number)
    elif draft.step == "d-answer":
        answer = Answer(str(draft.data["answer"]))
        key = _DETAIL_KEYS.get(answer)
        what = t(key or "disclosure_staff_ask_detail", lang)
        label = _answer_label(answer, lang)
        text = t("disclosure_staff_ask_answer", lang, number=number, answer=label, what=what)
    else:
        what = t(f"web_disclosure_field_{draft.step}", lang)
        text = t("disclosure_staff_ask", lang, number=number, what=what)
    buttons = [Button(t("button_cancel", lang), "ds:cancel")]
    if _optional(draft):
        buttons.insert(0, Button(t("button_skip", lang), "ds:skip"))
    return text_reply(text, (tuple(buttons),))


def _choices(
    ticket: Ticket, verb: str, options: list[tuple[str, str]], key: str, lang: str
) -> Reply:
    """A choice by buttons (`ds:<verb>:<ticket>:<value>`), two to a row."""
    buttons = [Button(label, f"ds:{verb}:{ticket.id}:{value}") for value, label in options]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return text_reply(t(key, lang, number=ticket.number), rows)


def _answer_label(answer: Answer, lang: str) -> str:
    return t(f"web_disclosure_answer_{answer.value}", lang)


def _done(ticket: Ticket, lang: str = "zh") -> str:
    return t(
        "staff_done_due",
        lang,
        number=ticket.number,
        status=status_label(ticket, lang),
        deadline=ticket.deadline.isoformat(),
    )
