"""A ticket: its card and timeline, and every action as a form through the `TicketDesk`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import actions
from bot.messages import t
from bot.store.web import QueueStore
from bot.tickets.model import Action, Role, StaffMember, Ticket
from bot.tickets.service import TicketDesk, TicketError
from bot.tickets.staff import NUMBER_RE, normalize_number
from bot.web import disclosure, rights
from bot.web.accounts import Session
from bot.web.auth import allows, context, guarded
from bot.web.people import names
from bot.web.rows import contact, days_left, row
from bot.web.views import not_found, render

#: How long the page named by a reveal shows the reporter to the supervisor who made it.
REVEAL_SHOWN = dt.timedelta(minutes=10)

Operation = Callable[[TicketDesk, StaffMember, str, FormData], Awaitable[Ticket]]


def _text(form: FormData, name: str = "text") -> str:
    value = str(form.get(name, "")).strip()
    if not value:
        raise TicketError("web_field_required")
    if len(value) > 4000:
        raise TicketError("web_field_too_long")
    return value


async def _extend(desk: TicketDesk, actor: StaffMember, number: str, form: FormData) -> Ticket:
    days = actions.number(str(form.get("days", "")), actions.ID_MAX)
    if days is None:
        raise TicketError("ticket_bad_days")
    return await desk.extend(actor, number, days, _text(form))


async def _merge(desk: TicketDesk, actor: StaffMember, number: str, form: FormData) -> Ticket:
    into = _text(form, "into")
    if not NUMBER_RE.match(into):
        raise TicketError("ticket_not_found", number=into[:30])
    return await desk.merge(actor, number, normalize_number(into))


async def _reveal(desk: TicketDesk, actor: StaffMember, number: str, form: FormData) -> Ticket:
    return await desk.reveal(actor, number)


#: action → (operation, the role it needs)
OPERATIONS: dict[str, tuple[Operation, Role]] = {
    "claim": (lambda d, a, n, f: d.claim(a, n), Role.STAFF),
    "assign": (lambda d, a, n, f: d.assign(a, n, _text(f, "dept"), None), Role.STAFF),
    "transfer": (lambda d, a, n, f: d.transfer(a, n, _text(f, "dept")), Role.STAFF),
    "note": (lambda d, a, n, f: d.note(a, n, _text(f)), Role.STAFF),
    "reply": (lambda d, a, n, f: d.reply(a, n, _text(f)), Role.STAFF),
    "resolve": (lambda d, a, n, f: d.resolve(a, n, _text(f)), Role.STAFF),
    "reject": (lambda d, a, n, f: d.reject(a, n, _text(f)), Role.STAFF),
    "merge": (_merge, Role.STAFF),
    "extend": (_extend, Role.SUPERVISOR),
    "reveal": (_reveal, Role.SUPERVISOR),
    # 依申请公开: the disclosure desk's own actions (bot/web/disclosure.py).
    **disclosure.OPERATIONS,
}


async def _ticket(request: Request) -> Ticket | None:
    """The ticket named in the URL; a malformed or unknown number is None (404)."""
    raw = str(request.path_params.get("number", ""))
    if not NUMBER_RE.match(raw):
        return None
    return await context(request).desk.tickets.by_number(normalize_number(raw))


async def _show(
    request: Request,
    session: Session,
    ticket: Ticket,
    status: int = 200,
    error: tuple[str, str] | None = None,
    form: FormData | None = None,
    revealed: bool = False,
    notice: str | None = None,
) -> Response:
    ctx = context(request)
    desk = ctx.desk
    events = await desk.timeline(ticket, public_only=False)
    known = await names(ctx)
    lang = session.lang
    supervisor = allows(session, Role.SUPERVISOR)
    request_state = await disclosure.state(desk, ticket, lang, supervisor)
    return render(
        request,
        "ticket.html",
        lang,
        status,
        session=session,
        ticket=ticket,
        row=row(desk, ticket, lang, known),
        names=known,
        left=days_left(desk, ticket),
        contact=contact(ticket, revealed, lang),
        events=events,
        version=await QueueStore(ctx.store.conn, desk.calendar).version(ticket.id),
        error=error,
        form=form or FormData(),
        supervisor=supervisor,
        disclosure=request_state,
        hidden=disclosure.NOT_FOR_DISCLOSURE if request_state else frozenset(),
        departments=[(d.id, d.name.get(lang)) for d in ctx.kb.departments],
        notice=t(notice, lang, minutes=int(REVEAL_SHOWN.total_seconds() // 60)) if notice else None,
    )


async def _reveal_shown(request: Request, session: Session, ticket: Ticket, raw: str) -> bool:
    """The page named by reveal `raw` may show the reporter: a supervisor's own reveal of
    this ticket, made less than `REVEAL_SHOWN` ago. Reading it records nothing."""
    event_id = actions.identifier(raw)
    if event_id is None or not allows(session, Role.SUPERVISOR):
        return False
    ctx = context(request)
    queues = QueueStore(ctx.store.conn, ctx.desk.calendar)
    found = await queues.event_by(ticket.id, event_id, Action.REVEAL.value)
    if found is None or found[0] != session.account.member.key:
        return False
    age = ctx.desk.clock() - found[1]
    return dt.timedelta(minutes=-1) <= age <= REVEAL_SHOWN


async def _page(request: Request, session: Session, form: FormData) -> Response:
    ticket = await _ticket(request)
    if ticket is None:
        return not_found(request, session)
    raw = request.query_params.get("reveal")
    if raw is None:
        return await _show(request, session, ticket)
    if not await _reveal_shown(request, session, ticket, raw):
        return await _show(request, session, ticket, notice="web_reveal_gone")
    return await _show(request, session, ticket, revealed=True)  # no-store, as every page


async def _act(request: Request, session: Session, form: FormData) -> Response:
    """Run one action; a stale form (the ticket changed meanwhile) is shown again, kept."""
    ctx = context(request)
    ticket = await _ticket(request)
    name = str(request.path_params.get("action", ""))
    if ticket is None or name not in OPERATIONS:
        return not_found(request, session)
    operation, role = OPERATIONS[name]
    if not allows(session, role):
        message = t("ticket_supervisor_only", session.lang)
        return await _show(request, session, ticket, 403, (name, message), form)
    refused = rights.refusal(session, name, ticket, await names(ctx))
    if refused is not None:
        message = t(refused[0], session.lang, **refused[1])
        return await _show(request, session, ticket, 403, (name, message), form)
    current = await QueueStore(ctx.store.conn, ctx.desk.calendar).version(ticket.id)
    if str(form.get("version", "")) != str(current):
        message = t("web_changed_meanwhile", session.lang)
        return await _show(request, session, ticket, 409, (name, message), form)
    actor = session.account.member
    try:
        async with ctx.write():
            changed = await operation(ctx.desk, actor, ticket.number, form)
            if name == "reveal":  # the line just written, in this transaction
                shown = await QueueStore(ctx.store.conn, ctx.desk.calendar).last_event(
                    changed.id, actor.key, Action.REVEAL.value
                )
    except TicketError as exc:
        message = t(exc.key, session.lang, **exc.values)
        return await _show(request, session, ticket, 400, (name, message), form)
    if name == "reveal":  # Post/Redirect/Get: reloading the page shows, never reveals again
        return RedirectResponse(f"/t/{changed.number}?reveal={shown}#contact", status_code=303)
    return RedirectResponse(f"/t/{changed.number}", status_code=303)


ROUTES = [
    Route("/t/{number}", guarded(_page), methods=["GET"]),
    Route("/t/{number}/{action}", guarded(_act), methods=["POST"]),
]
