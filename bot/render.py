"""Render knowledge entries into blocks, and blocks into plain text or Telegram HTML."""

from __future__ import annotations

import html
from collections.abc import Iterable

from bot.knowledge.model import Entry
from bot.messages import t
from bot.replies import Block, Heading, Paragraph, Section

BULLET = "•"


def entry_blocks(entry: Entry, lang: str) -> tuple[Block, ...]:
    """The answer of `entry` in `lang`: the title, then each guide field."""
    blocks: list[Block] = [Heading(entry.title.get(lang))]
    answer = entry.answer
    if answer.text is not None:
        blocks.append(Paragraph(answer.text.get(lang)))
    for field in answer.fields:
        items = field.items.get(lang)
        if items:
            label = t(f"field_{field.name}", lang)
            numbered = field.name == "steps" and len(items) > 1
            blocks.append(Section(label, items, field.is_list, numbered))
    return tuple(blocks)


def render_plain(blocks: Iterable[Block]) -> str:
    """Plain text for a terminal: 【title】, labelled paragraphs and bullet lists."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            lines.append(f"【{block.text}】")
        elif isinstance(block, Paragraph):
            lines.append(block.text)
        elif block.is_list or len(block.items) > 1:
            lines.append(f"{block.label}：" if _is_zh(block.label) else f"{block.label}:")
            lines.extend(f"  {_mark(block, n)} {item}" for n, item in enumerate(block.items, 1))
        else:
            sep = "：" if _is_zh(block.label) else ": "
            lines.append(f"{block.label}{sep}{block.items[0]}")
    return "\n".join(lines)


def render_html(blocks: Iterable[Block]) -> str:
    """Telegram HTML: bold headings and labels; every text escaped."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            lines.append(f"<b>{_e(block.text)}</b>")
        elif isinstance(block, Paragraph):
            lines.append(_e(block.text))
        elif block.is_list or len(block.items) > 1:
            lines.append(f"<b>{_e(block.label)}</b>")
            lines.extend(f"{_mark(block, n)} {_e(item)}" for n, item in enumerate(block.items, 1))
        else:
            lines.append(f"<b>{_e(block.label)}</b>: {_e(block.items[0])}")
    return "\n".join(lines)


def _mark(block: Section, number: int) -> str:
    return f"{number})" if block.numbered else BULLET


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def _is_zh(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
