"""pytest fixtures for the Bot API emulator.

Import them into a ``conftest.py`` (or a test module)::

    from tests.emulator.fixtures import emulator, emulator_bot  # noqa: F401
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from telegram import Bot

from .bot_api import DEFAULT_TOKEN, BotApiEmulator


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    """A started :class:`BotApiEmulator` for token ``123456:TEST``, stopped afterwards."""
    emu = BotApiEmulator(token=DEFAULT_TOKEN)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


@pytest_asyncio.fixture
async def emulator_bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    """An initialised ``telegram.Bot`` talking to the ``emulator`` fixture."""
    bot = Bot(emulator.token, base_url=emulator.base_url, base_file_url=emulator.base_file_url)
    async with bot:
        yield bot
