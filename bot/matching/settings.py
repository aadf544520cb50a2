"""Matching thresholds, with their documented defaults in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MatchSettings:
    """How confident the matcher must be before it answers or offers choices.

    Scores are in [0, 1] and mean the same on every knowledge base: they measure how much
    of the question a phrasing of the entry explains and how much of the entry's phrasing
    the question contains, weighted by how distinctive each word is in the KB.
    """

    #: Answer directly at or above this score…
    answer: float = 0.45
    #: …when the runner-up is at least this far behind; otherwise offer choices.
    margin: float = 0.08
    #: Also answer a clear winner from this score on: the runner-up scores at most
    #: `winner_ratio` of it (long messages with context score lower, but one entry
    #: still stands out).
    answer_clear_winner: float = 0.40
    winner_ratio: float = 0.6
    #: Offer "did you mean…" choices at or above this score; below it, say "none".
    clarify: float = 0.25
    #: Choices shown are within this distance of the best…
    clarify_window: float = 0.25
    #: …and score at least this.
    choice_floor: float = 0.15
    #: The score of an entry is multiplied by this for each aspect the message asks
    #: (appeal, death, a lost document…) that the entry's text says nothing of.
    aspect_penalty: float = 0.5
    #: Offer choices only when one of them names, in its title or keywords, a word of
    #: the message (bot/matching/topics.py); otherwise say none.
    topic_check: bool = True
    #: Most choices offered.
    max_choices: int = 3
    #: Candidates reported by `ask --json`.
    max_candidates: int = 5
    #: Entries taken from retrieval for scoring.
    recall: int = 30
