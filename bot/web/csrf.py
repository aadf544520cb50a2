"""CSRF checks: a POST carries its session's token (form field or header) from our origin."""

from __future__ import annotations

import hmac

from starlette.datastructures import FormData
from starlette.requests import Request

FIELD = "csrf"
HEADER = "x-csrf-token"


def same_origin(request: Request) -> bool:
    """A browser's Origin (when sent) names this host; other sites' forms are refused."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def token_ok(request: Request, form: FormData, expected: str) -> bool:
    """The request carries `expected` and comes from our own pages."""
    given = request.headers.get(HEADER) or form.get(FIELD)
    if not isinstance(given, str) or not given or not expected:
        return False
    return hmac.compare_digest(given, expected) and same_origin(request)
