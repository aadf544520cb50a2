"""Web chat uploads on disk: the type read from magic bytes, the size capped while streaming."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bot.store.backend import is_postgres, sqlite_path

#: Largest accepted upload.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: Bytes needed to recognise every accepted type.
SNIFF_BYTES = 12
#: Longest client file name kept (as metadata only: never a name on disk).
MAX_NAME_CHARS = 120
#: The directory beside the database file when none is configured.
DEFAULT_DIRECTORY = "webchat-files"


class UploadRefused(Exception):
    """An upload that is not stored; `key` names the catalogue message."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class StoredFile:
    """A stored upload: its random name in the files directory, type and size."""

    name: str
    content_type: str
    size: int


def sniff(head: bytes) -> str | None:
    """The content type the first bytes prove (JPEG, PNG, WebP, PDF), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


async def store_stream(
    chunks: AsyncIterator[bytes], directory: Path, limit: int = MAX_UPLOAD_BYTES
) -> StoredFile:
    """Write chunks to a random name in directory, refusing past limit or an unknown type."""
    directory.mkdir(parents=True, exist_ok=True)
    name = secrets.token_urlsafe(24)
    partial = directory / f".{name}.part"
    size, head, content_type = 0, b"", None
    try:
        with partial.open("wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise UploadRefused("webchat_file_too_big")
                if content_type is None:
                    head += chunk[: SNIFF_BYTES - len(head)]
                    if len(head) >= SNIFF_BYTES:
                        content_type = _known(head)
                out.write(chunk)
            content_type = content_type or _known(head)
            out.flush()
            await asyncio.to_thread(os.fsync, out.fileno())
        os.replace(partial, directory / name)
    finally:
        partial.unlink(missing_ok=True)
    return StoredFile(name, content_type, size)


def _known(head: bytes) -> str:
    """The sniffed type, or refuse the upload."""
    content_type = sniff(head)
    if content_type is None:
        raise UploadRefused("webchat_file_wrong_type")
    return content_type


#: The names `store_stream` gives (and their partial files): all a sweep may remove, so a
#: directory shared with other files by mistake loses nothing else.
OUR_NAME = re.compile(r"^\.?[A-Za-z0-9_-]{32}(\.part)?$")


def remove_unnamed(directory: Path, kept: set[str], before: float) -> int:
    """Remove our files that no row names (erased, or left by a crash) and that were last
    written before `before` (an upload still being recorded is newer); return how many."""
    if not directory.is_dir():
        return 0
    removed = 0
    for path in directory.iterdir():
        if path.name in kept or not OUR_NAME.match(path.name) or not path.is_file():
            continue
        if path.stat().st_mtime < before:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def kind_of(content_type: str) -> str:
    """The attachment kind the core knows: a photo, or a document (PDF)."""
    return "photo" if content_type.startswith("image/") else "document"


def clean_name(given: str | None) -> str | None:
    """The client's file name as shown to staff: no directories, no control characters,
    at most MAX_NAME_CHARS; None when nothing is left."""
    if not given:
        return None
    base = given.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return kept[:MAX_NAME_CHARS] or None


def files_directory(configured: Path | None, db_path: Path | str) -> Path:
    """Where uploads are kept: the configured directory, else `webchat-files` beside an
    SQLite database file (in the working directory for a PostgreSQL URL)."""
    if configured is not None:
        return configured
    if is_postgres(db_path):
        return Path(DEFAULT_DIRECTORY)
    return sqlite_path(db_path).parent / DEFAULT_DIRECTORY
