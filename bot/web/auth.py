"""Who is asking: the session cookie, role checks, and the guard every page goes through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from bot.messages import t
from bot.tickets.model import Role
from bot.web import csrf
from bot.web.accounts import Session
from bot.web.context import WebContext

COOKIE = "cd_session"
LEVEL = {Role.STAFF: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}

Page = Callable[[Request, Session, FormData], Awaitable[Response]]


def context(request: Request) -> WebContext:
    """The console's context, set on the app by `create_app`."""
    ctx: WebContext = request.app.state.ctx
    return ctx


def allows(session: Session, role: Role) -> bool:
    """The account's role is `role` or above."""
    return LEVEL[session.account.role] >= LEVEL[role]


def set_cookie(response: Response, ctx: WebContext, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Strict, Secure behind HTTPS."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(ctx.session_ttl),
        httponly=True,
        samesite="strict",
        secure=ctx.secure_cookies,
        path="/",
    )


def guarded(
    page: Page, role: Role = Role.STAFF, locked: bool = True
) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint that needs a live session with `role`, and a CSRF token on POST. The
    page runs holding the console's connection lock, unless not `locked`: then only the
    checks do, and the page takes the lock itself for what it does on the connection."""

    async def endpoint(request: Request) -> Response:
        ctx = context(request)
        form = await request.form() if request.method == "POST" else FormData()
        async with ctx.lock:
            token = request.cookies.get(COOKIE)
            session = (
                await ctx.accounts.session(token, ctx.now(), ctx.session_ttl) if token else None
            )
            if session is None:
                if request.method == "GET":
                    return RedirectResponse("/login", status_code=303)
                return PlainTextResponse(t("web_login_needed", "zh"), status_code=401)
            if request.method == "POST" and not csrf.token_ok(request, form, session.csrf):
                return PlainTextResponse(t("web_csrf_failed", session.lang), status_code=403)
            if not allows(session, role):
                return PlainTextResponse(t("web_forbidden", session.lang), status_code=403)
            if locked:
                return await page(request, session, form)
        return await page(request, session, form)

    return endpoint
