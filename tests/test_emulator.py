"""Tests of the Bot API emulator, driven through python-telegram-bot itself."""

# The fixtures are imported below and then used as test arguments of the same name.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, Message, Update
from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.emulator import BOT_ID, BOT_USERNAME, BotApiEmulator
from tests.emulator.fixtures import emulator, emulator_bot  # noqa: F401

CHAT = 1001
GROUP = -2002


@asynccontextmanager
async def running_app(
    emu: BotApiEmulator, *handlers: Any
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A real Application polling the emulator, with the given handlers."""
    app = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    for handler in handlers:
        app.add_handler(handler)
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


# --------------------------------------------------------------------------- basics


async def test_get_me(emulator: BotApiEmulator) -> None:
    bot = Bot(emulator.token, base_url=emulator.base_url, base_file_url=emulator.base_file_url)
    async with bot:
        me = await bot.get_me()
    assert me.id == BOT_ID
    assert me.is_bot
    assert me.username == BOT_USERNAME
    assert me.first_name == "Citizen Desk"
    assert me.can_join_groups is True
    assert emulator.calls[0][0] == "getMe"


async def test_wrong_token_is_invalid_token(emulator: BotApiEmulator) -> None:
    bot = Bot("654321:WRONG", base_url=emulator.base_url)
    try:
        with pytest.raises(InvalidToken):
            await bot.initialize()
    finally:
        await bot.shutdown()
    record = emulator.call_log[-1]
    assert record.status == 401
    assert record.response == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_unknown_method_is_bad_request(emulator_bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Method not found"):
        await emulator_bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": CHAT})


async def test_message_too_long(emulator: BotApiEmulator, emulator_bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message is too long"):
        await emulator_bot.send_message(CHAT, "长" * 4097)
    # the limit counts characters after HTML parsing, so tags do not count
    ok = await emulator_bot.send_message(CHAT, "<b>" + "长" * 4096 + "</b>", parse_mode="HTML")
    assert ok.text == "长" * 4096
    assert [m.message_id for m in emulator.sent(CHAT)] == [ok.message_id]


# ---------------------------------------------------------------- PTB application


async def test_echo_handler_answers(emulator: BotApiEmulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("欢迎使用为民服务中心")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        await message.reply_text(
            f"<b>收到</b>：{message.text}", parse_mode=ParseMode.HTML, do_quote=True
        )

    async with running_app(
        emulator,
        CommandHandler("start", start),
        MessageHandler(filters.TEXT & ~filters.COMMAND, echo),
    ):
        emulator.add_message(CHAT, "/start")
        await emulator.wait_for_sent(CHAT, 1)
        question = emulator.add_message(CHAT, "办理居住证需要什么材料？")
        first, second = await emulator.wait_for_sent(CHAT, 2)

    assert first.text == "欢迎使用为民服务中心"
    assert second.text == "<b>收到</b>：办理居住证需要什么材料？"
    assert second.plain_text == "收到：办理居住证需要什么材料？"
    assert second.parse_mode == "HTML"
    assert second.entities == [{"type": "bold", "offset": 0, "length": 2}]
    assert second.reply_to_message_id == question["message"]["message_id"]
    # message ids are per chat and shared by the user's and the bot's messages
    assert [first.message_id, second.message_id] == [2, 4]
    # stopping the updater confirmed everything it fetched
    assert emulator.confirmed_update_id == question["update_id"]
    assert emulator.pending_updates == []


async def test_callback_round_trip(emulator: BotApiEmulator) -> None:
    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = Keyboard([[Button("户籍", callback_data="topic:hukou")]])
        await update.effective_message.reply_text("请选择事项", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer("好的")
        assert isinstance(query.message, Message)
        assert query.message.text == "请选择事项"
        await query.edit_message_text(f"已选择：{query.data}")

    async with running_app(emulator, CommandHandler("menu", menu), CallbackQueryHandler(pressed)):
        emulator.add_message(CHAT, "/menu")
        [sent] = await emulator.wait_for_sent(CHAT, 1)
        assert sent.callback_data == ["topic:hukou"]
        assert sent.button("户籍")["callback_data"] == "topic:hukou"
        emulator.add_callback(CHAT, sent.message_id, "topic:hukou")
        await emulator.wait_for(lambda: sent.edits == 1 and emulator.callback_answers)

    assert sent.text == "已选择：topic:hukou"
    assert sent.reply_markup is None  # editing without reply_markup removes the keyboard
    assert sent.history == ["请选择事项"]
    [answer] = emulator.callback_answers
    assert answer["text"] == "好的"


async def test_group_mention_and_command_entities(emulator: BotApiEmulator) -> None:
    update = emulator.add_message(
        GROUP, "/ask@citizen_desk_test_bot 你好 @citizen_desk_test_bot", chat_type="group"
    )
    message = update["message"]
    assert message["chat"]["type"] == "group"
    assert message["from"]["id"] > 0
    assert message["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 26},
        {"type": "mention", "offset": 30, "length": 22},
    ]
    parsed = Update.de_json(update, None)
    assert parsed.effective_message is not None
    assert parsed.effective_message.parse_entities() == {
        parsed.effective_message.entities[0]: "/ask@citizen_desk_test_bot",
        parsed.effective_message.entities[1]: "@citizen_desk_test_bot",
    }


# ------------------------------------------------------------------------- polling


async def test_get_updates_offset_confirmation(
    emulator: BotApiEmulator,
    emulator_bot: Bot,
) -> None:
    for text in ("一", "二", "三"):
        emulator.add_message(CHAT, text)
    updates = await emulator_bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [1, 2, 3]
    assert emulator.confirmed_update_id == 0

    updates = await emulator_bot.get_updates(offset=3, timeout=0)
    assert [u.update_id for u in updates] == [3]
    assert emulator.confirmed_update_id == 2
    assert [u["update_id"] for u in emulator.pending_updates] == [3]

    limited = await emulator_bot.get_updates(offset=3, limit=1, timeout=0)
    assert [u.message.text for u in limited if u.message] == ["三"]

    # a long poll returns as soon as an update arrives
    poll = asyncio.create_task(emulator_bot.get_updates(offset=4, timeout=5))
    await emulator.wait_for_call("getUpdates", count=4)
    assert not poll.done()
    emulator.add_message(CHAT, "四")
    [fourth] = await asyncio.wait_for(poll, 2)
    assert fourth.update_id == 4
    assert emulator.confirmed_update_id == 3


async def test_allowed_updates_filter(emulator: BotApiEmulator, emulator_bot: Bot) -> None:
    emulator.add_message(CHAT, "hi")
    emulator.add_raw_update({"message_reaction": {"chat": {"id": CHAT, "type": "private"}}})
    updates = await emulator_bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    assert updates == ()
    assert emulator.pending_updates == []


# ------------------------------------------------------------------------- failures


async def test_429_surfaces_as_retry_after(
    emulator: BotApiEmulator,
    emulator_bot: Bot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    emulator.fail_next("sendMessage", retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await emulator_bot.send_message(CHAT, "你好")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    assert emulator.call_log[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    await emulator_bot.send_message(CHAT, "你好")  # only the next call failed
    assert len(emulator.sent(CHAT)) == 1


async def test_other_failures(emulator: BotApiEmulator, emulator_bot: Bot) -> None:
    emulator.fail_next("sendMessage", error_code=500, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await emulator_bot.send_message(CHAT, "x")
    emulator.block_chat(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await emulator_bot.send_message(CHAT, "x")
    with pytest.raises(Forbidden):
        await emulator_bot.send_chat_action(CHAT, ChatAction.TYPING)
    emulator.unblock_chat(CHAT)
    await emulator_bot.send_chat_action(CHAT, ChatAction.TYPING)
    assert emulator.chat_actions == [(CHAT, "typing")]


async def test_validation_errors(emulator: BotApiEmulator, emulator_bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await emulator_bot.send_message(CHAT, "<b>未闭合", parse_mode="HTML")
    with pytest.raises(BadRequest, match="unsupported start tag"):
        await emulator_bot.send_message(CHAT, "a<br>b", parse_mode="HTML")
    with pytest.raises(BadRequest, match="reserved"):
        await emulator_bot.send_message(CHAT, "电话 12345.", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await emulator_bot.send_message(
            CHAT, "x", reply_markup=Keyboard([[Button("长", callback_data="x" * 65)]])
        )
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await emulator_bot.send_message(CHAT, "x", reply_to_message_id=999)
    ok = await emulator_bot.send_message(
        CHAT, '<a href="https://example.gov.cn">链接</a> &amp; <i>斜体</i>', parse_mode="HTML"
    )
    assert ok.text == "链接 & 斜体"
    assert emulator.sent(CHAT)[0].entities == [
        {"type": "text_link", "offset": 0, "length": 2, "url": "https://example.gov.cn"},
        {"type": "italic", "offset": 5, "length": 2},
    ]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await emulator_bot.edit_message_text(
            "<a href='https://example.gov.cn'>链接</a> &amp; <i>斜体</i>",
            chat_id=CHAT,
            message_id=ok.message_id,
            parse_mode="HTML",
        )
    assert await emulator_bot.delete_message(CHAT, ok.message_id)
    assert emulator.sent(CHAT) == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await emulator_bot.delete_message(CHAT, ok.message_id)
    assert emulator.internal_errors == []


# ------------------------------------------------------------------ commands & files


async def test_commands(emulator: BotApiEmulator, emulator_bot: Bot) -> None:
    await emulator_bot.set_my_commands([BotCommand("start", "开始"), BotCommand("help", "帮助")])
    await emulator_bot.set_my_commands(
        [BotCommand("start", "Start")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="en",
    )
    assert emulator.commands_for() == [
        {"command": "start", "description": "开始"},
        {"command": "help", "description": "帮助"},
    ]
    assert set(emulator.commands) == {"default/", "all_private_chats/en"}
    fetched = await emulator_bot.get_my_commands(
        scope=BotCommandScopeAllPrivateChats(), language_code="en"
    )
    assert [c.command for c in fetched] == ["start"]
    await emulator_bot.delete_my_commands()
    assert emulator.commands_for() == []
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await emulator_bot.set_my_commands([BotCommand("Start-Now", "x")])


async def test_document_upload_get_file_and_download(
    emulator: BotApiEmulator,
    emulator_bot: Bot,
) -> None:
    content = "办事指南\n".encode() * 100
    message = await emulator_bot.send_document(
        CHAT, document=content, filename="指南.txt", caption="<b>附件</b>", parse_mode="HTML"
    )
    assert message.document is not None
    assert message.document.file_name == "指南.txt"
    assert message.caption == "附件"
    [sent] = emulator.sent(CHAT)
    assert (sent.kind, sent.filename, sent.file_bytes) == ("document", "指南.txt", content)

    telegram_file = await emulator_bot.get_file(message.document.file_id)
    assert telegram_file.file_size == len(content)
    assert bytes(await telegram_file.download_as_bytearray()) == content

    photo = await emulator_bot.send_photo(CHAT, photo=b"\x89PNG fake", filename="a.png")
    assert photo.photo and emulator.sent(CHAT)[-1].kind == "photo"

    # files on incoming messages can be fetched too
    update = emulator.add_message(CHAT, "", photo=True, caption="现场照片")
    incoming = Update.de_json(update, emulator_bot)
    assert incoming.message is not None and incoming.message.caption == "现场照片"
    photo_file = await incoming.message.photo[-1].get_file()
    assert (await photo_file.download_as_bytearray())[:2] == b"\xff\xd8"

    with pytest.raises(BadRequest, match="Invalid file_id"):
        await emulator_bot.get_file("nope")


# --------------------------------------------------------------------------- webhook


async def test_webhook_delivery_with_secret(
    emulator: BotApiEmulator,
    emulator_bot: Bot,
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    statuses = [500]  # the first attempt fails, the retry succeeds

    async def receive(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        assert await emulator_bot.set_webhook(
            f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t"
        )
        info = await emulator_bot.get_webhook_info()
        assert info.url.endswith("/hook")

        update = emulator.add_message(CHAT, "通过 webhook")
        await emulator.wait_for(lambda: emulator.webhook_status_codes == [500, 200])
        assert len(received) == 2
        assert received[-1] == ("s3cr3t", update)
        assert emulator.pending_updates == []
        assert emulator.confirmed_update_id == update["update_id"]

        with pytest.raises(Conflict):
            await emulator_bot.get_updates(timeout=0)
        assert await emulator_bot.delete_webhook()
        assert await emulator_bot.get_updates(timeout=0) == ()
    finally:
        await runner.cleanup()


def test_html_entities_use_utf16_offsets_and_errors_byte_offsets() -> None:
    from tests.emulator.formatting import EntityParseError, parse_html

    plain = parse_html("低保 <b>材料</b> &amp; <i>时间</i>")
    assert plain.text == "低保 材料 & 时间"
    assert [(e["type"], e["offset"], e["length"]) for e in plain.entities] == [
        ("bold", 3, 2),
        ("italic", 8, 2),
    ]
    astral = parse_html("👍 <b>好</b>")  # 👍 is two UTF-16 units
    assert astral.entities == [{"type": "bold", "offset": 3, "length": 1}]
    with pytest.raises(EntityParseError, match="byte offset 7"):
        parse_html("低保 <x>材料</x>")  # 低保 and a space: 7 bytes
    with pytest.raises(
        EntityParseError, match='Unmatched end tag at byte offset 9, expected "</b>"'
    ):
        parse_html("<b>材料</i></b>")
