"""Unit tests of matching: normalisation, typo correction, routes, scores, decisions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.matching.routes import Route, find_ticket_number
from bot.text import detect_language, normalize
from tests.conftest import PASSPORT_ENTRY, write_kb


def test_normalize_folds_width_case_and_traditional() -> None:
    assert normalize("醫保報銷ＡＢＣ\u200b") == "医保报销abc"


def test_detect_language() -> None:
    assert detect_language("How do I apply?") == "en"
    assert detect_language("dibao怎么申请") == "zh"
    assert detect_language("12345") == "zh"


@pytest.mark.parametrize(
    ("text", "ticket"),
    [
        ("TS-2026-000123 办得怎么样了", "TS-2026-000123"),
        ("查询ts-2025-4321", "TS-2025-004321"),
        ("what about ts2026000007?", "TS-2026-000007"),
        ("低保怎么申请", None),
    ],
)
def test_ticket_numbers(text: str, ticket: str | None) -> None:
    assert find_ticket_number(text) == ticket


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("低保怎么申请", "dibao"),
        ("底保咋申清", "dibao"),  # homophone typos
        ("低保", "dibao"),  # one word
        ("醫保報銷比例是多少", "medical-reimburse"),  # traditional characters
        ("请问一下俺想问问新农合一年交多少钱啊", "medical-insurance-enroll"),  # filler
        ("How do I apply for dibao?", "dibao"),
        ("dibao怎么申请", "dibao"),  # pinyin in Latin letters
        ("户口签移要带啥", "hukou-transfer"),
        ("社保卡丢了咋补办", "social-security-card"),
    ],
)
def test_answers(matcher: Matcher, question: str, entry_id: str) -> None:
    match = matcher.match(question)
    assert match.route is Route.ANSWER, match
    assert match.entry_id == entry_id


@pytest.mark.parametrize(
    "question", ["驾驶证到期怎么换", "今天天气怎么样", "how do I renew my passport", "讲个笑话"]
)
def test_out_of_scope_is_never_answered(matcher: Matcher, question: str) -> None:
    assert matcher.match(question).route is not Route.ANSWER


@pytest.mark.parametrize(
    ("message", "route"),
    [
        ("我要投诉村干部吃拿卡要", Route.COMPLAINT),
        ("TS-2026-000123 办得怎么样了", Route.STATUS),
        ("我上次投诉的有结果了吗", Route.STATUS),
        ("转人工", Route.HUMAN),
        ("talk to a real person please", Route.HUMAN),
        ("你好", Route.GREETING),
        ("thanks!", Route.GREETING),
    ],
)
def test_phrase_routes(matcher: Matcher, message: str, route: Route) -> None:
    assert matcher.match(message).route is route


def test_asking_how_to_complain_is_a_question_not_a_complaint(matcher: Matcher) -> None:
    match = matcher.match("投诉电话是多少")
    assert match.route is not Route.COMPLAINT
    assert match.candidates[0].entry_id == "complaint-howto"


def test_greeting_with_a_question_answers_the_question(matcher: Matcher) -> None:
    match = matcher.match("你好，低保怎么申请")
    assert (match.route, match.entry_id) == (Route.ANSWER, "dibao")


def test_scores_are_ranked_and_bounded(matcher: Matcher) -> None:
    match = matcher.match("我家老人80多岁了有高龄补贴吗")
    scores = [c.score for c in match.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert len(match.candidates) <= 5


def test_close_siblings_clarify_with_both(tmp_path: Path) -> None:
    kb_dir = write_kb(
        tmp_path,
        {
            "kb.yaml": """
entries:
  - id: id-card-new
    title: 身份证首次申领
    questions: [第一次办身份证, 身份证申领需要什么材料]
    answer: {summary: 到派出所户籍窗口办理。}
  - id: id-card-renew
    title: 身份证到期换领
    questions: [身份证到期换领, 身份证换领需要什么材料]
    answer: {summary: 到派出所户籍窗口换领。}
""",
        },
    )
    kb = load_knowledge(kb_dir).kb
    assert kb is not None
    matcher = Matcher(kb)
    match = matcher.match("身份证需要什么材料")
    assert match.route is Route.CLARIFY
    offered = {c.entry_id for c in matcher.clarify_choices(match)}
    assert offered == {"id-card-new", "id-card-renew"}


def test_minimal_plain_kb_answers_and_rejects(tmp_path: Path) -> None:
    kb = load_knowledge(write_kb(tmp_path, {"kb.yaml": PASSPORT_ENTRY})).kb
    assert kb is not None
    matcher = Matcher(kb)
    assert matcher.match("护照在哪儿办理").entry_id == "passport-apply"
    assert matcher.match("驾驶证在哪里办").route is not Route.ANSWER
    # Routes come from the packaged defaults even when the KB has none.
    assert matcher.match("我要投诉").route is Route.COMPLAINT


def test_kb_routes_add_to_the_defaults(tmp_path: Path) -> None:
    files = {
        "kb.yaml": PASSPORT_ENTRY,
        "routes.yaml": "routes:\n  human:\n    zh: [找书记]\n",
    }
    kb = load_knowledge(write_kb(tmp_path, files)).kb
    assert kb is not None
    matcher = Matcher(kb)
    assert matcher.match("我要找书记").route is Route.HUMAN
    assert matcher.match("转人工").route is Route.HUMAN


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "\x00\x07\x1b", "？？？"])
def test_contentless_messages_go_nowhere(matcher: Matcher, text: str) -> None:
    match = matcher.match(text)
    assert match.route is Route.NONE
    assert match.entry_id is None


def test_very_long_message_is_matched_quickly_and_safely(matcher: Matcher) -> None:
    text = "我想问一下低保怎么申请" + "啊" * 10_000
    match = matcher.match(text)
    assert match.route is Route.ANSWER and match.entry_id == "dibao"


def test_repeated_messages_are_decided_once_and_a_new_kb_starts_afresh(
    sample_kb: KnowledgeBase,
) -> None:
    matcher = Matcher(sample_kb, cache_size=2)
    first = matcher.match("低保怎么申请")
    assert matcher.match("低保怎么申请") is first
    assert matcher.cache_info().hits == 1
    assert first == matcher.decide_text("低保怎么申请")  # the cache changes nothing
    for text in ("居住证怎么办", "医保报销", "低保怎么申请"):
        matcher.match(text)
    assert matcher.cache_info().currsize == 2  # bounded: the oldest was dropped
    assert matcher.cache_info().misses == 4
    off = Matcher(sample_kb, cache_size=0)
    assert off.match("低保怎么申请") == first and off.cache_info().currsize == 0
