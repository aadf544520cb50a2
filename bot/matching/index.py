"""The search index of a knowledge base: units per entry and phrasing, weights, BM25."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import bm25s
import numpy as np

from bot.knowledge.model import Entry, KnowledgeBase
from bot.matching.analyzer import HAN, LATIN, Analysis, Analyzer
from bot.matching.corrector import Corrector
from bot.text import normalize

#: Question words count for this share of their weight: they tell siblings apart
#: (how much vs how to apply) but are not the topic.
QUESTION_WEIGHT = 0.5


@dataclass(frozen=True)
class Phrasing:
    """A title or question of an entry, analysed."""

    content: frozenset[str]
    question: frozenset[str]
    clean: str


@dataclass(frozen=True)
class IndexedEntry:
    """An entry's matching data."""

    entry: Entry
    units: frozenset[str]
    phrasings: tuple[Phrasing, ...]
    keywords: tuple[str, ...]


class Index:
    """Everything the matcher needs about one knowledge base, built once at load."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        zh_words = [k for e in kb.entries for k in e.keywords.all()]
        self.analyzer = Analyzer(user_words=[normalize(w) for w in zh_words])
        raw = [(e, self._strings(e)) for e in kb.entries]
        han_terms: Counter[str] = Counter()
        latin_words: set[str] = set()
        for _, strings in raw:
            for s in strings:
                for token in self.analyzer.tokens(normalize(s)):
                    if token.kind == HAN:
                        han_terms[token.text] += 1
                    elif token.kind == LATIN:
                        latin_words.add(token.text)
        han_terms.update(normalize(k) for k in zh_words)  # keywords count once more
        self.corrector = Corrector(self.analyzer, han_terms, latin_words)
        self.entries: list[IndexedEntry] = []
        docs: list[list[str]] = []
        self.doc_entry: list[int] = []
        df: Counter[str] = Counter()
        for number, (entry, _) in enumerate(raw):
            item = self._index_entry(entry)
            self.entries.append(item)
            df.update(item.units)
            for phrasing in item.phrasings:
                docs.append(sorted(phrasing.content | phrasing.question))
                self.doc_entry.append(number)
            docs.append(sorted(item.units))  # the whole entry, keywords included
            self.doc_entry.append(number)
        n = len(self.entries)
        self.idf = {u: _idf(n, c) for u, c in df.items()}
        self.unknown_idf = _idf(n, 0)
        self.keyword_entries: dict[str, list[int]] = {}
        for number, item in enumerate(self.entries):
            for keyword in item.keywords:
                self.keyword_entries.setdefault(keyword, []).append(number)
        self.max_keyword_chars = max((len(k) for k in self.keyword_entries), default=0)
        self.max_keyword_words = max((len(k.split()) for k in self.keyword_entries), default=0)
        self.doc_entry_array = np.asarray(self.doc_entry, dtype=np.int64)
        self.bm25 = bm25s.BM25()
        self.bm25.index(docs, show_progress=False)
        self.vocab = frozenset(self.bm25.vocab_dict)

    @staticmethod
    def _strings(entry: Entry) -> list[str]:
        return [*entry.title.all(), *entry.questions.all(), *entry.keywords.all()]

    def analyze(self, text: str) -> Analysis:
        """Analyse a citizen's message, correcting typos toward the KB's words."""
        return self.analyzer.analyze(text, self.corrector)

    def _index_entry(self, entry: Entry) -> IndexedEntry:
        phrasings = []
        units: set[str] = set()
        for text in [*entry.title.all(), *entry.questions.all()]:
            a = self.analyzer.analyze(text)
            phrasings.append(Phrasing(frozenset(a.content), frozenset(a.question), a.clean))
            units.update(a.units)
        keywords = []
        for keyword in entry.keywords.all():
            norm = normalize(keyword)
            if norm:
                keywords.append(norm)
                units.update(self.analyzer.analyze(keyword).units)
        return IndexedEntry(entry, frozenset(units), tuple(phrasings), tuple(keywords))

    def weight(self, unit: str, question: bool = False) -> float:
        """How much a unit tells: its IDF over entries (unknown units weigh the most)."""
        w = self.idf.get(unit, self.unknown_idf)
        return w * QUESTION_WEIGHT if question else w

    def keywords_in(self, analysis: Analysis) -> list[str]:
        """Return the KB keywords the message contains (looked up by substring, not scanned)."""
        found = []
        text = analysis.han_text
        longest = min(self.max_keyword_chars, 12)
        for i in range(len(text)):
            for j in range(i + 2, min(len(text), i + longest) + 1):
                if text[i:j] in self.keyword_entries:
                    found.append(text[i:j])
        words = analysis.latin_text.split()
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + self.max_keyword_words) + 1):
                phrase = " ".join(words[i:j])
                if phrase in self.keyword_entries:
                    found.append(phrase)
        return found

    def recall(self, analysis: Analysis, k: int) -> list[int]:
        """Return up to `k` entry numbers, best BM25 first, that share units with the query."""
        query = [u for u in dict.fromkeys(analysis.units) if u in self.vocab]
        if not query:
            return []
        scores = self.bm25.get_scores(query)
        top = min(len(scores), k * 4)
        docs = np.argpartition(-scores, top - 1)[:top]
        docs = docs[scores[docs] > 0]
        docs = docs[np.argsort(-scores[docs], kind="stable")]
        seen: dict[int, None] = {}
        for entry_number in self.doc_entry_array[docs]:
            seen.setdefault(int(entry_number), None)
            if len(seen) >= k:
                break
        return list(seen)


def _idf(n: int, df: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))
