"""Upload storage: type from magic bytes, size capped while streaming, nothing left on refusal."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.webchat.files import MAX_UPLOAD_BYTES, UploadRefused, sniff, store_stream

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100


async def _chunks(data: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_sniff_reads_magic_bytes_not_names():
    assert sniff(JPEG) == "image/jpeg"
    assert sniff(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0d") == "image/png"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff(b"%PDF-1.7\n") == "application/pdf"
    assert sniff(b"just some text pretending to be a jpg") is None


async def test_jpeg_stored_under_a_random_name(tmp_path: Path):
    stored = await store_stream(_chunks(JPEG, 5), tmp_path)
    assert stored.content_type == "image/jpeg" and stored.size == len(JPEG)
    assert [p.name for p in tmp_path.iterdir()] == [stored.name]
    assert (tmp_path / stored.name).read_bytes() == JPEG


async def test_text_named_jpg_refused_and_nothing_left(tmp_path: Path):
    with pytest.raises(UploadRefused) as refused:
        await store_stream(_chunks(b"hello, this is text\n" * 10), tmp_path)
    assert refused.value.key == "webchat_file_wrong_type"
    assert list(tmp_path.iterdir()) == []


async def test_eleven_megabytes_refused_before_the_end(tmp_path: Path):
    read = 0

    async def eleven_mb() -> AsyncIterator[bytes]:
        nonlocal read
        yield JPEG
        for _ in range(11 * 16):
            read += 65536
            yield b"\x00" * 65536

    with pytest.raises(UploadRefused) as refused:
        await store_stream(eleven_mb(), tmp_path)
    assert refused.value.key == "webchat_file_too_big"
    assert read <= MAX_UPLOAD_BYTES + 65536
    assert list(tmp_path.iterdir()) == []
