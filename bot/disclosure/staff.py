"""Disclosure requests from the Telegram staff group, through the same desk as the CLI."""

from __future__ import annotations

import logging

from bot import actions
from bot.disclosure.answers import WITHHELD_REASONS, Answer
from bot.disclosure.desk import DisclosureDesk
from bot.disclosure.views import detail, listing
from bot.messages import t
from bot.replies import Reply, text_reply
from bot.tickets.model import StaffMember, Ticket
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


def _done(ticket: Ticket) -> str:
    return t(
        "staff_done_due",
        "zh",
        number=ticket.number,
        status=status_label(ticket, "zh"),
        deadline=ticket.deadline.isoformat(),
    )
