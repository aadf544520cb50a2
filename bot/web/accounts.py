"""Console accounts: argon2 password hashes, server-side sessions and failed logins.

The SQL is in `bot.store.web`; this module hashes and checks, and never keeps a password
or a session cookie in clear (sessions are stored by the SHA-256 of their cookie).
"""

from __future__ import annotations

import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.store import Store
from bot.store.web import Account, Session, WebAccountSQL

_HASHER = PasswordHasher()
MIN_PASSWORD = 10
#: The longest login (the login form reads no more).
LOGIN_MAX = 64

__all__ = [
    "LOGIN_MAX",
    "MIN_PASSWORD",
    "Account",
    "AccountStore",
    "Session",
    "hash_password",
    "login_ok",
    "password_problem",
    "token_hash",
]


def login_ok(login: str) -> bool:
    """Letters, digits, '-', '_' or '.', not starting with a digit, at most `LOGIN_MAX` long."""
    if not login or len(login) > LOGIN_MAX:
        return False
    return login.isidentifier() or login.replace("-", "_").replace(".", "_").isidentifier()


def password_problem(password: str, login: str) -> str | None:
    """Why `password` will not do for `login` (a catalogue key), or None."""
    if not password:
        return "web_accounts_password_empty"
    if len(password) < MIN_PASSWORD:
        return "web_accounts_password_short"
    if password.casefold() == login.casefold():
        return "web_accounts_password_is_login"
    return None


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _HASHER.hash(password)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the login is unknown, so both cases take the same time.

    Made on the first login a process checks, not at import (a hash costs about 0.4 s):
    `verify` asks for it before it looks the login up, so the first attempt pays for it
    whether or not the account exists, and every later one costs one verification."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def token_hash(token: str) -> str:
    """Sessions are stored by the hash of their cookie, never the cookie itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class AccountStore:
    """Accounts, sessions and failed logins in the project's database."""

    def __init__(self, store: Store):
        self.conn = store.conn
        self.sql = WebAccountSQL(store.conn)

    async def save(self, account: Account, password: str | None) -> None:
        """Add or update an account; its password hash only when `password` is given."""
        existing = await self.sql.get(account.login)
        if existing is None:
            if password is None:
                raise ValueError("a new account needs a password")
            await self.sql.insert(account, hash_password(password))
            return
        await self.sql.update(account)
        if password is not None:
            await self.set_password(account.login, password)

    async def set_password(self, login: str, password: str) -> bool:
        """A new password; every session of the account ends. False if there is no account."""
        changed = await self.sql.set_hash(login, hash_password(password))
        await self.sql.delete_sessions(login)
        return changed

    async def get(self, login: str) -> Account | None:
        """One account."""
        return await self.sql.get(login)

    async def all(self) -> list[Account]:
        """Every account, by login."""
        return await self.sql.all()

    async def verify(self, login: str, password: str) -> Account | None:
        """The account if `password` is right and the account is enabled."""
        dummy = _dummy_hash()  # before the lookup: a known login's first check pays it too
        found = await self.sql.with_hash(login)
        stored = found[1] if found else dummy
        try:
            _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if found is None or found[0].disabled:
            return None
        if _HASHER.check_needs_rehash(stored):
            await self.sql.set_hash(login, hash_password(password))
        return found[0]

    # -- sessions -------------------------------------------------------------------------

    async def open_session(self, login: str, lang: str, now: float, ttl: float) -> str:
        """A new session; returns the cookie value (only its hash is stored)."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        await self.sql.insert_session(token_hash(token), login, csrf, lang, now, now + ttl)
        return token

    async def session(self, token: str, now: float, ttl: float) -> Session | None:
        """The live session behind a cookie, its expiry slid forward; None if expired."""
        found = await self.sql.session_row(token_hash(token))
        if found is None:
            return None
        account, csrf, lang, expires_at = found
        if expires_at <= now or account.disabled:
            await self.close_session(token)
            return None
        expires = min(now + ttl, expires_at + ttl)
        if expires - expires_at > 60:  # slide at most once a minute
            await self.sql.set_session_expiry(token_hash(token), expires)
        else:
            expires = expires_at
        return Session(account, csrf, lang, expires)

    async def close_session(self, token: str) -> None:
        """Log out."""
        await self.sql.delete_session(token_hash(token))

    async def set_session_lang(self, token: str, lang: str) -> None:
        """The console's language for this browser."""
        await self.sql.set_session_lang(token_hash(token), lang)

    # -- failed logins --------------------------------------------------------------------

    async def record_failure(self, scope: str, subject: str, now: float) -> None:
        """One failed login for an account (`login`) or an address (`address`)."""
        await self.sql.record_failure(scope, subject, now)

    async def failures(self, scope: str, subject: str, since: float) -> int:
        """Failed logins since `since`."""
        return await self.sql.failures(scope, subject, since)

    async def clear_failures(self, scope: str, subject: str, before: float) -> None:
        """Forget failures (after a good login, and old ones)."""
        await self.sql.clear_failures(scope, subject, before)
