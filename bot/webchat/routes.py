"""The chat's HTTP side: the page, POST /chat/send (stored before 200), GET /chat/events (SSE);
files in bot/webchat/upload.py."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route

from bot.actions import ID_MAX, number
from bot.channels.telegram_format import keyboard_rows
from bot.dialogue import MAX_MESSAGE_CHARS
from bot.render import render_plain
from bot.store.webchat import ChatEvent, WebChatSQL
from bot.web.security import CSP
from bot.webchat.edge import csrf_ok, lang_of, refuse, slow_down
from bot.webchat.embed import embed_script
from bot.webchat.files import MAX_UPLOAD_BYTES, files_directory
from bot.webchat.identity import KEY as IDENTITY_KEY
from bot.webchat.identity import citizen, csrf_token, new_key, set_key, visitor_key
from bot.webchat.limits import EdgeLimits
from bot.webchat.page import page
from bot.webchat.processor import ChatProcessor
from bot.webchat.upload import FileRoutes

#: A client-made message id: what a retried POST repeats.
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
#: Largest request body read (a message of MAX_MESSAGE_CHARS Chinese characters fits).
MAX_BODY = 8 * MAX_MESSAGE_CHARS + 1024
#: An event stream ends after this long; the browser reconnects with Last-Event-ID.
STREAM_SECONDS = 25.0
#: A comment line keeps idle proxies from closing the stream.
KEEPALIVE_SECONDS = 10.0
#: Events read at a time; a full page is followed by another read at once.
EVENTS_PAGE = 100


@dataclass
class ChatContext:
    """The chat's own connection and processor (the console keeps its own)."""

    processor: ChatProcessor
    secure_cookies: bool = False
    stream_seconds: float = STREAM_SECONDS
    #: Sites that may frame the chat (CITIZEN_DESK_WEB_ORIGINS).
    origins: tuple[str, ...] = ()
    limits: EdgeLimits = field(default_factory=EdgeLimits)
    now: Callable[[], float] = time.monotonic
    #: Where visitors' files are kept (CITIZEN_DESK_WEBCHAT_FILES); None: beside the
    #: database file.
    files: Path | None = None

    @property
    def embedded(self) -> bool:
        """Portals may frame the chat: its cookie must then work in a cross-site iframe."""
        return bool(self.origins)

    @property
    def csp(self) -> str:
        """The chat page's CSP: the console's, framable by exactly the configured sites
        (none: 'none', and the console's X-Frame-Options DENY stays)."""
        ancestors = " ".join(self.origins) or "'none'"
        return CSP.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")

    def keep_key(self, response: Response, key: str) -> None:
        """Set the visitor's key cookie (SameSite=None; Secure; Partitioned when embedded)."""
        set_key(response, key, self.secure_cookies, self.embedded)

    @property
    def files_dir(self) -> Path:
        """Where visitors' files are kept, outside any web root."""
        return files_directory(self.files, self.processor.store.path)

    @property
    def sql(self) -> WebChatSQL:
        """The chat's SQL."""
        return self.processor.sql


class ChatRoutes:
    """The handlers, bound to one `ChatContext`."""

    def __init__(self, chat: ChatContext):
        self.chat = chat
        self.files = FileRoutes(chat)

    def routes(self) -> list[BaseRoute]:
        """The page at /chat and everything under it."""
        return [
            Route("/chat", self.page, methods=["GET"]),
            Mount(
                "/chat",
                routes=[
                    Route("/send", self.send, methods=["POST"]),
                    Route("/events", self.events, methods=["GET"]),
                    Route("/embed.js", self.embed, methods=["GET"]),
                    Route("/code", self.code, methods=["POST"]),
                    Route("/restore", self.restore, methods=["POST"]),
                    *self.files.routes(),
                ],
            ),
        ]

    async def page(self, request: Request) -> Response:
        """The chat page; a new visitor gets their key (a returning one keeps theirs)."""
        lang = lang_of(request)
        key = visitor_key(request) or new_key()
        welcome = self.chat.processor.dialogue.welcome(lang)
        shown = {"text": render_plain(welcome.blocks), "buttons": keyboard_rows(welcome)}
        response = page(
            "chat.html",
            lang,
            csrf=csrf_token(key),
            welcome=shown,
            max_chars=MAX_MESSAGE_CHARS,
            max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
        )
        self.chat.keep_key(response, key)
        if self.chat.embedded:  # its own CSP; without one the console's (and DENY) apply
            response.headers["content-security-policy"] = self.chat.csp
        return response

    async def embed(self, request: Request) -> Response:
        """The snippet a portal pastes: a floating 在线咨询 button that opens the chat (in a
        new tab, or with data-frame on a configured site in a panel on the page)."""
        base = str(request.base_url).rstrip("/")
        script = embed_script(base, lang_of(request), self.chat.origins)
        headers = {"cache-control": "public, max-age=3600"}
        return Response(script, media_type="text/javascript", headers=headers)

    async def code(self, request: Request) -> Response:
        """The visitor's recovery code (their key), to continue on another device."""
        key = visitor_key(request)
        if key is None or not csrf_ok(request, key):
            return refuse("webchat_bad_message", lang_of(request), 403)
        return JSONResponse({"ok": True, "code": key})

    async def restore(self, request: Request) -> Response:
        """Continue as the visitor whose recovery code this is."""
        lang = lang_of(request)
        key = visitor_key(request)
        if key is None or not csrf_ok(request, key):
            return refuse("webchat_bad_message", lang, 403)
        address = request.client.host if request.client else "-"
        wait = self.chat.limits.wait("restore:" + key, address, self.chat.now())
        if wait:
            return slow_down(lang, wait)
        try:
            body = await _body(request)
        except _TooBig:
            body = None
        code = body.get("code") if body else None
        given = code.strip() if isinstance(code, str) else ""
        if not IDENTITY_KEY.match(given):
            return refuse("webchat_bad_code", lang, 400)
        response = JSONResponse({"ok": True, "csrf": csrf_token(given)})
        self.chat.keep_key(response, given)
        return response

    async def send(self, request: Request) -> Response:
        """Store a message durably, then answer 200; the same client id again is a no-op."""
        lang = lang_of(request)
        key = visitor_key(request)
        if key is None or not csrf_ok(request, key):
            return refuse("webchat_bad_message", lang, 403)
        try:
            body = await _body(request)
        except _TooBig:
            return refuse("webchat_too_long", lang, 413, limit=MAX_MESSAGE_CHARS)
        if body is None:
            return refuse("webchat_bad_message", lang, 400)
        client_id, text, action = body.get("id"), body.get("text"), body.get("action")
        if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
            return refuse("webchat_bad_message", lang, 400)
        if not isinstance(text, str) and not isinstance(action, str):
            return refuse("webchat_bad_message", lang, 400)
        if isinstance(text, str) and len(text) > MAX_MESSAGE_CHARS:
            return refuse("webchat_too_long", lang, 413, limit=MAX_MESSAGE_CHARS)
        address = request.client.host if request.client else "-"
        wait = self.chat.limits.wait(citizen(key), address, self.chat.now())
        if wait:
            return slow_down(lang, wait)
        # The page's language goes with a button press too: the core has no other hint
        # for a visitor who never typed /lang (a press has no text to guess from).
        payload = {"text": text} if isinstance(text, str) else {"action": action}
        payload["lang"] = lang
        processor = self.chat.processor
        # One INSERT on an autocommit connection commits by itself: stored before the 200
        # with one call to the database thread, not three (BEGIN, INSERT, COMMIT). The lock
        # keeps it out of a processing transaction that could roll it back.
        async with processor.lock:
            stored = await self.chat.sql.accept(citizen(key), client_id, payload)
        processor.wake.set()
        return JSONResponse({"ok": True, "duplicate": not stored})

    async def events(self, request: Request) -> Response:
        """The visitor's messages as server-sent events, after Last-Event-ID."""
        key = visitor_key(request)
        if key is None:
            return refuse("webchat_bad_message", lang_of(request), 403)
        after = _after(request)
        stream = self._stream(citizen(key), after)
        headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
        return StreamingResponse(stream, media_type="text/event-stream", headers=headers)

    async def _stream(self, visitor: str, after: int) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        end = loop.time() + self.chat.stream_seconds
        processor = self.chat.processor
        yield "retry: 2000\n\n"
        with processor.streams.listening(visitor, after) as listener:
            while True:
                listener.woken.clear()  # before reading: a reply committed meanwhile wakes it
                async with processor.lock:
                    events = await self.chat.sql.events(visitor, after, EVENTS_PAGE)
                for event in events:
                    yield _sse(event)
                    after = listener.after = event.id
                left = end - loop.time()
                if left <= 0:
                    return
                if len(events) == EVENTS_PAGE:
                    continue  # more may be waiting; fewer: all was read, and a reply
                    # committed since the read has set `woken` (cleared before it)
                try:
                    timeout = min(left, KEEPALIVE_SECONDS)
                    await asyncio.wait_for(listener.woken.wait(), timeout=timeout)
                except TimeoutError:
                    yield ": keepalive\n\n"


def _after(request: Request) -> int:
    """The last event the browser has: the Last-Event-ID header, or ?after= on a new page."""
    given = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
    return number(given, ID_MAX) or 0  # ² or 20 digits: as if absent


class _TooBig(Exception):
    """A request body over MAX_BODY."""


async def _body(request: Request) -> dict[str, object] | None:
    """The JSON object a POST carries, or None (wrong type, not JSON); _TooBig if too big."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise _TooBig
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _sse(event: ChatEvent) -> str:
    data = json.dumps(event.payload, ensure_ascii=False)
    return f"id: {event.id}\nevent: message\ndata: {data}\n\n"
