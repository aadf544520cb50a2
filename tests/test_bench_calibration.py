"""The per-KB calibration benchmark (benchmarks/calibration.py): each method's factor
follows what it reads of the KB, and thresholds re-applied to held-out candidates decide
as the matcher does."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.calibration import (
    GRID,
    METHODS,
    SPARSE_FACTOR,
    HeldOut,
    held_out_scores,
    held_out_wrong,
    quantile_factor,
    scaled,
    wrong_factor,
)
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher, decide
from bot.matching.routes import Route
from bot.matching.settings import MatchSettings
from tests.conftest import write_kb

#: Three entries with three questions each, two of them about one benefit.
SPARSE_KB = """
entries:
  - id: pension-enroll
    title: 城乡居民养老保险参保
    questions: [养老保险怎么交, 养老保险在哪交, 养老保险一年交多少钱]
    keywords: [养老保险]
    answer: {summary: 到4号窗口参保缴费。}
  - id: pension-claim
    title: 城乡居民养老保险待遇领取
    questions: [养老金怎么领, 到六十岁怎么领养老金, 养老金一个月领多少钱]
    keywords: [养老金]
    answer: {summary: 年满60周岁到4号窗口办理领取。}
  - id: social-card
    title: 社保卡办理
    questions: [社保卡怎么办, 社保卡丢了咋补, 社保卡在哪领]
    keywords: [社保卡]
    answer: {summary: 到合作银行办理。}
"""


@pytest.fixture(scope="module")
def sparse_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    kb = load_knowledge(write_kb(tmp_path_factory.mktemp("kb"), {"kb.yaml": SPARSE_KB})).kb
    assert kb is not None
    return kb


def test_a_threshold_keeps_its_quantile() -> None:
    reference = np.linspace(0.0, 1.0, 101)
    assert quantile_factor(reference, reference, 0.45) == pytest.approx(1.0, abs=0.01)
    # Scores 0.1 higher everywhere: the threshold moves up by 0.1 with them.
    assert quantile_factor(reference, reference * 0.8 + 0.2, 0.45) * 0.45 == pytest.approx(
        0.56, abs=0.01
    )
    assert quantile_factor(reference, np.array([]), 0.45) == 1.0


def test_scaling_moves_the_answer_thresholds_and_with_everything_the_choice_ones() -> None:
    base = MatchSettings()
    up = scaled(base, 1.2)
    assert (up.answer, up.answer_clear_winner) == pytest.approx((0.54, 0.48))
    assert (up.clarify, up.choice_floor, up.margin) == (base.clarify, base.choice_floor, 0.08)
    every = scaled(base, 1.2, everything=True)
    assert (every.clarify, every.choice_floor) == pytest.approx((0.30, 0.18))


def test_the_decision_is_the_matchers(matcher: Matcher) -> None:
    match = matcher.match("低保怎么申请")
    assert match.route is Route.ANSWER
    assert decide(match.candidates, matcher.settings) == match
    # Stricter thresholds turn the same candidates into choices, not an answer.
    strict = decide(match.candidates, scaled(matcher.settings, match.score / 0.40 + 0.1))
    assert strict.route is Route.CLARIFY


def test_held_out_scores_of_a_sparse_kb(sparse_kb: KnowledgeBase) -> None:
    scores = held_out_scores(sparse_kb)
    assert len(scores.probes) == len(scores.right) == 9
    assert scores.alternates_per_entry == 3.0
    assert METHODS["sparse-1.15"](scores, scores, MatchSettings()) == SPARSE_FACTOR
    # Held out, a question's own entry outscores the others on most questions.
    assert np.mean(scores.right > scores.impostor) > 0.5


def test_the_held_out_wrong_factor_keeps_the_reference_rate(sparse_kb: KnowledgeBase) -> None:
    own = held_out_scores(sparse_kb)
    settings = MatchSettings()
    # A reference that answers nothing wrongly forces the strictest factor that does.
    clean = HeldOut(np.array([]), np.array([]), (), 10.0)
    factor = wrong_factor(clean, own, settings)
    assert factor in GRID
    assert held_out_wrong(own, scaled(settings, factor)) == 0.0
    assert wrong_factor(own, own, settings) <= 1.0


def test_every_method_gives_a_factor_in_range(sparse_kb: KnowledgeBase) -> None:
    # The tiny KB against itself as reference: every method gives a finite positive factor.
    scores = held_out_scores(sparse_kb)
    for method in METHODS.values():
        assert 0.0 < method(scores, scores, MatchSettings()) <= GRID[-1]
