"""The aspect check: a question that shares an entry's topic but asks what it does not cover."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.dialogue import Dialogue
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.matching.routes import Route
from tests.conftest import write_kb

PENSION_KB = """
entries:
  - id: pension
    title: 养老金领取
    questions: [养老金怎么领, 养老金在哪领]
    keywords: [养老金]
    answer:
      summary: 到4号窗口办理。
      materials: [身份证, 参保人去世的，家属带死亡证明办个人账户余额继承]
  - id: enrol
    title: 养老保险参保
    questions: [养老保险怎么交]
    keywords: [养老保险]
    answer:
      summary: 到4号窗口。
"""

#: Answered confidently before, with the entry shown (issue 9, section 2).
NOT_COVERED = [
    ("我家房子前几天下大雨塌了一半，能不能给补点钱修一下我家是低保户", "dibao"),
    ("工伤认定去哪申请", "tekun"),
    ("孩子上学的助学贷款咋办", "residence-permit"),
    ("低保户的孩子上大学有啥补助", "dibao"),
    ("低保被取消了不服咋办", "dibao"),
    ("I want to appeal against my dibao being cancelled", "dibao"),
    ("邻居盖房子挡了俺家路", "homestead"),
    ("独生子女证丢了咋补", "family-planning-reward"),
    ("我爹去世了养老金账户里的钱咋办", "pension-claim"),
]


@pytest.mark.parametrize(("question", "entry_id"), NOT_COVERED)
def test_an_aspect_the_entry_does_not_cover_is_not_answered(
    matcher: Matcher, question: str, entry_id: str
) -> None:
    match = matcher.match(question)
    assert match.route in (Route.CLARIFY, Route.NONE), (match.route, match.entry_id)


def test_the_collapsed_house_of_a_dibao_family_points_to_house_repair(matcher: Matcher) -> None:
    match = matcher.match("我家房子前几天下大雨塌了一半，能不能给补点钱修一下我家是低保户")
    assert matcher.clarify_choices(match)[0].entry_id == "dilapidated-house"


@pytest.mark.parametrize(
    "question",
    ["社保卡丢了咋补办", "一卡通丢了咋办", "孩子已经生了还能补办生育登记吗", "低保怎么申请"],
)
def test_an_aspect_the_entry_covers_still_answers(matcher: Matcher, question: str) -> None:
    assert matcher.match(question).route is Route.ANSWER


def test_the_answer_text_counts_as_support(tmp_path: Path) -> None:
    """An aspect named only in the answer (not in questions or keywords) is covered."""
    kb_dir = write_kb(tmp_path, {"kb.yaml": PENSION_KB})
    kb = load_knowledge(kb_dir).kb
    assert kb is not None
    matcher = Matcher(kb)
    match = matcher.match("我爹去世了养老金咋领")
    assert (match.route, match.entry_id) == (Route.ANSWER, "pension")
    assert matcher.match("我爹去世了养老保险咋交").route is not Route.ANSWER


def test_warming_reads_every_entrys_aspects_before_the_first_question(
    sample_kb: KnowledgeBase,
) -> None:
    """`citizen-desk web` warms its dialogue at start: the first visitors' questions no
    longer pay for reading each entry's aspects (0.3 s) and building triage (0.2 s)."""
    dialogue = Dialogue(Matcher(sample_kb))
    assert dialogue.matcher.aspects._supported == {} and dialogue._triager is None
    dialogue.warm()
    assert len(dialogue.matcher.aspects._supported) == len(sample_kb.entries)
    assert dialogue._triager is not None and dialogue._triager.kb is sample_kb
    cold = Matcher(sample_kb)
    for text in ("低保怎么申请", "养老金在哪领", "How do I get a pension?"):
        assert cold.match(text) == dialogue.matcher.match(text)  # the same decisions
