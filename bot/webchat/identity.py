"""Anonymous visitors: an unguessable key in a cookie, and the citizen id derived from it."""

from __future__ import annotations

import hashlib
import re
import secrets

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "cd_chat"
#: A year: the visitor comes back to see their tickets' outcomes.
COOKIE_AGE = 365 * 24 * 3600
#: A well-formed key (what `new_key` makes); also the recovery code.
KEY = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_key() -> str:
    """A fresh visitor key (256 random bits)."""
    return secrets.token_urlsafe(32)


def citizen(key: str) -> str:
    """The citizen id the core sees for a key; the key cannot be recovered from it."""
    return "chat:" + hashlib.sha256(key.encode()).hexdigest()[:32]


def csrf_token(key: str) -> str:
    """The page's CSRF token for a visitor: only a page of ours, which has the key, knows it."""
    return hashlib.sha256(("csrf:" + key).encode()).hexdigest()


def visitor_key(request: Request) -> str | None:
    """The visitor's key from the cookie, if it is well formed."""
    key = request.cookies.get(COOKIE)
    return key if key is not None and KEY.match(key) else None


def set_key(response: Response, key: str, secure: bool) -> None:
    """Keep the key in an HttpOnly, SameSite cookie scoped to the chat."""
    response.set_cookie(
        COOKIE, key, max_age=COOKIE_AGE, path="/chat", httponly=True, samesite="lax", secure=secure
    )
