"""Turn a text into matching units: Chinese word bigrams, English stems, numbers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import rjieba
import snowballstemmer

from bot.matching.lexicon import Lexicon, default_lexicon
from bot.text import normalize

_HAN_TOKEN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
_WORD_TOKEN = re.compile(r"[0-9a-z]+(?:'[a-z]+)?")

#: Kinds of token.
HAN, LATIN, NUMBER = "han", "latin", "number"


class Token(NamedTuple):
    """A token of a normalised text (a named tuple: millions are made at index build)."""

    text: str
    kind: str


@dataclass(frozen=True)
class Analysis:
    """A text prepared for matching."""

    norm: str
    #: Units of content words (topic-bearing).
    content: tuple[str, ...]
    #: Units of question words (how / how much / where …): weak evidence.
    question: tuple[str, ...]
    #: Content words joined, for fuzzy comparison.
    clean: str
    #: The corrected text: Chinese tokens joined, and Latin words between spaces.
    han_text: str = ""
    latin_text: str = " "

    @property
    def units(self) -> tuple[str, ...]:
        """All units, content first."""
        return self.content + self.question


class Analyzer:
    """Segments and classifies text; one instance per knowledge base (it has its own words)."""

    def __init__(self, user_words: Iterable[str] = (), lexicon: Lexicon | None = None):
        self.jieba = rjieba.Jieba()
        self.lexicon = lexicon or default_lexicon()
        # A colloquial word is rewritten only when it is one piece (屋头, not 屋 + 头).
        for word in self.lexicon.synonyms:
            if len(word) >= 2 and _HAN_TOKEN.match(word) and not self.jieba.has_word(word):
                self.jieba.add_word(word, 2000, None)
        for word in user_words:
            if len(word) >= 2 and _HAN_TOKEN.match(word):
                self.jieba.add_word(word, 2000, None)
        self._stemmer = snowballstemmer.stemmer("english")
        self._stems: dict[str, str] = {}

    def tokens(self, norm: str) -> list[Token]:
        """Segment a normalised text into Han words, Latin words and numbers."""
        out: list[Token] = []
        append = out.append
        han = _HAN_TOKEN.match
        synonyms = self.lexicon.synonyms
        for piece in self.jieba.cut(norm):
            if han(piece):
                into = synonyms.get(piece)
                if into is None:
                    append(Token(piece, HAN))
                else:
                    out.extend(Token(word, HAN) for word in into)
                continue
            for word in _WORD_TOKEN.findall(piece):
                if word.isdigit():
                    append(Token(word, NUMBER))
                    continue
                into = synonyms.get(word)
                if into is None:
                    append(Token(word, LATIN))
                else:
                    out.extend(Token(w, LATIN) for w in into)
        return out

    def has_word(self, word: str) -> bool:
        """Return True when the segmenter's dictionary knows `word`."""
        return bool(self.jieba.has_word(word))

    def stem(self, word: str) -> str:
        """Return the English stem of `word` (cached)."""
        stem = self._stems.get(word)
        if stem is None:
            stem = self._stemmer.stemWord(word.replace("'", ""))
            self._stems[word] = stem
        return stem

    def analyze(
        self, text: str, correct: Callable[[list[Token]], list[Token]] | None = None
    ) -> Analysis:
        """Analyse `text`; `correct` may rewrite the tokens (typo correction) first."""
        norm = normalize(text)
        tokens = self.tokens(norm)
        if correct is not None:
            tokens = correct(tokens)
        return self.analyze_tokens(norm, tokens)

    def analyze_tokens(self, norm: str, tokens: list[Token]) -> Analysis:
        """Classify tokens into content and question units."""
        content, question, clean = self.classify(tokens)
        han_text = "".join(t.text for t in tokens if t.kind == HAN)
        latin_text = " " + " ".join(t.text for t in tokens if t.kind != HAN) + " "
        return Analysis(norm, tuple(content), tuple(question), clean, han_text, latin_text)

    def classify(self, tokens: list[Token]) -> tuple[list[str], list[str], str]:
        """The content units, the question units and the clean text of `tokens`."""
        content: list[str] = []
        question: list[str] = []
        clean: list[str] = []
        filler = self.lexicon.filler
        questions = self.lexicon.question
        for word, kind in tokens:
            if word in filler:
                continue
            if kind == HAN:
                if word in questions:
                    question.append(word)
                    continue
                content.extend(han_units(word))
                clean.append(word)
            elif kind == NUMBER:
                content.append(word)
                clean.append(word)
            else:
                stem = self.stem(word)
                if word in questions:
                    question.append(stem)
                    continue
                content.append(stem)
                clean.append(" " + word + " ")
        return content, question, "".join(clean).strip()


def han_units(word: str) -> list[str]:
    """Units of a Chinese word: itself when short, its character bigrams when longer."""
    if len(word) <= 2:
        return [word]
    return [word[i : i + 2] for i in range(len(word) - 1)]
