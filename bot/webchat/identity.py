"""Anonymous visitors: an unguessable key in a cookie, and the citizen id derived from it."""

from __future__ import annotations

import hashlib
import http.cookies
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


def key_cookie(key: str, secure: bool, embedded: bool, max_age: int = COOKIE_AGE) -> str:
    """The Set-Cookie value keeping `key`: HttpOnly, scoped to the chat, for a year.

    Not embedded: SameSite=Lax (Secure when `secure`). Embedded (portals named in
    CITIZEN_DESK_WEB_ORIGINS may frame the chat): SameSite=None; Secure; Partitioned, so the
    requests of a cross-site iframe carry it; CHIPS keeps it in a jar of that portal's own,
    which another site's pages never see. Secure needs HTTPS (Chromium allows it on
    http://localhost and 127.0.0.1 too). Written by hand: Python < 3.14 has no Partitioned."""
    jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
    jar[COOKIE] = key
    morsel = jar[COOKIE]
    morsel["max-age"] = max_age
    morsel["path"] = "/chat"
    morsel["httponly"] = True
    morsel["samesite"] = "None" if embedded else "Lax"
    if secure or embedded:
        morsel["secure"] = True
    text = morsel.OutputString()
    return text + "; Partitioned" if embedded else text


def set_key(response: Response, key: str, secure: bool, embedded: bool = False) -> None:
    """Keep the key in the visitor's cookie (`key_cookie`), first expiring the other kind:
    a partitioned and an unpartitioned cookie of one name are two cookies, and a visitor
    from before embedding was turned on (or off) would send both, one maybe stale."""
    stale = key_cookie("", secure, not embedded, max_age=0)
    for value in (stale, key_cookie(key, secure, embedded)):
        response.raw_headers.append((b"set-cookie", value.encode("latin-1")))
