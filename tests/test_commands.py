"""One list of citizen commands (issue 10.9): /help and Telegram's command menu list the
same commands, each works, and a channel lists only the commands it has."""

from __future__ import annotations

import re
from pathlib import Path

from bot.matching.matcher import Matcher
from bot.messages import t
from tests.emulator import BotApiEmulator
from tests.telegram_harness import running_bot

CHAT = 5001
EVERY = {"start", "help", "services", "complain", "status", "human", "cancel", "skip"}
EVERY |= {"mydata", "forget", "disclose", "lang"}


async def said(emulator: BotApiEmulator, text: str) -> str:
    before = len(emulator.sent(CHAT))
    emulator.add_message(CHAT, text)
    sent = await emulator.wait_for_sent(CHAT, before + 1)
    return "\n".join(m.plain_text or "" for m in sent[before:])


async def test_telegram_help_and_menu_list_every_command_and_each_works(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    # Thirteen commands in a row: flood control would (rightly) hold some of them.
    async with running_bot(emulator, matcher, tmp_path / "db.sqlite3", flood_messages=100):
        shown = await said(emulator, "/help")
        listed = set(re.findall(r"^/(\w+) \S", shown, flags=re.MULTILINE))
        assert listed == EVERY, shown  # every command, and no terminal-only /quit
        for command in sorted(listed):
            assert t("unknown_command", "zh") not in await said(emulator, f"/{command}")
    for lang in ("zh", "en", ""):
        menu = {c["command"] for c in emulator.commands_for(lang)}
        assert menu == EVERY, (lang, menu)
    zh = {c["command"]: c["description"] for c in emulator.commands_for("zh")}
    assert zh["skip"] == t("command_skip", "zh")
