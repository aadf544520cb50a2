"""Triage on tests/eval/triage_dev5.yaml, and the rules it led to (issue 9.1).

Like dev4, the set was written blind (by someone who saw neither the rules nor any other
set) and measured once before the rules changed (docs/triage.md gives the figures before:
136/160 shown the numbers, 6/100 near misses stopped); these tests hold the figures the
rules reached on it, and check the two mechanisms it led to: dialect words read as
Mandarin, and a change of subject before the danger.
"""

from __future__ import annotations

import pytest
import yaml

from bot.knowledge.model import KnowledgeBase
from bot.triage import Outcome, Triager
from bot.triage_eval import Figures, measure
from tests.conftest import EVAL_DIR

DEV5 = yaml.safe_load((EVAL_DIR / "triage_dev5.yaml").read_text("utf-8"))


@pytest.fixture(scope="module")
def triager(sample_kb: KnowledgeBase) -> Triager:
    return Triager(sample_kb)


@pytest.fixture(scope="module")
def figures(triager: Triager) -> Figures:
    return measure(triager, DEV5)


def outcome(triager: Triager, text: str) -> Outcome | None:
    got = triager.triage(text)
    return got.outcome if got else None


def first_service(triager: Triager, text: str) -> str | None:
    got = triager.triage(text)
    return got.services[0] if got and got.services else None


def test_the_set_is_big_enough() -> None:
    assert len(DEV5["emergency"]) >= 150
    assert len(DEV5["channel"]) >= 40
    assert len(DEV5["near_miss"]) >= 100
    assert sum(c["lang"] == "en" for c in DEV5["emergency"]) >= 25


def test_every_emergency_is_shown_the_numbers(figures: Figures) -> None:
    assert figures.shown == figures.emergencies, figures.misses


def test_nearly_every_emergency_is_stopped_with_the_right_number(figures: Figures) -> None:
    assert figures.stopped / figures.emergencies >= 0.97, figures.misses
    assert figures.right_number / figures.emergencies >= 0.95, figures.misses


def test_channel_matters_get_their_channel(figures: Figures) -> None:
    assert figures.channels_right / figures.channels >= 0.95, figures.misses


def test_no_near_miss_is_stopped(figures: Figures) -> None:
    assert figures.near_stopped == 0, figures.misses


# -- dialect -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("佢哋喺度打交 快啲", "police"),  # they are fighting here
        ("阿婆跌低咗 佢唔郁啊", "medical"),  # she does not move
        ("对面铺头着咗火", "fire"),  # caught fire
    ],
)
def test_cantonese_is_read_as_mandarin(triager: Triager, text: str, service: str) -> None:
    assert outcome(triager, text) is Outcome.EMERGENCY
    assert first_service(triager, text) == service


def test_a_dialect_word_inside_a_question_changes_nothing(triager: Triager) -> None:
    assert triager.triage("睇下社保卡点样办") is None


# -- a change of subject ---------------------------------------------------------------------


def test_the_danger_after_a_change_of_subject_is_an_emergency(triager: Triager) -> None:
    asked = "我想问一下医保报销要什么材料"
    assert triager.triage(asked) is None
    danger = asked + " 算了先不问了 我爸突然倒了 叫他不应"
    assert outcome(triager, danger) is Outcome.EMERGENCY
    assert first_service(triager, danger) == "medical"


def test_without_the_change_the_same_words_stay_in_doubt(triager: Triager) -> None:
    # A question about an illness: the numbers first, then the usual answer.
    assert outcome(triager, "我爸突然倒了以后 医保报销要什么材料") is not Outcome.EMERGENCY


def test_a_change_of_subject_with_no_danger_after_it_is_read_whole(triager: Triager) -> None:
    # The danger is before 算了: the whole message is decided on, as without a pivot.
    text = "上个月家里着火了 算了不说了 临时救助怎么申请"
    assert outcome(triager, text) is not Outcome.EMERGENCY


# -- the rules it led to ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("zhao huo le kuai lai ren", "fire"),
        ("bei qiang le 快来", "police"),
        ("小轿车开到河里了 正在往下沉", "traffic"),
        ("有人跳河了 还在水里", "fire"),
        ("我们被后面的车怼了 孩子头撞破了", "traffic"),
        ("kid drank bleach what do i do", "medical"),
    ],
)
def test_new_signals(triager: Triager, text: str, service: str) -> None:
    assert outcome(triager, text) is Outcome.EMERGENCY
    assert first_service(triager, text) == service


@pytest.mark.parametrize(
    "text",
    [
        "气得我要炸了 办个证跑了五趟",
        "我要死了 排了三小时的队还没到我",
        "this heat is unreal feels like the city is on fire",
        "what number do i call for a traffic accident just asking",
        "学校搞防溺水宣传 能不能派个人来给娃们讲课",
    ],
)
def test_figures_of_speech_and_questions_are_not_stopped(triager: Triager, text: str) -> None:
    assert outcome(triager, text) is not Outcome.EMERGENCY
