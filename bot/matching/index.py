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
from operator import itemgetter
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from bot.knowledge.gcpause import paused_gc
from bot.knowledge.model import Entry, KnowledgeBase
from bot.matching.analyzer import HAN, LATIN, Analysis, Analyzer, Token
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
        # The corrector's vocabulary: every token of every title, question and keyword.
        han_terms: Counter[str] = Counter()
        latin_words: set[str] = set()

        def segment(text: str) -> list[Token]:
            tokens = analyzer.tokens(text)
            for token in tokens:
                if token.kind == HAN:
                    han_terms[token.text] += 1
                elif token.kind == LATIN:
                    latin_words.add(token.text)
            return tokens

        keyword_units: dict[str, tuple[list[Token], tuple[str, ...]]] = {}
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

        phrasing_units: list[tuple[list[int], list[int], frozenset[str], frozenset[str]]] = []
        content_ids, content_ptr = array("i"), array("i", [0])
        question_ids, question_ptr = array("i"), array("i", [0])
        entry_ids, entry_ptr = array("i"), array("i", [0])
        entry_phrasings = array("i", [0])
        self.clean: list[str] = []
        self.entry_keywords: list[tuple[str, ...]] = []
        docs: list[list[int]] = []
        doc_entry: list[int] = []
        for number, entry in enumerate(kb.entries):
            units: set[str] = set()
            for text in _phrasings(entry):
                normed = normalize(text)
                a = analyzer.analyze_tokens(normed, segment(normed))
                content, question = frozenset(a.content), frozenset(a.question)
                phrasing_units.append((unit_ids(content), unit_ids(question), content, question))
                self.clean.append(a.clean)
                units.update(a.content)
                units.update(a.question)
            keywords = []
            for keyword in entry.keywords.all():
                normed = norm(keyword)
                known = keyword_units.get(normed)
                if known is None:
                    tokens = analyzer.tokens(normed)
                    known = (tokens, analyzer.analyze_tokens(normed, tokens).units)
                    keyword_units[normed] = known
                for token in known[0]:  # a keyword's tokens count at each use
                    if token.kind == HAN:
                        han_terms[token.text] += 1
                    elif token.kind == LATIN:
                        latin_words.add(token.text)
                if normed:
                    keywords.append(normed)
                    units.update(known[1])
            self.entry_keywords.append(tuple(keywords))
            entry_unit_ids = unit_ids(sorted(units))
            for uid in entry_unit_ids:
                df[uid] += 1
            for cids, qids, _, _ in phrasing_units[entry_phrasings[-1] :]:
                content_ids.extend(cids)
                content_ptr.append(len(content_ids))
                question_ids.extend(qids)
                question_ptr.append(len(question_ids))
                docs.append(sorted(set(cids) | set(qids)))
                doc_entry.append(number)
            entry_phrasings.append(len(phrasing_units))
            entry_ids.extend(entry_unit_ids)
            entry_ptr.append(len(entry_ids))
            docs.append(entry_unit_ids)  # the whole entry, keywords included
            doc_entry.append(number)
        han_terms.update(norm(k) for k in zh_words)  # keywords count once more
        self.corrector = Corrector(analyzer, han_terms, latin_words)
        del han_terms, latin_words, keyword_units, norms

        n = len(kb.entries)
        names = list(ids)
        self.idf = {unit: _idf(n, df[uid]) for unit, uid in ids.items()}
        self.unknown_idf = _idf(n, 0)
        self.idf_by_id = np.array([self.idf[u] for u in names], dtype=np.float64)
        # What a phrasing asks for, in full: the denominator of its coverage.
        want = array("d")
        for _, _, content, question in phrasing_units:
            want.append(
                sum(self.weight(u) for u in content) + sum(self.weight(u, True) for u in question)
            )
        del phrasing_units
        self.want = np.frombuffer(want, dtype=np.float64)
        self.has_clean = np.fromiter((bool(c) for c in self.clean), bool, len(self.clean))
        self.content_ids = _int_array(content_ids)
        self.content_ptr = _int_array(content_ptr)
        self.question_ids = _int_array(question_ids)
        self.question_ptr = _int_array(question_ptr)
        self.entry_ids = _int_array(entry_ids)
        self.entry_ptr = _int_array(entry_ptr)
        self.entry_phrasings = _int_array(entry_phrasings)

        self.keyword_entries: dict[str, list[int]] = {}
        for number, keywords in enumerate(self.entry_keywords):
            for keyword in keywords:
                self.keyword_entries.setdefault(keyword, []).append(number)
        self.keyword_owners = {
            kw: np.asarray(owners, dtype=np.int32) for kw, owners in self.keyword_entries.items()
        }
        self.max_keyword_chars = max((len(k) for k in self.keyword_entries), default=0)
        self.max_keyword_words = max((len(k.split()) for k in self.keyword_entries), default=0)
        self.doc_entry_array = np.asarray(doc_entry, dtype=np.int64)
        self.bm25 = bm25s.BM25()
        # BM25 over the unit ids (one document per phrasing and one per entry). bm25s adds
        # an empty token to the vocabulary it is given.
        self.bm25.index((docs, ids), show_progress=False)
        self.unit_id: dict[str, int] = self.bm25.vocab_dict

    def analyze(self, text: str) -> Analysis:
        """Analyse a citizen's message, correcting typos toward the KB's words."""
        return self.analyzer.analyze(text, self.corrector)

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
        query = [u for u in dict.fromkeys(analysis.units) if u in self.unit_id]
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
        content_weight = np.zeros(vocab + 1, dtype=np.float64)
        question_weight = np.zeros(vocab + 1, dtype=np.float64)
        total = 0.0
        for unit in content:
            w = self.weight(unit)
            total += w
            uid = self.unit_id.get(unit)
            if uid is not None and uid < vocab:
                content_weight[uid] = w
        for unit in question:
            uid = self.unit_id.get(unit)
            if uid is not None and uid < vocab:
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
