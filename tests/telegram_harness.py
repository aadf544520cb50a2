"""Run the real Telegram service in-process against the Bot API emulator."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.channels.telegram import TelegramService
from bot.config import load_settings
from bot.dialogue import Dialogue
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher
from tests.emulator import BotApiEmulator


@asynccontextmanager
async def running_bot(
    emulator: BotApiEmulator, kb: KnowledgeBase | Matcher, db: Path, **settings: Any
) -> AsyncIterator[TelegramService]:
    """Start the service (long polling with a short timeout) and stop it afterwards."""
    values: dict[str, Any] = {
        "token": emulator.token,
        "api_base_url": emulator.base_url,
        "db_path": db,
        "poll_timeout": 1,
        "rate_limit": 0,
        "chat_interval": 0,
    }
    values.update(settings)
    config = load_settings(environ={}, overrides=values)
    matcher = kb if isinstance(kb, Matcher) else Matcher(kb)
    service = TelegramService(config, Dialogue(matcher))
    task = asyncio.create_task(service.run(install_signals=False))
    await emulator.wait_for_call("setMyCommands", 3)
    try:
        yield service
    finally:
        service.stopping.set()
        code = await asyncio.wait_for(task, timeout=15)
        assert code == 0


def processes() -> dict[int, list[str]]:
    """Every process's id and arguments (`ps`: Linux and macOS)."""
    out = subprocess.run(["ps", "-ww", "-eo", "pid=,args="], capture_output=True, text=True)
    found = {}
    for line in out.stdout.splitlines():
        pid, _, args = line.strip().partition(" ")
        found[int(pid)] = args.split()
    return found
