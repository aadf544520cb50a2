"""A web chat on a real SQLite file, driven over ASGI by httpx (no mocks of our code)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bot.channels.pacing import Pacer
from bot.config import load_settings
from bot.dialogue import Dialogue
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.notify import OutboxNotifier
from bot.store import Store
from bot.tickets.service import TicketDesk
from bot.web.app import create_app
from bot.web.context import WebContext
from bot.webchat.files import MAX_UPLOAD_BYTES
from bot.webchat.processor import ChatProcessor
from bot.webchat.routes import ChatContext, ChatRoutes
from bot.webchat.upload import FileRoutes
from bot.workdays import WorkCalendar

BASE = "http://desk.test"
#: The chat behind HTTPS: an embedded chat's cookie is Secure, so httpx sends it only so.
SECURE_BASE = "https://desk.test"


@dataclass
class Chat:
    """The app, its chat processor, and the console's desk (for staff actions)."""

    app: Any
    processor: ChatProcessor
    desk: TicketDesk
    store: Store
    files: FileRoutes
    base: str = BASE

    def client(self, address: str = "10.0.0.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))
        return httpx.AsyncClient(transport=transport, base_url=self.base)


@asynccontextmanager
async def webchat(
    path: Path,
    kb: KnowledgeBase,
    origins: tuple[str, ...] = (),
    stream_seconds: float = 0,
    base: str = BASE,
    **overrides: Any,
) -> AsyncIterator[Chat]:
    """The console and the chat on the database file `path`, each with its connection, its
    clients at `base`; an event stream ends after `stream_seconds` (0: once it has sent
    what is there). `overrides` are settings (flood control's, for a test that sends
    more than a person would)."""
    settings = load_settings(environ={}, overrides={"db_path": path, **overrides})
    async with Store.opened(path) as store, Store.opened(path) as chat_store:
        desk = TicketDesk(store, kb, WorkCalendar(), OutboxNotifier(store, -100))
        dialogue = Dialogue(Matcher(kb, settings.matching), chat_store)
        dialogue.attach_desk(
            TicketDesk(chat_store, kb, WorkCalendar(), OutboxNotifier(chat_store, -100)),
            MAX_UPLOAD_BYTES,
        )
        processor = ChatProcessor(
            chat_store, dialogue, Pacer.from_settings(settings, dialogue.is_emergency)
        )
        context = ChatContext(
            processor, stream_seconds=stream_seconds, origins=origins, files=settings.webchat_files
        )
        routes = ChatRoutes(context)
        app = create_app(WebContext(store, desk, settings), extra=routes.routes())
        yield Chat(app, processor, desk, store, routes.files, base)


CSRF_RE = re.compile(r'name="chat-csrf" content="([0-9a-f]+)"')


async def join(client: httpx.AsyncClient) -> str:
    """Open the page, as a visitor does (it sets the key); keep and return its CSRF token."""
    response = await client.get("/chat")
    assert response.status_code == 200, response.text
    match = CSRF_RE.search(response.text)
    assert match, response.text
    client.headers["x-csrf-token"] = match[1]
    return match[1]


async def say(client: httpx.AsyncClient, client_id: str, **body: str) -> httpx.Response:
    """POST a message as the page does (from its own origin)."""
    origin = f"{client.base_url.scheme}://{client.base_url.netloc.decode()}"
    return await client.post(
        "/chat/send", json={"id": client_id, **body}, headers={"origin": origin}
    )


def events(response: httpx.Response) -> list[tuple[int, dict[str, Any]]]:
    """The (id, payload) of each event in an event-stream body."""
    found = []
    for chunk in response.text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in chunk.splitlines() if ": " in line and line[0] != ":"
        )
        if "id" in fields and "data" in fields:
            found.append((int(fields["id"]), json.loads(fields["data"])))
    return found


class _Server(uvicorn.Server):
    """uvicorn in the test's loop, without taking its signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """The app over real HTTP on a loopback port (uvicorn, in this loop); its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
