"""Triage on tests/eval/triage_dev4.yaml, and the rules it led to (issue 9.1).

The set was written blind (by someone who saw neither the rules nor any other set) and
measured before the rules changed for it (docs/triage.md gives the figures before); the
rules were then tuned on it, so these tests hold the figures, they do not measure new
wording. The transcripts go through the dialogue core on a real SQLite file and through
the web chat over ASGI.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from bot import gaps
from bot import triage as triage_module
from bot.dialogue import TRIAGE_ROUTE
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.yamlsafe import load_yaml_text
from bot.matching.matcher import Matcher
from bot.messages import t
from bot.triage import Outcome, Triager
from bot.triage_eval import Figures, measure
from tests.conftest import EVAL_DIR
from tests.test_tickets import CITIZEN, Env, actions_of, calendar, clock, env, text_of
from tests.test_triage import WAY_ON, logged
from tests.webchat_env import events, join, say, webchat

__all__ = ["calendar", "clock", "env"]  # the fixtures, shared with test_tickets

DEV4 = yaml.safe_load((EVAL_DIR / "triage_dev4.yaml").read_text("utf-8"))
RULES_TEXT = resources.files("bot.defaults").joinpath("triage.yaml").read_text("utf-8")


@pytest.fixture(scope="module")
def triager(sample_kb: KnowledgeBase) -> Triager:
    return Triager(sample_kb)


@pytest.fixture(scope="module")
def figures(triager: Triager) -> Figures:
    return measure(triager, DEV4)


def found(triager: Triager, text: str) -> tuple[Outcome | None, str | None, bool]:
    got = triager.triage(text)
    return (got.outcome, got.rule, got.named) if got else (None, None, True)


# -- the set ----------------------------------------------------------------------------------


def test_the_set_is_big_enough() -> None:
    assert len(DEV4["emergency"]) >= 90
    assert len(DEV4["channel"]) >= 30
    assert len(DEV4["near_miss"]) >= 80
    assert sum(c["lang"] == "en" for c in DEV4["emergency"]) >= 20


def test_every_emergency_is_routed_to_the_emergency_reply(figures: Figures) -> None:
    assert figures.stopped == figures.emergencies, figures.misses


def test_nearly_every_emergency_gets_the_right_number_first(figures: Figures) -> None:
    assert figures.right_number / figures.emergencies >= 0.97, figures.misses


def test_channel_matters_get_their_channel(figures: Figures) -> None:
    assert figures.channels_right / figures.channels >= 0.95, figures.misses


def test_near_misses_are_rarely_stopped(figures: Figures) -> None:
    assert figures.near_stopped / figures.near_misses <= 0.05, figures.misses


# -- the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("救命啊", Outcome.EMERGENCY),  # bare panic: every number
        ("救命啊啊啊", Outcome.EMERGENCY),  # interjections say nothing more
        ("救命 救命 快来人", Outcome.EMERGENCY),
        ("就命啊", Outcome.EMERGENCY),  # a pinyin-input typo of 救命
        # Before an account that names no danger, 救命 may be a figure of speech.
        ("救命 低保的材料好复杂 我看不懂", Outcome.DOUBT),
        ("救命 社保卡怎么激活啊", Outcome.DOUBT),
        ("help me please how do i renew my permit", Outcome.DOUBT),
    ],
)
def test_panic_alone_is_an_emergency_panic_before_a_question_is_in_doubt(
    triager: Triager, text: str, outcome: Outcome
) -> None:
    assert found(triager, text)[0] is outcome


@pytest.mark.parametrize(
    "text",
    [
        "邻居家失伙了 烟好大",  # 失伙: shī huǒ typed for 失火
        "快来 有人大人了",  # 大人: dà rén typed for 打人
        "俺爹心藏病又犯了",  # 心藏病 for 心脏病
        "燃气管子破了 满屋子味",
        "孩子一转眼就不见了 快帮忙",
        "the barn caught fire",  # English forms the lists lacked
        "my son is choking on a grape",
        "he got stabbed outside the pub",
        "someone got shot on our street",
        "my mum is fitting on the floor",
    ],
)
def test_typos_dialect_and_english_forms_are_emergencies(triager: Triager, text: str) -> None:
    assert found(triager, text)[0] is Outcome.EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        "haha my boss is killing me with all this paperwork",  # figurative
        "this form is taking ages im dying here lol",
        "i'm worried my shed might catch fire one day",  # a hazard
        "the library wants someone to give a fire prevention talk",  # a question
        "第三代社保卡在哪办",  # a card, not someone stuck (卡在)
        "老年人坐公交免费的那个卡在哪办",
        "我爸心脏病吃了药也不管用 想问问慢病报销",  # 不管用 is not 不管
    ],
)
def test_figures_of_speech_hazards_and_questions_are_not_stopped(
    triager: Triager, text: str
) -> None:
    assert found(triager, text)[0] is not Outcome.EMERGENCY


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("他借了我两万块钱一直不还", "court"),
        ("我想告他 去哪告", "court"),
        ("兄弟几个为分遗产闹翻了", "court"),
        ("老板把我开了 一分钱补偿都没有", "arbitration"),
        ("干了五年 一直没给交社保", "arbitration"),
        ("承包地的边界跟邻组吵了好几年", "arbitration"),
        ("对乡政府的处罚决定不服", "review"),
        ("派出所把我的车扣了 我觉得不合理", "review"),
        ("反映了好几次都没人管 想往上反映", "petition"),
        ("i got laid off with no severance", "arbitration"),
        ("i disagree with the decision to cancel my allowance", "review"),
    ],
)
def test_a_matter_described_gets_its_channel_before_the_usual_reply(
    triager: Triager, text: str, rule: str
) -> None:
    assert found(triager, text) == (Outcome.CHANNEL, rule, False)


@pytest.mark.parametrize(
    "text",
    [
        "我们不想去打官司 有没有人能来调解一下",  # negated
        "i don't want to sue anyone i just want the road fixed",
        "我想告诉你们 路灯坏了",  # 告诉 holds 告
        "被辞退了能领失业金吗",  # the KB answers unemployment benefit
        "离婚了孩子户口咋迁",
    ],
)
def test_a_negated_or_hidden_channel_phrase_is_not_a_channel(triager: Triager, text: str) -> None:
    assert found(triager, text)[0] is not Outcome.CHANNEL


def test_a_channel_named_is_the_reply_and_one_in_doubt_keeps_the_numbers(
    triager: Triager,
) -> None:
    assert found(triager, "俺想去法院起诉村委会") == (Outcome.CHANNEL, "court", True)
    got = triager.triage("被人打伤了 派出所调解过了但对方不给医药费 我要起诉他")
    assert got is not None and got.outcome is Outcome.CHANNEL and got.rule == "court"
    assert got.services[:1] == ("police",)  # a past injury: the numbers are still shown


def test_sample_kb_questions_get_no_channel_they_do_not_name(
    sample_kb: KnowledgeBase, triager: Triager
) -> None:
    alternates = [q for e in sample_kb.entries for qs in e.questions.values.values() for q in qs]
    cases = yaml.safe_load((EVAL_DIR / "cases.yaml").read_text("utf-8"))["cases"]
    described = [
        text
        for text in [*alternates, *(c["q"] for c in cases)]
        if (got := triager.triage(text)) is not None
        and got.outcome is Outcome.CHANNEL
        and not got.named
    ]
    assert described == []


# -- transcripts ------------------------------------------------------------------------------


async def test_a_described_channel_comes_before_the_usual_reply(env: Env) -> None:
    text = "他借了我两万块钱一直不还 我该咋办"
    replies = await env.go(CITIZEN, text)
    assert len(replies) >= 2
    assert "12368" in text_of(replies[:1])  # the court channel's message first
    ((_, route, label),) = await logged(env)
    assert route != TRIAGE_ROUTE and label == "channel:court"


async def test_a_channel_in_doubt_shows_the_numbers_then_the_channel(env: Env) -> None:
    text = "被人打伤了 派出所调解过了但对方不给医药费 我要起诉他"
    replies = await env.go(CITIZEN, text)
    assert text_of(replies[:1]).startswith("如果现在有人有危险，请马上拨打 110")
    said = text_of(replies)
    assert "12368" in said and t("triage_channel_way_on", "zh") in said
    assert actions_of(replies) == WAY_ON
    assert await logged(env) == [(text, TRIAGE_ROUTE, "channel:court")]
    assert await env.ticket_count() == 0


async def test_panic_before_a_question_shows_the_numbers_and_still_answers(env: Env) -> None:
    replies = await env.go(CITIZEN, "救命 低保怎么申请啊 我看不懂")
    assert text_of(replies[:1]).startswith("如果现在有人有危险，请马上拨打 110")
    assert "最低生活保障" in text_of(replies[1:])
    assert (await logged(env))[0][2] == "doubt:unknown"


async def test_kb_gaps_never_offers_a_described_channel_or_a_panic(
    env: Env, matcher: Matcher
) -> None:
    triaged = ["他借了我两万块钱一直不还", "救命 这个网上申报我弄了一下午也弄不好"]
    for text in triaged:
        await env.go(CITIZEN, text)
    questions = await gaps.unanswered(env.store)
    assert not {q.text for q in questions} & set(triaged)
    report = gaps.render(gaps.group(questions, matcher), [], "zh")
    assert all(text not in report for text in triaged)


async def test_the_web_chat_triages_before_matching(
    tmp_path: Path, sample_kb: KnowledgeBase
) -> None:
    """The web chat shares the dialogue core: an emergency gets the numbers, no answer."""
    async with webchat(tmp_path / "db.sqlite3", sample_kb) as chat, chat.client() as client:
        await join(client)
        await say(client, "fire-000001", text="俺家房子着火了 快来人")
        await say(client, "court-00001", text="俺想去法院起诉村委会 他们占了俺家的地")
        await chat.processor.process_pending()
        got = [p["text"] for _, p in events(await client.get("/chat/events"))]
    assert got[0].startswith("【这可能是紧急情况！请马上拨打 119")
    assert "临时救助" not in got[0]
    assert any("12368" in text for text in got[1:])


def test_the_first_character_prefilter_changes_no_decision(
    sample_kb: KnowledgeBase, triager: Triager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every pattern is led by a lookahead for its first characters (for speed only)."""
    rules = triager.rules
    assert all(p.pattern.startswith("(?=[") for s in rules.signals for p in (s.han, s.latin) if p)
    monkeypatch.setattr(triage_module, "_prefiltered", re.compile)
    plain = Triager(sample_kb, triage_module.rules_from(load_yaml_text(RULES_TEXT).value))
    texts = [c["text"] for section in ("emergency", "channel", "near_miss") for c in DEV4[section]]
    texts += [q for e in sample_kb.entries for qs in e.questions.values.values() for q in qs]
    assert not plain.rules.signals[0].han.pattern.startswith("(?=[")  # type: ignore[union-attr]
    assert [plain.triage(x) for x in texts] == [triager.triage(x) for x in texts]
