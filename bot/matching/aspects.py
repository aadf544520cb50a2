"""Aspects a question asks about (appeal, death, a lost document…) and whether an entry covers them.

A question can share an entry's topic words and still ask something the entry does not
answer: 低保被取消了不服咋办 names 低保, but asks how to appeal; 我爹去世了养老金账户里的钱咋办
names the pension, but asks about a death. The words of each aspect are data
(`aspects:` in `bot/defaults/lexicon.yaml`). An entry supports an aspect when its text —
title, questions, keywords and answer, in every language — has one of the aspect's words;
the matcher cuts the score of an entry that lacks an aspect the message asks.

An entry's aspects are found the first time a message asks one and remembered, so loading
a KB costs nothing and a match reads each recalled entry's text at most once.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from bot.knowledge.model import Entry


@dataclass(frozen=True)
class Aspect:
    """One aspect: the words that ask it and the words that show an entry covers it."""

    name: str
    ask: re.Pattern[str]
    support: re.Pattern[str]


def _pattern(words: Iterable[str]) -> re.Pattern[str]:
    """One regex for `words`: Chinese ones as substrings, Latin ones as word starts."""
    parts = []
    for word in sorted({w.lower() for w in words if w}, key=len, reverse=True):
        escaped = re.escape(word).replace(r"\ ", r"\s+")
        parts.append(escaped if not word[0].isascii() else rf"\b{escaped}")
    return re.compile("|".join(parts) if parts else r"(?!x)x")


@lru_cache(maxsize=1)
def default_aspects() -> tuple[Aspect, ...]:
    """The aspects shipped in `bot/defaults/lexicon.yaml`."""
    text = resources.files("bot.defaults").joinpath("lexicon.yaml").read_text("utf-8")
    data = yaml.safe_load(text).get("aspects") or {}
    aspects = []
    for name, spec in data.items():
        ask = [w for words in (spec.get("ask") or {}).values() for w in words]
        support = [w for words in (spec.get("support") or {}).values() for w in words]
        aspects.append(Aspect(name, _pattern(ask), _pattern([*ask, *support])))
    return tuple(aspects)


def entry_text(entry: Entry) -> str:
    """All the text of an entry (every language), lowercased, for the support check."""
    parts = [*entry.title.all(), *entry.questions.all(), *entry.keywords.all()]
    if entry.answer.text is not None:
        parts.extend(entry.answer.text.all())
    for guide in entry.answer.fields:
        parts.extend(guide.items.all())
    return unicodedata.normalize("NFKC", "\n".join(parts)).lower()


class AspectCheck:
    """Which aspects a message asks, and which of them an entry of one KB supports."""

    def __init__(self, entries: tuple[Entry, ...] | list[Entry], aspects: tuple[Aspect, ...]):
        self.entries = entries
        self.aspects = aspects
        self._supported: dict[int, frozenset[str]] = {}
        self._lock = threading.Lock()

    def asked(self, norm: str) -> tuple[str, ...]:
        """The aspects the normalised message asks about."""
        return tuple(a.name for a in self.aspects if a.ask.search(norm))

    def supported(self, number: int) -> frozenset[str]:
        """The aspects entry `number` covers (read from its text once)."""
        found = self._supported.get(number)
        if found is None:
            text = entry_text(self.entries[number])
            found = frozenset(a.name for a in self.aspects if a.support.search(text))
            with self._lock:
                self._supported[number] = found
        return found

    def warm(self) -> None:
        """Read every entry's aspects now (at start-up), not in the first questions' time."""
        for number in range(len(self.entries)):
            self.supported(number)

    def missing(self, asked: tuple[str, ...], numbers: Iterable[int]) -> Iterator[int]:
        """For each entry of `numbers`, how many of the `asked` aspects it lacks."""
        for number in numbers:
            have = self.supported(number)
            yield sum(1 for name in asked if name not in have)
