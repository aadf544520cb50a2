"""The queues: counts, filters, rows; rows and counts reload (HTMX polling) when tickets move."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.store.web import QUEUES, Filters, QueueStore
from bot.tickets.model import Status
from bot.tickets.staff import NUMBER_RE, normalize_number
from bot.web.accounts import Session
from bot.web.auth import context, guarded
from bot.web.people import names
from bot.web.rows import row
from bot.web.views import not_found, render


def queue_of(request: Request) -> str:
    """The queue named in the path; "" when there is no such queue."""
    queue = request.path_params.get("queue", "unassigned")
    return queue if queue in QUEUES else ""


def filters_of(request: Request) -> Filters:
    """The filters and search of the query string (a search that is a number looks it up)."""
    filters = Filters.from_query(request.query_params)
    if NUMBER_RE.match(filters.q):
        filters = replace(filters, number=normalize_number(filters.q))
    return filters


async def _values(request: Request, session: Session) -> dict[str, Any]:
    ctx = context(request)
    desk = ctx.desk
    queue = queue_of(request)
    filters = filters_of(request)
    me = session.account.member.key
    store = QueueStore(ctx.store.conn, desk.calendar)
    total, tickets = await store.rows(queue, me, desk.today(), filters)
    known = await names(ctx)
    query = urlencode({k: v for k, v in filters.__dict__.items() if v})
    return {
        "session": session,
        "queue": queue,
        "queues": QUEUES,
        "filters": filters,
        "query": query,
        "total": total,
        # A count that stopped past the cap is shown as "more than".
        "cap": store.count_cap(filters),
        "rows": [row(desk, x, session.lang, known) for x in tickets],
        # The ticks a refresh of the rows keeps (the poll sends the ticked boxes).
        "ticked": {int(v) for v in request.query_params.getlist("ticket") if v.isdigit()},
        "counts": await store.counts(me, desk.today()),
        "version": await store.latest_change(),
        "statuses": [s.value for s in Status],
        "categories": [(c.id, c.name.get(session.lang)) for c in ctx.kb.complaint_categories],
        "departments": [(d.id, d.name.get(session.lang)) for d in ctx.kb.departments],
    }


async def _home(request: Request, session: Session, form: FormData) -> Response:
    return RedirectResponse("/q/unassigned", status_code=303)


async def _page(request: Request, session: Session, form: FormData) -> Response:
    if not queue_of(request):
        return not_found(request, session)
    accounts = await context(request).accounts.all()
    staff = [(a.login, a.name or a.login) for a in accounts if not a.disabled]
    return render(
        request, "queue.html", session.lang, staff=staff, **await _values(request, session)
    )


async def _rows(request: Request, session: Session, form: FormData) -> Response:
    """The table body (polled) and the tab bar's counts, swapped out of band; 204 (without
    a count) when nothing changed since `since`."""
    if not queue_of(request):
        return Response(status_code=404)
    ctx = context(request)
    since = request.query_params.get("since", "")
    latest = await QueueStore(ctx.store.conn, ctx.desk.calendar).latest_change()
    if since == str(latest):
        return Response(status_code=204)
    return render(request, "_queue_rows.html", session.lang, **await _values(request, session))


ROUTES = [
    Route("/", guarded(_home), methods=["GET"]),
    Route("/q/{queue}", guarded(_page), methods=["GET"]),
    Route("/q/{queue}/rows", guarded(_rows), methods=["GET"]),
]
