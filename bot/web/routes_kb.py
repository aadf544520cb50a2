"""The admin's knowledge page: the KB in use, its last reload, and a reload button."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

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
    await reloader.reload()
    outcome = reloader.last
    assert outcome is not None
    ctx.desk.kb = reloader.dialogue.kb  # the console's own desk follows the KB served
    await _audit(ctx, session, str(reloader.kb_dir.absolute()), outcome)
    return RedirectResponse("/admin/kb#last-reload", status_code=303)


ROUTES = [
    Route("/admin/kb", guarded(_page, Role.ADMIN), methods=["GET"]),
    Route("/admin/kb/reload", guarded(_reload, Role.ADMIN), methods=["POST"]),
]
