"""Route a citizen's message: an answer, choices, none, or a phrase route."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.knowledge.model import KnowledgeBase
from bot.matching.analyzer import Analysis
from bot.matching.index import Index, IndexedEntry
from bot.matching.routes import Route, RouteMatcher, find_ticket_number
from bot.matching.settings import MatchSettings
from bot.text import has_content, normalize

#: A greeting may carry this many other words ("thanks, that's really helpful").
GREETING_EXTRA_UNITS = 3
#: A keyword that belongs to one entry only closes this share of the gap to 1.
KEYWORD_BONUS = 0.15


@dataclass(frozen=True)
class Candidate:
    """An entry and how well it fits the message."""

    entry_id: str
    score: float


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
        base = 0.50 * self.phrasing_coverage + 0.30 * self.query_coverage + 0.20 * self.similarity
        return base + KEYWORD_BONUS * self.keyword * (1.0 - base)


class Matcher:
    """Matches messages against one knowledge base (build a new one for a new KB)."""

    def __init__(self, kb: KnowledgeBase, settings: MatchSettings | None = None):
        self.kb = kb
        self.settings = settings or MatchSettings()
        self.index = Index(kb)
        self.routes = RouteMatcher(kb.routes, kb.route_exceptions)

    def match(self, text: str) -> Match:
        """Decide the route for `text`."""
        norm = normalize(text)
        analysis = self.index.analyze(text)
        ranked = self.rank(analysis)
        candidates = tuple(ranked[: self.settings.max_candidates])
        ticket = find_ticket_number(norm)
        if ticket is not None:
            return Match(Route.STATUS, None, 0.0, candidates, ticket)
        if not has_content(norm):
            return Match(Route.NONE, None, 0.0, candidates)
        decision = self.decide(candidates)
        for route in self.routes.matches(norm):
            if route is Route.GREETING and not self._mostly_greeting(norm, decision):
                continue
            return Match(route, None, 0.0, candidates)
        return decision

    def _mostly_greeting(self, norm: str, decision: Match) -> bool:
        """A greeting with at most a few other words, which do not make a clear question."""
        rest = self.index.analyze(self.routes.strip(Route.GREETING, norm)).content
        if not rest:
            return True
        return len(set(rest)) <= GREETING_EXTRA_UNITS and decision.score < self.settings.answer

    def decide(self, candidates: tuple[Candidate, ...]) -> Match:
        """Apply the answer / clarify / none thresholds to ranked candidates."""
        s = self.settings
        if not candidates or candidates[0].score < s.clarify:
            top = candidates[0].score if candidates else 0.0
            return Match(Route.NONE, None, top, candidates)
        best = candidates[0]
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        confident = best.score >= s.answer and best.score - runner_up >= s.margin
        clear_winner = (
            best.score >= s.answer_clear_winner and runner_up <= s.winner_ratio * best.score
        )
        if confident or clear_winner:
            return Match(Route.ANSWER, best.entry_id, best.score, candidates)
        return Match(Route.CLARIFY, None, best.score, candidates)

    def clarify_choices(self, match: Match) -> tuple[Candidate, ...]:
        """The 1–3 entries to offer for a clarify: close to the best and plausible."""
        s = self.settings
        if not match.candidates:
            return ()
        floor = max(s.clarify * 0.6, match.candidates[0].score - s.clarify_window)
        chosen = [c for c in match.candidates if c.score >= floor]
        return tuple(chosen[: s.max_choices])

    def rank(self, analysis: Analysis) -> list[Candidate]:
        """Score the recalled entries and return them best first."""
        numbers = self.index.recall(analysis, self.settings.recall)
        keywords = self.index.keywords_in(analysis)
        for keyword in keywords:
            numbers.extend(self.index.keyword_entries[keyword])
        scored: dict[str, float] = {}
        for number in dict.fromkeys(numbers):
            item = self.index.entries[number]
            scored[item.entry.id] = round(self.features(analysis, item, keywords).score, 4)
        ranked = sorted(scored.items(), key=lambda kv: -kv[1])
        return [Candidate(entry_id, score) for entry_id, score in ranked]

    def features(
        self, analysis: Analysis, item: IndexedEntry, keywords: list[str] | None = None
    ) -> Features:
        """Compute the evidence that `item` fits the analysed message."""
        index = self.index
        content = set(analysis.content)
        question = set(analysis.question)
        total = sum(index.weight(u) for u in content)
        covered = sum(index.weight(u) for u in content if u in item.units)
        query_coverage = covered / total if total else 0.0
        phrasing_coverage = 0.0
        similarity = 0.0
        for p in item.phrasings:
            want = sum(index.weight(u) for u in p.content) + sum(
                index.weight(u, True) for u in p.question
            )
            if want:
                have = sum(index.weight(u) for u in p.content if u in content) + sum(
                    index.weight(u, True) for u in p.question if u in question
                )
                phrasing_coverage = max(phrasing_coverage, have / want)
            if analysis.clean and p.clean:
                similarity = max(similarity, fuzz.ratio(analysis.clean, p.clean) / 100.0)
        keyword = 0.0
        found = index.keywords_in(analysis) if keywords is None else keywords
        for kw in set(found).intersection(item.keywords):
            keyword = max(keyword, 1.0 / len(index.keyword_entries[kw]))
        return Features(query_coverage, phrasing_coverage, similarity, keyword)
