"""Bulk actions on a queue's ticked tickets: each one through the desk, in its own transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot import actions
from bot.messages import t
from bot.store.web import QueueStore
from bot.tickets.model import StaffMember, Ticket
from bot.tickets.service import TicketDesk, TicketError
from bot.web import rights
from bot.web.accounts import Session
from bot.web.auth import context, guarded
from bot.web.people import names
from bot.web.routes_queue import queue_of
from bot.web.views import render

#: Tickets one request may change (a queue page shows 50; a bigger selection is forged).
BULK_MAX = 200
#: How much of a value that is not an id is shown back.
SHOWN = 30

Step = Callable[[TicketDesk, StaffMember, str], Awaitable[Ticket]]


@dataclass(frozen=True)
class Refused:
    """A ticket (its number, or the value sent) left alone, and why, in the viewer's language."""

    ticket: str
    reason: str


def unique(values: list[str]) -> list[str]:
    """The ticked values once each, in page order (a value sent twice acts once)."""
    return list(dict.fromkeys(values))


async def _step(request: Request, action: str, target: str) -> Step | None:
    """What to do to each ticket, or None when the target does not exist."""
    ctx = context(request)
    if action == "transfer":
        if ctx.kb.department(target) is None:
            return None
        return lambda desk, actor, number: desk.transfer(actor, number, target)
    account = await ctx.accounts.get(target) if target else None
    if account is None or account.disabled:
        return None
    member = account.member
    return lambda desk, actor, number: desk.assign(actor, number, member.dept, member.key)


@dataclass(frozen=True)
class Batch:
    """One bulk request: the action and what it does, the names to show, and the change the
    page had seen (its newest audit line; a ticket changed after it is left alone)."""

    action: str
    step: Step
    known: dict[str, str]
    seen: int | None


async def _one(request: Request, session: Session, batch: Batch, raw: str) -> Refused | None:
    """Apply the batch's step to the ticket id `raw` in one transaction; why not, when it is
    refused."""
    ctx = context(request)
    lang = session.lang
    ticket_id = actions.identifier(raw)
    ticket = await ctx.desk.tickets.get(ticket_id) if ticket_id is not None else None
    if ticket is None:
        return Refused(raw[:SHOWN], t("web_bulk_bad_id", lang))
    refused = rights.refusal(session, batch.action, ticket, batch.known)
    if refused is not None:
        return Refused(ticket.number, t(refused[0], lang, **refused[1]))
    if batch.seen is not None:
        version = await QueueStore(ctx.store.conn, ctx.desk.calendar).version(ticket.id)
        if version > batch.seen:
            return Refused(ticket.number, t("web_bulk_changed", lang))
    try:
        async with ctx.write():
            await batch.step(ctx.desk, session.account.member, ticket.number)
    except TicketError as exc:
        return Refused(ticket.number, t(exc.key, lang, **exc.values))
    return None


def _page(request: Request, session: Session, status: int, **values: object) -> Response:
    queue = queue_of(request) or "unassigned"
    return render(
        request, "bulk.html", session.lang, status, session=session, queue=queue, **values
    )


async def _bulk(request: Request, session: Session, form: FormData) -> Response:
    """Assign or transfer every ticked ticket; say how many were done and why the others not."""
    lang = session.lang
    action = str(form.get("action", ""))
    if action not in rights.MOVES:
        return _page(request, session, 400, message=t("web_bulk_bad_action", lang))
    raws = unique([str(v) for v in form.getlist("ticket")])
    if not raws:
        return _page(request, session, 400, message=t("web_bulk_none", lang))
    if len(raws) > BULK_MAX:
        text = t("web_bulk_too_many", lang, max=BULK_MAX, n=len(raws))
        return _page(request, session, 400, message=text)
    step = await _step(request, action, str(form.get("target", "")))
    if step is None:
        return _page(request, session, 400, message=t("web_bulk_bad_target", lang))
    seen = str(form.get("version", ""))
    batch = Batch(
        action, step, await names(context(request)), int(seen) if seen.isdigit() else None
    )
    refused = [r for raw in raws if (r := await _one(request, session, batch, raw))]
    done = t("web_bulk_done", lang, done=len(raws) - len(refused), refused=len(refused))
    return _page(request, session, 200, message=done, refused=refused)


ROUTES = [Route("/q/{queue}/bulk", guarded(_bulk), methods=["POST"])]
