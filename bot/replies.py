"""Channel-neutral messages: what the dialogue core says and what channels render."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Heading:
    """A bold title line."""

    text: str


@dataclass(frozen=True)
class Paragraph:
    """Plain text (may hold line breaks)."""

    text: str


@dataclass(frozen=True)
class Section:
    """A labelled part of an answer: a paragraph or a bullet list."""

    label: str
    items: tuple[str, ...]
    is_list: bool
    #: Ordered steps are numbered rather than bulleted.
    numbered: bool = False


Block = Heading | Paragraph | Section


@dataclass(frozen=True)
class Button:
    """A choice: a label for people and an action id for the core (≤ 64 bytes)."""

    label: str
    action: str


@dataclass(frozen=True)
class Reply:
    """One message to send: blocks of content and rows of buttons."""

    blocks: tuple[Block, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    #: Who receives it: None for the person who wrote, else a recipient key.
    to: str | None = None
    #: A file to send with it: (file name, content).
    document: tuple[str, bytes] | None = None

    def plain_text(self) -> str:
        """The content as plain text (for logs and tests)."""
        from bot.render import render_plain

        return render_plain(self.blocks)

    def button_actions(self) -> list[str]:
        """Every button's action, row by row."""
        return [b.action for row in self.buttons for b in row]


def text_reply(text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> Reply:
    """A reply of one paragraph."""
    return Reply((Paragraph(text),), buttons)
