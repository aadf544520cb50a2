"""A local Telegram Bot API emulator for tests.

:class:`BotApiEmulator` runs an :mod:`aiohttp` server on ``127.0.0.1`` (random free port) that
speaks enough of the Bot API for python-telegram-bot to run against it unchanged::

    emu = BotApiEmulator()
    await emu.start()
    app = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    emu.add_message(1001, "/start")
    sent = await emu.wait_for_sent(1001, 1)

Tests feed updates with :meth:`BotApiEmulator.add_message`, :meth:`~BotApiEmulator.add_callback`
and :meth:`~BotApiEmulator.add_raw_update`, and read back what the bot did through
:meth:`~BotApiEmulator.sent`, :attr:`~BotApiEmulator.calls`,
:attr:`~BotApiEmulator.callback_answers` and friends.  Waiting never sleeps: every change wakes
the waiters through an :class:`asyncio.Event`.

Behaviour that mirrors the real server (so bugs show up in tests, not in production):

* error codes: a wrong token gets 401, an unknown method 400 "method not found" (not 404,
  which python-telegram-bot reads as an invalid token), ``getUpdates`` while a webhook is set
  or while another ``getUpdates`` is waiting gets 409;
* ``sendMessage`` rejects text over 4096 characters, bad HTML / MarkdownV2 markup, inline
  buttons whose ``callback_data`` is over 64 bytes, and replies to unknown messages;
* ``editMessageText`` without ``reply_markup`` removes the inline keyboard, and an edit that
  changes nothing gets "message is not modified";
* ``answerCallbackQuery`` accepts each query id once;
* ``getUpdates`` honours ``offset`` (confirming earlier updates), ``limit``, ``timeout`` and
  ``allowed_updates`` (by default ``chat_member``, ``message_reaction`` and
  ``message_reaction_count`` updates are not delivered, as on Telegram).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import logging
import mimetypes
import re
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Literal, TypeVar, cast

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from .formatting import (
    EntityParseError,
    ParsedText,
    UnsupportedParseModeError,
    auto_entities,
    parse_formatted,
)

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "DEFAULT_GROUP_USER_ID",
    "DEFAULT_TOKEN",
    "ApiError",
    "BotApiEmulator",
    "CallRecord",
    "SentMessage",
    "StoredFile",
    "UploadedFile",
    "WebhookDelivery",
]

JSONDict = dict[str, Any]
_T = TypeVar("_T")
_Handler = Callable[[JSONDict], Awaitable[Any]]


def _clone(value: _T) -> _T:
    """A deep copy of JSON data (dicts, lists and scalars), cheaper than copy.deepcopy."""
    if isinstance(value, dict):
        return cast(_T, {k: _clone(v) for k, v in value.items()})
    if isinstance(value, list):
        return cast(_T, [_clone(v) for v in value])
    return value


_LOGGER = logging.getLogger(__name__)

DEFAULT_TOKEN: Final = "123456:TEST"
BOT_ID: Final = 777000111
BOT_USERNAME: Final = "citizen_desk_test_bot"
BOT_FIRST_NAME: Final = "Citizen Desk"
DEFAULT_GROUP_USER_ID: Final = 100001
"""``from.id`` of group messages when :meth:`BotApiEmulator.add_message` gets no user_id."""

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200

#: Update types Telegram does not deliver unless asked for with ``allowed_updates``.
OPT_IN_UPDATE_TYPES: Final = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)

_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_INLINE_BUTTON_ACTIONS: Final = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)

# How form / multipart field values are decoded (python-telegram-bot sends strings as they
# are and JSON-encodes everything else).
_JSON_FIELDS: Final = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "media",
        "results",
        "permissions",
        "message_ids",
        "options",
        "menu_button",
        "reaction",
        "explanation_entities",
        "question_entities",
    }
)
_INT_FIELDS: Final = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "user_id",
        "message_id",
        "offset",
        "limit",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "max_connections",
        "duration",
        "width",
        "height",
    }
)
_FLOAT_FIELDS: Final = frozenset({"timeout", "latitude", "longitude"})
_BOOL_FIELDS: Final = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
        "allow_paid_broadcast",
    }
)
_SECRET_TOKEN_RE: Final = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND_NAME_RE: Final = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE_CODE_RE: Final = re.compile(r"^([a-z]{2})?$")
_INT_RE: Final = re.compile(r"^-?\d+$")

_FAKE_JPEG: Final = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
_FAKE_OGG: Final = b"OggS\x00\x02" + b"\x00" * 20
_FAKE_WEBP: Final = b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 14


# ------------------------------------------------------------------------------ data classes


class ApiError(Exception):
    """An error answer of the Bot API: ``{"ok": false, "error_code": ..., ...}``."""

    def __init__(
        self,
        error_code: int,
        description: str,
        parameters: JSONDict | None = None,
        html: str | None = None,
    ) -> None:
        """Create the error with its HTTP/Bot API code, description and optional parameters;
        ``html``: answer this HTML page instead of JSON (a proxy's error page)."""
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters
        self.html = html

    def payload(self) -> JSONDict:
        """Return the JSON body Telegram would send for this error."""
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body


def _bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass
class UploadedFile:
    """A file part of a multipart request, as recorded in :attr:`BotApiEmulator.calls`."""

    field_name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class StoredFile:
    """A file the emulator knows: uploaded by the bot or attached to an injected message."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    filename: str | None = None
    mime_type: str | None = None

    @property
    def file_size(self) -> int:
        """Size of the content in bytes."""
        return len(self.data)


@dataclass
class SentMessage:
    """A message the bot sent, kept up to date with its later edits.

    ``text`` is the text (or caption) exactly as the bot sent it, markup included;
    ``plain_text`` and ``entities`` are what Telegram made of it with ``parse_mode``.
    """

    message_id: int
    chat_id: int
    text: str | None
    parse_mode: str | None
    reply_markup: JSONDict | None
    kind: Literal["text", "document", "photo"]
    date: int
    edits: int = 0
    reply_to_message_id: int | None = None
    plain_text: str | None = None
    entities: list[JSONDict] = field(default_factory=list)
    filename: str | None = None
    file_bytes: bytes | None = None
    file_id: str | None = None
    mime_type: str | None = None
    history: list[str | None] = field(default_factory=list)
    """Earlier values of ``text``, oldest first (one entry per text/caption edit)."""

    @property
    def inline_keyboard(self) -> list[list[JSONDict]]:
        """Rows of inline buttons (empty when the message has no inline keyboard)."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard")
        return rows if isinstance(rows, list) else []

    @property
    def buttons(self) -> list[JSONDict]:
        """All inline buttons, row by row."""
        return [button for row in self.inline_keyboard for button in row]

    @property
    def callback_data(self) -> list[str]:
        """``callback_data`` of every inline button that has one."""
        return [str(b["callback_data"]) for b in self.buttons if "callback_data" in b]

    def button(self, text: str) -> JSONDict:
        """Return the first inline button whose text contains ``text``."""
        for candidate in self.buttons:
            if text in str(candidate.get("text", "")):
                return candidate
        raise KeyError(f"no inline button with text {text!r} in message {self.message_id}")


@dataclass
class CallRecord:
    """One Bot API request: method, decoded parameters and, once answered, the response."""

    method: str
    params: JSONDict
    status: int | None = None
    #: The response body as sent (decoded when read: later changes to the emulator's
    #: state, such as an edit of the message, do not show in it).
    response_json: str | None = None
    #: The request body's media type (a form, multipart or JSON).
    content_type: str = ""
    #: time.monotonic() when the request was read, and when its answer was ready.
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def response(self) -> JSONDict | None:
        """The response body, decoded."""
        return None if self.response_json is None else json.loads(self.response_json)


@dataclass
class WebhookDelivery:
    """One attempt to POST an update to the webhook."""

    update_id: int
    attempt: int
    url: str
    status: int | None
    error: str | None = None


@dataclass
class _Failure:
    error: ApiError
    remaining: int


# ------------------------------------------------------------------------------ helpers


def _utf8_len(value: str) -> int:
    return len(value.encode("utf-8"))


def _opt_int(params: Mapping[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value.strip())
    raise _bad_request(f"invalid {name} specified")


def _opt_float(params: Mapping[str, Any], name: str) -> float | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _bad_request(f"invalid {name} specified") from None


def _opt_str(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _update_type(update: Mapping[str, Any]) -> str:
    for key in update:
        if key != "update_id":
            return key
    return ""


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return None


def _strip_reply(message: JSONDict) -> JSONDict:
    nested = _clone(message)
    nested.pop("reply_to_message", None)
    return nested


# ------------------------------------------------------------------------------ emulator


class BotApiEmulator:
    """An in-process fake of ``api.telegram.org`` for one bot token."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        clock: Callable[[], float] = time.time,
        webhook_max_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 5.0,
    ) -> None:
        """Configure the emulator; nothing listens until :meth:`start`.

        Args:
            token: the only token accepted; any other gets 401 Unauthorized.
            clock: source of ``date`` fields (Unix time), replaceable for determinism.
            webhook_max_attempts: POST attempts per update before giving up (for now).
            webhook_retry_delay: pause between webhook attempts, in seconds.
            webhook_timeout: total timeout of one webhook POST, in seconds.
        """
        self.token = token
        self._clock = clock
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self.bot_user: JSONDict = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

        # server
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._session: ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._closing = False

        # change notification: the event is replaced on every change, waiters grab the
        # current one before checking their condition.
        self._changed = asyncio.Event()

        # updates
        self._pending: list[JSONDict] = []
        self._next_update_id = 1
        self._confirmed = 0
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0

        # chats and messages
        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[int, dict[int, JSONDict]] = {}
        self._sent: dict[int, dict[int, SentMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self._blocked: set[int] = set()
        self._callback_queries: dict[str, bool] = {}
        self._next_callback_id = 1
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._next_file_number = 1

        # what the bot did
        self.call_log: list[CallRecord] = []
        """Every request in arrival order, with its response once answered."""
        self.callback_answers: list[JSONDict] = []
        """Parameters of every accepted ``answerCallbackQuery``."""
        self.chat_actions: list[tuple[int, str]] = []
        """``(chat_id, action)`` of every ``sendChatAction``."""
        self.deleted: list[tuple[int, int]] = []
        """``(chat_id, message_id)`` of every message the bot deleted."""
        self.inline_edits: list[tuple[str, JSONDict]] = []
        """``(method, params)`` of edits addressed by ``inline_message_id``."""
        self.internal_errors: list[str] = []
        """Unexpected exceptions inside the emulator (a test should expect none)."""
        self._commands: dict[str, list[JSONDict]] = {}
        self._bot_texts: dict[str, str] = {}
        self._menu_buttons: dict[str, JSONDict] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._held_answers: dict[str, asyncio.Event] = {}

        # webhook
        self._webhook_url = ""
        self._webhook_secret: str | None = None
        self._webhook_allowed: frozenset[str] | None = None
        self._webhook_max_connections = 40
        self._webhook_last_error: tuple[int, str] | None = None
        self._webhook_queue: asyncio.Queue[int] | None = None
        self._webhook_enqueued: set[int] = set()
        self.webhook_deliveries: list[WebhookDelivery] = []
        """Every webhook POST attempt with its HTTP status (``None`` if it did not connect)."""

        self._methods: dict[str, tuple[str, _Handler]] = {}
        for name, handler in (
            ("getMe", self._api_get_me),
            ("getUpdates", self._api_get_updates),
            ("sendMessage", self._api_send_message),
            ("editMessageText", self._api_edit_message_text),
            ("editMessageCaption", self._api_edit_message_caption),
            ("editMessageReplyMarkup", self._api_edit_message_reply_markup),
            ("deleteMessage", self._api_delete_message),
            ("deleteMessages", self._api_delete_messages),
            ("answerCallbackQuery", self._api_answer_callback_query),
            ("setMyCommands", self._api_set_my_commands),
            ("deleteMyCommands", self._api_delete_my_commands),
            ("getMyCommands", self._api_get_my_commands),
            ("setWebhook", self._api_set_webhook),
            ("deleteWebhook", self._api_delete_webhook),
            ("getWebhookInfo", self._api_get_webhook_info),
            ("sendDocument", self._api_send_document),
            ("sendPhoto", self._api_send_photo),
            ("sendChatAction", self._api_send_chat_action),
            ("getFile", self._api_get_file),
            ("setMyDescription", self._api_set_my_description),
            ("getMyDescription", self._api_get_my_description),
            ("setMyShortDescription", self._api_set_my_short_description),
            ("getMyShortDescription", self._api_get_my_short_description),
            ("setMyName", self._api_set_my_name),
            ("getMyName", self._api_get_my_name),
            ("setChatMenuButton", self._api_set_chat_menu_button),
            ("getChatMenuButton", self._api_get_chat_menu_button),
            ("logOut", self._api_true),
            ("close", self._api_true),
        ):
            self._methods[name.lower()] = (name, handler)

    # ------------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start listening on ``127.0.0.1`` on a free port."""
        if self._runner is not None:
            raise RuntimeError("emulator already started")
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self._handle_file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        site = web.SockSite(runner, sock)
        await site.start()
        self._runner = runner
        self._port = int(sock.getsockname()[1])
        self._session = ClientSession(timeout=ClientTimeout(total=self.webhook_timeout))
        self._webhook_queue = asyncio.Queue()
        self._webhook_enqueued.clear()
        self._webhook_task = asyncio.create_task(
            self._webhook_worker(), name="BotApiEmulator:webhook"
        )

    async def stop(self) -> None:
        """Wake pending long polls, stop webhook delivery and shut the server down."""
        self._closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        """Start the emulator (``async with BotApiEmulator() as emu``)."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the emulator."""
        await self.stop()

    @property
    def port(self) -> int:
        """TCP port the emulator listens on."""
        if self._port is None:
            raise RuntimeError("emulator not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Value for ``Bot(base_url=...)`` / ``ApplicationBuilder().base_url(...)``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``Bot(base_file_url=...)`` / ``ApplicationBuilder().base_file_url(...)``."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ----------------------------------------------------------------- feeding updates

    def add_message(
        self,
        chat_id: int,
        text: str = "",
        *,
        user_id: int | None = None,
        first_name: str = "张三",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        chat_type: Literal["private", "group", "supergroup"] = "private",
        chat_title: str | None = None,
        entities: list[JSONDict] | None = None,
        reply_to_message_id: int | None = None,
        caption: str | None = None,
        photo: bool | bytes = False,
        sticker: bool | str = False,
        voice: bool | bytes = False,
        contact: JSONDict | str | None = None,
        location: tuple[float, float] | JSONDict | None = None,
        document: bytes | tuple[str, bytes] | None = None,
        date: int | None = None,
    ) -> JSONDict:
        """Queue a ``message`` update from a user and return the update.

        Text starting with ``/`` gets a ``bot_command`` entity, ``@username`` a ``mention``
        entity and links a ``url`` entity, unless ``entities`` is given.  A message with
        media (``photo``, ``document``, ``voice``, ``sticker``) carries ``caption`` (or, if
        that is None, ``text``) as its caption; ``contact``/``location`` messages have no text.

        Args:
            chat_id: the chat; negative for groups.
            text: message text.
            user_id: sender; defaults to ``chat_id`` in private chats and to
                :data:`DEFAULT_GROUP_USER_ID` in groups.
            first_name: sender's first name.
            last_name: sender's last name.
            username: sender's username.
            language_code: sender's client language (omitted when None).
            chat_type: ``private``, ``group`` or ``supergroup``.
            chat_title: title of a group chat.
            entities: explicit entities (disables detection).
            reply_to_message_id: id of a stored message (the bot's or a user's) in this chat.
            caption: caption for media messages.
            photo: True for a generated JPEG, or the photo's bytes.
            sticker: True for a 👍 sticker, or the sticker's emoji.
            voice: True for a generated voice note, or its bytes.
            contact: a Contact object, or just a phone number.
            location: ``(latitude, longitude)`` or a Location object.
            document: the document's bytes, or ``(file_name, bytes)``.
            date: Unix time of the message (default: now).
        """
        if chat_type == "private" and chat_id <= 0:
            raise ValueError("private chats have positive ids")
        if chat_type != "private" and chat_id >= 0:
            raise ValueError("group chats have negative ids")
        if user_id is None:
            user_id = chat_id if chat_type == "private" else DEFAULT_GROUP_USER_ID
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        chat: JSONDict
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": first_name}
            if last_name is not None:
                chat["last_name"] = last_name
            if username is not None:
                chat["username"] = username
        else:
            chat = {"id": chat_id, "type": chat_type, "title": chat_title or f"测试群 {-chat_id}"}
        self._chats[chat_id] = chat

        message: JSONDict = {
            "message_id": self._allocate_message_id(chat_id),
            "from": user,
            "chat": _clone(chat),
            "date": int(self._clock()) if date is None else date,
        }
        if reply_to_message_id is not None:
            target = self._messages.get(chat_id, {}).get(reply_to_message_id)
            if target is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat_id}")
            message["reply_to_message"] = _strip_reply(target)

        has_media = True
        if photo is not False:
            data = _FAKE_JPEG if photo is True else bytes(photo)
            stored = self._store_file("photos", data, "photo.jpg", "image/jpeg")
            message["photo"] = self._photo_sizes(stored)
        elif document is not None:
            name, data = document if isinstance(document, tuple) else ("document.bin", document)
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            stored = self._store_file("documents", data, name, mime)
            message["document"] = self._document_object(stored)
        elif voice is not False:
            data = _FAKE_OGG if voice is True else bytes(voice)
            stored = self._store_file("voice", data, "voice.oga", "audio/ogg")
            message["voice"] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "duration": 3,
                "mime_type": "audio/ogg",
                "file_size": stored.file_size,
            }
        elif sticker is not False:
            stored = self._store_file("stickers", _FAKE_WEBP, "sticker.webp", "image/webp")
            message["sticker"] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍" if sticker is True else sticker,
                "file_size": stored.file_size,
            }
        else:
            has_media = False

        if contact is not None:
            if isinstance(contact, str):
                contact = {"phone_number": contact, "first_name": first_name, "user_id": user_id}
            message["contact"] = dict(contact)
        elif location is not None:
            if isinstance(location, tuple):
                location = {"latitude": location[0], "longitude": location[1]}
            message["location"] = dict(location)
        elif has_media:
            body = caption if caption is not None else text
            if body:
                message["caption"] = body
                found = auto_entities(body) if entities is None else entities
                if found:
                    message["caption_entities"] = found
        else:
            if not text:
                raise ValueError("a message needs text, media, a contact or a location")
            message["text"] = text
            found = auto_entities(text) if entities is None else entities
            if found:
                message["entities"] = found

        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        return self._push_update({"message": _clone(message)})

    def add_callback(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        first_name: str = "张三",
        language_code: str | None = "zh-hans",
    ) -> JSONDict:
        """Queue a ``callback_query`` update: a user pressed a button under a message.

        The stored message is attached in its current state (after edits).  A press on a
        message the emulator does not know still works, with a minimal message.
        """
        chat = self._chat(chat_id)
        if user_id is None:
            user_id = chat_id if chat_id > 0 else DEFAULT_GROUP_USER_ID
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code is not None:
            user["language_code"] = language_code
        stored = self._messages.get(chat_id, {}).get(message_id)
        message: JSONDict
        if stored is not None:
            message = _clone(stored)
        else:
            message = {
                "message_id": message_id,
                "from": _clone(self.bot_user),
                "chat": _clone(chat),
                "date": int(self._clock()),
            }
        query_id = str(4_000_000_000_000 + self._next_callback_id)
        self._next_callback_id += 1
        self._callback_queries[query_id] = False
        return self._push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": message,
                    "chat_instance": str(abs(chat_id) * 7919 + 17),
                    "data": data,
                }
            }
        )

    def add_raw_update(self, update: JSONDict) -> JSONDict:
        """Queue an update as given; ``update_id`` is assigned when missing.

        Messages found in it (``message``, ``edited_message``, ``channel_post``,
        ``callback_query.message``) are stored so the bot can reply to or edit them, and
        callback query ids are registered for ``answerCallbackQuery``.
        """
        update = _clone(update)
        if "update_id" in update:
            self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
            if isinstance(update.get(key), dict):
                self._remember_message(update[key])
        query = update.get("callback_query")
        if isinstance(query, dict):
            if "id" in query:
                self._callback_queries.setdefault(str(query["id"]), False)
            if isinstance(query.get("message"), dict) and query["message"].get("date"):
                self._remember_message(query["message"])
        return self._push_update(update)

    # --------------------------------------------------------------- what the bot did

    def sent(self, chat_id: int) -> list[SentMessage]:
        """Messages from the bot currently in the chat (deleted ones excluded), oldest first.

        The objects are live: later edits update them.
        """
        return list(self._sent.get(chat_id, {}).values())

    def last_sent(self, chat_id: int) -> SentMessage:
        """The bot's newest message in the chat (raises ``LookupError`` if there is none)."""
        messages = self.sent(chat_id)
        if not messages:
            raise LookupError(f"the bot has no message in chat {chat_id}")
        return messages[-1]

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The stored Telegram Message object (the bot's or a user's), or None."""
        stored = self._messages.get(chat_id, {}).get(message_id)
        return _clone(stored) if stored is not None else None

    @property
    def calls(self) -> list[tuple[str, JSONDict]]:
        """``(method, params)`` of every request, in arrival order (params decoded)."""
        return [(record.method, record.params) for record in self.call_log]

    def calls_to(self, method: str) -> list[JSONDict]:
        """Decoded params of every call to ``method`` (case-insensitive)."""
        wanted = method.lower()
        return [r.params for r in self.call_log if r.method.lower() == wanted]

    @property
    def commands(self) -> dict[str, list[JSONDict]]:
        """Command lists from ``setMyCommands`` keyed by :meth:`commands_key`.

        e.g. ``"default/"``, ``"default/zh"``, ``"all_private_chats/en"``, ``"chat(-100)/"``.
        """
        return _clone(self._commands)

    @staticmethod
    def commands_key(scope: Mapping[str, Any] | None = None, language_code: str = "") -> str:
        """Key of :attr:`commands` for a ``BotCommandScope`` dict and language code."""
        scope = scope or {"type": "default"}
        kind = str(scope.get("type", "default"))
        ids = [str(scope[k]) for k in ("chat_id", "user_id") if k in scope]
        if ids:
            kind += f"({','.join(ids)})"
        return f"{kind}/{language_code}"

    def commands_for(
        self, language_code: str = "", scope: Mapping[str, Any] | None = None
    ) -> list[JSONDict]:
        """The command list set for exactly this scope and language (empty if none)."""
        return _clone(self._commands.get(self.commands_key(scope, language_code), []))

    @property
    def confirmed_update_id(self) -> int:
        """Highest update_id confirmed (``getUpdates`` offset N confirms every update < N)."""
        return self._confirmed

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed, oldest first."""
        return _clone(self._pending)

    @property
    def webhook_url(self) -> str:
        """The webhook URL currently set ("" when none)."""
        return self._webhook_url

    @property
    def webhook_secret_token(self) -> str | None:
        """The secret token given to ``setWebhook``."""
        return self._webhook_secret

    @property
    def webhook_status_codes(self) -> list[int | None]:
        """HTTP status of every webhook delivery attempt, in order."""
        return [d.status for d in self.webhook_deliveries]

    def file(self, file_id: str) -> StoredFile:
        """The stored file with this id (``KeyError`` if unknown)."""
        return self._files[file_id]

    # --------------------------------------------------------------------- waiting

    async def wait_for(self, predicate: Callable[[], _T], timeout: float = 10.0) -> _T:
        """Wait until ``predicate()`` returns something truthy and return it.

        The predicate is re-evaluated after every change (updates, requests, sends, edits,
        deletions, webhook deliveries).  Raises ``TimeoutError`` after ``timeout`` seconds.
        """
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = self._changed
                    result = predicate()
                    if result:
                        return result
                    await event.wait()
        except TimeoutError:
            recent = ", ".join(r.method for r in self.call_log[-10:]) or "none"
            raise TimeoutError(
                f"condition not met within {timeout}s (last calls: {recent}; "
                f"internal errors: {self.internal_errors or 'none'})"
            ) from None

    async def wait_for_sent(
        self, chat_id: int, count: int = 1, timeout: float = 10.0
    ) -> list[SentMessage]:
        """Wait until the chat holds at least ``count`` bot messages; return them all."""

        def check() -> tuple[list[SentMessage]] | None:
            messages = self.sent(chat_id)
            return (messages,) if len(messages) >= count else None

        result = await self.wait_for(check, timeout)
        assert result is not None
        return result[0]

    async def wait_for_call(
        self, method: str, count: int = 1, timeout: float = 10.0
    ) -> list[JSONDict]:
        """Wait until ``method`` was called at least ``count`` times; return all its params."""

        def check() -> tuple[list[JSONDict]] | None:
            found = self.calls_to(method)
            return (found,) if len(found) >= count else None

        result = await self.wait_for(check, timeout)
        assert result is not None
        return result[0]

    async def wait_for_confirmed(self, update_id: int, timeout: float = 10.0) -> None:
        """Wait until the bot confirmed ``update_id`` (via getUpdates offset or webhook)."""
        await self.wait_for(lambda: self._confirmed >= update_id, timeout)

    # --------------------------------------------------------------------- failures

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 429,
        retry_after: int = 1,
        description: str | None = None,
        times: int = 1,
        parameters: JSONDict | None = None,
        html: str | None = None,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail with ``error_code``.

        429 answers "Too Many Requests: retry after N" with ``parameters.retry_after``;
        403 "Forbidden: bot was blocked by the user"; 500 "Internal Server Error";
        502 "Bad Gateway"; 409 a getUpdates conflict; 401 "Unauthorized"; 400 "Bad Request".
        ``description``/``parameters`` override the defaults. ``html``: the body is this
        HTML page (``text/html``) instead of the JSON error, as a proxy in front of the Bot
        API answers.
        """
        defaults = {
            400: "Bad Request",
            401: "Unauthorized",
            403: "Forbidden: bot was blocked by the user",
            404: "Not Found",
            409: "Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running",
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }
        text = description or defaults.get(error_code, "Error")
        params = parameters
        if params is None and error_code == 429:
            params = {"retry_after": retry_after}
        error = ApiError(error_code, text, params, html)
        self._failures.setdefault(method.lower(), []).append(_Failure(error, times))

    def clear_failures(self) -> None:
        """Forget every failure planned with :meth:`fail_next`."""
        self._failures.clear()

    def hold_answers(self, method: str) -> asyncio.Event:
        """Answer calls to ``method`` only once the returned event is set.

        The call takes effect at once (a sent message is in the chat, where the user can
        press its buttons) while the bot still waits for the answer, as over a slow
        network. Setting the event releases the held answers and those of later calls.
        """
        gate = asyncio.Event()
        self._held_answers[method.lower()] = gate
        return gate

    def block_chat(self, chat_id: int) -> None:
        """The user blocked the bot (or removed it from the group): sends get 403."""
        self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        """Undo :meth:`block_chat`."""
        self._blocked.discard(chat_id)

    # ------------------------------------------------------------------------ internals

    def _notify(self) -> None:
        event = self._changed
        self._changed = asyncio.Event()
        event.set()

    def _now(self) -> int:
        return int(self._clock())

    def _allocate_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _chat(self, chat_id: int) -> JSONDict:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id > 0:
                chat = {"id": chat_id, "type": "private", "first_name": "用户"}
            elif str(chat_id).startswith("-100"):
                chat = {"id": chat_id, "type": "supergroup", "title": f"测试群 {-chat_id}"}
            else:
                chat = {"id": chat_id, "type": "group", "title": f"测试群 {-chat_id}"}
            self._chats[chat_id] = chat
        return chat

    def _remember_message(self, message: JSONDict) -> None:
        chat = message.get("chat")
        if not isinstance(chat, dict) or "id" not in chat or "message_id" not in message:
            return
        chat_id = int(chat["id"])
        message_id = int(message["message_id"])
        self._chats.setdefault(chat_id, _clone(chat))
        self._messages.setdefault(chat_id, {})[message_id] = _clone(message)
        self._next_message_id[chat_id] = max(self._next_message_id.get(chat_id, 1), message_id + 1)

    def _push_update(self, update: JSONDict) -> JSONDict:
        if "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id += 1
        bisect.insort(self._pending, update, key=lambda u: int(u["update_id"]))
        self._enqueue_webhook()
        self._notify()
        return _clone(update)

    def _allowed(self, update: JSONDict, allowed: frozenset[str] | None) -> bool:
        kind = _update_type(update)
        if allowed is None:
            return kind not in OPT_IN_UPDATE_TYPES
        return kind in allowed

    def _store_file(
        self, folder: str, data: bytes, filename: str | None, mime_type: str | None
    ) -> StoredFile:
        number = self._next_file_number
        self._next_file_number += 1
        prefix = {"photos": "AgACAgIAAxk", "voice": "AwACAgIAAxk", "stickers": "CAACAgIAAxk"}
        ext = ""
        if filename and "." in filename:
            ext = filename.rsplit(".", 1)[1]
        elif mime_type:
            ext = (mimetypes.guess_extension(mime_type) or "").lstrip(".")
        path = f"{folder}/file_{number}" + (f".{ext}" if ext else "")
        stored = StoredFile(
            file_id=f"{prefix.get(folder, 'BQACAgIAAxk')}{number:08d}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=path,
            data=data,
            filename=filename,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[path] = stored
        return stored

    def _photo_sizes(self, stored: StoredFile) -> list[JSONDict]:
        width, height = _png_size(stored.data) or (320, 240)
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": stored.file_size,
            }
        ]

    @staticmethod
    def _document_object(stored: StoredFile) -> JSONDict:
        document: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if stored.filename:
            document["file_name"] = stored.filename
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return document

    # --------------------------------------------------------------------- HTTP layer

    async def _read_params(self, request: web.Request) -> JSONDict:
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                body = await request.read()
                if body.strip():
                    try:
                        data = json.loads(body)
                    except ValueError:
                        raise _bad_request("can't parse JSON body") from None
                    if not isinstance(data, dict):
                        raise _bad_request("JSON body must be an object")
                    raw.update(data)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        raw[key] = UploadedFile(
                            field_name=key,
                            filename=value.filename,
                            content_type=value.content_type,
                            data=value.file.read(),
                        )
                    elif isinstance(value, bytes | bytearray):
                        raw[key] = bytes(value).decode("utf-8", "replace")
                    else:
                        raw[key] = value
        return {key: self._decode_value(key, value) for key, value in raw.items()}

    @staticmethod
    def _decode_value(name: str, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if name in _JSON_FIELDS or name.endswith(("_entities", "_markup")):
            try:
                return json.loads(value)
            except ValueError:
                if name == "reply_markup":
                    raise _bad_request("can't parse reply keyboard markup JSON object") from None
                raise _bad_request(f"can't parse {name} JSON object") from None
        if name in _INT_FIELDS:
            return int(value) if _INT_RE.match(value.strip()) else value
        if name in _FLOAT_FIELDS:
            try:
                return float(value)
            except ValueError:
                return value
        if name in _BOOL_FIELDS:
            return value.strip().lower() in ("true", "1")
        return value

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        requested = request.match_info["method"]
        key = requested.lower()
        known = self._methods.get(key)
        method = known[0] if known else requested
        record = CallRecord(method=method, params={})
        logged = False
        status: int
        body: JSONDict
        page: str | None = None
        try:
            record.content_type = request.content_type
            record.params = await self._read_params(request)
            self.call_log.append(record)
            logged = True
            self._notify()
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            failure = self._take_failure(key)
            if failure is not None:
                raise failure
            if known is None:
                raise _bad_request("method not found")
            result = await known[1](record.params)
        except ApiError as exc:
            status, body, page = exc.error_code, exc.payload(), exc.html
        except Exception as exc:
            _LOGGER.exception("emulator failure in %s", method)
            self.internal_errors.append(f"{method}: {exc!r}")
            status = 500
            body = {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: {exc!r}",
            }
        else:
            status, body = 200, {"ok": True, "result": result}
        if not logged:
            self.call_log.append(record)
        record.status = status
        record.finished = time.monotonic()
        if page is not None:  # a proxy's HTML error page, not the Bot API's JSON
            self._notify()
            return web.Response(text=page, status=status, content_type="text/html")
        # Serialised at once, so handlers may return the emulator's own objects uncopied.
        text = json.dumps(body)
        record.response_json = text
        self._notify()
        gate = self._held_answers.get(key)
        if gate is not None:
            await gate.wait()
        return web.Response(text=text, status=status, content_type="application/json")

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        stored = self._files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    def _take_failure(self, key: str) -> ApiError | None:
        queue = self._failures.get(key)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.pop(0)
        return failure.error

    # ---------------------------------------------------------------- shared checks

    def _require_chat_id(self, params: Mapping[str, Any]) -> int:
        value = params.get("chat_id")
        if value is None or value == "":
            raise _bad_request("chat_id is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT_RE.match(value):
            return int(value)
        raise _bad_request("chat not found")

    def _check_blocked(self, chat_id: int) -> None:
        if chat_id in self._blocked:
            if chat_id > 0:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")

    @staticmethod
    def _parse_text(
        text: str, parse_mode: str | None, entities: Any, *, what: str = "text"
    ) -> ParsedText:
        if entities is not None:
            if not isinstance(entities, list):
                raise _bad_request(f"can't parse {what} entities JSON object")
            return ParsedText(text, [dict(e) for e in entities])
        try:
            return parse_formatted(text, parse_mode)
        except EntityParseError as exc:
            raise _bad_request(f"can't parse entities: {exc}") from None
        except UnsupportedParseModeError:
            raise _bad_request("unsupported parse_mode") from None

    @staticmethod
    def _validate_markup(markup: Any, *, inline_only: bool = False) -> JSONDict | None:
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request("can't parse inline keyboard button: field must be an array")
            for row in rows:
                for button in row:
                    BotApiEmulator._validate_inline_button(button)
            return markup
        if inline_only:
            raise _bad_request("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request("can't parse keyboard button: field must be an array")
            return markup
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return markup
        raise _bad_request("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _validate_inline_button(button: Any) -> None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _bad_request("can't parse inline keyboard button: Text must be a String")
        actions = _INLINE_BUTTON_ACTIONS & button.keys()
        if not actions:
            raise _bad_request(
                "can't parse inline keyboard button: "
                "Text buttons are unallowed in the inline keyboard"
            )
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= _utf8_len(data) <= MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
        if "url" in button:
            url = button["url"]
            if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
                raise _bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong URL")

    def _reply_target(self, params: Mapping[str, Any], chat_id: int) -> int | None:
        reply = params.get("reply_parameters")
        allow = bool(params.get("allow_sending_without_reply"))
        message_id: int | None
        if isinstance(reply, dict):
            message_id = _opt_int(reply, "message_id")
            allow = allow or bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = _opt_int(params, "reply_to_message_id")
        if message_id is None:
            return None
        if message_id not in self._messages.get(chat_id, {}):
            if allow:
                return None
            raise _bad_request("message to be replied not found")
        return message_id

    def _store_bot_message(self, chat_id: int, content: JSONDict, reply_to: int | None) -> JSONDict:
        message: JSONDict = {
            "message_id": self._allocate_message_id(chat_id),
            "from": _clone(self.bot_user),
            "chat": _clone(self._chat(chat_id)),
            "date": self._now(),
        }
        if reply_to is not None:
            message["reply_to_message"] = _strip_reply(self._messages[chat_id][reply_to])
        message.update(content)
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        return message

    def _edit_target(self, params: Mapping[str, Any]) -> tuple[JSONDict, SentMessage] | None:
        if params.get("inline_message_id"):
            return None
        chat_id = self._require_chat_id(params)
        message_id = _opt_int(params, "message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        self._check_blocked(chat_id)
        message = self._messages.get(chat_id, {}).get(message_id)
        if message is None:
            raise _bad_request("message to edit not found")
        sent = self._sent.get(chat_id, {}).get(message_id)
        if sent is None:
            raise _bad_request("message can't be edited")
        return message, sent

    @staticmethod
    def _not_modified() -> ApiError:
        return _bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )

    @staticmethod
    def _set_or_pop(target: JSONDict, key: str, value: Any) -> None:
        if value:
            target[key] = _clone(value)
        else:
            target.pop(key, None)

    # -------------------------------------------------------------------- API methods

    async def _api_true(self, params: JSONDict) -> bool:
        return True

    async def _api_get_me(self, params: JSONDict) -> JSONDict:
        return _clone(self.bot_user)

    async def _api_get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self._webhook_url:
            raise self._webhook_conflict()
        offset = _opt_int(params, "offset")
        limit = max(1, min(100, _opt_int(params, "limit") or 100))
        timeout = max(0.0, _opt_float(params, "timeout") or 0.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(str(a) for a in allowed) if allowed else None

        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # terminates a getUpdates that is still waiting
        self._apply_offset(offset)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            if self._webhook_url:
                raise self._webhook_conflict()
            batch = self._select_updates(limit)
            if batch or self._closing:
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            event = self._changed
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await event.wait()

    @staticmethod
    def _webhook_conflict() -> ApiError:
        return ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )

    def _apply_offset(self, offset: int | None) -> None:
        if not offset:
            return
        before = len(self._pending)
        if offset > 0:
            self._pending = [u for u in self._pending if int(u["update_id"]) >= offset]
            self._confirmed = max(self._confirmed, offset - 1)
        else:
            keep = -offset
            dropped = self._pending[:-keep] if len(self._pending) > keep else []
            if dropped:
                self._confirmed = max(self._confirmed, int(dropped[-1]["update_id"]))
                self._pending = self._pending[len(dropped) :]
        if len(self._pending) != before:
            self._notify()

    def _select_updates(self, limit: int) -> list[JSONDict]:
        kept = [u for u in self._pending if self._allowed(u, self._allowed_updates)]
        if len(kept) != len(self._pending):
            self._pending = kept
        return kept[:limit]

    async def _api_send_message(self, params: JSONDict) -> JSONDict:
        chat_id = self._require_chat_id(params)
        self._check_blocked(chat_id)
        text = _opt_str(params, "text")
        if not text:
            raise _bad_request("message text is empty")
        parse_mode = _opt_str(params, "parse_mode") or None
        parsed = self._parse_text(text, parse_mode, params.get("entities"))
        if not parsed.text.strip():
            raise _bad_request("message text is empty")
        if len(parsed.text) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        markup = self._validate_markup(params.get("reply_markup"))
        reply_to = self._reply_target(params, chat_id)
        content: JSONDict = {"text": parsed.text}
        if parsed.entities:
            content["entities"] = parsed.entities
        if markup and "inline_keyboard" in markup:
            content["reply_markup"] = _clone(markup)
        if isinstance(params.get("link_preview_options"), dict):
            content["link_preview_options"] = params["link_preview_options"]
        message = self._store_bot_message(chat_id, content, reply_to)
        self._sent.setdefault(chat_id, {})[message["message_id"]] = SentMessage(
            message_id=message["message_id"],
            chat_id=chat_id,
            text=text,
            parse_mode=parse_mode,
            reply_markup=_clone(markup),
            kind="text",
            date=message["date"],
            reply_to_message_id=reply_to,
            plain_text=parsed.text,
            entities=list(parsed.entities),
        )
        return message

    async def _api_edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        text = _opt_str(params, "text")
        if not text:
            raise _bad_request("message text is empty")
        parse_mode = _opt_str(params, "parse_mode") or None
        parsed = self._parse_text(text, parse_mode, params.get("entities"))
        if not parsed.text.strip():
            raise _bad_request("message text is empty")
        if len(parsed.text) > MAX_TEXT_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        markup = self._validate_markup(params.get("reply_markup"), inline_only=True)
        target = self._edit_target(params)
        if target is None:
            self.inline_edits.append(("editMessageText", params))
            return True
        message, sent = target
        if sent.kind != "text":
            raise _bad_request("there is no text in the message to edit")
        if (
            parsed.text == message.get("text")
            and parsed.entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise self._not_modified()
        message["text"] = parsed.text
        self._set_or_pop(message, "entities", parsed.entities)
        self._set_or_pop(message, "reply_markup", markup)
        message["edit_date"] = self._now()
        sent.history.append(sent.text)
        sent.text = text
        sent.parse_mode = parse_mode
        sent.plain_text = parsed.text
        sent.entities = list(parsed.entities)
        sent.reply_markup = _clone(markup)
        sent.edits += 1
        return message

    async def _api_edit_message_caption(self, params: JSONDict) -> JSONDict | bool:
        caption = _opt_str(params, "caption") or ""
        parse_mode = _opt_str(params, "parse_mode") or None
        parsed = self._parse_text(
            caption, parse_mode, params.get("caption_entities"), what="caption"
        )
        if len(parsed.text) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        markup = self._validate_markup(params.get("reply_markup"), inline_only=True)
        target = self._edit_target(params)
        if target is None:
            self.inline_edits.append(("editMessageCaption", params))
            return True
        message, sent = target
        if sent.kind == "text":
            raise _bad_request("there is no caption in the message to edit")
        if (
            parsed.text == message.get("caption", "")
            and parsed.entities == message.get("caption_entities", [])
            and markup == message.get("reply_markup")
        ):
            raise self._not_modified()
        self._set_or_pop(message, "caption", parsed.text)
        self._set_or_pop(message, "caption_entities", parsed.entities)
        self._set_or_pop(message, "reply_markup", markup)
        message["edit_date"] = self._now()
        sent.history.append(sent.text)
        sent.text = caption or None
        sent.parse_mode = parse_mode
        sent.plain_text = parsed.text or None
        sent.entities = list(parsed.entities)
        sent.reply_markup = _clone(markup)
        sent.edits += 1
        return message

    async def _api_edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        markup = self._validate_markup(params.get("reply_markup"), inline_only=True)
        target = self._edit_target(params)
        if target is None:
            self.inline_edits.append(("editMessageReplyMarkup", params))
            return True
        message, sent = target
        if markup == message.get("reply_markup"):
            raise self._not_modified()
        self._set_or_pop(message, "reply_markup", markup)
        message["edit_date"] = self._now()
        sent.reply_markup = _clone(markup)
        sent.edits += 1
        return message

    def _delete(self, chat_id: int, message_id: int) -> bool:
        if self._messages.get(chat_id, {}).pop(message_id, None) is None:
            return False
        self._sent.get(chat_id, {}).pop(message_id, None)
        self.deleted.append((chat_id, message_id))
        return True

    async def _api_delete_message(self, params: JSONDict) -> bool:
        chat_id = self._require_chat_id(params)
        message_id = _opt_int(params, "message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        if not self._delete(chat_id, message_id):
            raise _bad_request("message to delete not found")
        return True

    async def _api_delete_messages(self, params: JSONDict) -> bool:
        chat_id = self._require_chat_id(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad_request("message_ids must be a list of 1-100 message identifiers")
        for message_id in ids:
            self._delete(chat_id, int(message_id))
        return True

    async def _api_answer_callback_query(self, params: JSONDict) -> bool:
        query_id = _opt_str(params, "callback_query_id")
        if not query_id or self._callback_queries.get(query_id) is not False:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = _opt_str(params, "text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._callback_queries[query_id] = True
        self.callback_answers.append(dict(params))
        return True

    def _commands_key_from(self, params: Mapping[str, Any]) -> str:
        scope = params.get("scope")
        if scope is not None and not isinstance(scope, dict):
            raise _bad_request("can't parse BotCommandScope JSON object")
        language_code = _opt_str(params, "language_code") or ""
        if not _LANGUAGE_CODE_RE.match(language_code):
            raise _bad_request("invalid language code specified")
        return self.commands_key(scope, language_code)

    async def _api_set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad_request("too many commands specified")
        cleaned: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand JSON object")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not _COMMAND_NAME_RE.match(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        self._commands[self._commands_key_from(params)] = cleaned
        return True

    async def _api_delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(self._commands_key_from(params), None)
        return True

    async def _api_get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return _clone(self._commands.get(self._commands_key_from(params), []))

    async def _api_set_webhook(self, params: JSONDict) -> bool:
        url = _opt_str(params, "url") or ""
        if not url:
            return await self._api_delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = _opt_str(params, "secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.match(secret):
            raise _bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._drop_pending()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._webhook_allowed = frozenset(str(a) for a in allowed) if allowed else None
        self._webhook_max_connections = _opt_int(params, "max_connections") or 40
        self._webhook_url = url
        self._webhook_secret = secret
        self._webhook_last_error = None
        self._enqueue_webhook()
        return True

    async def _api_delete_webhook(self, params: JSONDict) -> bool:
        self._webhook_url = ""
        self._webhook_secret = None
        if params.get("drop_pending_updates"):
            self._drop_pending()
        return True

    def _drop_pending(self) -> None:
        if self._pending:
            self._confirmed = max(self._confirmed, int(self._pending[-1]["update_id"]))
        self._pending = []

    async def _api_get_webhook_info(self, params: JSONDict) -> JSONDict:
        info: JSONDict = {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook_url:
            info["max_connections"] = self._webhook_max_connections
            if self._webhook_allowed is not None:
                info["allowed_updates"] = sorted(self._webhook_allowed)
            if self._webhook_last_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        return info

    def _resolve_input_file(
        self, params: Mapping[str, Any], name: str, folder: str, default_mime: str
    ) -> StoredFile:
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, UploadedFile):
            if not value.data:
                raise _bad_request("file must be non-empty")
            filename = value.filename or None
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                guessed = mimetypes.guess_type(filename or "")[0]
                mime = guessed or mime or default_mime
            return self._store_file(folder, value.data, filename, mime)
        if isinstance(value, str) and value:
            if value in self._files:
                return self._files[value]
            if value.startswith(("http://", "https://")):
                filename = value.rstrip("/").rsplit("/", 1)[-1] or None
                mime = mimetypes.guess_type(filename or "")[0] or default_mime
                return self._store_file(folder, b"", filename, mime)
            raise _bad_request("wrong file identifier/HTTP URL specified")
        raise _bad_request(f"there is no {name} in the request")

    async def _send_media(self, params: JSONDict, kind: Literal["document", "photo"]) -> JSONDict:
        chat_id = self._require_chat_id(params)
        self._check_blocked(chat_id)
        if kind == "photo":
            stored = self._resolve_input_file(params, "photo", "photos", "image/jpeg")
        else:
            stored = self._resolve_input_file(
                params, "document", "documents", "application/octet-stream"
            )
        caption = _opt_str(params, "caption") or ""
        parse_mode = _opt_str(params, "parse_mode") or None
        parsed = self._parse_text(
            caption, parse_mode, params.get("caption_entities"), what="caption"
        )
        if len(parsed.text) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        markup = self._validate_markup(params.get("reply_markup"))
        reply_to = self._reply_target(params, chat_id)
        content: JSONDict = {}
        if kind == "photo":
            content["photo"] = self._photo_sizes(stored)
        else:
            content["document"] = self._document_object(stored)
        if parsed.text:
            content["caption"] = parsed.text
        if parsed.entities:
            content["caption_entities"] = parsed.entities
        if markup and "inline_keyboard" in markup:
            content["reply_markup"] = _clone(markup)
        message = self._store_bot_message(chat_id, content, reply_to)
        self._sent.setdefault(chat_id, {})[message["message_id"]] = SentMessage(
            message_id=message["message_id"],
            chat_id=chat_id,
            text=caption or None,
            parse_mode=parse_mode,
            reply_markup=_clone(markup),
            kind=kind,
            date=message["date"],
            reply_to_message_id=reply_to,
            plain_text=parsed.text or None,
            entities=list(parsed.entities),
            filename=stored.filename,
            file_bytes=stored.data,
            file_id=stored.file_id,
            mime_type=stored.mime_type,
        )
        return message

    async def _api_send_document(self, params: JSONDict) -> JSONDict:
        return await self._send_media(params, "document")

    async def _api_send_photo(self, params: JSONDict) -> JSONDict:
        return await self._send_media(params, "photo")

    async def _api_send_chat_action(self, params: JSONDict) -> bool:
        chat_id = self._require_chat_id(params)
        self._check_blocked(chat_id)
        action = _opt_str(params, "action")
        if action not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        self.chat_actions.append((chat_id, action))
        return True

    async def _api_get_file(self, params: JSONDict) -> JSONDict:
        file_id = _opt_str(params, "file_id") or ""
        stored = self._files.get(file_id)
        if stored is None:
            raise _bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    def _text_setting(self, params: Mapping[str, Any], kind: str, limit: int) -> bool:
        value = _opt_str(params, kind) or ""
        if len(value) > limit:
            raise _bad_request(f"{kind} is too long")
        language_code = _opt_str(params, "language_code") or ""
        self._bot_texts[f"{kind}/{language_code}"] = value
        return True

    def _get_text_setting(self, params: Mapping[str, Any], kind: str) -> JSONDict:
        language_code = _opt_str(params, "language_code") or ""
        value = self._bot_texts.get(f"{kind}/{language_code}")
        if value is None and kind == "name":
            value = str(self.bot_user["first_name"])
        return {kind: value or ""}

    async def _api_set_my_description(self, params: JSONDict) -> bool:
        return self._text_setting(params, "description", 512)

    async def _api_get_my_description(self, params: JSONDict) -> JSONDict:
        return self._get_text_setting(params, "description")

    async def _api_set_my_short_description(self, params: JSONDict) -> bool:
        return self._text_setting(params, "short_description", 120)

    async def _api_get_my_short_description(self, params: JSONDict) -> JSONDict:
        return self._get_text_setting(params, "short_description")

    async def _api_set_my_name(self, params: JSONDict) -> bool:
        return self._text_setting(params, "name", 64)

    async def _api_get_my_name(self, params: JSONDict) -> JSONDict:
        return self._get_text_setting(params, "name")

    async def _api_set_chat_menu_button(self, params: JSONDict) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict):
            raise _bad_request("can't parse menu button JSON object")
        self._menu_buttons[str(params.get("chat_id", ""))] = button
        return True

    async def _api_get_chat_menu_button(self, params: JSONDict) -> JSONDict:
        key = str(params.get("chat_id", ""))
        return _clone(self._menu_buttons.get(key, {"type": "commands"}))

    # ----------------------------------------------------------------------- webhook

    def _enqueue_webhook(self) -> None:
        if not self._webhook_url or self._webhook_queue is None:
            return
        kept: list[JSONDict] = []
        for update in self._pending:
            if not self._allowed(update, self._webhook_allowed):
                continue  # never delivered: dropped as Telegram does
            kept.append(update)
            update_id = int(update["update_id"])
            if update_id not in self._webhook_enqueued:
                self._webhook_enqueued.add(update_id)
                self._webhook_queue.put_nowait(update_id)
        self._pending = kept

    async def _webhook_worker(self) -> None:
        queue = self._webhook_queue
        assert queue is not None
        while True:
            update_id = await queue.get()
            try:
                await self._deliver(update_id)
            finally:
                self._webhook_enqueued.discard(update_id)

    async def _deliver(self, update_id: int) -> None:
        for attempt in range(1, self.webhook_max_attempts + 1):
            update = next((u for u in self._pending if u["update_id"] == update_id), None)
            url = self._webhook_url
            if update is None or not url or self._session is None:
                return
            headers = {"Content-Type": "application/json"}
            if self._webhook_secret:
                headers["X-Telegram-Bot-Api-Secret-Token"] = self._webhook_secret
            status: int | None = None
            error: str | None = None
            try:
                async with self._session.post(
                    url, data=json.dumps(update).encode("utf-8"), headers=headers
                ) as response:
                    status = response.status
                    await response.read()
            except (ClientError, TimeoutError, OSError) as exc:
                error = repr(exc)
            self.webhook_deliveries.append(WebhookDelivery(update_id, attempt, url, status, error))
            if status is not None and 200 <= status < 300:
                self._pending = [u for u in self._pending if u["update_id"] != update_id]
                self._confirmed = max(self._confirmed, update_id)
                self._notify()
                return
            self._webhook_last_error = (
                self._now(),
                error or f"Wrong response from the webhook: {status}",
            )
            self._notify()
            if attempt < self.webhook_max_attempts:
                await asyncio.sleep(self.webhook_retry_delay)
