"""Triage (docs/triage.md): emergencies and other channels' matters, before matching.

The case file tests/eval/triage.yaml is measured on the real rules and the sample KB;
transcripts go through the dialogue core on a real SQLite file, the terminal chat as a
process, and Telegram over HTTP to the emulator.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import gaps
from bot.dialogue import TRIAGE_ROUTE, Dialogue, Incoming, MemoryPreferences
from bot.knowledge.model import KnowledgeBase, LocalText, TriageRule
from bot.matching.matcher import Matcher
from bot.messages import CATALOGUE, t
from bot.text import has_han
from bot.triage import Outcome, Triager, default_rules
from tests.conftest import EVAL_DIR
from tests.emulator import BotApiEmulator
from tests.telegram_harness import running_bot
from tests.test_tickets import CITIZEN, STAFF, Env, actions_of, calendar, clock, env, text_of

__all__ = ["calendar", "clock", "env"]  # the fixtures, shared with test_tickets

CASES = yaml.safe_load((EVAL_DIR / "triage.yaml").read_text("utf-8"))
#: The share of near misses that may be stopped as emergencies (issue 9).
MAX_NEAR_MISS_STOPPED = 0.05
WAY_ON = ["m:human", "m:complain"]
PAST_FIRE = "上个月村里着火了，到现在消防通道还被杂物堵着没人管"


@pytest.fixture(scope="module")
def triager(sample_kb: KnowledgeBase) -> Triager:
    return Triager(sample_kb)


# -- the case file --------------------------------------------------------------------------


def test_the_case_file_is_big_enough() -> None:
    assert len(CASES["emergencies"]) + len(CASES["channels"]) >= 60
    assert len(CASES["near_misses"]) >= 30
    english = [c for c in CASES["emergencies"] if c["text"].isascii()]
    assert len(english) >= 8


def test_every_emergency_is_stopped_with_the_right_number(triager: Triager) -> None:
    wrong = []
    for case in CASES["emergencies"]:
        found = triager.triage(case["text"])
        expected = (case["call"], *case.get("also", ()))
        if (
            found is None
            or found.outcome is not Outcome.EMERGENCY
            or found.services[0] != case["call"]
            or not set(expected) <= set(found.services)
        ):
            wrong.append((case["text"], found))
    assert wrong == []


def test_every_channel_matter_gets_its_channel(triager: Triager) -> None:
    wrong = []
    for case in CASES["channels"]:
        found = triager.triage(case["text"])
        if found is None or found.outcome is not Outcome.CHANNEL or found.rule != case["rule"]:
            wrong.append((case["text"], found))
    assert wrong == []


def test_near_misses_are_not_stopped(triager: Triager) -> None:
    outcomes = [triager.triage(text) for text in CASES["near_misses"]]
    stopped = [
        text
        for text, found in zip(CASES["near_misses"], outcomes, strict=True)
        if found is not None and found.outcome is not Outcome.DOUBT
    ]
    assert len(stopped) / len(outcomes) <= MAX_NEAR_MISS_STOPPED, stopped


def test_no_question_of_the_sample_kb_or_its_eval_set_is_stopped(
    sample_kb: KnowledgeBase, triager: Triager
) -> None:
    alternates = [q for e in sample_kb.entries for qs in e.questions.values.values() for q in qs]
    cases = yaml.safe_load((EVAL_DIR / "cases.yaml").read_text("utf-8"))["cases"]
    asked = [*alternates, *(case["q"] for case in cases)]
    stopped = [
        text
        for text in asked
        if (found := triager.triage(text)) is not None and found.outcome is Outcome.EMERGENCY
    ]
    assert stopped == []


@pytest.mark.parametrize(
    "text",
    [
        "消防安全检查怎么预约",
        "how do I book a fire safety inspection",
        "火死了",
        "笑死",
        "急死我了",
    ],
)
def test_questions_and_idioms_get_no_numbers_at_all(triager: Triager, text: str) -> None:
    assert triager.triage(text) is None


def test_a_past_fire_with_a_blocked_fire_lane_is_in_doubt_not_stopped(triager: Triager) -> None:
    found = triager.triage(PAST_FIRE)
    assert found is not None and found.outcome is Outcome.DOUBT and found.services == ("fire",)


def test_latin_channel_phrases_match_whole_words_only(triager: Triager) -> None:
    assert triager.triage("When will my ID card be issued") is None
    found = triager.triage("I will sue them")
    assert found is not None and found.rule == "court"


def test_at_a_form_step_an_address_is_not_a_lawsuit(triager: Triager) -> None:
    assert triager.triage("县法院对面", channels=False) is None
    found = triager.triage("县法院对面着火了", channels=False)
    assert found is not None and found.outcome is Outcome.EMERGENCY


def test_a_kbs_own_emergency_phrases_count(sample_kb: KnowledgeBase) -> None:
    rule = TriageRule("emergency", {"zh": ("山体滑坡",)}, LocalText({"zh": "离开坡下"}))
    kb = KnowledgeBase(entries=sample_kb.entries, triage=(*sample_kb.triage, rule))
    found = Triager(kb).triage("后山山体滑坡了")
    assert found is not None and found.outcome is Outcome.EMERGENCY
    assert found.rule == "emergency" and "police" in found.services


def test_every_service_has_its_messages() -> None:
    rules = default_rules()
    for service in rules.numbers:
        for key in (f"triage_call_{service}", f"triage_service_{service}"):
            assert set(CATALOGUE[key]) == {"zh", "en"}, key
        assert rules.numbers[service] in t(f"triage_call_{service}", "zh")
        assert rules.numbers[service] in t(f"triage_call_{service}", "en")


# -- transcripts through the dialogue core --------------------------------------------------


async def logged(env: Env) -> list[tuple[str, str, str | None]]:
    async with env.store.conn.execute(
        "SELECT text, route, triage FROM questions ORDER BY id"
    ) as cur:
        return [(str(r[0]), str(r[1]), r[2]) for r in await cur.fetchall()]


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("俺家房子着火了", "119"),
        ("有人打架受伤了", "110"),
        ("村口出车祸了有人流了好多血", "122"),
        ("俺家老头子晕倒了叫不醒", "120"),
        ("救命 有人要跳河", "110"),
    ],
)
async def test_an_emergency_in_plain_chat_gets_the_numbers_and_no_answer(
    env: Env, triager: Triager, text: str, first: str
) -> None:
    replies = await env.go(CITIZEN, text)
    assert len(replies) == 1
    said = text_of(replies)
    assert (
        said.startswith(f"【这可能是紧急情况！请马上拨打 {first}")
        and t("triage_safety", "zh") in said
    )
    assert "临时救助" not in said and "最低生活保障" not in said
    assert actions_of(replies) == WAY_ON
    found = triager.triage(text)
    assert found is not None and found.outcome is Outcome.EMERGENCY
    assert await logged(env) == [(text, TRIAGE_ROUTE, found.label)]
    assert await env.ticket_count() == 0


async def test_an_english_emergency_is_answered_in_english(env: Env) -> None:
    said = await env.say(CITIZEN, "there is a fire in my village right now")
    assert "Call 119 now" in said and t("triage_call_fire", "en") in said


async def test_a_past_fire_is_filed_as_a_complaint_with_the_numbers_shown(env: Env) -> None:
    replies = await env.go(CITIZEN, PAST_FIRE)
    assert text_of(replies[:1]).startswith("如果现在有人有危险，请马上拨打 119")
    assert len(replies) >= 2  # and the usual reply after it
    assert (await logged(env))[0][2] == "doubt:fire"
    # In the complaint form the same text is the description, and the form goes on.
    await env.go(CITIZEN, "/complain", "fm:cat:roads")
    replies = await env.go(CITIZEN, PAST_FIRE)
    draft = await env.desk.tickets.get_draft(CITIZEN)
    assert draft is not None and draft.data["description"] == PAST_FIRE
    assert draft.step != "description"
    assert "119" in text_of(replies)


async def test_an_emergency_mid_form_keeps_what_was_filled_in(env: Env) -> None:
    await env.go(CITIZEN, "/complain", "fm:cat:roads", "李湾村路口的路灯坏了一个多月了")
    said = await env.say(CITIZEN, "不好了 邻居家着火了")
    assert "119" in said and t("triage_form_kept", "zh") in said
    draft = await env.desk.tickets.get_draft(CITIZEN)
    assert draft is not None and draft.step == "location"
    assert draft.data["description"] == "李湾村路口的路灯坏了一个多月了"
    # The place asked for next may name a court: it is an address, not a lawsuit.
    await env.go(CITIZEN, "县法院对面")
    draft = await env.desk.tickets.get_draft(CITIZEN)
    assert draft is not None and draft.data["location"] == "县法院对面"


async def test_an_emergency_after_a_rating_is_not_taken_as_a_comment(env: Env) -> None:
    ticket = await env.file()
    await env.do("resolve", STAFF, ticket.number, "已安排清理")
    await env.go(CITIZEN, f"r:{ticket.id}:5")
    said = await env.say(CITIZEN, "有人溺水了")
    assert "119" in said and t("ticket_comment_thanks", "zh") not in said
    assert await env.desk.tickets.ratings(ticket.id) == [(1, 5, None)]
    assert await env.desk.tickets.get_draft(CITIZEN) is None


async def test_an_emergency_for_a_staff_member_files_no_inquiry(env: Env) -> None:
    await env.go(CITIZEN, "/human")
    said = await env.say(CITIZEN, "家里进贼了")
    assert "110" in said
    assert await env.ticket_count() == 0
    assert await env.desk.tickets.get_draft(CITIZEN) is None


async def test_a_lawsuit_in_plain_chat_gets_the_court_channel_and_a_way_on(env: Env) -> None:
    text = "俺想去法院起诉村委会 他们占了俺家的地"
    replies = await env.go(CITIZEN, text)
    said = text_of(replies)
    assert "12368" in said and "调解" in said and t("triage_channel_way_on", "zh") in said
    assert actions_of(replies) == WAY_ON
    assert await logged(env) == [(text, TRIAGE_ROUTE, "channel:court")]
    # The way on still works: the complaint form opens.
    replies = await env.send(Incoming(CITIZEN, action="m:complain"))
    assert "fm:cat:roads" in actions_of(replies)


async def test_a_fire_safety_question_is_just_answered(env: Env) -> None:
    said = await env.say(CITIZEN, "消防安全检查怎么预约")
    assert "119" not in said
    assert (await logged(env))[0][2] is None


async def test_triage_works_without_a_ticket_desk(matcher: Matcher) -> None:
    preferences = MemoryPreferences()
    dialogue = Dialogue(matcher, preferences)
    replies = await dialogue.handle(Incoming("u", text="救命啊有人落水了"))
    assert "119" in text_of(replies)
    assert preferences.triage == ["emergency:water"]


async def test_kb_gaps_never_offers_a_triaged_message(env: Env, matcher: Matcher) -> None:
    triaged = ["有人溺水了", "俺家房子着火了", PAST_FIRE, "我想申请劳动仲裁"]
    for text in (*triaged, "考驾照在哪里报名"):
        await env.go(CITIZEN, text)
    questions = await gaps.unanswered(env.store)
    asked = [q.text for q in questions]
    assert not set(asked) & set(triaged)
    report = gaps.render(gaps.group(questions, matcher), [], "zh")
    assert all(text not in report for text in triaged)


# -- end to end: the terminal chat and Telegram ---------------------------------------------


def chat_process(db: Path, stdin: str, *args: str) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_DESK_")}
    environ["CITIZEN_DESK_DB"] = str(db)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_terminal_chat_stops_an_emergency_and_explains_a_channel(tmp_path: Path) -> None:
    out = chat_process(tmp_path / "db.sqlite3", "着火了快来人\n我要申请行政复议\n")
    assert "请马上拨打 119" in out and "火警 119" in out
    assert "行政复议" in out and "60日" in out
    assert "1. " + t("button_human", "zh") in out  # the way on, as numbered choices
    english = chat_process(tmp_path / "en.sqlite3", "help my dad collapsed\n", "--lang", "en")
    assert "Call 120 now" in english


async def test_telegram_emergency_then_a_past_fire(
    emulator: BotApiEmulator, sample_kb: KnowledgeBase, tmp_path: Path
) -> None:
    chat = 5101
    async with running_bot(emulator, sample_kb, tmp_path / "db.sqlite3"):
        emulator.add_message(chat, "村口出车祸了有人流了好多血")
        (stopped,) = await emulator.wait_for_sent(chat, 1)
        emulator.add_message(chat, PAST_FIRE)
        sent: list[Any] = await emulator.wait_for_sent(chat, 3)
    assert stopped.plain_text is not None
    assert "请马上拨打 122、120" in stopped.plain_text
    assert stopped.callback_data == WAY_ON
    assert stopped.text is not None and stopped.text.startswith("<b>")
    doubt, usual = sent[1], sent[2]
    assert doubt.plain_text is not None and doubt.plain_text.startswith("如果现在有人有危险")
    assert usual.plain_text is not None and "119" not in usual.plain_text


async def test_telegram_answers_an_emergency_at_once_in_a_flood(
    emulator: BotApiEmulator, sample_kb: KnowledgeBase, tmp_path: Path
) -> None:
    chat = 5102
    settings = {"flood_messages": 2, "flood_window": 10}

    def texts() -> list[str]:
        return [m.plain_text or "" for m in emulator.sent(chat)]

    async with running_bot(emulator, sample_kb, tmp_path / "db.sqlite3", **settings):
        for _ in range(4):
            emulator.add_message(chat, "低保怎么申请")
        for text in ("着火了快来人", "着火了快来人"):
            emulator.add_message(chat, text)
        await emulator.wait_for(
            lambda: any("请马上拨打 119" in t for t in texts()) or None, timeout=8
        )
        # The emergency came before the held questions, which wait for their turn…
        assert sum("最低生活保障" in t for t in texts()) == 2
        await asyncio.sleep(1.0)
    # …and only one emergency per flood window skips the queue (a script is still held).
    assert sum("请马上拨打 119" in t for t in texts()) == 1


async def test_kb_gaps_leaves_out_an_emergency_logged_before_triage(
    env: Env, matcher: Matcher
) -> None:
    for text in ("俺家房子着火了", "考驾照在哪里报名"):
        match = matcher.match(text)
        await env.store.log_question(  # as the dialogue logged it before triage existed
            CITIZEN, text, "zh", "none", None, match.score, []
        )
    questions = await gaps.unanswered(env.store)
    assert [q.text for q in questions] == ["俺家房子着火了", "考驾照在哪里报名"]
    examples = [e for g in gaps.group(questions, matcher) for e in g.examples]
    assert examples == ["考驾照在哪里报名"]


def test_signal_patterns_keep_to_one_script() -> None:
    """A signal line with Chinese is never tried on a Latin-only message (and back)."""
    doc = yaml.safe_load((Path(__file__).parent.parent / "bot/defaults/triage.yaml").read_text())
    for kind, spec in doc["signals"].items():
        for pattern in spec["patterns"]:
            if has_han(pattern):
                latin = [a for a in pattern.split("|") if not has_han(a) and re.search("[a-z]", a)]
                assert latin == [], (kind, latin)
    found = Triager(KnowledgeBase(entries=())).triage("SOS")
    assert found is not None and found.outcome is Outcome.EMERGENCY


def test_a_word_that_ends_in_knife_is_not_a_knife(triager: Triager) -> None:
    # "jackknifed" is a lorry's accident, not an armed crime; "a knife" still is.
    lorry = triager.triage("a lorry jackknifed on the highway and the driver is bleeding")
    assert lorry is not None and lorry.services[0] != "police"
    armed = triager.triage("a man with a knife is outside our door right now")
    assert armed is not None and armed.services[0] == "police"
