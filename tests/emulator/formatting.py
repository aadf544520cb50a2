"""Text formatting helpers for the Bot API emulator.

Telegram turns ``parse_mode`` markup into plain text plus a list of *entities* whose
offsets and lengths are counted in UTF-16 code units.  This module does the same, roughly:
it accepts what Telegram accepts, rejects the common mistakes Telegram rejects (unknown or
unbalanced HTML tags, unescaped reserved MarkdownV2 characters, unclosed Markdown entities)
and produces entities precise enough for tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EntityParseError",
    "ParsedText",
    "auto_entities",
    "parse_formatted",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "utf16_len",
]

JSONDict = dict[str, Any]


class EntityParseError(ValueError):
    """The markup could not be parsed (Telegram answers "can't parse entities: ...")."""


class UnsupportedParseModeError(ValueError):
    """The ``parse_mode`` value is not one Telegram knows."""


@dataclass(frozen=True)
class ParsedText:
    """Plain text plus Telegram-style entities (UTF-16 offsets)."""

    text: str
    entities: list[JSONDict] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units, as Telegram counts offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _sorted(entities: list[JSONDict]) -> list[JSONDict]:
    return sorted(entities, key=lambda e: (int(e["offset"]), -int(e["length"])))


class _Builder:
    """Accumulates plain text and tracks the UTF-16 position."""

    def __init__(self, source: str = "") -> None:
        self.parts: list[str] = []
        self.pos16 = 0
        self.entities: list[JSONDict] = []
        #: Pieces of a source without characters beyond the BMP are one unit a character.
        self._bmp = utf16_len(source) == len(source)

    def add(self, chunk: str, from_source: bool = False) -> None:
        self.parts.append(chunk)
        self.pos16 += len(chunk) if from_source and self._bmp else utf16_len(chunk)

    def entity(self, kind: str, start16: int, **extra: Any) -> None:
        length = self.pos16 - start16
        if length > 0:
            self.entities.append({"type": kind, "offset": start16, "length": length, **extra})

    def result(self) -> ParsedText:
        return ParsedText("".join(self.parts), _sorted(self.entities))


# --------------------------------------------------------------------------------------- HTML

_HTML_ENTITY_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
SUPPORTED_HTML_TAGS: frozenset[str] = frozenset(_HTML_ENTITY_TYPES)

_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+(?:[^<>\"']|\"[^\"]*\"|'[^']*')*)?)\s*>")
_ATTR_RE = re.compile(
    r"([A-Za-z][A-Za-z0-9_-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?"
)
_CHAR_REF_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    start16: int
    index: int
    language: str | None = None


def _decode_ref(ref: str) -> str:
    if ref in _NAMED_REFS:
        return _NAMED_REFS[ref]
    number = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
    try:
        return chr(number)
    except (ValueError, OverflowError):
        return "\ufffd"


def _parse_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(raw):
        value = match.group(2) or match.group(3) or match.group(4) or ""
        attrs[match.group(1).lower()] = _CHAR_REF_RE.sub(lambda m: _decode_ref(m.group(1)), value)
    return attrs


_HTML_SPECIAL_RE = re.compile("[<&]")


def parse_html(text: str) -> ParsedText:
    """Parse Telegram-flavoured HTML; raise :class:`EntityParseError` like Telegram would."""
    out = _Builder(text)

    def where() -> int:  # for errors only: the byte offset of the current position
        return _byte_offset(text, i)

    stack: list[_OpenTag] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            ref = _CHAR_REF_RE.match(text, i)
            if ref:
                out.add(_decode_ref(ref.group(1)))
                i = ref.end()
            else:
                out.add("&")
                i += 1
            continue
        if ch != "<":
            special = _HTML_SPECIAL_RE.search(text, i + 1)
            j = special.start() if special else n
            out.add(text[i:j], from_source=True)
            i = j
            continue
        match = _TAG_RE.match(text, i)
        if match is None:
            raise EntityParseError(f'Unsupported start tag "" at byte offset {where()}')
        closing, name, raw_attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
        if closing:
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {where()}")
            top = stack[-1]
            if top.name != name:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {where()}, expected "</{top.name}>", '
                    f'found "</{name}>"'
                )
            stack.pop()
            _close_html_tag(out, top, stack)
        else:
            if name not in SUPPORTED_HTML_TAGS:
                raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {where()}')
            attrs = _parse_attrs(raw_attrs)
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {where()}'
                )
            if name == "tg-emoji" and not attrs.get("emoji-id"):
                raise EntityParseError(
                    f'Tag "tg-emoji" must have attribute "emoji-id" at {where()}'
                )
            if stack and stack[-1].name in ("code", "pre") and name != "code":
                # Telegram ignores formatting inside code blocks; nesting anything but
                # <code> inside <pre> is a markup error in practice.
                raise EntityParseError(
                    f'Unsupported start tag "{name}" inside "{stack[-1].name}" '
                    f"at byte offset {where()}"
                )
            stack.append(_OpenTag(name, attrs, out.pos16, i))
        i = match.end()
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return out.result()


def _close_html_tag(out: _Builder, tag: _OpenTag, stack: list[_OpenTag]) -> None:
    kind = _HTML_ENTITY_TYPES[tag.name]
    if tag.name == "code" and stack and stack[-1].name == "pre":
        css = tag.attrs.get("class", "")
        if css.startswith("language-"):
            stack[-1].language = css.removeprefix("language-")
        return
    if kind == "text_link":
        href = tag.attrs.get("href")
        if href:
            out.entity(kind, tag.start16, url=href)
        return
    if kind == "pre":
        if tag.language:
            out.entity(kind, tag.start16, language=tag.language)
        else:
            out.entity(kind, tag.start16)
        return
    if kind == "custom_emoji":
        out.entity(kind, tag.start16, custom_emoji_id=tag.attrs["emoji-id"])
        return
    if kind == "blockquote" and "expandable" in tag.attrs:
        kind = "expandable_blockquote"
    out.entity(kind, tag.start16)


# -------------------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_MARKERS = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}


def _reserved(char: str) -> EntityParseError:
    return EntityParseError(
        f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
    )


def _read_until(text: str, start: int, terminator: str) -> tuple[str, int] | None:
    """Read escaped content up to ``terminator``; return (content, index after it)."""
    buf: list[str] = []
    i = start
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            buf.append(text[i + 1])
            i += 2
            continue
        if text.startswith(terminator, i):
            return "".join(buf), i + len(terminator)
        buf.append(text[i])
        i += 1
    return None


def parse_markdown_v2(text: str) -> ParsedText:
    """Parse MarkdownV2 roughly; unescaped reserved characters raise :class:`EntityParseError`."""
    out = _Builder()
    open_markers: dict[str, tuple[int, int]] = {}
    link_stack: list[int] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        boff = _byte_offset(text, i)
        if ch == "\\":
            if i + 1 < n and 0 < ord(text[i + 1]) < 127:
                out.add(text[i + 1])
                i += 2
            else:
                out.add(ch)
                i += 1
            continue
        if ch == "`":
            if text.startswith("```", i):
                found = _read_until(text, i + 3, "```")
                if found is None:
                    raise EntityParseError(f"Can't find end of Pre entity at byte offset {boff}")
                body, i = found
                language = ""
                if "\n" in body:
                    first, rest = body.split("\n", 1)
                    if first and " " not in first:
                        language, body = first, rest
                start = out.pos16
                out.add(body)
                if language:
                    out.entity("pre", start, language=language)
                else:
                    out.entity("pre", start)
            else:
                found = _read_until(text, i + 1, "`")
                if found is None:
                    raise EntityParseError(f"Can't find end of Code entity at byte offset {boff}")
                body, i = found
                start = out.pos16
                out.add(body)
                out.entity("code", start)
            continue
        marker = None
        for candidate in ("__", "||", "*", "_", "~"):
            if text.startswith(candidate, i):
                marker = candidate
                break
        if marker is not None:
            if marker in open_markers:
                start16, _ = open_markers.pop(marker)
                out.entity(_MDV2_MARKERS[marker], start16)
            else:
                open_markers[marker] = (out.pos16, boff)
            i += len(marker)
            continue
        if ch == "[":
            link_stack.append(out.pos16)
            i += 1
            continue
        if ch == "]":
            if not link_stack or not text.startswith("(", i + 1):
                raise _reserved("]")
            found = _read_until(text, i + 2, ")")
            if found is None:
                raise EntityParseError(f"Can't find end of a URL at byte offset {boff}")
            url, i = found
            start16 = link_stack.pop()
            if url.startswith("tg://emoji?id="):
                out.entity("custom_emoji", start16, custom_emoji_id=url.split("=", 1)[1])
            else:
                out.entity("text_link", start16, url=url)
            continue
        if ch == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1
            continue
        if ch in _MDV2_RESERVED:
            raise _reserved(ch)
        out.add(ch)
        i += 1
    if link_stack:
        raise EntityParseError("Can't find end of TextUrl entity")
    if open_markers:
        marker, (_, boff) = min(open_markers.items(), key=lambda kv: kv[1][1])
        kind = _MDV2_MARKERS[marker].capitalize()
        raise EntityParseError(f"Can't find end of {kind} entity at byte offset {boff}")
    return out.result()


# ---------------------------------------------------------------------------- legacy Markdown

_MD_MARKERS = {"*": "bold", "_": "italic"}


def parse_markdown(text: str) -> ParsedText:
    """Parse legacy Markdown (``*bold*``, ``_italic_``, `` `code` ``, ``[text](url)``)."""
    out = _Builder()
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        boff = _byte_offset(text, i)
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if ch in _MD_MARKERS or ch == "`":
            terminator = "```" if text.startswith("```", i) else ch
            end = text.find(terminator, i + len(terminator))
            if end < 0:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {boff}"
                )
            body = text[i + len(terminator) : end]
            start = out.pos16
            out.add(body)
            kind = "pre" if terminator == "```" else _MD_MARKERS.get(ch, "code")
            out.entity(kind, start)
            i = end + len(terminator)
            continue
        if ch == "[":
            close = text.find("](", i)
            end = text.find(")", close + 2) if close >= 0 else -1
            if close < 0 or end < 0:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {boff}"
                )
            start = out.pos16
            out.add(text[i + 1 : close])
            out.entity("text_link", start, url=text[close + 2 : end])
            i = end + 1
            continue
        out.add(ch)
        i += 1
    return out.result()


def parse_formatted(text: str, parse_mode: str | None) -> ParsedText:
    """Apply ``parse_mode`` (case-insensitive ``HTML``, ``MarkdownV2``, ``Markdown``) to text.

    Raises:
        EntityParseError: the markup is invalid.
        UnsupportedParseModeError: ``parse_mode`` is not a Telegram parse mode.
    """
    if not parse_mode:
        return ParsedText(text)
    mode = parse_mode.lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise UnsupportedParseModeError(parse_mode)


# ------------------------------------------------------------------------ incoming messages

_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_/@])")
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_@])@[A-Za-z][A-Za-z0-9_]{3,31}(?![A-Za-z0-9_])")
_URL_RE = re.compile(r"(?<![A-Za-z0-9_])https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def _utf16_offset(text: str, index: int) -> int:
    return utf16_len(text[:index])


def auto_entities(text: str) -> list[JSONDict]:
    """Detect the entities Telegram adds to a user's message: bot commands, mentions, URLs."""
    entities: list[JSONDict] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in (("bot_command", _COMMAND_RE), ("url", _URL_RE), ("mention", _MENTION_RE)):
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            entities.append(
                {
                    "type": kind,
                    "offset": _utf16_offset(text, start),
                    "length": utf16_len(match.group(0)),
                }
            )
    return _sorted(entities)
