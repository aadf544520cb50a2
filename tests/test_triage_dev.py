"""Triage on tests/eval/triage_dev.yaml and triage_check.yaml (issue 9.1).

The set was written after tests/eval/triage.yaml, in other wordings; the rules were
tuned on it, so these tests hold the figures, they do not measure new wording
(docs/triage.md gives the figures before tuning).
"""

from __future__ import annotations

import pytest
import yaml

from bot.knowledge.model import KnowledgeBase
from bot.triage import Outcome, Triager
from bot.triage_eval import Figures, measure
from tests.conftest import EVAL_DIR

DEV = yaml.safe_load((EVAL_DIR / "triage_dev.yaml").read_text("utf-8"))
#: Written after the dev set's tuning and measured once before (docs/triage.md).
CHECK = yaml.safe_load((EVAL_DIR / "triage_check.yaml").read_text("utf-8"))


@pytest.fixture(scope="module", params=["dev", "check"])
def figures(request: pytest.FixtureRequest, sample_kb: KnowledgeBase) -> Figures:
    return measure(Triager(sample_kb), DEV if request.param == "dev" else CHECK)


def test_the_dev_set_is_big_enough() -> None:
    assert len(DEV["emergencies"]) >= 80
    assert len(DEV["near_misses"]) >= 40
    assert sum(c["text"].isascii() for c in DEV["emergencies"]) >= 25


def test_every_present_emergency_is_stopped(figures: Figures) -> None:
    assert figures.stopped == figures.emergencies, figures.misses


def test_nearly_every_emergency_gets_the_right_number_first(figures: Figures) -> None:
    assert figures.right_number / figures.emergencies >= 0.97, figures.misses


def test_every_channel_matter_gets_its_channel(figures: Figures) -> None:
    assert figures.channels_right == figures.channels, figures.misses


def test_near_misses_are_rarely_stopped(figures: Figures) -> None:
    assert figures.near_stopped / figures.near_misses <= 0.05, figures.misses


def test_the_check_set_is_big_enough() -> None:
    assert len(CHECK["emergencies"]) >= 40
    assert len(CHECK["near_misses"]) >= 20


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("快快快 着火", Outcome.EMERGENCY),  # panic: 快 alone
        ("工厂那边火光冲天 好吓人", Outcome.EMERGENCY),  # an account, no 了
        ("车祸", Outcome.DOUBT),  # a bare topic word
        ("俺们家后院柴火堆烧着咧", Outcome.EMERGENCY),  # 咧 read as 了
        ("the smoke alarm keeps beeping", None),
        ("排队排得我快晕倒了", None),
    ],
)
def test_an_account_is_an_emergency_a_bare_word_is_not(
    sample_kb: KnowledgeBase, text: str, outcome: Outcome | None
) -> None:
    found = Triager(sample_kb).triage(text)
    assert (found.outcome if found else None) is outcome


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("有人流了好多血 被车撞了", "traffic"),  # traffic leads medical
        ("人卡在车里出不来 刚撞的车", "traffic"),  # and trapped
        ("he is bleeding someone stabbed him", "police"),  # crime leads medical
        ("a man is trapped under a tractor", "fire"),  # no road accident
        ("有人晕倒了", "medical"),
    ],
)
def test_a_crash_or_an_attack_is_called_in_first(
    sample_kb: KnowledgeBase, text: str, first: str
) -> None:
    found = Triager(sample_kb).triage(text)
    assert found is not None and found.outcome is Outcome.EMERGENCY
    assert found.services[0] == first
    if first in ("traffic", "police") and "medical" in found.kinds:
        assert "medical" in found.services


def test_measure_reads_the_blind_sets_shape(sample_kb: KnowledgeBase) -> None:
    """The blind set's shape (tests/eval/blind/triage): `channel`, near misses as dicts."""
    cases = {
        "emergencies": [
            {"text": "着火了快来人", "call": "fire"},
            {"text": "低保怎么申请", "call": "police"},
        ],
        "channels": [{"text": "俺想去法院起诉村委会", "channel": "court"}],
        "near_misses": [{"text": "消防安全检查怎么预约", "call": "none"}],
    }
    fig = measure(Triager(sample_kb), cases)
    assert (fig.emergencies, fig.stopped, fig.shown) == (2, 1, 1)
    assert fig.by_call == {"fire": [1, 1, 1], "police": [1, 0, 0]}
    assert (fig.channels, fig.channels_right) == (1, 1)
    assert (fig.near_misses, fig.near_stopped) == (1, 0)
