"""Web chat uploads on disk: the type read from magic bytes, the size capped while streaming."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

#: Largest accepted upload.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: Bytes needed to recognise every accepted type.
SNIFF_BYTES = 12


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
            os.fsync(out.fileno())
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
