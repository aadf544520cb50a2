"""The CSV export of a queue under the page's filters and search: every match, newest first,
streamed a page of tickets at a time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from bot.store.audit import ConsoleAudit
from bot.store.exports import TOP, newest
from bot.store.web import Matching, QueueStore
from bot.tickets.model import Role
from bot.web.accounts import Session
from bot.web.auth import allows, context, guarded
from bot.web.context import WebContext
from bot.web.export import body, filename, head
from bot.web.people import names
from bot.web.routes_queue import filters_of, queue_of
from bot.web.views import not_found

log = logging.getLogger(__name__)


async def _lines(
    ctx: WebContext, matching: Matching, phones: bool, lang: str, known: dict[str, str]
) -> AsyncIterator[bytes]:
    """The file, a page of tickets at a time; the connection is taken for each page only."""
    yield head(lang)
    below = TOP
    while True:
        async with ctx.lock:
            tickets = await newest(ctx.store.conn, matching, below, ctx.export_page)
        if not tickets:
            return
        yield body(ctx.desk, tickets, phones, lang, known)
        below = tickets[-1].id


async def _export(request: Request, session: Session, form: FormData) -> Response:
    """Every ticket the queue page lists under the same filters, as a spreadsheet file."""
    queue = queue_of(request)
    if not queue:
        return not_found(request, session)
    ctx = context(request)
    desk = ctx.desk
    store = QueueStore(ctx.store.conn, desk.calendar)
    matching = await store.matching(
        queue, session.account.member.key, desk.today(), filters_of(request)
    )
    # A supervisor may read a citizen's phone; staff read it masked. A 举报 reporter is
    # never in the file (revealing one is a single, audited act on the ticket's page).
    phones = allows(session, Role.SUPERVISOR)
    log.info("console export of queue %s by %s", queue, session.account.login)
    async with ctx.write():
        await ConsoleAudit(ctx.store.conn).record(
            session.account.login, "export", queue, request.url.query
        )
    name = filename(queue, desk.today())
    return StreamingResponse(
        _lines(ctx, matching, phones, session.lang, await names(ctx)),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


ROUTES = [Route("/q/{queue}/export.csv", guarded(_export), methods=["GET"])]
