"""The staff accounts page (admins only): list, add, reset a password, change a role, disable,
edit the name, department and Telegram link.

Accounts are saved by `bot.web.accounts` (argon2id), the code `citizen-desk staff add/passwd`
uses; every change commits with its line in `console_audit`. A password is never logged,
audited or shown back. An admin may not demote or disable their own account: whoever acts
is an enabled admin, so the console always keeps one.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.actions import TELEGRAM_ID_MAX, number
from bot.messages import t
from bot.store.audit import ConsoleAudit
from bot.tickets.model import Role
from bot.web.accounts import (
    LOGIN_MAX,
    MIN_PASSWORD,
    Account,
    Session,
    login_ok,
    password_problem,
)
from bot.web.auth import context, guarded
from bot.web.views import not_found, render

log = logging.getLogger(__name__)

PAGE = "/admin/accounts"
#: What a change's redirect may say was done (the catalogue's web_accounts_done_<key>).
DONE = frozenset({"added", "password", "role", "disabled", "enabled", "profile"})
#: Longest name and department id kept from a form.
FIELD_MAX = 100


@dataclass(frozen=True)
class Problem:
    """Why a form was refused, shown beside that form (`form`: add, or <what>:<login>)."""

    form: str
    text: str


def _field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip()[:FIELD_MAX] if isinstance(value, str) else ""


def _password(form: FormData) -> str:
    """The password as typed (spaces are part of it); a file upload counts as none."""
    value = form.get("password", "")
    return value if isinstance(value, str) else ""


def _role(text: str) -> Role | None:
    return next((r for r in Role if r.value == text), None)


async def _page(
    request: Request,
    session: Session,
    status: int = 200,
    problem: Problem | None = None,
    entered: dict[str, str] | None = None,
    done: str | None = None,
) -> Response:
    ctx = context(request)
    lang = session.lang
    departments = [(d.id, d.name.get(lang)) for d in ctx.kb.departments]
    return render(
        request,
        "accounts.html",
        lang,
        status,
        session=session,
        accounts=await ctx.accounts.all(),
        roles=[r.value for r in Role],
        departments=departments,
        problem=problem,
        entered=entered or {},
        done=done,
        login_max=LOGIN_MAX,
        min_password=MIN_PASSWORD,
    )


def _done(login: str, what: str) -> RedirectResponse:
    """Back to the list (POST, redirect, GET), saying what was done."""
    return RedirectResponse(f"{PAGE}?{urlencode({'done': what, 'login': login})}", 303)


async def _list(request: Request, session: Session, form: FormData) -> Response:
    """Every account, the forms to change each, and the form to add one."""
    what = request.query_params.get("done", "")
    login = request.query_params.get("login", "")
    done = None
    if what in DONE and await context(request).accounts.get(login) is not None:
        done = t(f"web_accounts_done_{what}", session.lang, login=login)
    return await _page(request, session, done=done)


async def _refused(
    request: Request, session: Session, form: str, key: str, entered: dict[str, str] | None = None
) -> Response:
    text = t(key, session.lang, max=LOGIN_MAX, min=MIN_PASSWORD)
    return await _page(request, session, 400, Problem(form, text), entered)


async def _add(request: Request, session: Session, form: FormData) -> Response:
    """A new account with a first password."""
    ctx = context(request)
    login, name, dept = _field(form, "login"), _field(form, "name"), _field(form, "dept")
    role, password = _role(_field(form, "role")), _password(form)
    entered = {"login": login, "name": name, "dept": dept, "role": _field(form, "role")}
    if not login_ok(login):
        return await _refused(request, session, "add", "web_accounts_bad_login", entered)
    if await ctx.accounts.get(login) is not None:
        text = t("web_accounts_duplicate", session.lang, login=login)
        return await _page(request, session, 400, Problem("add", text), entered)
    if role is None:
        return await _refused(request, session, "add", "web_accounts_bad_role", entered)
    if dept and ctx.kb.department(dept) is None:
        return await _refused(request, session, "add", "web_accounts_bad_dept", entered)
    problem = password_problem(password, login)
    if problem is not None:
        return await _refused(request, session, "add", problem, entered)
    account = Account(login, role, dept or None, name or None)
    async with ctx.write():
        await ctx.accounts.save(account, password)
        detail = f"role={role.value}" + (f" dept={dept}" if dept else "")
        await ConsoleAudit(ctx.store.conn).record(
            session.account.login, "account_add", login, detail
        )
    log.info("console account %s added as %s by %s", login, role.value, session.account.login)
    return _done(login, "added")


async def _target(request: Request) -> Account | None:
    return await context(request).accounts.get(str(request.path_params["login"]))


async def _reset(request: Request, session: Session, form: FormData) -> Response:
    """A new password; every session of the account ends."""
    ctx = context(request)
    account = await _target(request)
    if account is None:
        return not_found(request, session)
    problem = password_problem(_password(form), account.login)
    if problem is not None:
        return await _refused(request, session, f"password:{account.login}", problem)
    async with ctx.write():
        await ctx.accounts.set_password(account.login, _password(form))
        await ConsoleAudit(ctx.store.conn).record(
            session.account.login, "account_password", account.login
        )
    log.info("console password of %s reset by %s", account.login, session.account.login)
    return _done(account.login, "password")


async def _change(
    request: Request,
    session: Session,
    before: Account,
    after: Account,
    action: str,
    detail: str,
    logged: str | None = None,
) -> None:
    """Save `after` and audit it, in one transaction; the log says `logged` (else `detail`)."""
    ctx = context(request)
    async with ctx.write():
        await ctx.accounts.save(after, None)
        await ConsoleAudit(ctx.store.conn).record(
            session.account.login, action, before.login, detail
        )
    log.info("console account %s: %s by %s", before.login, logged or detail, session.account.login)


async def _set_role(request: Request, session: Session, form: FormData) -> Response:
    """Another role (an admin keeps their own)."""
    account = await _target(request)
    if account is None:
        return not_found(request, session)
    where = f"role:{account.login}"
    role = _role(_field(form, "role"))
    if role is None:
        return await _refused(request, session, where, "web_accounts_bad_role")
    if account.login == session.account.login and role is not Role.ADMIN:
        return await _refused(request, session, where, "web_accounts_not_yourself")
    if role is not account.role:
        after = dataclasses.replace(account, role=role)
        detail = f"{account.role.value}->{role.value}"
        await _change(request, session, account, after, "account_role", detail)
    return _done(account.login, "role")


async def _set_state(request: Request, session: Session, form: FormData) -> Response:
    """Disable or enable an account (an admin cannot disable their own)."""
    account = await _target(request)
    if account is None:
        return not_found(request, session)
    where = f"state:{account.login}"
    wanted = _field(form, "disabled")
    if wanted not in ("0", "1"):
        return await _refused(request, session, where, "web_accounts_bad_state")
    disabled = wanted == "1"
    if disabled and account.login == session.account.login:
        return await _refused(request, session, where, "web_accounts_not_yourself")
    if disabled is not account.disabled:
        after = dataclasses.replace(account, disabled=disabled)
        action = "account_disable" if disabled else "account_enable"
        await _change(request, session, account, after, action, action.removeprefix("account_"))
    return _done(account.login, "disabled" if disabled else "enabled")


async def _set_profile(request: Request, session: Session, form: FormData) -> Response:
    """The name, department and Telegram link (the user id the Telegram staff group knows)."""
    ctx = context(request)
    account = await _target(request)
    if account is None:
        return not_found(request, session)
    where = f"profile:{account.login}"
    name, dept, telegram = _field(form, "name"), _field(form, "dept"), _field(form, "telegram")
    entered = {"form": where, "name": name, "dept": dept, "telegram": telegram}
    if dept and ctx.kb.department(dept) is None:
        return await _refused(request, session, where, "web_accounts_bad_dept", entered)
    telegram_id = number(telegram, TELEGRAM_ID_MAX, low=1) if telegram else None
    if telegram and telegram_id is None:
        return await _refused(request, session, where, "web_accounts_bad_telegram", entered)
    if telegram_id is not None:
        other = next((a for a in await ctx.accounts.all() if a.telegram_id == telegram_id), None)
        if other is not None and other.login != account.login:
            text = t("web_accounts_telegram_taken", session.lang, other=other.login)
            return await _page(request, session, 400, Problem(where, text), entered)
    after = dataclasses.replace(
        account, name=name or None, dept=dept or None, telegram_id=telegram_id
    )
    changed = [
        f"{field}: {before or '-'} -> {now or '-'}"
        for field, before, now in (
            ("name", account.name, after.name),
            ("dept", account.dept, after.dept),
            ("telegram", account.telegram_id, after.telegram_id),
        )
        if before != now
    ]
    if changed:
        fields = " ".join(c.split(":", 1)[0] for c in changed)  # no names or ids in the log
        detail = "; ".join(changed)
        await _change(request, session, account, after, "account_profile", detail, fields)
    return _done(account.login, "profile")


ROUTES = [
    Route(PAGE, guarded(_list, Role.ADMIN), methods=["GET"]),
    Route(PAGE, guarded(_add, Role.ADMIN), methods=["POST"]),
    Route(PAGE + "/{login}/password", guarded(_reset, Role.ADMIN), methods=["POST"]),
    Route(PAGE + "/{login}/role", guarded(_set_role, Role.ADMIN), methods=["POST"]),
    Route(PAGE + "/{login}/state", guarded(_set_state, Role.ADMIN), methods=["POST"]),
    Route(PAGE + "/{login}/profile", guarded(_set_profile, Role.ADMIN), methods=["POST"]),
]
