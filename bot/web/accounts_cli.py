"""`citizen-desk staff add NAME --role …` and `staff passwd NAME`: console accounts."""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

from bot.errors import UsageError
from bot.store import Store
from bot.tickets.model import Role
from bot.web.accounts import LOGIN_MAX, MIN_PASSWORD, Account, AccountStore, login_ok


def read_password(stdin: TextIO | None = None) -> str:
    """From a prompt (twice, not echoed) at a terminal, else one line of standard input."""
    stream = stdin or sys.stdin
    if stream.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise UsageError("the passwords differ")
        password = first
    else:
        password = stream.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"a password needs at least {MIN_PASSWORD} characters")
    return password


async def add(
    store: Store,
    login: str,
    role: str,
    dept: str | None,
    name: str | None,
    telegram: int | None,
) -> str:
    """Add (with a password read now) or update a console account."""
    if not login_ok(login):
        raise UsageError(
            "a login is letters, digits, '-', '_' or '.', not starting with a digit, "
            f"at most {LOGIN_MAX} characters"
        )
    accounts = AccountStore(store)
    existing = await accounts.get(login)
    password = read_password() if existing is None else None
    account = Account(login, Role(role), dept, name, telegram)
    async with store.transaction():
        await accounts.save(account, password)
    return f"{'updated' if existing else 'added'} console account {login} as {role}"


async def passwd(store: Store, login: str) -> str:
    """A new password for `login`; its sessions end."""
    accounts = AccountStore(store)
    if await accounts.get(login) is None:
        raise UsageError(f"no console account {login}")
    password = read_password()
    async with store.transaction():
        await accounts.set_password(login, password)
    return f"password of {login} changed; its sessions are closed"
