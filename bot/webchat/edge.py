"""What every chat request goes through: its language, its refusals, its CSRF check."""

from __future__ import annotations

import hmac
import math

from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.messages import LANGUAGES, t
from bot.web.csrf import HEADER, same_origin
from bot.webchat.identity import csrf_token


def lang_of(request: Request) -> str:
    """The visitor's language: ?lang=, else the cd_lang cookie, else zh."""
    lang = request.query_params.get("lang") or request.cookies.get("cd_lang") or "zh"
    return lang if lang in LANGUAGES else "zh"


def refuse(key: str, lang: str, status: int, **args: object) -> JSONResponse:
    """A refusal the page shows: the catalogue message `key` in the visitor's language."""
    return JSONResponse({"ok": False, "error": key, "message": t(key, lang, **args)}, status)


def slow_down(lang: str, wait: float) -> JSONResponse:
    """429 with the seconds to wait."""
    response = refuse("webchat_slow_down", lang, 429)
    response.headers["retry-after"] = str(max(1, math.ceil(wait)))
    return response


def csrf_ok(request: Request, key: str) -> bool:
    """The POST carries the page's token for this visitor and comes from a page of ours: its
    Origin (when sent) is this server's, and so is its Sec-Fetch-Site (when sent).

    Framed by a portal, the chat's page is still ours (the iframe's document comes from
    this server), so its POSTs pass. A POST made by the portal's own page, or forged by
    any other site, is refused, although an embedded chat's cookie (SameSite=None) goes
    with it: that page has another origin, and it cannot read the token either."""
    given = request.headers.get(HEADER, "")
    site = request.headers.get("sec-fetch-site", "same-origin")
    return (
        hmac.compare_digest(given, csrf_token(key))
        and same_origin(request)
        and site == "same-origin"
    )
