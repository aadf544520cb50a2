"""`kb check` on broken files (issue 10.11), as an admin runs it: real files, real process.

The line of an unclosed quote is where it starts; one typo is one error (a file dropped
for its syntax does not add an error for each `related:` into it); a duplicate id is
reported once; plurals are right; the report is in zh by default and in en on request.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.knowledge.loader import load_knowledge
from tests.conftest import REPO, write_kb


def entry(entry_id: str, title: str = "标题", extra: str = "") -> str:
    return (
        f"  - id: {entry_id}\n    title: {title}\n    questions: [{entry_id}怎么办]\n"
        f"    answer: 到窗口办理。\n{extra}"
    )


#: An unclosed quote on line 3, then 19 more lines of entries.
UNCLOSED = (
    "entries:\n"
    "  - id: dog-licence\n"
    '    title: "养犬登记\n'
    "    questions: [狗怎么办证]\n"
    "    answer: 到派出所办理。\n" + "".join(entry(f"pet-{i}") for i in range(4))
)
POINTING = (
    "entries:\n"
    + entry("dibao", "低保", "    related: [dog-licence, pet-1, pet-2]\n")
    + entry("wubao", "五保", "    related: [dog-licence]\n")
)


def kb_check(kb: Path, *more: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_DESK_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "kb", "check", "--kb", str(kb), *more],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**env, "PYTHONUTF8": "1", "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )


def test_an_unclosed_quote_is_reported_where_it_starts(tmp_path: Path) -> None:
    kb = write_kb(tmp_path / "kb", {"dogs.yaml": UNCLOSED})
    assert UNCLOSED.count("\n") == 21
    run = kb_check(kb, "--lang", "en")
    assert run.returncode == 1
    [line] = [x for x in run.stdout.splitlines() if x.startswith("dogs.yaml")]
    assert line.startswith("dogs.yaml:3: error: YAML syntax error: the quoted text that starts")
    assert "(column 12)" in line


def test_a_parser_error_keeps_the_line_of_the_problem(tmp_path: Path) -> None:
    text = "entries:\n  - id: a\n    title: x\n   questions: [q]\n"
    kb = write_kb(tmp_path / "kb", {"a.yaml": text})
    [problem] = load_knowledge(kb, cache=False).problems
    assert problem.line == 4
    assert "starts at line 2" in problem.message


def test_one_typo_is_one_error(tmp_path: Path) -> None:
    kb = write_kb(tmp_path / "kb", {"dogs.yaml": UNCLOSED, "social.yaml": POINTING})
    run = kb_check(kb, "--lang", "en")
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert [x for x in lines if "error" in x and "dogs.yaml" in x] == lines[1:2]
    assert "related id" not in run.stdout
    assert lines[-1] == "2 files, 2 entries: 1 error, 0 warnings"


def test_a_related_id_that_is_nowhere_is_still_an_error(tmp_path: Path) -> None:
    pointing = "entries:\n" + entry("dibao", "低保", "    related: [no-such-entry]\n")
    kb = write_kb(tmp_path / "kb", {"dogs.yaml": UNCLOSED, "social.yaml": pointing})
    run = kb_check(kb, "--lang", "en")
    assert "social.yaml:2: [dibao] error: related id `no-such-entry` not found" in run.stdout
    assert run.stdout.splitlines()[-1] == "2 files, 1 entry: 2 errors, 0 warnings"


def test_a_duplicate_id_is_reported_once(tmp_path: Path) -> None:
    kb = write_kb(
        tmp_path / "kb",
        {"a.yaml": "entries:\n" + entry("dibao"), "b.yaml": "# b\nentries:\n" + entry("dibao")},
    )
    run = kb_check(kb, "--lang", "en")
    problems = run.stdout.splitlines()[1:-1]
    assert problems == ["b.yaml:3: [dibao] error: duplicate id `dibao` (first at a.yaml:2)"]
    assert run.stdout.splitlines()[-1] == "2 files, 2 entries: 1 error, 0 warnings"


def test_one_warning_is_one_warning(tmp_path: Path) -> None:
    kb = write_kb(tmp_path / "kb", {"a.yaml": "entries:\n" + entry("dibao"), "e.yaml": ""})
    run = kb_check(kb, "--lang", "en")
    assert run.returncode == 0
    assert run.stdout.splitlines()[-1] == "2 files, 1 entry: 0 errors, 1 warning"


def test_the_report_is_in_chinese_by_default(tmp_path: Path) -> None:
    kb = write_kb(
        tmp_path / "kb",
        {"dogs.yaml": UNCLOSED, "a.yaml": "entries:\n" + entry("x") + entry("x"), "e.yaml": ""},
    )
    run = kb_check(kb)
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert lines[0].startswith("知识库目录：")
    assert "a.yaml:6: [x] 错误：条目 id `x` 重复（第一次出现在 a.yaml:2）" in lines
    assert any(
        x.startswith("dogs.yaml:3: 错误：YAML 语法错误：从这里开始的引号没有闭合") for x in lines
    )
    assert "e.yaml: 警告：" in run.stdout
    assert lines[-1] == "3 个文件，2 个条目：2 个错误，1 个警告"
    english = kb_check(kb, "--lang", "en").stdout
    assert "错误" not in english and "1 warning" in english
