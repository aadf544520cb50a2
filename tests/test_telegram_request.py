"""The JSON transport: the Bot API receives the same parameters as from a form."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest

from bot.channels.telegram_request import JsonHTTPXRequest
from tests.emulator import BotApiEmulator


def json_bot(emulator: BotApiEmulator) -> Bot:
    return Bot(
        emulator.token,
        base_url=emulator.base_url,
        base_file_url=emulator.base_file_url,
        request=JsonHTTPXRequest(connection_pool_size=2),
    )


async def test_messages_go_as_json_with_the_same_parameters(emulator: BotApiEmulator) -> None:
    emulator.add_message(42, "hi")
    text = "<b>低保</b> & 材料：身份证 <i>原件</i>"
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("👍 有帮助", callback_data="f:1:y")]])
    async with json_bot(emulator) as bot:
        sent = await bot.send_message(42, text, parse_mode="HTML", reply_markup=keyboard)
        raw = await bot.do_api_request(
            "sendMessage",
            api_kwargs={"chat_id": 42, "text": "第二条", "disable_notification": True},
        )
    call, second = emulator.call_log[-2:]
    assert call.method == "sendMessage" and call.content_type == "application/json"
    assert call.params["text"] == text and call.params["chat_id"] == 42
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "👍 有帮助", "callback_data": "f:1:y"}]]
    }
    assert sent.text == "低保 & 材料：身份证 原件"
    assert second.params["disable_notification"] is True and raw["text"] == "第二条"


async def test_errors_and_uploads_behave_as_with_forms(emulator: BotApiEmulator) -> None:
    emulator.add_message(42, "hi")
    async with json_bot(emulator) as bot:
        try:
            await bot.send_message(42, "<b>unclosed", parse_mode="HTML")
        except BadRequest as exc:
            refused = str(exc)
        else:
            refused = ""
        doc = await bot.send_document(42, InputFile(b"a,b\n1,2\n", filename="r.csv"))
    assert "parse entities" in refused.lower() or "end tag" in refused.lower()
    upload = emulator.call_log[-1]
    assert upload.content_type == "multipart/form-data"
    assert doc.document is not None and doc.document.file_name == "r.csv"
