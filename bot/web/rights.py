"""Per-ticket rights of console actions: what a staff member may do to this ticket."""

from __future__ import annotations

from collections.abc import Mapping

from bot.tickets.model import Role, Ticket
from bot.web.accounts import Session
from bot.web.auth import allows
from bot.web.people import shown

#: Actions that take a ticket from whoever holds it: a colleague's needs a supervisor.
MOVES = frozenset({"assign", "transfer"})


def refusal(
    session: Session, action: str, ticket: Ticket, names: Mapping[str, str] = {}
) -> tuple[str, dict[str, str]] | None:
    """Why `session` may not do `action` on `ticket` (a catalogue key and values, the holder
    by name where `names` knows one), or None."""
    if action not in MOVES or allows(session, Role.SUPERVISOR):
        return None
    if ticket.assignee in (None, session.account.member.key):
        return None
    return "web_held_by_colleague", {
        "number": ticket.number,
        "assignee": shown(ticket.assignee, names),
    }
