"""Security headers on every response: a CSP without inline script, no framing, no sniffing."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: No inline script or style anywhere: htmx and the console's script are files under /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


def _merged(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`HEADERS` on a response; one that brings its own CSP (the citizens' chat, which a
    configured portal may frame) keeps it, and is then not refused framing by X-Frame-Options."""
    own_csp = any(name == b"content-security-policy" for name, _ in headers)
    if not own_csp:
        return [h for h in headers if h[0] not in dict(HEADERS)] + list(HEADERS)
    added = [h for h in HEADERS if h[0] not in (b"content-security-policy", b"x-frame-options")]
    return [h for h in headers if h[0] not in dict(added) and h[0] != b"x-frame-options"] + added


class SecurityHeaders:
    """ASGI middleware adding `HEADERS` (and `no-store` to pages) on every HTTP response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = _merged(list(message.get("headers", [])))
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
