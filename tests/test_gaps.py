"""The knowledge-gaps report: which questions count, how they group, and the snippets."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import gaps
from bot.gaps import GapGroup, GapQuestion, group, inquiry_drafts, render, render_short, unanswered
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.privacy import ERASED
from bot.store import Store, TicketStore, now_iso
from tests.conftest import PASSPORT_ENTRY, write_kb

#: Six ways to ask about renewing a driving licence: the sample KB has no such entry.
LICENCE = [
    "驾驶证到期怎么换",
    "驾驶证到期了怎么换证",
    "驾照到期怎么换",
    "驾驶证过期了去哪换",
    "驾驶证快到期了怎么办理换证",
    "我的驾驶证到期了要换新的吗",
]
#: Dibao in unusual words: the matcher only offers choices (dibao first in three of four).
DIBAO = [
    "家里生活困难，每月能领点救济吗",
    "生活困难的家庭每月能领多少救济",
    "家里生活困难，政府每月给救济吗",
    "生活特别困难能领救济金吗",
]
#: Parking, in English: nothing in the KB comes close.
PARKING = [
    "Where can I park my car?",
    "Is there a car park for visitors?",
    "Where do visitors park their cars?",
]
#: Answered (medical-insurance-enroll), then 👎.
DISLIKED = "城乡居民医保一年交多少钱"
#: Choices offered and one picked: not a gap.
PICKED = "家里穷，生活困难，有没有救济"
#: Answered, no feedback: not a gap.
ANSWERED = "低保怎么申请"
#: Asked long ago: left out by `since`.
OLD = "驾驶证到期以后怎么换"

ID_RE = re.compile(r"^[a-z0-9-]+$")


def user(n: int) -> str:
    return f"tg:7770{n:03d}"


async def ask(store: Store, matcher: Matcher, who: str, text: str, lang: str = "zh") -> int:
    """Log a question the way the dialogue does: with the matcher's real decision."""
    m = matcher.match(text)
    return await store.log_question(
        who,
        text,
        lang,
        m.route.value,
        m.entry_id,
        m.score,
        [(c.entry_id, c.score) for c in m.candidates],
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store.opened(tmp_path / "gaps.sqlite3") as opened:
        yield opened


@pytest.fixture
async def seeded(store: Store, matcher: Matcher) -> Store:
    n = 0
    for texts, lang in ((LICENCE, "zh"), (DIBAO, "zh"), (PARKING, "en")):
        for text in texts:
            n += 1
            await ask(store, matcher, user(n), text, lang)
    disliked = await ask(store, matcher, user(50), DISLIKED)
    await store.record_feedback(user(50), "medical-insurance-enroll", False, disliked)
    await ask(store, matcher, user(51), PICKED)
    await store.mark_clarify_picked(user(51), "dibao")
    await ask(store, matcher, user(52), ANSWERED)
    old = await ask(store, matcher, user(53), OLD)
    await store.conn.execute(
        "UPDATE questions SET created_at = '2020-01-02T03:04:05+00:00' WHERE id = ?", (old,)
    )
    return store


def since() -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


def by_first_example(groups: list[GapGroup]) -> dict[str, GapGroup]:
    return {g.examples[0]: g for g in groups}


def test_seeded_questions_route_as_the_scenario_says(matcher: Matcher) -> None:
    # Guard the seeds: if matching changes, these tests must be re-seeded, not silently pass.
    assert {matcher.match(q).route.value for q in LICENCE} == {"none"}
    assert {matcher.match(q).route.value for q in DIBAO} <= {"clarify", "none"}
    assert [matcher.match(q).candidates[0].entry_id for q in DIBAO].count("dibao") == 3
    assert {matcher.match(q).route.value for q in PARKING} == {"none"}
    assert matcher.match(DISLIKED).route.value == "answer"
    assert matcher.match(PICKED).route.value == "clarify"
    assert matcher.match(ANSWERED).route.value == "answer"


async def test_unanswered_takes_none_unpicked_clarify_and_thumbs_down(seeded: Store) -> None:
    found = await unanswered(seeded, since())
    texts = [q.text for q in found]
    assert texts == [*LICENCE, *DIBAO, *PARKING, DISLIKED]
    assert PICKED not in texts and ANSWERED not in texts and OLD not in texts
    disliked = found[-1]
    assert disliked.disliked and disliked.route == "answer" and disliked.reason == "disliked"
    assert all(isinstance(q.asked_at, dt.datetime) for q in found)
    # Without `since`, the old question counts too.
    assert OLD in [q.text for q in await unanswered(seeded, None)]
    # No personal data: the fields are the documented ones, and no user key is in them.
    assert [f.name for f in dataclasses.fields(GapQuestion)] == [
        "text",
        "lang",
        "route",
        "candidates",
        "asked_at",
        "disliked",
    ]
    assert "tg:7770" not in repr(found)


async def test_erased_questions_and_personal_numbers_do_not_leave(
    store: Store, matcher: Matcher
) -> None:
    await ask(store, matcher, user(1), "驾驶证到期怎么换，我电话13800138000，邮箱 a.b@example.com")
    erased = await ask(store, matcher, user(2), "驾驶证到期怎么换")
    await store.conn.execute("UPDATE questions SET text = ? WHERE id = ?", (ERASED, erased))
    found = await unanswered(store, None)
    assert [q.text for q in found] == ["驾驶证到期怎么换，我电话[已隐去]，邮箱 [已隐去]"]


async def test_groups_sizes_and_nearest_entries(seeded: Store, matcher: Matcher) -> None:
    groups = group(await unanswered(seeded, since()), matcher)
    assert [g.size for g in groups] == [6, 4, 3, 1]
    licence, dibao, parking, disliked = groups
    assert set(licence.examples) < set(LICENCE) and len(licence.examples) == gaps.MAX_EXAMPLES
    assert licence.examples[0] == LICENCE[0]
    assert licence.nearest is None and licence.action == "new-entry"
    assert licence.suggested_id == "jiashizheng-daoqi-huan"
    assert licence.languages == ("zh",) and licence.reasons == (("none", 6),)

    assert dibao.examples == tuple(DIBAO)
    assert dibao.nearest is not None and dibao.nearest.entry_id == "dibao"
    assert dibao.nearest.count == 3
    assert dibao.nearest.mean_score >= matcher.settings.clarify
    assert dibao.action == "add-questions" and dibao.suggested_id is None
    assert dibao.reasons == (("clarify", 4),)

    assert parking.examples == tuple(PARKING) and parking.languages == ("en",)
    assert parking.nearest is None and parking.suggested_id == "park-car-visitors"

    assert disliked.examples == (DISLIKED,) and disliked.reasons == (("disliked", 1),)
    assert disliked.nearest is not None
    assert disliked.nearest.entry_id == "medical-insurance-enroll"
    assert disliked.action == "review-answer"  # it already reaches the entry: fix the answer


async def test_grouping_is_deterministic(seeded: Store, matcher: Matcher) -> None:
    questions = await unanswered(seeded, since())
    assert group(questions, matcher) == group(list(questions), matcher)


async def test_min_count_filters_small_groups(seeded: Store, matcher: Matcher) -> None:
    questions = await unanswered(seeded, since())
    assert [g.size for g in group(questions, matcher, min_count=2)] == [6, 4, 3]
    assert [g.size for g in group(questions, matcher, min_count=4)] == [6, 4]
    assert group(questions, matcher, min_count=7) == []
    assert [g.size for g in group(await unanswered(seeded, None), matcher, min_count=7)] == [7]


def test_questions_without_content_are_not_a_topic(matcher: Matcher) -> None:
    at = dt.datetime.now(dt.UTC)
    noise = [GapQuestion(t, "zh", "none", (), at) for t in ("👍", "？？", "怎么办")]
    assert group(noise, matcher) == []


async def test_alternate_questions_snippet(seeded: Store, matcher: Matcher) -> None:
    dibao = group(await unanswered(seeded, since()), matcher)[1]
    data = yaml.safe_load(dibao.snippet)
    assert data == {"id": "dibao", "questions": {"zh": DIBAO}}
    assert "social-assistance.yaml" in dibao.snippet.splitlines()[0]
    # Pasted into the sample KB, the phrasings make dibao the answer or the first choice.
    entry = matcher.kb.get("dibao")
    assert entry is not None
    extended = dataclasses.replace(
        entry,
        questions=dataclasses.replace(
            entry.questions,
            values={**entry.questions.values, "zh": (*entry.questions.get("zh"), *DIBAO)},
        ),
    )
    kb = dataclasses.replace(
        matcher.kb, entries=tuple(extended if e.id == "dibao" else e for e in matcher.kb.entries)
    )
    better = Matcher(kb, matcher.settings)
    for text in DIBAO:
        assert better.match(text).route.value == "answer"
        assert better.match(text).entry_id == "dibao"


def fill_todos(value: Any) -> Any:
    """Replace every TODO string, as an admin would."""
    if isinstance(value, dict):
        return {k: fill_todos(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_todos(v) for v in value]
    if isinstance(value, str) and value.startswith(gaps.TODO):
        return "已填写 filled in"
    return value


def check_new_entry(snippet: str, tmp_path: Path, name: str) -> dict[str, Any]:
    """The snippet is the documented one-entry list and passes `kb check` once filled in."""
    data = yaml.safe_load(snippet)
    assert isinstance(data, list) and len(data) == 1
    entry = data[0]
    assert list(entry) == ["id", "title", "questions", "keywords", "answer"]
    assert ID_RE.match(entry["id"])
    assert isinstance(entry["questions"], dict) and all(entry["questions"].values())
    assert list(entry["answer"]) == ["summary"]
    filled = fill_todos(data)
    assert gaps.TODO not in repr(filled)
    kb_dir = write_kb(
        tmp_path / name,
        {
            "base.yaml": PASSPORT_ENTRY,
            "new.yaml": yaml.safe_dump({"entries": filled}, allow_unicode=True),
        },
    )
    result = load_knowledge(kb_dir)
    assert result.kb is not None, result.report()
    assert result.problems == [], result.report()
    assert result.kb.get(entry["id"]) is not None
    return entry  # type: ignore[no-any-return]


async def test_new_entry_snippets_pass_kb_check_once_filled(
    seeded: Store, matcher: Matcher, tmp_path: Path
) -> None:
    groups = by_first_example(group(await unanswered(seeded, since()), matcher))
    licence = check_new_entry(groups[LICENCE[0]].snippet, tmp_path, "licence")
    assert licence["id"] == "jiashizheng-daoqi-huan" and matcher.kb.get(licence["id"]) is None
    assert licence["title"] == {"zh": LICENCE[0]}
    assert licence["questions"] == {"zh": LICENCE[: gaps.MAX_EXAMPLES]}
    assert licence["keywords"] == {"zh": [gaps.TODO]}
    assert licence["answer"] == {"summary": {"zh": gaps.TODO}}
    assert "驾驶证" in groups[LICENCE[0]].snippet.splitlines()[1]  # keyword ideas
    parking = check_new_entry(groups[PARKING[0]].snippet, tmp_path, "parking")
    assert parking["questions"] == {"en": PARKING}


def test_suggested_ids_avoid_existing_ones(matcher: Matcher) -> None:
    at = dt.datetime.now(dt.UTC)
    # Logged without candidates, "dibao" has no nearest entry; its id is taken, so `-2`.
    (only,) = group([GapQuestion("dibao", "en", "none", (), at)], matcher)
    assert only.nearest is None and only.suggested_id == "dibao-2"


def test_snippets_quote_awkward_texts(matcher: Matcher, tmp_path: Path) -> None:
    at = dt.datetime.now(dt.UTC)
    texts = ["Parking: is it free?", "- parking yes", "'parking' #1 @ centre", "yes parking"]
    (only,) = group([GapQuestion(t, "en", "none", (), at) for t in texts], matcher)
    entry = check_new_entry(only.snippet, tmp_path, "awkward")
    assert entry["questions"] == {"en": texts}


async def test_no_user_key_anywhere_in_the_output(seeded: Store, matcher: Matcher) -> None:
    await add_inquiry(seeded, citizen=user(99), kb_candidate=1)
    groups = group(await unanswered(seeded, None), matcher)
    drafts = await inquiry_drafts(seeded, matcher)
    for text in (
        render(groups, drafts),
        render(groups, drafts, "en"),
        render_short(groups),
        repr(groups),
        repr(drafts),
    ):
        assert "tg:" not in text and "7770" not in text


async def test_render_shows_groups_nearest_entries_and_snippets(
    seeded: Store, matcher: Matcher
) -> None:
    groups = group(await unanswered(seeded, since()), matcher)
    text = render(groups, [])
    assert text.startswith("知识库缺口：4 组，共 14 个问题")
    assert "1. 6 个问题 · 语言 zh · 未匹配 6" in text
    assert "建议新条目 jiashizheng-daoqi-huan" in text
    assert "最接近的条目：dibao（最低生活保障申请），3/4 个问题首选" in text
    assert "     - 家里生活困难，每月能领点救济吗" in text  # the snippet, indented
    assert "请检查它的答复" in text
    english = render(groups, [], "en")
    assert "Nearest entry: dibao (Minimum living allowance (dibao) application)" in english
    assert render([], []) == "没有发现知识库缺口。\n"


async def test_render_short_for_the_gaps_command(seeded: Store, matcher: Matcher) -> None:
    groups = group(await unanswered(seeded, since()), matcher)
    lines = render_short(groups, limit=2).splitlines()
    assert lines == [
        "知识库缺口（前 2 组，共 4 组）：",
        "1. ×6 驾驶证到期怎么换 → 新条目 jiashizheng-daoqi-huan",
        "2. ×4 家里生活困难，每月能领点救济吗 → dibao",
        "完整报告和 YAML 片段：citizen-desk kb gaps",
    ]
    assert render_short([]) == "没有发现知识库缺口。"
    assert "×3 Where can I park my car? → new entry park-car-visitors" in render_short(
        groups, lang="en"
    )
    assert "4. ×1 城乡居民医保一年交多少钱 → medical-insurance-enroll (👎 请检查答复)" in (
        render_short(groups)
    )
    assert await gaps.short_report(seeded, matcher, limit=2) == "\n".join(lines)


async def add_inquiry(
    store: Store,
    *,
    citizen: str = "tg:7770900",
    kind: str = "inquiry",
    kb_candidate: int = 1,
    status: str = "closed",
    description: str = "老人去世了，丧葬补助去哪里领？要带什么？",
    outcome: str | None = "到镇民政办（3号窗口）申领，带死亡证明、户口簿和领取人身份证。",
) -> int:
    tickets = TicketStore(store)
    return await tickets.insert(
        {
            "number": await tickets.next_number(2026),
            "kind": kind,
            "category": "inquiry" if kind == "inquiry" else "other",
            "status": status,
            "citizen": citizen,
            "description": description,
            "created_at": now_iso(),
            "deadline": "2026-12-31",
            "outcome": outcome,
            "kb_candidate": kb_candidate,
            "lang": "zh",
        }
    )


async def test_inquiry_drafts_from_marked_staff_answers(
    store: Store, matcher: Matcher, tmp_path: Path
) -> None:
    await add_inquiry(store)
    await add_inquiry(store, kb_candidate=0)  # not marked
    await add_inquiry(store, kind="complaint")  # not an inquiry
    await add_inquiry(store, status="in_progress", outcome=None)  # not answered yet
    drafts = await inquiry_drafts(store, matcher)
    assert len(drafts) == 1
    (draft,) = drafts
    assert draft.number == "TS-2026-000001"
    entry = check_new_entry(draft.snippet, tmp_path, "draft")
    assert entry["questions"] == {"zh": ["老人去世了，丧葬补助去哪里领？要带什么？"]}
    assert entry["title"] == {"zh": "老人去世了，丧葬补助去哪里领"}
    assert entry["answer"]["summary"]["zh"].startswith("到镇民政办")
    assert ID_RE.match(entry["id"]) and matcher.kb.get(entry["id"]) is None
    # Without a matcher the id falls back to the ticket number.
    (plain,) = await inquiry_drafts(store)
    assert yaml.safe_load(plain.snippet)[0]["id"] == "inquiry-ts-2026-000001"
    text = render([], drafts)
    assert text.startswith("没有发现知识库缺口。\n\n工单答复草稿")
    assert "TS-2026-000001：老人去世了，丧葬补助去哪里领" in text
    assert "summary:" in text


async def test_staff_mark_an_answered_inquiry_for_the_knowledge_base(
    sample_kb: KnowledgeBase, matcher: Matcher, tmp_path: Path
) -> None:
    from bot.config import load_settings
    from bot.store import TicketStore
    from bot.tickets.model import Role, StaffMember
    from bot.tickets.service import TicketDesk, TicketError

    staff = StaffMember(7, Role.STAFF, None, "王五")
    async with Store.opened(tmp_path / "db.sqlite3") as store:
        desk = TicketDesk.from_settings(store, sample_kb, load_settings(environ={}))
        async with store.transaction():
            await TicketStore(store).add_staff(staff)
            question = await desk.file("tg:5", "inquiry", "老人去世了丧葬补助去哪里领")
            complaint = await desk.file("tg:6", "roads", "路灯坏了很久一直没人修")
            with pytest.raises(TicketError):
                await desk.mark_for_kb(staff, question.number)  # not answered yet
            await desk.resolve(staff, question.number, "到镇民政办申领，带死亡证明和户口簿。")
            await desk.mark_for_kb(staff, question.number)
            with pytest.raises(TicketError):
                await desk.mark_for_kb(staff, complaint.number)  # not an inquiry
        drafts = await inquiry_drafts(store, matcher)
    assert [d.number for d in drafts] == [question.number]
    assert "到镇民政办申领" in drafts[0].snippet
