"""Transcript tests of the dialogue core, as the terminal chat shows it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.channels.terminal import TerminalChat
from bot.dialogue import Dialogue, Incoming, MemoryPreferences
from bot.knowledge.loader import load_knowledge
from bot.matching.matcher import Matcher
from tests.conftest import write_kb

USER = "test:1"


async def say(dialogue: Dialogue, text: str, user: str = USER) -> str:
    replies = await dialogue.handle(Incoming(user, text=text))
    return "\n".join(r.plain_text() for r in replies)


async def chat_transcript(matcher: Matcher, lines: list[str]) -> list[str]:
    """Feed lines to a terminal chat; return what it printed after each line."""
    out = io.StringIO()
    chat = TerminalChat(Dialogue(matcher), out)
    printed = []
    for line in lines:
        start = out.tell()
        await chat.handle_line(line)
        printed.append(out.getvalue()[start:])
    return printed


async def test_answer_is_structured(matcher: Matcher) -> None:
    (answer,) = await chat_transcript(matcher, ["低保怎么申请"])
    assert answer.startswith("【最低生活保障申请】")
    for label in ("概述", "办理条件", "所需材料", "办理流程", "办理时限", "收费标准", "咨询电话"):
        assert label in answer
    assert "  • " in answer  # bullets
    assert "这个回答有帮助吗" in answer


async def test_clarify_then_choose_by_number(matcher: Matcher) -> None:
    question, choice = await chat_transcript(matcher, ["身份证户口", "1"])
    assert "您是想问" in question
    first_title = question.split("1. ", 1)[1].splitlines()[0]
    assert choice.startswith(f"【{first_title}】")


async def test_none_offers_a_person_and_a_complaint(matcher: Matcher) -> None:
    (reply,) = await chat_transcript(matcher, ["今天天气怎么样"])
    assert "没有找到可靠的答案" in reply
    assert "联系人工" in reply and "我要投诉" in reply


async def test_english_question_gets_english_answer(matcher: Matcher) -> None:
    dialogue = Dialogue(matcher)
    reply = await say(dialogue, "How do I apply for the minimum living allowance?")
    assert "Documents needed" in reply
    assert "所需材料" not in reply


async def test_lang_switch_is_remembered(matcher: Matcher) -> None:
    prefs = MemoryPreferences()
    dialogue = Dialogue(matcher, prefs)
    assert "Switched to English" in await say(dialogue, "/lang en")
    assert prefs.languages[USER] == "en"
    assert "Documents needed" in await say(dialogue, "低保怎么申请")
    assert "已切换为中文" in await say(dialogue, "/lang zh")
    assert "不支持" in await say(dialogue, "/lang fr")


async def test_help_and_unknown_command(matcher: Matcher) -> None:
    dialogue = Dialogue(matcher)
    assert "/lang" in await say(dialogue, "/help")
    assert "没有这个命令" in await say(dialogue, "/frobnicate")


@pytest.mark.parametrize("text", ["", "   ", "😀🙏", "\x00\x1b[31m"])
async def test_empty_and_contentless_messages_are_asked_to_type(
    matcher: Matcher, text: str
) -> None:
    assert "请输入您的问题" in await say(Dialogue(matcher), text)


async def test_non_text_message(matcher: Matcher) -> None:
    replies = await Dialogue(matcher).handle(Incoming(USER, is_text=False))
    assert "请用文字" in replies[0].plain_text()


async def test_long_message_is_answered_with_a_note(matcher: Matcher) -> None:
    text = "我想问低保怎么申请，" + "家里情况比较困难。" * 1200
    reply = await say(Dialogue(matcher), text)
    assert "比较长" in reply
    assert "最低生活保障" in reply


async def test_complaint_route_is_honest_about_what_happens(matcher: Matcher) -> None:
    reply = await say(Dialogue(matcher), "我要投诉村干部")
    assert "还不能在这里登记工单" in reply
    assert "监督" in reply  # the complaint-howto entry follows


async def test_status_and_human_routes_say_plainly(matcher: Matcher) -> None:
    dialogue = Dialogue(matcher)
    assert "TS-2026-000123" in await say(dialogue, "TS-2026-000123 办得怎么样了")
    assert "转人工功能正在建设中" in await say(dialogue, "转人工")


async def test_browse_categories_and_pages(matcher: Matcher) -> None:
    dialogue = Dialogue(matcher)
    (menu,) = await dialogue.handle(Incoming(USER, text="/services"))
    actions = menu.button_actions()
    assert actions[0] == "b:social-insurance:0"
    (page,) = await dialogue.handle(Incoming(USER, action=actions[0]))
    entries = [a for a in page.button_actions() if a.startswith("e:")]
    assert entries and len(entries) <= 8
    (answer,) = await dialogue.handle(Incoming(USER, action=entries[0]))
    assert answer.blocks[0].text  # a heading with the entry title


async def test_stale_and_forged_actions_change_nothing(matcher: Matcher) -> None:
    dialogue = Dialogue(matcher)
    prefs = dialogue.preferences
    assert isinstance(prefs, MemoryPreferences)
    for action in ("e:no-such-entry", "b:nope:0", "f:dibao:maybe", "zzz", "b:social-insurance:x"):
        (reply,) = await dialogue.handle(Incoming(USER, action=action))
        assert "已过期" in reply.plain_text()
    assert prefs.feedback == []


async def test_feedback_is_recorded(matcher: Matcher) -> None:
    prefs = MemoryPreferences()
    dialogue = Dialogue(matcher, prefs)
    (answer,) = await dialogue.handle(Incoming(USER, text="低保怎么申请"))
    assert prefs.questions == [(USER, "低保怎么申请", "answer", "dibao")]
    assert "f:dibao:n:1" in answer.button_actions()
    await dialogue.handle(Incoming(USER, action="f:dibao:n:1"))
    assert prefs.feedback == [(USER, "dibao", False)]


async def test_long_entry_ids_fit_in_button_data(tmp_path: Path) -> None:
    long_id = "a-" + "very-long-entry-id-" * 5
    kb_dir = write_kb(
        tmp_path,
        {
            "kb.yaml": f"""
entries:
  - id: {long_id}
    title: 护照申领
    questions: [怎么办护照]
    answer: {{summary: 到出入境窗口办理。}}
""",
        },
    )
    kb = load_knowledge(kb_dir).kb
    assert kb is not None
    dialogue = Dialogue(Matcher(kb))
    (answer,) = await dialogue.handle(Incoming(USER, text="怎么办护照"))
    actions = answer.button_actions()
    assert all(len(a.encode()) <= 64 for a in actions)
    (again,) = await dialogue.handle(Incoming(USER, action=dialogue.entry_action(long_id)))
    assert again.plain_text().startswith("【护照申领】")


async def test_related_buttons_lead_to_related_entries(matcher: Matcher) -> None:
    dialogue = Dialogue(matcher)
    (answer,) = await dialogue.handle(Incoming(USER, text="低保怎么申请"))
    related = [a for a in answer.button_actions() if a.startswith("e:")]
    dibao = matcher.kb.get("dibao")
    assert dibao is not None
    assert related == [f"e:{r}" for r in dibao.related[:3]]
