"""Files in a KB directory that cannot be read, or hold nothing, are reported by name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.dialogue import Dialogue
from bot.knowledge.loader import load_knowledge
from bot.knowledge.problems import Level, Problem
from bot.matching.matcher import Matcher
from bot.reload import KnowledgeReloader
from tests.conftest import write_kb

GOOD = """entries:
  - id: passport-apply
    title: 普通护照申领
    questions: [怎么办护照]
    answer: {summary: 到县公安局出入境窗口申请。}
"""


def good_kb(tmp_path: Path) -> Path:
    return write_kb(tmp_path / "kb", {"passport.yaml": GOOD})


def problems_of(kb_dir: Path) -> list[tuple[Level, str, str]]:
    result = load_knowledge(kb_dir, cache=False)
    return [(p.level, p.file, p.message) for p in result.problems]


def only(problems: list[tuple[Level, str, str]], file: str) -> tuple[Level, str]:
    found = [(level, message) for level, name, message in problems if name == file]
    assert len(found) == 1, problems
    return found[0]


def test_a_dangling_symlink_is_an_error_with_its_name(tmp_path: Path) -> None:
    kb_dir = good_kb(tmp_path)
    (kb_dir / "moved.yaml").symlink_to(kb_dir / "gone.yaml")
    level, message = only(problems_of(kb_dir), "moved.yaml")
    assert level is Level.ERROR
    assert "cannot read" in message and "gone.yaml" in message
    assert load_knowledge(kb_dir, cache=False).kb is None


def test_a_symlink_loop_is_an_error_for_each_link(tmp_path: Path) -> None:
    kb_dir = good_kb(tmp_path)
    (kb_dir / "a.yaml").symlink_to("b.yaml")
    (kb_dir / "b.yaml").symlink_to("a.yaml")
    problems = problems_of(kb_dir)
    for name in ("a.yaml", "b.yaml"):
        level, message = only(problems, name)
        assert level is Level.ERROR and "symbolic link loop" in message


def test_a_directory_link_back_up_is_an_error_and_not_followed(tmp_path: Path) -> None:
    kb_dir = good_kb(tmp_path)
    (kb_dir / "sub").mkdir()
    (kb_dir / "sub" / "up").symlink_to("..")
    result = load_knowledge(kb_dir, cache=False)
    assert result.files == 1  # passport.yaml once, not again through the link
    level, message = only(problems_of(kb_dir), str(Path("sub/up")))
    assert level is Level.ERROR and "symbolic link loop" in message


def test_a_linked_directory_is_read(tmp_path: Path) -> None:
    kb_dir = write_kb(tmp_path / "kb", {"centre.yaml": "centre: {name: 青石镇为民服务中心}\n"})
    elsewhere = write_kb(tmp_path / "shared", {"passport.yaml": GOOD})
    (kb_dir / "shared").symlink_to(elsewhere)
    result = load_knowledge(kb_dir, cache=False)
    assert result.kb is not None, result.report()
    assert result.kb.get("passport-apply") is not None


def test_a_linked_file_is_read(tmp_path: Path) -> None:
    kb_dir = write_kb(tmp_path / "kb", {"centre.yaml": "centre: {name: 青石镇为民服务中心}\n"})
    target = write_kb(tmp_path / "elsewhere", {"p.yaml": GOOD}) / "p.yaml"
    (kb_dir / "passport.yaml").symlink_to(target)
    result = load_knowledge(kb_dir, cache=False)
    assert result.problems == [] and result.kb is not None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file without read permission")
def test_a_file_without_read_permission_is_an_error(tmp_path: Path) -> None:
    kb_dir = good_kb(tmp_path)
    secret = kb_dir / "secret.yaml"
    secret.write_text(GOOD.replace("passport-apply", "other"), encoding="utf-8")
    secret.chmod(0)
    try:
        level, message = only(problems_of(kb_dir), "secret.yaml")
    finally:
        secret.chmod(0o644)
    assert level is Level.ERROR and "cannot read" in message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_an_empty_file_is_a_warning_and_the_kb_loads(tmp_path: Path, text: str) -> None:
    kb_dir = good_kb(tmp_path)
    (kb_dir / "empty.yaml").write_text(text, encoding="utf-8")
    result = load_knowledge(kb_dir, cache=False)
    assert result.kb is not None
    assert result.problems == [
        Problem(Level.WARNING, "empty.yaml", None, None, "the file is empty: nothing to load")
    ]


def test_kb_check_names_each_file(tmp_path: Path) -> None:
    kb_dir = good_kb(tmp_path)
    (kb_dir / "moved.yaml").symlink_to("gone.yaml")
    (kb_dir / "a.yaml").symlink_to("b.yaml")
    (kb_dir / "b.yaml").symlink_to("a.yaml")
    (kb_dir / "empty.yaml").write_text("", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "kb", "check", "--lang", "en", "--kb", str(kb_dir)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONUTF8": "1"},
        timeout=120,
        check=False,
    )
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    for name in ("moved.yaml", "a.yaml", "b.yaml"):
        assert any(line.startswith(f"{name}: error:") for line in lines), run.stdout
    assert any(line.startswith("empty.yaml: warning:") for line in lines), run.stdout
    assert "3 errors" in run.stdout


async def _notice(text: str) -> None:
    """The report is checked from `reload()`'s return value."""


async def test_reload_reports_them_and_keeps_the_old_kb(tmp_path: Path) -> None:
    kb_dir = good_kb(tmp_path)
    before = load_knowledge(kb_dir).kb
    assert before is not None
    dialogue = Dialogue(Matcher(before))
    reloader = KnowledgeReloader(kb_dir, dialogue, _notice)

    (kb_dir / "empty.yaml").write_text("", encoding="utf-8")
    report = await reloader.reload()
    # The admins read it in zh (the bot's staff language), file names kept.
    assert report.startswith("知识库已重新加载：1 个条目\n")
    assert report.endswith("警告：\nempty.yaml: 警告：文件是空的，没有可加载的内容")

    (kb_dir / "moved.yaml").symlink_to("gone.yaml")
    report = await reloader.reload()
    assert report.startswith("知识库重新加载失败，仍在使用原来的知识库。\n")
    assert "moved.yaml: 错误：无法读取：符号链接指向不存在的 gone.yaml" in report
    assert dialogue.kb.get("passport-apply") is not None  # the previous KB still serves
