"""A "did you mean" list only about the message's topic (issue 9.2, bot/matching/topics.py).

The examples are the issue's: 考驾照 and 办结婚证 got nonsense lists, English weather and
stock questions three unrelated choices. They now get the no-answer reply, which offers
a person and the complaint form.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.dialogue import Dialogue
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.matching.routes import Route
from bot.matching.settings import MatchSettings
from bot.matching.topics import on_topic
from tests.test_dialogue import chat_transcript, say

OFF_TOPIC = [
    "考驾照去哪报名",
    "办结婚证",
    "办结婚证要带什么",
    "should I buy stocks",
    "will it be sunny this weekend",
    "what's the weather tomorrow",
    "what is the stock price of tencent",
]


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_an_off_topic_question_gets_no_list(matcher: Matcher, question: str) -> None:
    assert matcher.match(question).route is Route.NONE


def test_without_the_check_some_of_them_got_a_list(sample_kb: KnowledgeBase) -> None:
    """The check is what removes the lists (so the test above can fail)."""
    unchecked = Matcher(sample_kb, replace(MatchSettings(), topic_check=False), cache_size=0)
    listed = [q for q in OFF_TOPIC if unchecked.match(q).route is Route.CLARIFY]
    assert {"考驾照去哪报名", "办结婚证", "should I buy stocks"} <= set(listed)


@pytest.mark.parametrize("question", ["养老保险", "身份证户口", "结婚登记在哪办"])
def test_a_list_that_names_the_topic_is_still_offered(matcher: Matcher, question: str) -> None:
    match = matcher.match(question)
    assert match.route is Route.CLARIFY
    offered = [c.entry_id for c in matcher.clarify_choices(match)]
    assert on_topic(matcher.index, matcher.index.analyze(question), offered)


async def test_off_topic_gets_a_person_and_the_complaint_form(matcher: Matcher) -> None:
    (reply,) = await chat_transcript(matcher, ["办结婚证"])
    assert "没有找到可靠的答案" in reply
    assert "联系人工" in reply and "我要投诉" in reply
    assert "您是想问" not in reply


async def test_an_english_stock_question_gets_the_english_no_answer(matcher: Matcher) -> None:
    dialogue = Dialogue(matcher)
    await say(dialogue, "/lang en")
    reply = await say(dialogue, "should I buy stocks")
    assert "Did you mean" not in reply
    assert "complaint" in reply.lower()
