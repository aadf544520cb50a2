"""Replies as Telegram messages: HTML text cut below 4,096 characters, inline keyboards."""

from __future__ import annotations

import base64
from typing import Any

from bot.render import render_html
from bot.replies import Reply

#: Telegram's limit for one message's text.
MAX_TEXT = 4096
#: Telegram's limit for a button's callback data, in bytes.
MAX_CALLBACK_BYTES = 64


def reply_payloads(reply: Reply, limit: int = MAX_TEXT) -> list[dict[str, Any]]:
    """The sendMessage payloads of one reply; the keyboard rides on the last one."""
    chunks = split_text(render_html(reply.blocks), limit)
    payloads: list[dict[str, Any]] = [{"text": chunk} for chunk in chunks]
    keyboard = keyboard_rows(reply)
    if keyboard:
        payloads[-1]["buttons"] = keyboard
    if reply.document is not None:
        name, data = reply.document
        payloads.append({"document": name, "data": base64.b64encode(data).decode("ascii")})
    return payloads


def keyboard_rows(reply: Reply) -> list[list[dict[str, str]]]:
    """Button rows as plain data: label and callback data (checked to fit in 64 bytes)."""
    rows = []
    for row in reply.buttons:
        cells = []
        for button in row:
            data = button.action
            if len(data.encode()) > MAX_CALLBACK_BYTES:
                raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
            cells.append({"text": button.label[:64], "data": data})
        rows.append(cells)
    return rows


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split on line boundaries so each part stays within `limit` characters.

    The HTML renderer keeps every tag within one line, so a cut between lines never
    breaks markup. A single line longer than the limit is cut at the limit.
    """
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            cut = _safe_cut(line, limit)
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def _safe_cut(line: str, limit: int) -> int:
    """A cut position ≤ limit that is not inside an HTML entity or tag."""
    cut = limit
    amp, semi = line.rfind("&", 0, cut), line.rfind(";", 0, cut)
    if amp > semi:
        cut = amp
    lt, gt = line.rfind("<", 0, cut), line.rfind(">", 0, cut)
    if lt > gt:
        cut = lt
    return cut if cut > 0 else limit
