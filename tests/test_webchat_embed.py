"""The chat framed by a county portal on another site (CITIZEN_DESK_WEB_ORIGINS): its cookie
works in a cross-site iframe (SameSite=None; Secure; Partitioned), the console's do not
loosen, the frame policy names exactly the configured sites, and a forged POST is refused
although the cookie goes with it. The real-browser side is test_webchat_embed_browser.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.knowledge.model import KnowledgeBase
from bot.tickets.model import Role
from bot.web.accounts import Account, AccountStore
from tests.web_env import PASSWORD, login
from tests.webchat_env import SECURE_BASE, Chat, join, say, webchat

PORTAL = "https://www.example-county.gov.cn"
OTHER = "https://evil.example.com"


def attributes(response: httpx.Response, name: str, kept: bool = True) -> dict[str, str]:
    """The attributes (lower-cased names) of the Set-Cookie keeping `name` in a response (or,
    `kept` false, of the one expiring it)."""
    for header in response.headers.get_list("set-cookie"):
        first, *rest = (part.strip() for part in header.split(";"))
        pairs = (part.partition("=") for part in rest)
        found = {key.lower(): value for key, _, value in pairs}
        if first.split("=", 1)[0] == name and (found.get("max-age") != "0") == kept:
            return found
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


@pytest.fixture
async def embedded(tmp_path: Path, sample_kb: KnowledgeBase) -> AsyncIterator[Chat]:
    """The chat with one portal allowed to frame it, behind HTTPS."""
    db = tmp_path / "db.sqlite3"
    async with webchat(db, sample_kb, origins=(PORTAL,), base=SECURE_BASE) as chat:
        yield chat


@pytest.fixture
async def alone(tmp_path: Path, sample_kb: KnowledgeBase) -> AsyncIterator[Chat]:
    """The chat no site may frame (no CITIZEN_DESK_WEB_ORIGINS)."""
    async with webchat(tmp_path / "db.sqlite3", sample_kb) as chat:
        yield chat


async def test_an_embedded_chats_cookie_works_in_a_cross_site_frame(embedded: Chat) -> None:
    async with embedded.client() as client:
        page = await client.get("/chat")
        cookie = attributes(page, "cd_chat")
        assert cookie["samesite"] == "None"
        assert {"secure", "partitioned", "httponly"} <= cookie.keys()
        assert cookie["path"] == "/chat"
        # A visitor from before embedding was turned on loses the unpartitioned one.
        stale = attributes(page, "cd_chat", kept=False)
        assert stale["samesite"] == "Lax" and "partitioned" not in stale
        code = (await client.post("/chat/code", json={}, headers=_own(page))).json()
        assert "code" not in code  # no token yet: this client never read the page's
        await join(client)
        code = (await client.post("/chat/code", json={}, headers=_own(page))).json()["code"]
        restored = await client.post("/chat/restore", json={"code": code}, headers=_own(page))
        assert restored.status_code == 200
        again = attributes(restored, "cd_chat")
        assert again["samesite"] == "None" and {"secure", "partitioned"} <= again.keys()


async def test_embedding_never_loosens_the_consoles_cookies(embedded: Chat) -> None:
    async with embedded.store.transaction():
        await AccountStore(embedded.store).save(Account("clerk", Role.STAFF, None, "C"), PASSWORD)
    async with embedded.client() as client:
        form = await client.get("/login")
        assert attributes(form, "cd_login")["samesite"] == "strict"
        signed_in = await login(client, "clerk")
        assert signed_in.status_code == 303
        session = attributes(signed_in, "cd_session")
        assert session["samesite"] == "strict" and "partitioned" not in session
        console = await client.get("/")
        assert "frame-ancestors 'none'" in console.headers["content-security-policy"]
        assert console.headers["x-frame-options"] == "DENY"


async def test_without_origins_the_chat_keeps_lax_cookies_and_no_framing(alone: Chat) -> None:
    async with alone.client() as client:
        page = await client.get("/chat")
        cookie = attributes(page, "cd_chat")
        assert cookie["samesite"] == "Lax"
        assert "partitioned" not in cookie and "secure" not in cookie  # plain http here
        assert "partitioned" in attributes(page, "cd_chat", kept=False)  # expired, if any
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        await join(client)
        assert (await say(client, "alone-0001", text="低保怎么申请")).status_code == 200


async def test_the_frame_policy_names_exactly_the_configured_sites(
    tmp_path: Path, sample_kb: KnowledgeBase
) -> None:
    second = "http://localhost:8000"
    db = tmp_path / "db.sqlite3"
    async with webchat(db, sample_kb, origins=(PORTAL, second), base=SECURE_BASE) as chat:
        page = await _page(chat)
    directives = [d.strip() for d in page.headers["content-security-policy"].split(";")]
    assert f"frame-ancestors {PORTAL} {second}" in directives
    assert "x-frame-options" not in page.headers  # it cannot name two sites; the CSP does


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": PORTAL},  # the portal's own page, not the chat's
        {"origin": OTHER},
        {"origin": "null"},  # a sandboxed frame
        {"sec-fetch-site": "cross-site"},  # no Origin, but the browser says where from
        {"sec-fetch-site": "same-site"},
        {"origin": SECURE_BASE, "sec-fetch-site": "cross-site"},
    ],
)
async def test_a_forged_post_is_refused_though_the_cookie_goes_with_it(
    embedded: Chat, headers: dict[str, str]
) -> None:
    """The worst case: the forger's request has the visitor's cookie and even the token (a
    browser that sends SameSite=None cookies everywhere); only where it comes from differs."""
    async with embedded.client() as client:
        await join(client)
        body = {"id": "forged-0001", "text": "低保怎么申请"}
        for path, payload in (("/chat/send", body), ("/chat/code", {}), ("/chat/restore", {})):
            refused = await client.post(path, json=payload, headers=headers)
            assert refused.status_code == 403, (path, refused.text)
            assert "code" not in refused.json() and "csrf" not in refused.json()
        upload = await client.post(
            "/chat/upload", content=b"\xff\xd8\xff", headers={**headers, "x-upload-id": "up-00001"}
        )
        assert upload.status_code == 403
        # The chat's own page, in the portal's frame: its requests are same-origin.
        own = {"origin": SECURE_BASE, "sec-fetch-site": "same-origin"}
        accepted = await client.post("/chat/send", json=body, headers=own)
        assert accepted.status_code == 200 and accepted.json()["duplicate"] is False
    assert await embedded.processor.process_pending() == 1  # the forged copies were not stored


async def _page(chat: Chat) -> httpx.Response:
    """GET /chat as a new visitor."""
    async with chat.client() as client:
        return await client.get("/chat")


def _own(response: httpx.Response) -> dict[str, str]:
    """The Origin of the chat's own page (the server the response came from)."""
    url = response.request.url
    return {"origin": f"{url.scheme}://{url.netloc.decode()}"}
