"""Photos from the web chat, over real HTTP to uvicorn and onto real files: attached to the
filed ticket like a Telegram photo, refused politely when wrong, shown only to their owner
and to console staff."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from bot.knowledge.model import KnowledgeBase
from bot.messages import t
from bot.notify import OutboxNotifier
from bot.privacy import apply_retention, forget
from bot.store import Store
from bot.store.webchat_files import WebChatFilesSQL
from bot.tickets.model import Attachment, Role
from bot.tickets.service import TicketDesk
from bot.web.accounts import Account, AccountStore
from bot.webchat.files import MAX_UPLOAD_BYTES
from bot.webchat.limits import PER_VISITOR
from bot.workdays import WorkCalendar
from tests.web_env import PASSWORD, login
from tests.webchat_env import Chat, events, join, served, webchat

#: An 8×8 red JPEG (made by Pillow), as a phone would send.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4"
    "UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAIAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcI"
    "CQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRol"
    "JicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ip"
    "qrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAA"
    "AAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLR"
    "ChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaX"
    "mJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEA"
    "PwDHooorhPqD/9k="
)
#: A Windows program's first bytes, as a renamed .exe starts.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 4000
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DESCRIPTION = "村口垃圾堆放多日无人清理，气味很大"


def png(width: int = 4, height: int = 4) -> bytes:
    """A valid grey PNG, built by hand (zlib and CRCs)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@dataclass
class Site:
    """The chat served on loopback, its database and its files directory."""

    chat: Chat
    base: str
    files: Path

    def client(self) -> httpx.AsyncClient:
        """A browser: its own cookies, our Origin on every request."""
        return httpx.AsyncClient(base_url=self.base, headers={"origin": self.base}, timeout=30)

    @asynccontextmanager
    async def visitor(self) -> AsyncIterator[httpx.AsyncClient]:
        """A browser that has opened the chat page."""
        async with self.client() as client:
            await join(client)
            yield client

    async def scalar(self, sql: str, *args: Any) -> Any:
        async with self.chat.store.conn.execute(sql, args) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    def stored(self) -> list[Path]:
        """Every file in the files directory, partial ones included."""
        return sorted(self.files.iterdir()) if self.files.exists() else []


@pytest.fixture
async def site(tmp_path: Path, sample_kb: KnowledgeBase) -> AsyncIterator[Site]:
    async with webchat(tmp_path / "db.sqlite3", sample_kb) as chat, served(chat.app) as base:
        yield Site(chat, base, tmp_path / "webchat-files")


async def say(site: Site, client: httpx.AsyncClient, n: int, **body: str) -> list[dict[str, Any]]:
    """Send a message (text or action) as the page does; return the replies it got."""
    before = len(events(await client.get("/chat/events")))
    response = await client.post("/chat/send", json={"id": f"msg-{n:06d}", **body})
    assert response.status_code == 200, response.text
    await site.chat.processor.process_pending()
    return [p for _, p in events(await client.get("/chat/events"))[before:]]


async def upload(
    client: httpx.AsyncClient, content: Any, name: str = "门口.jpg", upload_id: str = "upload-0001"
) -> httpx.Response:
    """Send a file as the page does: the body is the file, its name percent-encoded."""
    headers = {"x-upload-id": upload_id, "x-file-name": quote(name)}
    headers["content-type"] = "application/octet-stream"
    return await client.post("/chat/upload", content=content, headers=headers)


async def to_attachments(site: Site, client: httpx.AsyncClient) -> str:
    """Fill the environment complaint up to its attachments step; return that prompt."""
    await say(site, client, 1, text="/complain")
    await say(site, client, 2, action="fm:cat:environment")
    await say(site, client, 3, text=DESCRIPTION)
    await say(site, client, 4, text="东风村村口")
    replies = await say(site, client, 5, text="昨天上午")
    return " ".join(p["text"] for p in replies)


def actions(replies: list[dict[str, Any]]) -> list[str]:
    return [cell["data"] for p in replies for row in p.get("buttons") or [] for cell in row]


async def file_complaint_with(site: Site, client: httpx.AsyncClient, content: bytes, name: str):
    """The whole form with one file sent at its attachments step; the filed ticket."""
    prompt = await to_attachments(site, client)
    assert "10MB" in prompt and "20MB" not in prompt  # the web chat's own limit
    sent = await upload(client, content, name)
    assert sent.status_code == 200, sent.text
    await site.chat.processor.process_pending()
    added = [p["text"] for _, p in events(await client.get("/chat/events"))][-1]
    assert added == t("form_attachment_added", "zh", count=1)
    await say(site, client, 6, action="fm:done")
    summary = await say(site, client, 7, action="fm:skip")
    (confirm,) = [a for a in actions(summary) if a.startswith("fm:confirm:")]
    await say(site, client, 8, action=confirm)
    number = await site.scalar("SELECT number FROM tickets")
    ticket = await site.chat.desk.tickets.by_number(number)
    assert ticket is not None
    return sent.json()["id"], ticket


@pytest.mark.parametrize(
    ("content", "name"), [(JPEG, "门口.jpg"), (png(), "垃圾堆.png")], ids=["jpeg", "png"]
)
async def test_a_photo_is_attached_to_the_filed_ticket(site: Site, content: bytes, name: str):
    async with site.visitor() as client:
        file_id, ticket = await file_complaint_with(site, client, content, name)
    assert ticket.attachments == (Attachment("photo", f"web:{file_id}", len(content), name),)
    (on_disk,) = site.stored()
    assert on_disk.read_bytes() == content
    assert name not in on_disk.name and "." not in on_disk.name  # a random name, no suffix
    assert on_disk.parent == site.files and site.files.parent == Path(site.chat.store.path).parent


@pytest.mark.parametrize(
    ("content", "name"),
    [(EXE, "photo.jpg"), (b"just a text file, renamed\n" * 20, "scan.png"), (b"", "empty.jpg")],
    ids=["renamed-exe", "text", "empty"],
)
async def test_a_file_of_another_type_is_refused_and_nothing_stored(
    site: Site, content: bytes, name: str
):
    async with site.visitor() as client:
        await to_attachments(site, client)
        refused = await upload(client, content, name)
        en = await client.post(
            "/chat/upload?lang=en", content=content, headers={"x-upload-id": "upload-0002"}
        )
    assert refused.status_code == 415
    assert refused.json()["message"] == t("webchat_file_wrong_type", "zh")
    assert (
        en.status_code == 415 and "PDF" in en.json()["message"] and "photo" in en.json()["message"]
    )
    assert site.stored() == []
    assert await site.scalar("SELECT count(*) FROM webchat_files") == 0
    assert (
        await site.scalar("SELECT count(*) FROM webchat_inbox WHERE client_id LIKE 'file:%'") == 0
    )


async def test_ten_megabytes_and_one_byte_is_refused_and_the_partial_file_removed(site: Site):
    async def stream(total: int) -> AsyncIterator[bytes]:  # chunked: no Content-Length to trust
        yield JPEG
        sent = len(JPEG)
        while sent < total:
            piece = min(256 * 1024, total - sent)
            sent += piece
            yield b"\x00" * piece

    async with site.visitor() as client:
        over = await upload(client, stream(MAX_UPLOAD_BYTES + 1), upload_id="upload-over")
        assert over.status_code == 413
        assert over.json()["message"] == t("webchat_file_too_big", "zh", mb=10)
        assert "10MB" in over.json()["message"]
        assert site.stored() == []
        assert await site.scalar("SELECT count(*) FROM webchat_files") == 0
        exact = await upload(client, stream(MAX_UPLOAD_BYTES), upload_id="upload-exact")
        assert exact.status_code == 200, exact.text  # the limit itself is allowed
    (kept,) = site.stored()
    assert kept.stat().st_size == MAX_UPLOAD_BYTES


async def test_a_declared_length_over_the_limit_is_refused_before_the_body(site: Site):
    async with site.visitor() as client:
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        token = client.headers["x-csrf-token"]
    host = urlsplit(site.base).netloc
    reader, writer = await asyncio.open_connection(*host.split(":"))
    head = (
        f"POST /chat/upload HTTP/1.1\r\nHost: {host}\r\nOrigin: {site.base}\r\n"
        f"Cookie: {cookie}\r\nX-CSRF-Token: {token}\r\nX-Upload-Id: upload-huge\r\n"
        f"Content-Length: {MAX_UPLOAD_BYTES * 5}\r\n\r\n"
    )
    writer.write(head.encode() + JPEG)  # 50 MB announced, 632 bytes sent: answered at once
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), timeout=10)
    writer.close()
    assert status.startswith(b"HTTP/1.1 413")
    assert site.stored() == []


async def test_a_file_is_shown_to_its_visitor_and_staff_only(site: Site):
    async with site.visitor() as owner:
        photo = await upload(owner, JPEG, "门口.jpg", "upload-photo")
        paper = await upload(owner, PDF, "证明.pdf", "upload-paper")
        photo_url = f"/chat/files/{photo.json()['id']}"
        paper_url = f"/chat/files/{paper.json()['id']}"
        mine = await owner.get(photo_url)
        pdf = await owner.get(paper_url)
    assert mine.status_code == 200 and mine.content == JPEG
    assert mine.headers["content-type"] == "image/jpeg"
    assert mine.headers["x-content-type-options"] == "nosniff"
    assert mine.headers["content-disposition"].startswith("inline; filename*=utf-8''")
    assert quote("门口.jpg") in mine.headers["content-disposition"]
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    async with site.visitor() as other, site.client() as stranger:
        assert (await other.get(photo_url)).status_code == 404
        assert (await stranger.get(photo_url)).status_code == 404
        stranger.cookies.set("cd_session", "not-a-session")
        assert (await stranger.get(photo_url)).status_code == 404
        assert (await other.get("/chat/files/999999")).status_code == 404
        assert (await other.get("/chat/files/²")).status_code == 404
    async with site.chat.store.transaction():
        await AccountStore(site.chat.store).save(
            Account("clerk", Role.STAFF, None, "王五"), PASSWORD
        )
    async with site.client() as staff:
        assert (await login(staff, "clerk")).status_code == 303
        seen = await staff.get(photo_url)
        assert seen.status_code == 200 and seen.content == JPEG
        assert seen.headers["content-type"] == "image/jpeg"


async def test_an_upload_without_the_page_token_or_from_another_site_is_refused(site: Site):
    async with site.visitor() as client:
        token = client.headers.pop("x-csrf-token")
        missing = await upload(client, JPEG, upload_id="upload-nocsrf")
        client.headers["x-csrf-token"] = "0" * len(token)
        wrong = await upload(client, JPEG, upload_id="upload-badcsrf")
        client.headers["x-csrf-token"] = token
        client.headers["origin"] = "https://evil.example"
        foreign = await upload(client, JPEG, upload_id="upload-foreign")
        client.headers["origin"] = site.base
        bad_id = await upload(client, JPEG, upload_id="../../x")
        accepted = await upload(client, JPEG, upload_id="upload-good")
    async with site.client() as no_cookie:
        no_cookie.headers["x-csrf-token"] = token
        cookieless = await upload(no_cookie, JPEG, upload_id="upload-nocookie")
    assert [r.status_code for r in (missing, wrong, foreign, cookieless)] == [403] * 4
    assert missing.json()["message"] == t("webchat_bad_message", "zh")
    assert bad_id.status_code == 400
    assert accepted.status_code == 200  # the same client with everything right
    assert await site.scalar("SELECT count(*) FROM webchat_files") == 1
    assert len(site.stored()) == 1


async def test_a_retried_upload_is_stored_once_and_uploads_share_the_rate_limit(site: Site):
    async with site.visitor() as client:
        first = await upload(client, JPEG, upload_id="upload-same")
        again = await upload(client, JPEG, upload_id="upload-same")
        assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
        assert again.json()["id"] == first.json()["id"]
        assert len(site.stored()) == 1
        for n in range(PER_VISITOR - 2):
            assert (await upload(client, png(), upload_id=f"upload-{n:04d}")).status_code == 200
        slow = await upload(client, png(), upload_id="upload-slow")
        assert slow.status_code == 429 and int(slow.headers["retry-after"]) >= 1
    assert await site.scalar("SELECT count(*) FROM webchat_files") == PER_VISITOR - 1
    assert len(site.stored()) == PER_VISITOR - 1


async def test_the_console_ticket_page_links_the_photo(site: Site):
    async with site.visitor() as client:
        file_id, ticket = await file_complaint_with(site, client, JPEG, "门口.jpg")
    async with site.chat.store.transaction():
        await AccountStore(site.chat.store).save(
            Account("clerk", Role.STAFF, None, "王五"), PASSWORD
        )
    async with site.client() as staff:
        await login(staff, "clerk")
        page = await staff.get(f"/t/{ticket.number}")
        assert page.status_code == 200
        assert f'href="/chat/files/{file_id}"' in page.text and "门口.jpg" in page.text
        photo = await staff.get(f"/chat/files/{file_id}")
        assert photo.status_code == 200 and photo.content == JPEG


async def test_a_visitor_who_erases_their_data_erases_their_photos(site: Site):
    async with site.visitor() as client:
        file_id, ticket = await file_complaint_with(site, client, JPEG, "门口.jpg")
        url = f"/chat/files/{file_id}"
        (on_disk,) = site.stored()
        loose = await upload(client, png(), "other.png", "upload-loose")  # on no ticket
        assert loose.status_code == 200
        stray = site.files / "notes.txt"  # not a name of ours: never swept
        stray.write_text("an admin's note")
        assert await site.chat.files.sweep(grace=0) == 0  # a named file stays
        assert on_disk.exists() and (await client.get(url)).status_code == 200
        history = events(await client.get("/chat/events"))
        assert len(history) >= 4
        await say(site, client, 20, text="/forget")
        await client.post("/chat/send", json={"id": "msg-000021", "action": "pd:forget"})
        await site.chat.processor.process_pending()
        # The page reopened (no Last-Event-ID) shows only what came after the erasure.
        after = events(await client.get("/chat/events"))
        assert after and all(n > history[-1][0] for n, _ in after)
        done = [p for _, p in after]
        assert "1" in done[-1]["text"]
        assert not any("门口" in str(p) for p in done)
        blank = "SELECT count(*) FROM outbox WHERE kind = 'webchat' AND owner IS NULL"
        assert await site.scalar(blank) >= len(history)
        assert (await client.get(url)).status_code == 404
    assert await site.scalar("SELECT count(*) FROM webchat_files") == 0
    erased = await site.chat.desk.tickets.by_number(ticket.number)
    assert erased is not None and erased.attachments == ()
    assert await site.chat.files.sweep(grace=3600) == 0  # too recent: it may be in flight
    assert await site.chat.files.sweep(grace=0) == 2
    assert site.stored() == [stray]


async def test_retention_erases_the_photos_of_old_tickets(site: Site):
    async with site.visitor() as client:
        file_id, ticket = await file_complaint_with(site, client, JPEG, "门口.jpg")
        kept = await upload(client, png(), "other.png", "upload-kept")  # on no old ticket
    async with site.chat.store.transaction():
        await site.chat.store.conn.execute(
            "UPDATE tickets SET closed_at = '2020-01-02T00:00:00+00:00' WHERE id = ?", (ticket.id,)
        )
        assert await apply_retention(site.chat.store, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) == 1
    ids = await site.scalar("SELECT group_concat(id) FROM webchat_files")
    assert ids == str(kept.json()["id"]) and str(file_id) != ids
    assert await site.chat.files.sweep(grace=0) == 1
    assert len(site.stored()) == 1


async def test_erasure_sql_on_both_engines(db_target: Path | str, sample_kb: KnowledgeBase):
    """Retention drops the rows of files on old tickets only; a forget drops the visitor's."""
    async with Store.opened(db_target) as store:
        desk = TicketDesk(store, sample_kb, WorkCalendar(), OutboxNotifier(store, -100))
        sql = WebChatFilesSQL(store.conn)
        async with store.transaction():
            on_ticket = await sql.add("chat:a", "upload-0001", "n" * 32, "image/jpeg", 9, "a.jpg")
            loose = await sql.add("chat:a", "upload-0002", "m" * 32, "image/png", 9, None)
            other = await sql.add("chat:b", "upload-0003", "o" * 32, "image/png", 9, None)
            photo = Attachment("photo", f"web:{on_ticket}", 9, "a.jpg")
            ticket = await desk.file("chat:a", "environment", DESCRIPTION, attachments=(photo,))
            await store.conn.execute(
                "UPDATE tickets SET closed_at = '2020-01-02T00:00:00+00:00' WHERE id = ?",
                (ticket.id,),
            )
            await apply_retention(store, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        assert await sql.by_id(on_ticket or 0) is None
        assert await sql.by_id(loose or 0) is not None and await sql.by_id(other or 0) is not None
        async with store.transaction():
            await forget(store, "chat:a")
        assert await sql.by_id(loose or 0) is None and await sql.by_id(other or 0) is not None
        assert await sql.stored_names() == {"o" * 32}
