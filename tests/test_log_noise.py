"""Expected, handled conditions log one line below ERROR; ERROR is for what needs a person."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.dialogue import Dialogue
from bot.matching.matcher import Matcher
from bot.reload import KnowledgeReloader
from tests.conftest import write_kb
from tests.emulator import BotApiEmulator
from tests.telegram_harness import running_bot

CHAT = 5001
#: What a proxy in front of the Bot API (nginx) answers when the API is down.
NGINX_500 = (
    "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n"
    "<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx/1.18.0"
    "</center>\r\n</body>\r\n</html>\r\n" + "<!-- padding -->\r\n" * 6
)


def noise(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Records that would page a person or spread over several lines."""
    return [
        f"{r.levelname} {r.name}: {r.getMessage()!r} (traceback: {r.exc_info is not None})"
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.exc_info or "\n" in r.getMessage()
    ]


async def test_429_is_one_info_line_and_the_message_is_delivered(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # The rate limiter is on (as in production); the sends are made in this process, so
    # caplog sees python-telegram-bot's records too (the send worker imports the same setup).
    settings = {"rate_limit": 30, "send_worker": False}
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3", **settings):
        emulator.fail_next("sendMessage", error_code=429, retry_after=1)
        emulator.add_message(CHAT, "低保怎么申请")
        sent = await emulator.wait_for_sent(CHAT, 1, timeout=15)
    assert sent[0].plain_text is not None and "最低生活保障" in sent[0].plain_text
    assert noise(caplog) == []
    told = [r for r in caplog.records if r.name.startswith("bot.") and "429" in r.getMessage()]
    assert len(told) == 1 and told[0].levelno == logging.INFO


async def test_html_500_is_one_warning_line_and_the_message_is_delivered(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings = {"rate_limit": 30, "send_worker": False}
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3", **settings):
        emulator.fail_next("sendMessage", error_code=500, html=NGINX_500)
        emulator.add_message(CHAT, "低保怎么申请")
        sent = await emulator.wait_for_sent(CHAT, 1, timeout=15)
    assert sent[0].plain_text is not None and "最低生活保障" in sent[0].plain_text
    assert noise(caplog) == []
    told = [r for r in caplog.records if r.name.startswith("bot.") and "500" in r.getMessage()]
    assert len(told) == 1 and told[0].levelno == logging.WARNING
    assert "500 Internal Server Error" in told[0].getMessage()
    assert len(told[0].getMessage()) < 300  # not the whole page


async def test_429_at_start_is_one_info_line(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    emulator.fail_next("setMyCommands", error_code=429, retry_after=1)
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3", rate_limit=30):
        await emulator.wait_for_call("setMyCommands", 4, timeout=15)
    assert noise(caplog) == []
    told = [r for r in caplog.records if r.name.startswith("bot.") and "429" in r.getMessage()]
    assert [r.levelno for r in told] == [logging.INFO]
    assert "setMyCommands" in told[0].getMessage()


async def _notice(text: str) -> None:
    """Admin notices are checked in tests/test_admin.py."""


async def test_a_broken_reload_is_one_warning_line(
    matcher: Matcher, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kb_dir = write_kb(tmp_path / "kb", {"kb.yaml": "entries:\n  - id: a\n    title: [\n"})
    reloader = KnowledgeReloader(kb_dir, Dialogue(matcher), _notice)
    caplog.set_level(logging.INFO)
    report = await reloader.reload()
    assert report.startswith("知识库重新加载失败")  # to the admins; the log is in English
    assert noise(caplog) == []
    told = [r for r in caplog.records if "reload failed" in r.getMessage()]
    assert [r.levelno for r in told] == [logging.WARNING]
    assert "kb.yaml" in told[0].getMessage()


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("bot.") and r.levelno >= logging.ERROR]


async def test_a_message_the_bot_api_refuses_is_still_an_error(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A 400 is no passing condition: the message is lost unless a person looks, so it
    stays at ERROR (a blanket downgrade of the Bot API's errors would fail here)."""
    caplog.set_level(logging.INFO)
    settings = {"rate_limit": 30, "send_worker": False}
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3", **settings):
        emulator.fail_next(
            "sendMessage", error_code=400, description="Bad Request: can't parse entities"
        )
        emulator.add_message(CHAT, "低保怎么申请")
        await emulator.wait_for_call("sendMessage", 1, timeout=15)
        for _ in range(50):
            if errors(caplog):
                break
            await asyncio.sleep(0.1)
    told = errors(caplog)
    assert len(told) == 1, [r.getMessage() for r in told]
    assert "refused by the Bot API" in told[0].getMessage()
    assert "can't parse entities" in told[0].getMessage().lower()
    assert emulator.sent(CHAT) == []


async def test_an_update_that_cannot_be_read_is_an_error_with_its_traceback(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A poison update is a bug somewhere (ours or upstream): ERROR, with the traceback."""
    caplog.set_level(logging.INFO)
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3"):
        emulator.add_raw_update({"message": {"message_id": 1, "chat": {"id": CHAT + 1}}})
        emulator.add_message(CHAT, "低保怎么申请")
        await emulator.wait_for_sent(CHAT, 1, timeout=15)
        for _ in range(50):
            if errors(caplog):
                break
            await asyncio.sleep(0.1)
    told = [r for r in errors(caplog) if "cannot be read" in r.getMessage()]
    assert len(told) == 1 and told[0].exc_info is not None
