"""Log in, log out, choose the language; failed logins are limited per account and address."""

from __future__ import annotations

import hmac
import logging
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.messages import LANGUAGES, t
from bot.web.accounts import Session
from bot.web.auth import COOKIE, context, guarded, set_cookie
from bot.web.context import FAIL_WINDOW, FAILS_PER_ACCOUNT, FAILS_PER_ADDRESS
from bot.web.views import render

log = logging.getLogger(__name__)
#: Before a session exists, the login form's CSRF token is a cookie it must echo.
LOGIN_COOKIE = "cd_login"


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("cd_lang") or "zh"
    return lang if lang in LANGUAGES else "zh"


def _login_page(request: Request, error: str | None, status: int, login: str = "") -> Response:
    lang = _lang(request)
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", lang, status, error=error, csrf=token, login=login)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


async def login_form(request: Request) -> Response:
    """The login page."""
    return _login_page(request, None, 200)


def address(request: Request) -> str:
    """The peer address (behind a proxy, uvicorn's --proxy-headers sets it)."""
    return request.client.host if request.client else "-"


async def login(request: Request) -> Response:
    """Check the password; limit failures; open a server-side session."""
    ctx = context(request)
    form = await request.form()
    lang = _lang(request)
    name = str(form.get("login", "")).strip()[:64]
    password = str(form.get("password", ""))
    expected = request.cookies.get(LOGIN_COOKIE, "")
    given = str(form.get("csrf", ""))
    if not expected or not hmac.compare_digest(expected, given):
        return _login_page(request, t("web_csrf_failed", lang), 403, name)
    now = ctx.now()
    since = now - FAIL_WINDOW
    peer = address(request)
    async with ctx.lock:
        accounts = ctx.accounts
        if (
            await accounts.failures("login", name, since) >= FAILS_PER_ACCOUNT
            or await accounts.failures("address", peer, since) >= FAILS_PER_ADDRESS
        ):
            log.warning("console login refused: too many failures (address %s)", peer)
            return _login_page(request, t("web_login_locked", lang), 429, name)
        async with ctx.write():
            account = await accounts.verify(name, password)
            if account is None:
                await accounts.record_failure("login", name, now)
                await accounts.record_failure("address", peer, now)
                log.info("console login failed (address %s)", peer)
                failed = True
            else:
                await accounts.clear_failures("login", name, now + 1)
                await accounts.clear_failures("address", peer, since)
                token = await accounts.open_session(account.login, lang, now, ctx.session_ttl)
                failed = False
    if failed:
        return _login_page(request, t("web_login_wrong", lang), 401, name)
    response = RedirectResponse("/", status_code=303)
    set_cookie(response, ctx, token)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


async def _logout(request: Request, session: Session, form: FormData) -> Response:
    ctx = context(request)
    token = request.cookies.get(COOKIE, "")
    async with ctx.write():
        await ctx.accounts.close_session(token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


async def _language(request: Request, session: Session, form: FormData) -> Response:
    ctx = context(request)
    lang = str(form.get("lang", "zh"))
    if lang in LANGUAGES:
        async with ctx.write():
            await ctx.accounts.set_session_lang(request.cookies.get(COOKIE, ""), lang)
    back = str(form.get("back", "/"))
    response = RedirectResponse(back if back.startswith("/") and "//" not in back else "/", 303)
    response.set_cookie("cd_lang", lang, samesite="strict", httponly=True, path="/")
    return response


ROUTES = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", guarded(_logout), methods=["POST"]),
    Route("/lang", guarded(_language), methods=["POST"]),
]
