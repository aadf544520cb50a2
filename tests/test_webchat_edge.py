"""The chat at the public edge: rate limits, framing policy, the embed snippet, recovery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import ConfigError
from bot.knowledge.model import KnowledgeBase
from bot.webchat.limits import PER_ADDRESS, PER_VISITOR
from tests.webchat_env import SECURE_BASE, Chat, events, join, say, webchat

PORTAL = "https://www.example-county.gov.cn"


@pytest.fixture
async def chat(tmp_path: Path, sample_kb: KnowledgeBase) -> AsyncIterator[Chat]:
    db = tmp_path / "db.sqlite3"
    # The HTTP limits are under test: flood control (8 per 10 s) would hold their bursts.
    async with webchat(
        db, sample_kb, origins=(PORTAL,), base=SECURE_BASE, flood_messages=PER_ADDRESS
    ) as c:
        yield c


async def test_a_visitor_sending_too_fast_is_asked_to_wait(chat: Chat) -> None:
    async with chat.client() as client:
        await join(client)
        for n in range(PER_VISITOR):
            assert (await say(client, f"fast-{n:05d}", text="你好")).status_code == 200
        refused = await say(client, "fast-over1", text="你好")
        assert refused.status_code == 429 and "太快" in refused.json()["message"]
        assert int(refused.headers["retry-after"]) >= 1
        assert await chat.processor.process_pending() == PER_VISITOR
    async with chat.client() as neighbour:  # another visitor at another address: not limited
        await join(neighbour)
        assert (await say(neighbour, "other-0001", text="你好")).status_code == 200


async def test_one_address_is_limited_across_visitors(chat: Chat) -> None:
    sent = 0
    while sent < PER_ADDRESS:
        async with chat.client("10.9.9.9") as client:
            await join(client)
            for _ in range(min(PER_VISITOR, PER_ADDRESS - sent)):
                assert (await say(client, f"addr-{sent:05d}", text="hi")).status_code == 200
                sent += 1
    async with chat.client("10.9.9.9") as fresh:
        await join(fresh)
        assert (await say(fresh, "addr-over1", text="hi")).status_code == 429


async def test_only_configured_sites_may_frame_the_chat(chat: Chat) -> None:
    async with chat.client() as client:
        page = await client.get("/chat")
        csp = page.headers["content-security-policy"]
        assert f"frame-ancestors {PORTAL};" in csp  # exactly the configured sites
        assert "x-frame-options" not in page.headers
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        console = await client.get("/login")
        assert "frame-ancestors 'none'" in console.headers["content-security-policy"]
        assert console.headers["x-frame-options"] == "DENY"


def test_web_origins_are_read_and_checked() -> None:
    env = {"CITIZEN_DESK_WEB_ORIGINS": f"{PORTAL}/, http://localhost:8000"}
    assert load_settings(environ=env).web_origins == (PORTAL, "http://localhost:8000")
    with pytest.raises(ConfigError):
        load_settings(environ={"CITIZEN_DESK_WEB_ORIGINS": "*"})
    with pytest.raises(ConfigError):
        load_settings(environ={"CITIZEN_DESK_WEB_ORIGINS": "https://a.cn; script-src *"})


async def test_the_embed_snippet_is_a_floating_button_to_the_chat(chat: Chat) -> None:
    async with chat.client() as client:
        zh = await client.get("/chat/embed.js")
        assert zh.headers["content-type"].startswith("text/javascript")
        assert '"在线咨询"' in zh.text and f'"{SECURE_BASE}/chat"' in zh.text
        assert 'position = "fixed"' in zh.text
        assert f'["{PORTAL}"].indexOf(location.origin)' in zh.text  # data-frame: a panel there
        en = await client.get("/chat/embed.js", params={"lang": "en"})
        assert '"Chat with us"' in en.text and f'"{SECURE_BASE}/chat?lang=en"' in en.text


async def test_a_recovery_code_continues_the_conversation_elsewhere(chat: Chat) -> None:
    async with chat.client() as phone, chat.client("10.0.0.7") as laptop:
        await join(phone)
        await say(phone, "phone-0001", text="低保怎么申请")
        await chat.processor.process_pending()
        on_phone = events(await phone.get("/chat/events"))
        assert on_phone
        code = (await phone.post("/chat/code", json={}, headers={"origin": SECURE_BASE})).json()[
            "code"
        ]
        await join(laptop)
        assert events(await laptop.get("/chat/events")) == []
        wrong = await laptop.post(
            "/chat/restore", json={"code": "nope"}, headers={"origin": SECURE_BASE}
        )
        assert wrong.status_code == 400 and "恢复码不正确" in wrong.json()["message"]
        right = await laptop.post(
            "/chat/restore", json={"code": code}, headers={"origin": SECURE_BASE}
        )
        assert right.status_code == 200
        await join(laptop)  # the page again, with the restored key
        assert events(await laptop.get("/chat/events")) == on_phone


async def test_the_recovery_code_is_given_only_to_its_own_page(chat: Chat) -> None:
    async with chat.client() as client:
        await join(client)
        del client.headers["x-csrf-token"]
        refused = await client.post("/chat/code", json={}, headers={"origin": SECURE_BASE})
        assert refused.status_code == 403 and "code" not in refused.json()
