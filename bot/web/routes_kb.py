"""The admin's knowledge page: the KB in use, a reload button, and the gaps report."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import gaps
from bot.matching.matcher import Matcher
from bot.messages import t
from bot.reload import ReloadOutcome
from bot.store.audit import AuditLine, ConsoleAudit
from bot.tickets.model import Role
from bot.web.accounts import Session
from bot.web.auth import context, guarded
from bot.web.context import WebContext
from bot.web.views import not_found, render

#: The audit log's action of this page (its detail is the reload's report in English).
RELOAD = "kb_reload"
#: Reloads listed on the page.
HISTORY = 10


def _status(ctx: WebContext, lang: str) -> dict[str, Any]:
    """What the page shows of the KB in use and of the last reload."""
    reloader = ctx.reloader
    last = reloader.last if reloader else None
    loaded = reloader.loaded if reloader else None
    kb_dir = reloader.kb_dir if reloader else ctx.settings.kb_dir
    return {
        "kb_dir": str(kb_dir.absolute()) if kb_dir else "-",
        "entries": len(ctx.kb.entries),
        "files": loaded.files if loaded else "-",
        "loaded_at": reloader.loaded_at if reloader else None,
        "last": last,
        "last_report": last.report(lang) if last else "",
        "can_reload": reloader is not None,
    }


def refused(line: AuditLine) -> bool:
    """The audited reload was refused (its report is `failed_report`'s, in English)."""
    return line.detail.startswith(t("reload_failed", "en"))


async def _page(request: Request, session: Session, form: FormData) -> Response:
    """The status of the KB, its last reload and the reload log."""
    ctx = context(request)
    lines = await ConsoleAudit(ctx.store.conn).recent(HISTORY, RELOAD)
    history = [(line, refused(line)) for line in lines]
    values = _status(ctx, session.lang)
    return render(request, "kb.html", session.lang, session=session, history=history, **values)


async def _audit(ctx: WebContext, session: Session, kb_dir: str, outcome: ReloadOutcome) -> None:
    """One audit line for a reload pressed on this page: who, which directory, the report."""
    async with ctx.write():
        await ConsoleAudit(ctx.store.conn).record(
            session.account.login, RELOAD, kb_dir, outcome.report("en")
        )


async def _reload(request: Request, session: Session, form: FormData) -> Response:
    """Run the watcher's reload (a broken edit leaves the old KB serving), audit it, show it."""
    ctx = context(request)
    reloader = ctx.reloader
    if reloader is None:
        return not_found(request, session)
    # Loaded and indexed without the console's lock (other clerks' pages go on); the
    # reloader takes it only to swap the new KB in, the console's desk with it.
    await reloader.reload()
    outcome = reloader.last
    assert outcome is not None
    async with ctx.lock:
        await _audit(ctx, session, str(reloader.kb_dir.absolute()), outcome)
    return RedirectResponse("/admin/kb#last-reload", status_code=303)


def _gap_filters(request: Request) -> tuple[dt.date | None, int] | None:
    """`since` (a date) and `min` (a count ≥ 1) of the query string; None when malformed."""
    since_text = request.query_params.get("since", "").strip()
    min_text = request.query_params.get("min", "").strip() or "1"
    try:
        since = dt.date.fromisoformat(since_text) if since_text else None
    except ValueError:
        return None
    if not min_text.isascii() or not min_text.isdigit() or int(min_text) < 1:
        return None
    return since, int(min_text)


async def _matcher(ctx: WebContext) -> Matcher:
    """The matcher of the KB served (built for this page when the process cannot reload)."""
    if ctx.reloader is not None:
        return ctx.reloader.dialogue.matcher
    return await asyncio.to_thread(Matcher, ctx.kb, ctx.settings.matching)


async def _gaps(request: Request, session: Session, form: FormData) -> Response:
    """The `citizen-desk kb gaps` report, by its own code, and each group's YAML to copy."""
    ctx = context(request)
    filters = _gap_filters(request)
    values: dict[str, Any] = {"session": session, "query": request.query_params}
    if filters is None:
        return render(request, "kb_gaps.html", session.lang, 400, bad=True, **values)
    since, min_count = filters
    matcher = await _matcher(ctx)
    questions = await gaps.unanswered(ctx.store, since)
    drafts = await gaps.inquiry_drafts(ctx.store, matcher)
    groups = await asyncio.to_thread(gaps.group, questions, matcher, min_count)
    report = gaps.render(groups, drafts, session.lang)
    return render(
        request,
        "kb_gaps.html",
        session.lang,
        report=report,
        groups=groups,
        drafts=drafts,
        **values,
    )


ROUTES = [
    Route("/admin/kb", guarded(_page, Role.ADMIN), methods=["GET"]),
    Route("/admin/kb/reload", guarded(_reload, Role.ADMIN, locked=False), methods=["POST"]),
    Route("/admin/kb/gaps", guarded(_gaps, Role.ADMIN), methods=["GET"]),
]
