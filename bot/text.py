"""Text normalisation shared by matching and input checks: NFKC, simplified, lowercase."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

#: Longest message the matcher reads; a citizen's point is made well before this.
MAX_MATCH_CHARS = 300

_SPACE_RE = re.compile(r"\s+")
_ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")
_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def strip_controls(text: str) -> str:
    """Remove control and format characters (keeping newlines and tabs as spaces)."""
    if text.isprintable():
        # Nothing to do: a printable text has no character of the categories removed
        # below (Cc, Cf, Cs, Co, Cn), hence no newline, tab or escape sequence either.
        return text
    out = []
    for ch in _ANSI_RE.sub("", text):
        cat = unicodedata.category(ch)
        if ch in "\n\t\r":
            out.append(" ")
        elif cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def normalize(text: str) -> str:
    """Return the matching form of `text`: NFKC, no controls, simplified, lowercase."""
    text = unicodedata.normalize("NFKC", text[: MAX_MATCH_CHARS * 2])
    text = strip_controls(text)
    text = _t2s().convert(text)
    text = text.casefold()
    return _SPACE_RE.sub(" ", text).strip()[:MAX_MATCH_CHARS]


def has_han(text: str) -> bool:
    """Return True when `text` contains a Chinese character."""
    return _HAN_RE.search(text) is not None


def has_content(text: str) -> bool:
    """Return True when `text` has at least one letter or digit (not only emoji/punctuation)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def detect_language(text: str, default: str = "zh") -> str:
    """Guess zh or en: any Chinese character means zh, Latin letters only means en."""
    if has_han(text):
        return "zh"
    if any("a" <= ch.lower() <= "z" for ch in text):
        return "en"
    return default
