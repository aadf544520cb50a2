"""Citizens' words in the gap lists: none in the public report, masked in `kb gaps`.

A citizen who introduces themselves (我叫王大锤…) and leaves a phone number must not be
published by the 政务公开 report, and the admins' `kb gaps` must show the question with
the name and number masked and never build an entry id or a keyword idea from them.
Typed menu numbers (`7`) are not questions and count nowhere in the report.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.gaps import group, render, render_short, unanswered
from bot.knowledge.model import KnowledgeBase
from bot.masking import mask, unmasked_part
from bot.matching.matcher import Matcher
from bot.report import compute, render_csv, render_html, render_markdown
from bot.store import Store
from bot.workdays import WorkCalendar

#: What a citizen typed (issue 10.13): a name, then the question, then a phone number.
INTRODUCED = "我叫王大锤，我家低保咋还没批下来 电话13912345678"
#: The same person on a topic the sample KB lacks: `kb gaps` proposes a new entry.
DRONE = "我叫王大锤，想问无人机怎么备案 电话13912345678"
ENGLISH = "My name is John Smith, where can I fly a drone? Call 139-1234-5678"
ADDRESS = "本人李小龙住青石村3组，身份证11010119900307123X，宠物狗办证在哪里"
#: Personal parts that must never show, in any output, in any form.
SECRETS = ("王大锤", "13912345678", "1391234", "John", "Smith", "李小龙", "青石村3组", "123X")
#: The pinyin of the names, as a suggested id or keyword would spell them.
NAME_PARTS = ("wang", "dachui", "da-chui", "john", "smith", "li-xiao", "lixiaolong", "benren")
#: Typed menu numbers and bare punctuation: not questions.
NOT_QUESTIONS = ("7", "０", "②", "12", " ? ")
WHEN = "2026-06-01T03:00:00+00:00"


async def log(store: Store, matcher: Matcher, text: str, lang: str = "zh", **force: str) -> int:
    """Log a question as the dialogue does (the matcher's decision), or with `force`d fields."""
    m = matcher.match(text)
    route = force.get("route", m.route.value)
    candidates = [(c.entry_id, c.score) for c in m.candidates]
    qid = await store.log_question(f"tg:{len(text)}", text, lang, route, None, m.score, candidates)
    await store.conn.execute("UPDATE questions SET created_at = ? WHERE id = ?", (WHEN, qid))
    return qid


async def seed(store: Store, matcher: Matcher) -> None:
    # Logged as an unpicked "did you mean" (dibao first): an unanswered question.
    await log(store, matcher, INTRODUCED, route="clarify")
    await log(store, matcher, DRONE)
    await log(store, matcher, ENGLISH, "en")
    await log(store, matcher, ADDRESS)
    for text in NOT_QUESTIONS:
        await log(store, matcher, text, route="none")


def test_masking_patterns() -> None:
    assert mask(INTRODUCED) == "我叫[已隐去]，我家低保咋还没批下来 电话[已隐去]"
    assert mask(ADDRESS) == "本人[已隐去]住[已隐去]，身份证[已隐去]，宠物狗办证在哪里"
    assert mask(ENGLISH, "en") == "My name is [masked], where can I fly a drone? Call [masked]"
    assert (
        mask("姓名：李四 联系人：赵六，a.b@example.com")
        == "姓名：[已隐去] 联系人：[已隐去]，[已隐去]"
    )
    assert mask("王先生问：住3栋2单元501室，人民路12号") == "[已隐去]先生问：住[已隐去]，[已隐去]"
    assert mask("I'm Wang Lei, I am Anna", "en") == "I'm [masked], I am [masked]"
    # No cue, or an ordinary word after 我是 / I'm: nothing is masked.
    for text in ("我是低保户，想问下", "本人想问护照", "I'm looking for parking", "2026年补贴"):
        assert mask(text, "en") == text
    assert unmasked_part(mask(INTRODUCED)) == "我家低保咋还没批下来"


async def test_kb_gaps_masks_names_and_numbers_and_never_makes_them_ids(
    tmp_path: Path, matcher: Matcher
) -> None:
    db = tmp_path / "gaps.sqlite3"
    async with Store.opened(db) as store:
        await seed(store, matcher)
        groups = group(await unanswered(store), matcher)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_DESK_")}
    shown = subprocess.run(
        [sys.executable, "-m", "bot.cli", "kb", "gaps", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert shown.returncode == 0, shown.stderr
    assert "- 我叫[已隐去]，想问无人机怎么备案 电话[已隐去]" in shown.stdout
    assert "- 本人[已隐去]住[已隐去]，身份证[已隐去]，宠物狗办证在哪里" in shown.stdout
    assert "My name is [masked], where can I fly a drone? Call [masked]" in shown.stdout
    for text in (shown.stdout, render(groups, [], "en"), render_short(groups), repr(groups)):
        assert not [s for s in SECRETS if s in text]
    ids = [g.suggested_id or "" for g in groups]
    ideas = [line for g in groups for line in g.snippet.splitlines() if "keyword ideas" in line]
    titles = [line for g in groups for line in g.snippet.splitlines() if "  zh:" in line]
    assert "wurenji-beian" in ids and "fly-drone" in ids and "chongwugou-banzheng" in ids
    assert ideas and not [p for p in NAME_PARTS for text in ids + ideas if p in text.lower()]
    for text in ids + ideas + titles:  # nor the mask itself, nor its cue words
        assert not [w for w in ("隐去", "masked", "yinqu", "我叫", "本人") if w in text]
    # The phrasings to paste into the KB leave the masked clauses out.
    pasted = [yaml.safe_load(g.snippet) for g in groups]
    entries = [p[0] if isinstance(p, list) else p for p in pasted]
    questions = [q for e in entries for qs in e["questions"].values() for q in qs]
    assert "想问无人机怎么备案" in questions and "where can I fly a drone" in questions
    assert "我家低保咋还没批下来" in questions  # for dibao, the nearest entry
    assert not [q for q in questions if "隐去" in q or "masked" in q]
    # Two questions by the same person are not one topic because of the name.
    assert all(g.size == 1 for g in groups)


async def test_public_report_shows_no_citizen_text(
    db_target: Path | str, matcher: Matcher, sample_kb: KnowledgeBase
) -> None:
    async with Store.opened(db_target) as store:
        await seed(store, matcher)
        figures = await compute(store, sample_kb, WorkCalendar(), 2026)
        month = await compute(store, sample_kb, WorkCalendar(), 2026, 6)
    pages = [render_csv(figures)] + [
        render(figures, lang) for render in (render_markdown, render_html) for lang in ("zh", "en")
    ]
    for page in pages:
        assert not [s for s in SECRETS if s in page]
        for text in (INTRODUCED, DRONE, ENGLISH, ADDRESS):  # not even a masked form
            assert unmasked_part(mask(text)) not in page
    # Counted per nearest guide: dibao (ranked first at ≥ the clarify threshold), the rest
    # under "no guide close enough". The menu numbers count nowhere.
    gaps = {c.key: c.count for c in figures.questions.gaps}
    assert gaps == {"dibao": 1, "": 3}
    assert figures.questions.total == 4 and month.questions.total == 4
    assert figures.questions.unanswered + figures.questions.clarified == 4
    assert sum(m.questions for m in figures.months) == 4
    zh = render_markdown(figures, "zh")
    assert "| 最低生活保障申请 | 1 |" in zh and "| 无相近事项（知识库暂未涵盖） | 3 |" in zh
    rows = list(csv.reader(io.StringIO(render_csv(figures))))
    assert ["gaps", "dibao", "1"] in rows and ["gaps", "", "3"] in rows


@pytest.mark.parametrize("text", NOT_QUESTIONS)
async def test_a_typed_menu_number_is_not_a_question(
    tmp_path: Path, matcher: Matcher, sample_kb: KnowledgeBase, text: str
) -> None:
    async with Store.opened(tmp_path / "digits.sqlite3") as store:
        await log(store, matcher, text, route="none")
        figures = await compute(store, sample_kb, WorkCalendar(), 2026)
    assert figures.questions.total == 0 and figures.questions.gaps == ()
    assert [m.questions for m in figures.months] == [0] * 12
