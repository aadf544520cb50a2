"""A local Telegram Bot API emulator for driving python-telegram-bot in tests."""

from .bot_api import (
    BOT_ID,
    BOT_USERNAME,
    DEFAULT_GROUP_USER_ID,
    DEFAULT_TOKEN,
    ApiError,
    BotApiEmulator,
    CallRecord,
    SentMessage,
    StoredFile,
    UploadedFile,
    WebhookDelivery,
)
from .formatting import EntityParseError, ParsedText, parse_formatted, utf16_len

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "DEFAULT_GROUP_USER_ID",
    "DEFAULT_TOKEN",
    "ApiError",
    "BotApiEmulator",
    "CallRecord",
    "EntityParseError",
    "ParsedText",
    "SentMessage",
    "StoredFile",
    "UploadedFile",
    "WebhookDelivery",
    "parse_formatted",
    "utf16_len",
]
