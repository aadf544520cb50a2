"""What admins read comes in zh (the default) and en: /review, and a KB that cannot load."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from bot.admin import AdminCommands
from bot.dialogue import Dialogue
from bot.errors import KnowledgeError
from bot.knowledge.loader import load_knowledge, load_or_raise
from bot.matching.matcher import Matcher
from bot.reload import KnowledgeReloader
from tests.conftest import REPO, write_kb

KB = """\
entries:
  - id: dog-licence
    title: 养犬登记
    questions: [狗怎么办证]
    answer: {summary: 到派出所办理养犬登记。}
    review_by: 2026-06-30
  - id: cat
    title: 养猫
    questions: [养猫要登记吗]
    answer: {summary: 不需要。}
"""


async def _notice(text: str) -> None:
    """Not sent anywhere here."""


async def _no(user: str) -> bool:
    return False


def commands(tmp_path: Path, lang: str) -> AdminCommands:
    kb_dir = write_kb(tmp_path / "kb", {"kb.yaml": KB})
    kb = load_knowledge(kb_dir).kb
    assert kb is not None
    reloader = KnowledgeReloader(kb_dir, Dialogue(Matcher(kb)), _notice, lang=lang)
    return AdminCommands(frozenset({"tg:1"}), reloader, _no)


def test_review_is_in_chinese_by_default_and_in_english_when_asked(tmp_path: Path) -> None:
    zh = commands(tmp_path / "zh", "zh").review_text(dt.date(2026, 7, 1))
    assert zh.splitlines()[0] == "知识复核：1 个条目已超过复核日期（review_by），请核对后更新："
    assert zh.splitlines()[1].startswith("• dog-licence（复核日期 2026-06-30）")
    assert "cat" not in zh
    en = commands(tmp_path / "en", "en").review_text(dt.date(2026, 7, 1))
    assert en.splitlines()[0].startswith("Knowledge review: 1 entry past")
    assert (
        commands(tmp_path / "q", "zh").review_text(dt.date(2026, 1, 1)).startswith("知识复核：没有")
    )


def test_a_kb_that_cannot_load_says_so_in_the_readers_language(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError) as missing:
        load_or_raise(tmp_path / "nowhere")
    assert missing.value.text("zh") == f"知识库目录 {tmp_path / 'nowhere'} 不存在"
    assert str(missing.value) == f"knowledge directory {tmp_path / 'nowhere'} does not exist"
    broken = write_kb(tmp_path / "broken", {"kb.yaml": 'entries:\n  - id: x\n    title: "a\n'})
    with pytest.raises(KnowledgeError) as errors:
        load_or_raise(broken)
    assert errors.value.text("zh").startswith(f"{broken} 中的知识库有错误：\n")
    assert "错误" in errors.value.text("zh").splitlines()[1]
    assert str(errors.value).startswith(f"the knowledge base in {broken} has errors:")


def test_the_command_line_reports_a_missing_kb_in_chinese_unless_told(tmp_path: Path) -> None:
    def ask(*lang: str) -> str:
        run = subprocess.run(
            [sys.executable, "-m", "bot.cli", "ask", "--kb", str(tmp_path / "no"), *lang, "低保"],
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=tmp_path,
            env={"PYTHONPATH": str(REPO), "PYTHONUTF8": "1", "PATH": "/usr/bin:/bin"},
            timeout=60,
            check=False,
        )
        assert run.returncode == 4 and "Traceback" not in run.stderr
        return run.stderr

    assert "知识库目录" in ask() and "不存在" in ask()
    assert "does not exist" in ask("--lang", "en")
