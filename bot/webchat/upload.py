"""The chat's files: POST /chat/upload (stored, then queued as an attachment message) and
GET /chat/files/<id> (its visitor and console staff only)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.actions import ID_MAX, number
from bot.messages import t
from bot.store.webchat_files import ChatFile, WebChatFilesSQL
from bot.tickets.model import Attachment
from bot.web.auth import COOKIE as SESSION_COOKIE
from bot.web.auth import context as console
from bot.webchat.edge import csrf_ok, lang_of, refuse, slow_down
from bot.webchat.files import (
    MAX_UPLOAD_BYTES,
    StoredFile,
    UploadRefused,
    clean_name,
    kind_of,
    remove_unnamed,
    store_stream,
)
from bot.webchat.identity import citizen, visitor_key

if TYPE_CHECKING:
    from bot.webchat.routes import ChatContext

log = logging.getLogger(__name__)

#: A file younger than this is never swept (its row may not be committed yet).
SWEEP_GRACE = 3600.0
SWEEP_EVERY = 3600.0
#: The client-made upload id (what a retried upload repeats), as for messages.
UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
#: Headers of an upload: the body is the file itself.
ID_HEADER = "x-upload-id"
NAME_HEADER = "x-file-name"
MEGABYTE = 1024 * 1024
#: A file name for the download when the visitor's had none.
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


class FileRoutes:
    """Upload and download, bound to one `ChatContext`."""

    def __init__(self, chat: ChatContext):
        self.chat = chat

    @property
    def sql(self) -> WebChatFilesSQL:
        """The files' rows, on the chat's connection."""
        return WebChatFilesSQL(self.chat.processor.store.conn)

    @property
    def directory(self) -> Path:
        """Where the files are."""
        return self.chat.files_dir

    async def sweep(self, grace: float = SWEEP_GRACE) -> int:
        """Remove files no row names any more (erased with their visitor or ticket)."""
        async with self.chat.processor.lock:
            kept = await self.sql.stored_names()
        return await asyncio.to_thread(remove_unnamed, self.directory, kept, time.time() - grace)

    async def sweep_forever(self, every: float = SWEEP_EVERY) -> None:
        """Sweep now and then, while the chat is served."""
        while True:
            removed = await self.sweep()
            if removed:
                log.info("web chat files: %d erased or orphaned files removed", removed)
            await asyncio.sleep(every)

    def routes(self) -> list[BaseRoute]:
        """The routes under /chat."""
        return [
            Route("/upload", self.upload, methods=["POST"]),
            Route("/files/{file_id}", self.download, methods=["GET"]),
        ]

    async def upload(self, request: Request) -> Response:
        """Store a photo or PDF (the body), then queue it as the visitor's attachment."""
        lang = lang_of(request)
        key = visitor_key(request)
        if key is None or not csrf_ok(request, key):
            return refuse("webchat_bad_message", lang, 403)
        client_id = request.headers.get(ID_HEADER, "")
        if not UPLOAD_ID.match(client_id):
            return refuse("webchat_bad_message", lang, 400)
        visitor = citizen(key)
        address = request.client.host if request.client else "-"
        wait = self.chat.limits.wait(visitor, address, self.chat.now())
        if wait:
            return slow_down(lang, wait)
        async with self.chat.processor.lock:
            seen = await self.sql.by_client_id(visitor, client_id)
        if seen is not None:
            return JSONResponse({"ok": True, "duplicate": True, "id": seen.id})
        declared = number(request.headers.get("content-length", ""), ID_MAX)
        if declared is not None and declared > MAX_UPLOAD_BYTES:
            return _refused(UploadRefused("webchat_file_too_big"), lang)
        try:
            stored = await store_stream(request.stream(), self.directory)
        except UploadRefused as refused:
            return _refused(refused, lang)
        name = clean_name(unquote(request.headers.get(NAME_HEADER, "")))
        file_id = await self._record(visitor, client_id, stored, name, lang)
        if file_id is None:  # a retry of this upload was stored meanwhile
            (self.directory / stored.name).unlink(missing_ok=True)
            return JSONResponse({"ok": True, "duplicate": True})
        self.chat.processor.wake.set()
        return JSONResponse({"ok": True, "duplicate": False, "id": file_id})

    async def _record(
        self, visitor: str, client_id: str, stored: StoredFile, name: str | None, lang: str
    ) -> int | None:
        """The file's row and its attachment message, in one commit; the file is removed
        if that fails."""
        processor = self.chat.processor
        try:
            async with processor.lock, processor.store.transaction():
                file_id = await self.sql.add(
                    visitor, client_id, stored.name, stored.content_type, stored.size, name
                )
                if file_id is not None:
                    kind = kind_of(stored.content_type)
                    attachment = Attachment(kind, f"web:{file_id}", stored.size, name)
                    payload = {"attachment": attachment.__dict__, "lang": lang}
                    await self.chat.sql.accept(visitor, f"file:{client_id}", payload)
        except BaseException:
            (self.directory / stored.name).unlink(missing_ok=True)
            raise
        return file_id

    async def download(self, request: Request) -> Response:
        """The file, to its visitor or a logged-in staff member; 404 to anyone else."""
        lang = lang_of(request)
        file_id = number(str(request.path_params.get("file_id", "")), ID_MAX)
        found = None
        if file_id is not None:
            async with self.chat.processor.lock:
                found = await self.sql.by_id(file_id)
        path = self.directory / found.stored_name if found else None
        if found is None or path is None or not await self._may_see(request, found):
            return _not_found(lang)
        if not path.is_file():
            return _not_found(lang)
        image = found.content_type.startswith("image/")
        filename = found.name or f"file-{found.id}{_EXTENSIONS.get(found.content_type, '.pdf')}"
        return FileResponse(
            path,
            media_type=found.content_type,
            filename=filename,
            content_disposition_type="inline" if image else "attachment",
            headers={"x-content-type-options": "nosniff", "cache-control": "private, no-store"},
        )

    async def _may_see(self, request: Request, found: ChatFile) -> bool:
        """The visitor who sent it, or anyone with a live console session."""
        key = visitor_key(request)
        if key is not None and citizen(key) == found.visitor:
            return True
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return False
        ctx = console(request)
        async with ctx.lock:
            session = await ctx.accounts.session(token, ctx.now(), ctx.session_ttl)
        return session is not None


def _refused(refused: UploadRefused, lang: str) -> JSONResponse:
    status = 413 if refused.key == "webchat_file_too_big" else 415
    return refuse(refused.key, lang, status, mb=MAX_UPLOAD_BYTES // MEGABYTE)


def _not_found(lang: str) -> Response:
    return PlainTextResponse(t("web_not_found", lang), status_code=404)
