"""The citizen's commands: one list for /help and for Telegram's command menu."""

from __future__ import annotations

from bot.messages import t

#: Every command a citizen can send on any channel, in the order they are listed.
CITIZEN_COMMANDS = (
    "start",
    "help",
    "services",
    "complain",
    "status",
    "human",
    "cancel",
    "skip",
    "mydata",
    "forget",
    "disclose",
    "lang",
)
#: Commands that work only with a ticket desk (personal data and requests live there).
DESK_COMMANDS = frozenset({"mydata", "forget", "disclose"})


def available(with_desk: bool, channel: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The commands that work here: without a desk, no personal-data commands; plus the
    channel's own (the terminal's /quit)."""
    core = tuple(c for c in CITIZEN_COMMANDS if with_desk or c not in DESK_COMMANDS)
    return core + channel


def describe(command: str, lang: str) -> str:
    """A command's one-line description."""
    return t(f"command_{command}", lang)


def help_text(commands: tuple[str, ...], lang: str) -> str:
    """The /help message: how to ask, then every command with what it does."""
    lines = [t("help_intro", lang)]
    lines.extend(f"/{command} {describe(command, lang)}" for command in commands)
    return "\n".join(lines)
