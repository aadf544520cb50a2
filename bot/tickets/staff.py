"""Staff commands and buttons: the queue, a ticket's detail, and every workflow action."""

from __future__ import annotations

import logging
import re

from bot import actions
from bot.messages import t
from bot.replies import Button, Paragraph, Reply, text_reply
from bot.tickets.model import StaffMember, Ticket
from bot.tickets.render import queue_text, staff_detail
from bot.tickets.service import TicketDesk, TicketError

log = logging.getLogger(__name__)

#: A typed ticket number, ASCII digits only (`\d` would take ٣ and ５ too).
NUMBER_RE = re.compile(r"^ts-?[0-9]{4}-?[0-9]{1,6}$", re.IGNORECASE)

#: command → usage; `citizen-desk tickets` offers the same actions.
STAFF_COMMANDS: dict[str, str] = {
    "queue": "/queue",
    "ticket": "/ticket TS-2026-000001",
    "claim": "/claim TS-2026-000001",
    "assign": "/assign TS-2026-000001 DEPT",
    "note": "/note TS-2026-000001 内部备注",
    "reply": "/reply TS-2026-000001 给群众的回复",
    "resolve": "/resolve TS-2026-000001 办理结果",
    "reject": "/reject TS-2026-000001 理由和正确渠道",
    "transfer": "/transfer TS-2026-000001 DEPT",
    "merge": "/merge TS-2026-000002 TS-2026-000001",
    "extend": "/extend TS-2026-000001 5 理由",
    "reveal": "/reveal TS-2026-000001",
    "kb": "/kb TS-2026-000001  (an answered inquiry → a draft knowledge entry)",
}


#: A short number typed at the desk: `1` or `000001`, this year's ticket.
SHORT_NUMBER_RE = re.compile(r"^[0-9]{1,6}$")


def parse_number(text: str, year: int) -> str | None:
    """TS-2026-000001 from `TS-2026-1`, `000001` or `1` (this `year`); None if not a number."""
    text = text.strip()
    if SHORT_NUMBER_RE.match(text) and int(text) > 0:
        return f"TS-{year}-{int(text):06d}"
    if NUMBER_RE.match(text):
        return normalize_number(text)
    return None


def normalize_number(text: str) -> str:
    """TS-2026-000123 from `ts2026000123`, `TS-2026-123`…"""
    digits = re.sub(r"[^0-9]", "", text)
    return f"TS-{digits[:4]}-{int(digits[4:] or 0):06d}"


class StaffDesk:
    """Turns staff input into `TicketDesk` operations; refuses non-staff quietly."""

    def __init__(self, desk: TicketDesk):
        self.desk = desk

    async def member(self, user: str) -> StaffMember | None:
        """The staff member behind `user`, if registered."""
        return await self.desk.tickets.staff_member(user)

    async def command(self, user: str, command: str, arg: str) -> list[Reply] | None:
        """Run a staff command; None when `command` is not one or `user` is not staff."""
        if command not in STAFF_COMMANDS:
            return None
        member = await self.member(user)
        if member is None:
            log.warning("non-staff user %s tried /%s", user, command)
            return None
        try:
            return await self._run(member, command, arg)
        except TicketError as exc:
            return [text_reply(t(exc.key, "zh", **exc.values))]

    async def _run(self, member: StaffMember, command: str, arg: str) -> list[Reply]:
        if command == "queue":
            return [text_reply(await self.queue(member))]
        parts = arg.split(maxsplit=2 if command == "extend" else 1)
        if not parts or not NUMBER_RE.match(parts[0]):
            return [text_reply(t("staff_usage", "zh", usage=STAFF_COMMANDS[command]))]
        number = normalize_number(parts[0])
        rest = parts[1].strip() if len(parts) > 1 else ""
        desk = self.desk
        if command == "ticket":
            ticket = await desk._find(number)
            events = await desk.timeline(ticket, public_only=False)
            return [
                text_reply(
                    staff_detail(
                        desk.kb, ticket, events, False, await desk.tickets.undeliverable(ticket.id)
                    )
                )
            ]
        if command == "reveal":
            ticket = await desk.reveal(member, number)
            events = await desk.timeline(ticket, public_only=False)
            return [
                text_reply(
                    staff_detail(
                        desk.kb, ticket, events, True, await desk.tickets.undeliverable(ticket.id)
                    )
                )
            ]
        if command == "claim":
            return self._done(await desk.claim(member, number))
        if command == "kb":
            ticket = await desk.mark_for_kb(member, number)
            return [text_reply(t("staff_marked_kb", "zh", number=ticket.number))]
        if command == "extend":
            # A readable number out of range is the desk's to refuse: it says what is allowed.
            days = actions.number(parts[1], actions.ID_MAX) if len(parts) == 3 else None
            if days is None:
                return [text_reply(t("staff_usage", "zh", usage=STAFF_COMMANDS[command]))]
            return self._done(await desk.extend(member, number, days, parts[2].strip()))
        if not rest:
            return [text_reply(t("staff_usage", "zh", usage=STAFF_COMMANDS[command]))]
        if command == "note":
            return self._done(await desk.note(member, number, rest))
        if command == "reply":
            ticket = await desk.reply(member, number, rest)
            return [text_reply(t("staff_reply_sent", "zh", number=ticket.number))]
        if command == "resolve":
            return self._done(await desk.resolve(member, number, rest))
        if command == "reject":
            return self._done(await desk.reject(member, number, rest))
        if command == "transfer":
            return self._done(await desk.transfer(member, number, rest))
        if command == "assign":
            return self._done(await desk.assign(member, number, rest, None))
        if command == "merge":
            into = normalize_number(rest) if NUMBER_RE.match(rest) else rest
            return self._done(await desk.merge(member, number, into))
        return [text_reply(t("staff_usage", "zh", usage=STAFF_COMMANDS[command]))]

    def _done(self, ticket: Ticket) -> list[Reply]:
        status = t(f"status_{ticket.status.value}", "zh")
        return [text_reply(t("staff_done", "zh", number=ticket.number, status=status))]

    async def queue(self, member: StaffMember) -> str:
        """Open tickets: mine, unassigned, overdue."""
        store = self.desk.tickets
        sections = [
            ("我的工单", await store.queue_section("assignee = ?", (member.key,))),
            ("未认领", await store.queue_section("assignee IS NULL", ())),
            ("已超期", await store.queue_section("overdue = 1", ())),
        ]
        return queue_text(self.desk.kb, sections)

    async def action(self, user: str, action: str) -> list[Reply] | None:
        """A staff-group button (`t:claim:<id>`, `t:assign:<id>`, `t:dept:<id>:<dept>`…)."""
        member = await self.member(user)
        if member is None:
            log.warning("non-staff user %s pressed %s", user, action)
            return None
        parts = action.split(":")
        ticket_id = actions.identifier(parts[2]) if len(parts) >= 3 else None
        if ticket_id is None:
            return None
        ticket = await self.desk.tickets.get(ticket_id)
        if ticket is None:
            return None
        try:
            if parts[1] == "claim":
                return self._done(await self.desk.claim(member, ticket.number))
            if parts[1] == "reject" and ticket.kind == "disclosure":
                return [text_reply(t("disclosure_use_own", "zh", number=ticket.number))]
            if parts[1] == "reject":
                return [text_reply(t("staff_reject_how", "zh", number=ticket.number))]
            if parts[1] == "assign":
                rows = tuple(
                    (Button(d.name.get("zh"), f"t:dept:{ticket.id}:{d.id}"),)
                    for d in self.desk.kb.departments
                )
                text = t("staff_assign_choose", "zh", number=ticket.number)
                return [Reply((Paragraph(text),), rows)]
            if parts[1] == "dept" and len(parts) == 4:
                return self._done(await self.desk.assign(member, ticket.number, parts[3], None))
        except TicketError as exc:
            return [text_reply(t(exc.key, "zh", **exc.values))]
        return None

    async def reply_to(self, user: str, ticket_id: int, text: str) -> list[Reply] | None:
        """A staff member replied to the bot's message about a ticket: answer the citizen."""
        member = await self.member(user)
        if member is None or not text.strip():
            return None
        ticket = await self.desk.tickets.get(ticket_id)
        if ticket is None:
            return None
        try:
            ticket = await self.desk.reply(member, ticket.number, text.strip())
        except TicketError as exc:
            return [text_reply(t(exc.key, "zh", **exc.values))]
        return [text_reply(t("staff_reply_sent", "zh", number=ticket.number))]
