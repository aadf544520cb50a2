"""`kb doctor`: a KB measured on its own alternate questions, with its weak spots named."""

from __future__ import annotations

import json
from pathlib import Path

from bot.doctor import MIN_QUESTIONS, diagnose, render
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import KnowledgeBase
from tests.conftest import write_kb
from tests.test_cli import run

#: Two entries that share their words (a confusable pair), one with too few questions and a
#: near-duplicate pair, and a keyword on three entries.
WEAK_KB = """
entries:
  - id: pension-enroll
    title: 城乡居民养老保险参保
    questions: [养老保险怎么交, 养老保险在哪交, 养老保险一年交多少钱, 养老保险交多少钱一年]
    keywords: [养老保险, 社保]
    answer: {summary: 到4号窗口参保缴费。}
  - id: pension-claim
    title: 城乡居民养老保险待遇领取
    questions: [养老保险怎么领, 养老保险在哪领, 养老保险一个月领多少钱, 到六十岁养老保险怎么办领取]
    keywords: [养老金, 社保]
    answer: {summary: 年满60周岁到4号窗口办理领取。}
  - id: social-card
    title: 社保卡办理
    questions: [社保卡怎么办]
    keywords: [社保卡, 社保]
    answer: {summary: 到合作银行办理。}
"""


def _kb(tmp_path: Path, text: str) -> KnowledgeBase:
    kb = load_knowledge(write_kb(tmp_path, {"kb.yaml": text})).kb
    assert kb is not None
    return kb


def test_doctor_names_the_weak_spots(tmp_path: Path) -> None:
    d = diagnose(_kb(tmp_path, WEAK_KB))
    assert len(d.probes) == 9  # every alternate question is held out once
    assert ("social-card", "zh", 1) in d.few
    assert all(n < MIN_QUESTIONS for _, _, n in d.few)
    assert ("pension-enroll", "养老保险一年交多少钱", "养老保险交多少钱一年") in d.similar
    assert d.shared == [("社保", ("pension-enroll", "pension-claim", "social-card"))]
    assert {(a, b) for a, b, _, _ in d.confused} & {
        ("pension-enroll", "pension-claim"),
        ("pension-claim", "pension-enroll"),
    }
    assert 0.0 <= d.rate("wrong") <= d.rate("helpful") or d.rate("helpful") == 0.0


def test_a_well_written_kb_gets_a_clean_bill(tmp_path: Path) -> None:
    kb = _kb(
        tmp_path,
        """
entries:
  - id: passport
    title: 普通护照申领
    questions: [怎么办护照, 护照在哪里办, 办护照要带什么, 护照多久能拿到]
    keywords: [护照]
    answer: {summary: 到县公安局出入境窗口申请。}
  - id: dibao
    title: 低保申请
    questions: [低保怎么申请, 吃低保要啥条件, 低保在哪儿办, 低保一个月多少钱]
    keywords: [低保]
    answer: {summary: 到2号窗口申请。}
""",
    )
    d = diagnose(kb)
    assert (d.few, d.similar, d.shared, d.confused, d.weak) == ([], [], [], [], [])
    assert d.rate("right") == 1.0
    assert "无" in render(d, "zh") and "none" in render(d, "en")


def test_kb_doctor_command_in_both_languages_and_json(tmp_path: Path) -> None:
    kb_dir = write_kb(tmp_path / "kb", {"kb.yaml": WEAK_KB})
    zh = run("kb", "doctor", "--kb", str(kb_dir))
    assert zh.returncode == 0, zh.stderr
    assert "知识库体检" in zh.stdout and "备选问法太少" in zh.stdout and "“社保”" in zh.stdout
    en = run("kb", "doctor", "--kb", str(kb_dir), "--lang", "en")
    assert "Entries with too few alternate questions (1)" in en.stdout
    assert "social-card (zh): 1, at least 4 advised" in en.stdout
    data = json.loads(run("kb", "doctor", "--kb", str(kb_dir), "--json").stdout)
    assert data["held_out_questions"] == 9
    assert data["shared_keywords"] == [
        {"keyword": "社保", "entries": ["pension-enroll", "pension-claim", "social-card"]}
    ]


def test_kb_doctor_on_the_sample_kb_expects_few_wrong_answers() -> None:
    result = run("kb", "doctor", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["entries"] == 32 and data["held_out_questions"] > 300
    assert data["wrong"] <= 0.08
    assert data["helpful"] >= 0.80
