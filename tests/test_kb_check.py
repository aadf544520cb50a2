"""`kb check` on broken files (issue 10.11), as an admin runs it: real files, real process.

The line of an unclosed quote is where it starts; one typo is one error (a file dropped
for its syntax does not add an error for each `related:` into it); a duplicate id is
reported once; plurals are right; the report is in zh by default and in en on request,
every message of it from the catalogue, with its file and line.
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


#: Entry-level mistakes, each on a line of its own (the line numbers are in the test).
SOCIAL = (
    "# 社会救助\n"
    "entries:\n"
    "  - id: Bad_Id\n"  # 3
    "    title: 标题\n"
    "    questions: [问题]\n"
    "    answer: 到窗口办理。\n"
    "  - id: dibao\n"  # 7
    "    title: 低保\n"
    "    questions: 5\n"  # 9
    "    answer: 到窗口办理。\n"
    "  - id: wubao\n"  # 11
    "    title: 五保\n"
    "    questions: [五保怎么办]\n"
    "    answer: 到窗口办理。\n"
    "    colour: red\n"  # 15
    "    related: [no-such]\n"
    "    updated: yesterday\n"  # 17
)


def test_entry_problems_are_in_chinese_by_default_and_in_english_on_request(
    tmp_path: Path,
) -> None:
    kb = write_kb(tmp_path / "kb", {"social.yaml": SOCIAL, "e.yaml": "# 空\n"})
    lines = kb_check(kb).stdout.splitlines()
    assert lines[1:] == [
        "e.yaml: 警告：文件是空的，没有可加载的内容",
        "social.yaml:3: [Bad_Id] 错误：id 'Bad_Id' 不合规：只能用小写字母 a-z、数字 0-9 和 -",
        "social.yaml:9: [dibao] 错误：`questions` 必须是列表或从语言到列表的映射，而不是 int 5",
        "social.yaml:15: [wubao] 警告：未知字段 `colour`，已忽略",
        "social.yaml:17: [wubao] 错误：`updated` 必须是 2026-11-20 这样的日期，而不是 'yesterday'",
        "social.yaml:11: [wubao] 错误：related 中的条目 id `no-such` 不存在",
        "2 个文件，1 个条目：4 个错误，2 个警告",
    ]
    english = kb_check(kb, "--lang", "en").stdout.splitlines()
    assert english[1:] == [
        "e.yaml: warning: the file is empty: nothing to load",
        "social.yaml:3: [Bad_Id] error: bad id 'Bad_Id': use lowercase a-z, 0-9 and -",
        "social.yaml:9: [dibao] error: `questions` must be a list or a mapping from language "
        "to list, not int 5",
        "social.yaml:15: [wubao] warning: unknown field `colour` ignored",
        "social.yaml:17: [wubao] error: `updated` must be a date like 2026-11-20, not 'yesterday'",
        "social.yaml:11: [wubao] error: related id `no-such` not found",
        "2 files, 1 entry: 4 errors, 2 warnings",
    ]


#: One file for most of what the parser refuses or warns about, outside entries too.
EVERYTHING = """\
language: 1
colour: x
centre: {colour: x}
categories: 5
routes: {nowhere: [a]}
departments: [5, {id: Bad_Id}, {id: d, name: [x]}]
complaint_categories:
  - 5
  - {id: Bad_Id}
  - {id: a, deadline_days: 0}
  - {id: b, deadline_days: 1}
  - {id: c, deadline_days: 1, department: d, fields: [nope]}
  - {id: e, deadline_days: 1, department: d}
triage: [5, {id: t}]
entries:
  - 5
  - {title: t, questions: [q], answer: a}
  - {id: x, title: t, questions: [], answer: a, category: Bad_Id}
  - {id: y, title: t, questions: [[q]], answer: {colour: a}, related: {a: b}}
  - {id: z, title: t, questions: [q2], keywords: {zh: {a: b}}, answer: a, review_by: 2020-01-01}
  - {id: w, title: t, questions: [q2], answer: a, category: nope}
"""


def test_every_problem_of_kb_check_comes_from_the_catalogue(tmp_path: Path) -> None:
    kb = write_kb(
        tmp_path / "kb",
        {
            "all.yaml": EVERYTHING,
            "list.yaml": "- a\n",
            "more.yaml": "centre: 5\nroutes: 5\ndepartments: 5\ncomplaint_categories: 5\n"
            "triage: 5\nentries: 5\n",
            "phones.yaml": "centre: {name: 中心, phones: [5]}\nentries:\n  - {id: x, title: 5}\n",
        },
    )
    (kb / "gone.yaml").symlink_to("nowhere.yaml")
    problems = load_knowledge(kb, cache=False).problems
    keys = {p.key for p in problems}
    assert None not in keys, [p.message for p in problems if p.key is None]
    assert len(keys) >= 30
    for problem in problems:
        zh = problem.render("zh")
        assert zh.startswith(f"{problem.file}:") and zh != problem.render("en"), zh
        assert any("\u4e00" <= c <= "\u9fff" for c in problem.text("zh")), zh
