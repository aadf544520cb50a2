"""Typo correction toward the knowledge base's own vocabulary only.

Chinese: a run of 2–4 characters on word boundaries that is not a known word and sounds
exactly like a KB term (toneless pinyin) becomes that term (底保 → 低保, 申清 → 申请).
Pinyin typed in Latin letters (dibao) becomes the term too. English: an unknown word
within one edit of a KB word, or two words that join into one (pot hole → pothole).
It cannot invent a term the knowledge base does not have.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.matching.analyzer import HAN, LATIN, Analyzer, Token

os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
from pypinyin import constants as pinyin_constants
from pypinyin import lazy_pinyin

#: A window the segmenter knows with at least this frequency is a real word: keep it.
WORD_FREQ_GUARD = 50
MAX_WINDOW = 4


class Corrector:
    """Corrects tokens toward a fixed vocabulary of KB terms."""

    def __init__(self, analyzer: Analyzer, han_terms: Counter[str], latin_words: Iterable[str]):
        self.analyzer = analyzer
        self.han_terms = frozenset(t for t in han_terms if 2 <= len(t) <= MAX_WINDOW)
        by_sound: dict[str, Counter[str]] = {}
        for term in self.han_terms:
            by_sound.setdefault(_sound(term), Counter())[term] = han_terms[term]
        # Where two KB terms sound alike, the one the KB uses more often wins.
        self.by_sound = {s: c.most_common(1)[0][0] for s, c in by_sound.items()}
        self.latin_words = frozenset(latin_words)
        # Typos are corrected toward the KB's topic words only: an unknown word one edit
        # from a filler or question word is a word of its own (weather ≠ whether).
        lexicon = analyzer.lexicon
        self._latin_list = sorted(
            w
            for w in self.latin_words
            if len(w) >= 4 and w not in lexicon.filler and w not in lexicon.question
        )

    def __call__(self, tokens: list[Token]) -> list[Token]:
        """Return the tokens with typos corrected."""
        return self._latin(self._han(self._split_particles(tokens)))

    def _split_particles(self, tokens: list[Token]) -> list[Token]:
        """Split a one-character filler or question word glued to a word (咋查 → 咋 查)."""
        lexicon = self.analyzer.lexicon
        out: list[Token] = []
        for token in tokens:
            word = token.text
            if token.kind != HAN or len(word) < 2 or word in self.han_terms:
                out.append(token)
                continue
            if word in lexicon.filler or word in lexicon.question:
                out.append(token)
                continue
            head, tail = word[0], word[1:]
            if head in lexicon.filler or head in lexicon.question:
                out.extend((Token(head, HAN), Token(tail, HAN)))
                continue
            head, tail = word[:-1], word[-1]
            if len(head) >= 2 and (tail in lexicon.filler or tail in lexicon.question):
                out.extend((Token(head, HAN), Token(tail, HAN)))
                continue
            out.append(token)
        return out

    def _han(self, tokens: list[Token]) -> list[Token]:
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            replaced = self._han_window(tokens, i)
            if replaced is None:
                token = tokens[i]
                if (
                    token.kind == LATIN
                    and len(token.text) >= 4
                    and token.text not in self.latin_words
                ):
                    term = self.by_sound.get(token.text)
                    if term is not None:
                        token = Token(term, HAN)
                out.append(token)
                i += 1
                continue
            term, used = replaced
            out.append(Token(term, HAN))
            i += used
        return out

    def _han_window(self, tokens: list[Token], start: int) -> tuple[str, int] | None:
        """Find the longest window from `start` that should become a KB term."""
        text = ""
        windows: list[tuple[str, int]] = []
        for j in range(start, len(tokens)):
            token = tokens[j]
            if token.kind != HAN:
                break
            text += token.text
            if len(text) > MAX_WINDOW:
                break
            if len(text) >= 2:
                windows.append((text, j - start + 1))
        for window, used in reversed(windows):
            if window in self.han_terms:
                return None if used == 1 else (window, used)
            if self._is_real_word(window):
                continue
            term = self.by_sound.get(_sound(window))
            if term is not None:
                return term, used
        return None

    def _is_real_word(self, window: str) -> bool:
        if not self.analyzer.has_word(window):
            return False
        return int(self.analyzer.jieba.suggest_freq(window)) >= WORD_FREQ_GUARD

    def _latin(self, tokens: list[Token]) -> list[Token]:
        if not self._latin_list:
            return tokens
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.kind != LATIN or token.text in self.latin_words:
                out.append(token)
                i += 1
                continue
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is not None and nxt.kind == LATIN and token.text + nxt.text in self.latin_words:
                out.append(Token(token.text + nxt.text, LATIN))
                i += 2
                continue
            out.extend(self._fix_word(token))
            i += 1
        return out

    def _fix_word(self, token: Token) -> list[Token]:
        word = token.text
        if len(word) < 5:
            return [token]
        found = process.extractOne(
            word, self._latin_list, scorer=fuzz.ratio, score_cutoff=_cutoff(word)
        )
        if found is not None:
            return [Token(found[0], LATIN)]
        for cut in range(3, len(word) - 2):
            left, right = word[:cut], word[cut:]
            if left in self.latin_words and right in self.latin_words:
                return [Token(left, LATIN), Token(right, LATIN)]
        return [token]


def _cutoff(word: str) -> float:
    """Allow one edit: the ratio of a one-edit pair of this length, a little under."""
    n = len(word)
    return 100.0 * (1 - 1.0 / n) - 1.0


def _sound(text: str) -> str:
    """Toneless pinyin of `text` (characters without a reading are left out)."""
    if pinyin_constants.PHRASES_DICT:  # pypinyin came in first, with its phrases: in
        return "".join(lazy_pinyin(text, errors="ignore"))  # context a reading may change
    # Without phrases, pypinyin reads each character on its own: the same, but cached.
    return "".join(map(_char_sound, text))


@lru_cache(maxsize=65_536)
def _char_sound(char: str) -> str:
    return "".join(lazy_pinyin(char, errors="ignore"))


def pinyin(text: str) -> str:
    """Toneless pinyin of `text`, joined (the same reading the corrector uses)."""
    return "".join(lazy_pinyin(text, errors="ignore"))
