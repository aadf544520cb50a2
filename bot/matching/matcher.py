"""Route a citizen's message: an answer, choices, none, or a phrase route."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Self, TypeVar

import numpy as np

from bot.knowledge.model import KnowledgeBase
from bot.matching.analyzer import Analysis
from bot.matching.aspects import AspectCheck, default_aspects
from bot.matching.index import FloatArray, Index
from bot.matching.routes import Route, RouteMatcher, find_ticket_number
from bot.matching.settings import MatchSettings
from bot.matching.topics import on_topic
from bot.text import has_content, normalize

#: A greeting may carry this many other words ("thanks, that's really helpful").
GREETING_EXTRA_UNITS = 3
#: A keyword that belongs to one entry only closes this share of the gap to 1.
KEYWORD_BONUS = 0.15
#: Twice the most that rounding to 4 places moves a score (see `Matcher.rank`).
ROUNDING_MARGIN = 2e-4


@dataclass(frozen=True)
class Candidate:
    """An entry and how well it fits the message."""

    entry_id: str
    score: float
    #: False when the message asks an aspect (appeal, death…) the entry says nothing of:
    #: such an entry may be offered as a choice, never answered.
    covers: bool = True


@dataclass(frozen=True)
class Match:
    """The matcher's decision for one message."""

    route: Route
    entry_id: str | None
    score: float
    candidates: tuple[Candidate, ...]
    ticket: str | None = None

    @property
    def choices(self) -> tuple[Candidate, ...]:
        """The candidates offered as choices (clarify) or the answered one."""
        return self.candidates


@dataclass(frozen=True)
class Features:
    """Evidence that an entry fits a message, each in [0, 1]."""

    #: Share of the message's content that the entry's words explain.
    query_coverage: float
    #: Best share of one phrasing of the entry that the message contains.
    phrasing_coverage: float
    #: Best character similarity between the message and a phrasing.
    similarity: float
    #: The message names one of the entry's distinctive keywords.
    keyword: float

    @property
    def score(self) -> float:
        """Combine the evidence into one confidence score."""
        return combine(self.phrasing_coverage, self.query_coverage, self.similarity, self.keyword)


Score = TypeVar("Score", float, FloatArray)


def combine(
    phrasing_coverage: Score, query_coverage: Score, similarity: Score, keyword: Score
) -> Score:
    """The confidence score from the evidence: of one entry (floats) or of many (arrays).

    On arrays it runs the same IEEE operations in the same order as on floats, so each
    element is exactly the float the scalar call gives.
    """
    base = 0.50 * phrasing_coverage + 0.30 * query_coverage + 0.20 * similarity
    return base + KEYWORD_BONUS * keyword * (1.0 - base)


#: Decisions a matcher keeps for repeated messages (least recently asked dropped first).
MATCH_CACHE = 2048


class CacheInfo(NamedTuple):
    """Hits, misses, bound and size of a decision cache (as `functools.lru_cache` says)."""

    hits: int
    misses: int
    maxsize: int
    currsize: int


class DecisionCache:
    """A matcher's last decisions by message text, least recently asked dropped first.

    Not a `functools.lru_cache` around the matcher's bound method: the cache would hold the
    matcher, which holds the cache, and such a cycle is freed only by the cyclic collector,
    which loading pauses (`bot/knowledge/gcpause.py`), so every reload kept its old matcher
    (~26 MB for the sample KB). This cache holds decisions only; `get` is given the
    function that decides.
    """

    def __init__(self, size: int):
        self.size = size
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[str, Match] = OrderedDict()
        self._lock = threading.Lock()  # a reload's checks may match in another thread

    def get(self, text: str, decide: Callable[[str], Match]) -> Match:
        """The decision for `text`: remembered, or made by `decide` and remembered."""
        with self._lock:
            found = self._items.get(text)
            if found is not None:
                self._items.move_to_end(text)
                self.hits += 1
                return found
            self.misses += 1
        decision = decide(text)
        if self.size > 0:
            with self._lock:
                self._items[text] = decision
                if len(self._items) > self.size:
                    self._items.popitem(last=False)
        return decision

    def info(self) -> CacheInfo:
        """Hits, misses, bound and size."""
        return CacheInfo(self.hits, self.misses, self.size, len(self._items))


class Matcher:
    """Matches messages against one knowledge base (build a new one for a new KB)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        settings: MatchSettings | None = None,
        cache_size: int = MATCH_CACHE,
    ):
        self.kb = kb
        self.settings = settings or MatchSettings()
        self.index = Index(kb)
        self.routes = RouteMatcher(kb.routes, kb.route_exceptions)
        self.aspects = AspectCheck(kb.entries, default_aspects())
        # The decision depends only on the text, the KB and the settings, all fixed for
        # this matcher, so a repeated message is not matched again.
        self._decisions = DecisionCache(cache_size)

    def warm(self) -> Self:
        """Do now the per-KB work that is otherwise done lazily by the first questions
        (which entry covers which aspect: about 0.3 s for the sample KB)."""
        self.aspects.warm()
        return self

    def match(self, text: str) -> Match:
        """Decide the route for `text` (a repeated text: from the cache)."""
        return self._decisions.get(text, self.decide_text)

    def cache_info(self) -> CacheInfo:
        """Hits, misses and size of the decision cache."""
        return self._decisions.info()

    def decide_text(self, text: str) -> Match:
        """Decide the route for `text`, without the cache."""
        norm = normalize(text)
        analysis = self.index.analyze(text)
        top = self.settings.max_candidates
        ranked = self.rank(analysis, top if top > 0 else None)
        candidates = tuple(ranked[:top])
        ticket = find_ticket_number(norm)
        if ticket is not None:
            return Match(Route.STATUS, None, 0.0, candidates, ticket)
        if not has_content(norm):
            return Match(Route.NONE, None, 0.0, candidates)
        decision = self.decide(candidates)
        if decision.route is Route.CLARIFY and not self._on_topic(analysis, decision):
            decision = Match(Route.NONE, None, decision.score, candidates)
        for route in self.routes.matches(norm):
            if route is Route.GREETING and not self._mostly_greeting(norm, decision):
                continue
            return Match(route, None, 0.0, candidates)
        return decision

    def _on_topic(self, analysis: Analysis, decision: Match) -> bool:
        """Whether a choice names the message's topic (bot/matching/topics.py)."""
        if not self.settings.topic_check:
            return True
        offered = (c.entry_id for c in self.clarify_choices(decision))
        return on_topic(self.index, analysis, offered)

    def _mostly_greeting(self, norm: str, decision: Match) -> bool:
        """A greeting with at most a few other words, which do not make a clear question."""
        rest = self.index.analyze(self.routes.strip(Route.GREETING, norm)).content
        if not rest:
            return True
        return len(set(rest)) <= GREETING_EXTRA_UNITS and decision.score < self.settings.answer

    def decide(self, candidates: tuple[Candidate, ...]) -> Match:
        """Apply the answer / clarify / none thresholds to ranked candidates."""
        return decide(candidates, self.settings)

    def clarify_choices(self, match: Match) -> tuple[Candidate, ...]:
        """The 1–3 entries to offer for a clarify: close to the best and plausible."""
        return tuple(plausible(match.candidates, self.settings)[: self.settings.max_choices])

    def rank(self, analysis: Analysis, top: int | None = None) -> list[Candidate]:
        """Score the recalled entries and return them best first (only the `top` best).

        The recalled entries are BM25's best `settings.recall` and every entry that owns a
        keyword the message names. Scores are rounded to 4 places; ties keep the order of
        recall.
        """
        index = self.index
        numbers = index.recall(analysis, self.settings.recall)
        keywords = index.keywords_in(analysis)
        for keyword in keywords:
            numbers.extend(index.keyword_entries[keyword])
        recalled = list(dict.fromkeys(numbers))
        if not recalled:
            return []
        ev = index.evidence(analysis, recalled, keywords)
        scores = combine(ev.phrasing_coverage, ev.query_coverage, ev.similarity, ev.keyword)
        # The message as typed and as read (搞丢了 → 丢了, a corrected typo).
        asked = self.aspects.asked(f"{analysis.norm}\n{analysis.han_text}")
        lacking = np.zeros(len(recalled))
        if asked:
            # An entry that says nothing of an aspect the message asks does not cover it.
            lacking = np.fromiter(self.aspects.missing(asked, recalled), np.float64, len(recalled))
            scores = scores * self.settings.aspect_penalty**lacking
        positions = list(range(len(recalled)))
        if top is not None and 0 < top < len(recalled):
            # Only entries within 0.0001 of the top-th best raw score can round into the
            # top (rounding moves a score by at most 0.00005); keep them in recall order.
            kth = np.partition(scores, len(scores) - top)[len(scores) - top]
            positions = np.flatnonzero(scores >= kth - ROUNDING_MARGIN).tolist()
        entries = self.kb.entries
        values = scores.tolist()
        scored: dict[str, tuple[float, bool]] = {}
        for i in positions:
            scored[entries[recalled[i]].id] = (round(values[i], 4), not lacking[i])
        ranked = sorted(scored.items(), key=lambda kv: -kv[1][0])
        return [Candidate(entry_id, score, covers) for entry_id, (score, covers) in ranked[:top]]

    def features(
        self, analysis: Analysis, number: int, keywords: list[str] | None = None
    ) -> Features:
        """Compute the evidence that entry `number` (of `kb.entries`) fits the message."""
        found = self.index.keywords_in(analysis) if keywords is None else keywords
        ev = self.index.evidence(analysis, [number], found)
        return Features(
            float(ev.query_coverage[0]),
            float(ev.phrasing_coverage[0]),
            float(ev.similarity[0]),
            float(ev.keyword[0]),
        )


def decide(candidates: tuple[Candidate, ...], s: MatchSettings) -> Match:
    """Apply the answer / clarify / none thresholds of `s` to ranked candidates."""
    if not candidates or candidates[0].score < s.clarify:
        top = candidates[0].score if candidates else 0.0
        return Match(Route.NONE, None, top, candidates)
    best = candidates[0]
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    confident = best.score >= s.answer and best.score - runner_up >= s.margin
    clear_winner = best.score >= s.answer_clear_winner and runner_up <= s.winner_ratio * best.score
    if (confident or clear_winner) and best.covers:
        return Match(Route.ANSWER, best.entry_id, best.score, candidates)
    if not plausible(candidates, s):
        return Match(Route.NONE, None, best.score, candidates)
    return Match(Route.CLARIFY, None, best.score, candidates)


def plausible(candidates: tuple[Candidate, ...], s: MatchSettings) -> list[Candidate]:
    """The candidates worth offering: near the best and above the floor."""
    if not candidates:
        return []
    floor = max(s.choice_floor, candidates[0].score - s.clarify_window)
    return [c for c in candidates if c.score >= floor]
