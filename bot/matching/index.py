"""The search index of a knowledge base: units per entry and phrasing, weights, BM25.

Built once per knowledge base, and kept compact: a 10,000-entry KB has about 110,000
phrasings (titles and questions) and a million units in them. Each distinct unit gets an
integer id (the BM25 vocabulary); the units of every phrasing and of every entry are
stored as runs of ids in flat numpy arrays (CSR layout), so that `features` can score
all the recalled entries of a question with a few vectorised operations.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from bot.knowledge.gcpause import paused_gc
from bot.knowledge.model import Entry, KnowledgeBase
from bot.matching.analyzer import HAN, LATIN, Analysis, Analyzer, Token
from bot.matching.bm25 import BM25
from bot.matching.corrector import Corrector
from bot.text import normalize

#: Question words count for this share of their weight: they tell siblings apart
#: (how much vs how to apply) but are not the topic.
QUESTION_WEIGHT = 0.5

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Evidence:
    """The evidence for each of several entries (parallel arrays, as in `Features`)."""

    query_coverage: FloatArray
    phrasing_coverage: FloatArray
    similarity: FloatArray
    keyword: FloatArray


class Index:
    """Everything the matcher needs about one knowledge base, built once at load."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        with paused_gc():  # millions of small objects that all stay alive
            self._build(kb)

    def _build(self, kb: KnowledgeBase) -> None:
        norms: dict[str, str] = {}  # keywords repeat across entries: normalise each once

        def norm(text: str) -> str:
            found = norms.get(text)
            if found is None:
                found = norms[text] = normalize(text)
            return found

        zh_words = [k for e in kb.entries for k in e.keywords.all()]
        self.analyzer = Analyzer(user_words=[norm(w) for w in zh_words])
        analyzer = self.analyzer
        # The corrector's vocabulary: the tokens of every title, question and keyword (each
        # text is segmented once, for this and for its units).
        han_terms: Counter[str] = Counter()
        latin_words: set[str] = set()

        def count(tokens: list[Token]) -> None:
            for text, kind in tokens:
                if kind == HAN:
                    han_terms[text] += 1
                elif kind == LATIN:
                    latin_words.add(text)

        # Unit ids, in order of first use; they are also the BM25 vocabulary.
        ids: dict[str, int] = {}
        df: list[int] = []  # entries that have each unit

        def unit_ids(units: Iterable[str]) -> list[int]:
            out = []
            for unit in units:
                uid = ids.get(unit)
                if uid is None:
                    uid = ids[unit] = len(ids)
                    df.append(0)
                out.append(uid)
            return out

        keyword_units: dict[str, tuple[list[Token], tuple[str, ...]]] = {}
        content_ids, content_ptr = array("i"), array("i", [0])
        question_ids, question_ptr = array("i"), array("i", [0])
        entry_ids, entry_ptr = array("i"), array("i", [0])
        entry_phrasings = array("i", [0])
        # Each entry's topic units: those of its titles and keywords (bot/matching/topics.py).
        topic_ids, topic_ptr = array("i"), array("i", [0])
        self.clean: list[str] = []
        self.entry_keywords: list[tuple[str, ...]] = []
        # BM25 documents: one per phrasing and one per entry (its units, keywords included).
        doc_units, doc_ptr = array("i"), array("q", [0])
        doc_entry = array("i")
        for number, entry in enumerate(kb.entries):
            units: set[str] = set()
            topic: set[str] = set()
            titles = len(entry.title.values)
            for at, text in enumerate(_phrasings(entry)):
                tokens = analyzer.tokens(normalize(text))
                count(tokens)
                content, question, clean = analyzer.classify(tokens)
                # Each phrasing's units once, in the order of its set (as `want` sums them).
                cids = unit_ids(frozenset(content))
                qids = unit_ids(frozenset(question))
                content_ids.extend(cids)
                content_ptr.append(len(content_ids))
                question_ids.extend(qids)
                question_ptr.append(len(question_ids))
                self.clean.append(clean)
                units.update(content)
                units.update(question)
                if at < titles:
                    topic.update(content)
                doc_units.extend({*cids, *qids})
                doc_ptr.append(len(doc_units))
                doc_entry.append(number)
            entry_phrasings.append(len(self.clean))
            keywords = []
            for keyword in entry.keywords.all():
                normed = norm(keyword)
                known = keyword_units.get(normed)
                if known is None:
                    tokens = analyzer.tokens(normed)
                    content, question, _ = analyzer.classify(tokens)
                    known = keyword_units[normed] = (tokens, (*content, *question))
                count(known[0])  # a keyword's tokens count at each use
                if normed:
                    keywords.append(normed)
                    units.update(known[1])
                    topic.update(known[1])
            self.entry_keywords.append(tuple(keywords))
            whole = unit_ids(units)
            topic_ids.extend(ids[u] for u in topic)
            topic_ptr.append(len(topic_ids))
            for uid in whole:
                df[uid] += 1
            entry_ids.extend(whole)
            entry_ptr.append(len(entry_ids))
            doc_units.extend(whole)
            doc_ptr.append(len(doc_units))
            doc_entry.append(number)
        han_terms.update(norm(k) for k in zh_words)  # keywords count once more
        self.corrector = Corrector(analyzer, han_terms, latin_words)

        n = len(kb.entries)
        idf = [_idf(n, d) for d in df]
        self.idf = dict(zip(ids, idf, strict=True))
        self.unknown_idf = _idf(n, 0)
        self.idf_by_id = np.array(idf, dtype=np.float64)
        # What each phrasing asks for in full, the denominator of its coverage: the weight
        # of its content units plus its question units' (summed as `features` once did).
        want = array("d")
        for p in range(len(self.clean)):
            content_want = sum([idf[u] for u in content_ids[content_ptr[p] : content_ptr[p + 1]]])
            question_want = sum(
                [
                    idf[u] * QUESTION_WEIGHT
                    for u in question_ids[question_ptr[p] : question_ptr[p + 1]]
                ]
            )
            want.append(content_want + question_want)
        self.want = np.frombuffer(want, dtype=np.float64)
        self.has_clean = np.fromiter((bool(c) for c in self.clean), bool, len(self.clean))
        self.content_ids = _int_array(content_ids)
        self.content_ptr = _int_array(content_ptr)
        self.question_ids = _int_array(question_ids)
        self.question_ptr = _int_array(question_ptr)
        self.entry_ids = _int_array(entry_ids)
        self.entry_ptr = _int_array(entry_ptr)
        self.entry_phrasings = _int_array(entry_phrasings)
        self.entry_number = {entry.id: number for number, entry in enumerate(kb.entries)}
        self.topic_ids = _int_array(topic_ids)
        self.topic_ptr = _int_array(topic_ptr)

        self.keyword_entries: dict[str, list[int]] = {}
        for number, owned in enumerate(self.entry_keywords):
            for keyword in owned:
                self.keyword_entries.setdefault(keyword, []).append(number)
        self.keyword_owners = {
            kw: np.asarray(owners, dtype=np.int32) for kw, owners in self.keyword_entries.items()
        }
        self.max_keyword_chars = max((len(k) for k in self.keyword_entries), default=0)
        self.max_keyword_words = max((len(k.split()) for k in self.keyword_entries), default=0)
        self.doc_entry_array = _int_array(doc_entry)
        self.bm25 = BM25(_int_array(doc_units), np.frombuffer(doc_ptr, dtype=np.int64), len(ids))
        #: Unit → id (the ids index `idf_by_id` and the BM25 vocabulary).
        self.unit_id = ids

    def analyze(self, text: str) -> Analysis:
        """Analyse a citizen's message, correcting typos toward the KB's words."""
        return self.analyzer.analyze(text, self.corrector)

    def topic_units(self, number: int) -> Int32Array:
        """The unit ids of entry `number`'s titles and keywords."""
        return self.topic_ids[self.topic_ptr[number] : self.topic_ptr[number + 1]]

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
        unit_id = self.unit_id
        query = [unit_id[u] for u in dict.fromkeys(analysis.units) if u in unit_id]
        if not query:
            return []
        scores = self.bm25.scores(query)
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

    def evidence(
        self, analysis: Analysis, numbers: Sequence[int], keywords: Iterable[str]
    ) -> Evidence:
        """The evidence that each entry of `numbers` fits the analysed message.

        For one entry and the message's content units C (question units Q):
        query coverage is the IDF weight of C that the entry's units explain, over all of C;
        phrasing coverage is, for the best phrasing, the weight of its units found in C and
        Q (question units at half weight) over the weight of all its units; similarity is
        the best `fuzz.ratio` between the message's and a phrasing's content words; the
        keyword evidence is 1 / (entries owning it) for the most distinctive keyword of the
        entry that the message names.
        """
        entries = np.asarray(numbers, dtype=np.int64)
        size = len(entries)
        content = set(analysis.content)
        question = set(analysis.question)
        # Lookup tables by unit id: the weight of each of the message's units, else 0.
        vocab = len(self.idf_by_id)
        content_weight = np.zeros(vocab, dtype=np.float64)
        question_weight = np.zeros(vocab, dtype=np.float64)
        total = 0.0
        for unit in content:
            w = self.weight(unit)
            total += w
            uid = self.unit_id.get(unit)
            if uid is not None:
                content_weight[uid] = w
        for unit in question:
            uid = self.unit_id.get(unit)
            if uid is not None:
                question_weight[uid] = self.weight(unit, True)

        units, unit_entry = _runs(self.entry_ids, self.entry_ptr, entries)
        covered = np.bincount(unit_entry, weights=content_weight[units], minlength=size)
        query_coverage = covered / total if total else np.zeros(size)

        phrasings, phrasing_entry = _ranges(self.entry_phrasings, entries)
        count = len(phrasings)
        units, unit_phrasing = _runs(self.content_ids, self.content_ptr, phrasings)
        have = np.bincount(unit_phrasing, weights=content_weight[units], minlength=count)
        units, unit_phrasing = _runs(self.question_ids, self.question_ptr, phrasings)
        have += np.bincount(unit_phrasing, weights=question_weight[units], minlength=count)
        want = self.want[phrasings]
        ratio = np.zeros(count)
        np.divide(have, want, out=ratio, where=want != 0)
        phrasing_coverage = np.zeros(size)
        np.maximum.at(phrasing_coverage, phrasing_entry, ratio)

        similarity = np.zeros(size)
        if analysis.clean:
            usable = self.has_clean[phrasings]
            with_clean = phrasings[usable].tolist()
            if with_clean:
                texts = itemgetter(*with_clean)(self.clean) if len(with_clean) > 1 else None
                ratios = process.cdist(
                    [analysis.clean],
                    texts if texts is not None else [self.clean[with_clean[0]]],
                    scorer=fuzz.ratio,
                    dtype=np.float64,
                )[0]
                np.maximum.at(similarity, phrasing_entry[usable], ratios / 100.0)

        keyword = np.zeros(size)
        named = set(keywords)
        if named:
            # The best 1 / owners over the named keywords, for every entry, then ours.
            best = np.zeros(len(self.entry_keywords))
            for kw in named:
                owners = self.keyword_owners[kw]
                best[owners] = np.maximum(best[owners], 1.0 / len(owners))
            keyword = best[entries]
        return Evidence(query_coverage, phrasing_coverage, similarity, keyword)


def _phrasings(entry: Entry) -> list[str]:
    """The texts that are matched against a message: the title and the questions."""
    return [*entry.title.all(), *entry.questions.all()]


def _int_array(values: array[int]) -> Int32Array:
    return np.frombuffer(values, dtype=np.int32)


def _ranges(ptr: Int32Array, rows: IntArray) -> tuple[IntArray, IntArray]:
    """The positions in CSR rows `rows` (concatenated), and the number of each one's row."""
    starts = ptr[rows].astype(np.int64)
    lengths = ptr[rows + 1] - starts
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    offsets = np.cumsum(lengths) - lengths
    where = np.arange(len(owner), dtype=np.int64) - offsets[owner] + starts[owner]
    return where, owner


def _runs(values: Int32Array, ptr: Int32Array, rows: IntArray) -> tuple[Int32Array, IntArray]:
    """The values in CSR rows `rows` (concatenated), and the number of each one's row."""
    where, owner = _ranges(ptr, rows)
    return values[where], owner


def _idf(n: int, df: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))
