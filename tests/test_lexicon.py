"""The shipped colloquial lexicon: dialect and everyday words read as the guides' words."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.loader import load_knowledge
from bot.matching.analyzer import Analyzer
from bot.matching.lexicon import default_lexicon
from bot.matching.matcher import Matcher
from bot.matching.routes import Route
from bot.text import normalize
from tests.conftest import write_kb

KB = """
entries:
  - id: child-insurance
    title: 孩子参加医保
    questions: [孩子的医保怎么交, 孩子医保在哪交]
    keywords: [少儿医保]
    answer: {summary: 到4号窗口。}
  - id: elderly-allowance
    title: 高龄津贴
    questions: [老年人的高龄津贴怎么领, 高龄津贴多少钱]
    keywords: [高龄津贴]
    answer: {summary: 到5号窗口。}
  - id: pension
    title: Pension for your mother or father
    questions: [How can my mother claim her pension?]
    keywords: [pension]
    answer: {summary: Window 4.}
  - id: adult-insurance
    title: 成人医保
    questions: [医保怎么交]
    keywords: [医保]
    answer: {summary: 到4号窗口。}
"""


def test_synonyms_are_data_with_both_languages() -> None:
    synonyms = default_lexicon().synonyms
    assert synonyms["娃"] == ("孩子",)
    assert synonyms["咋领"] == ("怎么", "领")
    assert synonyms["mum"] == ("mother",)


def test_colloquial_words_are_read_as_the_guides_words() -> None:
    analyzer = Analyzer()
    words = [t.text for t in analyzer.tokens(normalize("俺娃的医保咋交"))]
    assert "孩子" in words and "娃" not in words
    assert [t.text for t in analyzer.tokens(normalize("my mum"))] == ["my", "mother"]


def test_dialect_questions_meet_the_kb(tmp_path: Path) -> None:
    kb = load_knowledge(write_kb(tmp_path, {"kb.yaml": KB})).kb
    assert kb is not None
    matcher = Matcher(kb)
    for question, entry_id in [
        ("俺娃的医保咋交", "child-insurance"),
        ("俺家老汉的高龄津贴咋领", "elderly-allowance"),
        ("how does my mum claim a pension", "pension"),
    ]:
        match = matcher.match(question)
        assert (match.route, match.entry_id) == (Route.ANSWER, entry_id), question


def test_a_word_one_edit_from_a_filler_word_is_not_corrected(matcher: Matcher) -> None:
    """`weather` is a word of its own, not a typo of the filler word `whether`."""
    analysis = matcher.index.analyze("what's the weather tomorrow")
    assert "weather" in analysis.latin_text.split()
    assert "whether" not in analysis.latin_text.split()
    for question in ["what's the weather tomorrow", "what is the stock price of apple"]:
        assert matcher.match(question).route is Route.NONE, question


def test_southwest_mandarin_words_are_read_whole() -> None:
    """啥子 is 什么 (not 啥 + an unknown 子), 屋头 is 家里, 娃儿 is 孩子 (《成都方言词典》)."""
    analyzer = Analyzer()
    words = [t.text for t in analyzer.tokens(normalize("娃儿报户口要带啥子 我屋头莫得户口本"))]
    assert {"孩子", "什么", "家里", "没有"} <= set(words), words
    assert not {"子", "娃儿", "屋头", "莫得"} & set(words), words


CARD_KB = """
entries:
  - id: disability-card
    title: 残疾证办理
    questions: [残疾证怎么办, 办残疾证要带什么]
    keywords: [残疾证]
    answer: {summary: 带身份证和照片到3号窗口申请评定。}
"""


def test_a_lost_card_in_dialect_is_not_answered_by_the_application_entry(
    tmp_path: Path,
) -> None:
    """搞丢了 / 搞掉了 read as 丢了, so the lost-document aspect sees them."""
    kb = load_knowledge(write_kb(tmp_path, {"kb.yaml": CARD_KB})).kb
    assert kb is not None
    matcher = Matcher(kb)
    assert matcher.match("残疾证咋个办").route is Route.ANSWER
    for question in ["残疾证搞丢了咋个补", "残疾证搞掉了 咋个办"]:
        assert matcher.match(question).route is not Route.ANSWER, question
