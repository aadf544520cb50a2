"""The command line as a user runs it: real processes, real files, stdin and stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import EVAL_DIR, write_kb


def run(
    *args: str, stdin: bytes | str = b"", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_DESK_")}
    env["CITIZEN_DESK_DB"] = str(Path(tempfile.mkdtemp()) / "db.sqlite3")
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=data,
        capture_output=True,
        timeout=120,
        cwd=cwd,
        env=env,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


def test_ask_json_one_object_per_question_in_order() -> None:
    questions = ["低保怎么申请", "今天天气怎么样", "我要投诉", "TS-2026-000001 怎么样了", "你好"]
    result = run("ask", "--json", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in records] == questions
    assert [r["route"] for r in records] == ["answer", "none", "complaint", "status", "greeting"]
    first = records[0]
    assert first["id"] == "dibao" and isinstance(first["score"], float)
    assert first["candidates"][0] == {"id": "dibao", "score": first["candidates"][0]["score"]}
    assert all(r["id"] is None for r in records[1:])
    assert all(len(r["candidates"]) <= 5 for r in records)


def test_ask_arguments_and_readable_output() -> None:
    result = run("ask", "低保怎么申请")
    assert result.returncode == 0
    assert "【最低生活保障申请】" in result.stdout


def test_ask_handles_a_batch_in_one_process() -> None:
    cases = (EVAL_DIR / "cases.yaml").read_text(encoding="utf-8")
    questions = [
        line.split("q: ", 1)[1].split(", ")[0] for line in cases.splitlines() if "{q: " in line
    ]
    batch = (questions * 3)[:500]
    result = run("ask", "--json", stdin="\n".join(batch) + "\n")
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 500


def test_piped_chat_answers_and_exits_zero() -> None:
    result = run("chat", stdin="低保怎么申请\n")
    assert result.returncode == 0, result.stderr
    assert "最低生活保障" in result.stdout and "所需材料" in result.stdout


def test_piped_chat_choice_by_number_and_quit() -> None:
    result = run("chat", stdin="身份证户口\n1\n/quit\n低保怎么申请\n")
    assert result.returncode == 0
    assert "您是想问" in result.stdout
    assert "再见" in result.stdout
    assert "最低生活保障" not in result.stdout  # nothing after /quit


def test_chat_in_english() -> None:
    result = run("chat", "--lang", "en", stdin="低保怎么申请\n")
    assert "Documents needed" in result.stdout


def test_invalid_utf8_on_stdin_is_reported_not_fatal() -> None:
    result = run("chat", stdin=b"\xff\xfe\xfd\n\xe4\xbd\n" + "低保怎么申请\n".encode())
    assert result.returncode == 0
    assert "not valid UTF-8" in result.stderr
    assert "最低生活保障" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "no *.yaml"),
        ({"a.yaml": "- just\n- a list\n"}, "must be a mapping"),
        ({"a.yaml": "entries: []\n"}, "no entries"),
        ({"a.yaml": "entries: [\n"}, "YAML syntax error"),
    ],
)
def test_unusable_kb_gives_a_clear_error(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    kb = write_kb(tmp_path / "kb", files)
    for command in (["chat"], ["ask", "低保"]):
        result = run(*command, "--kb", str(kb), "--lang", "en")
        assert result.returncode == 4
        assert message in result.stderr
        assert "Traceback" not in result.stderr


def test_missing_kb_directory(tmp_path: Path) -> None:
    result = run("ask", "--kb", str(tmp_path / "nope"), "低保")
    assert result.returncode == 4
    assert "不存在" in result.stderr  # the admins' language unless told
    result = run("ask", "--kb", str(tmp_path / "nope"), "--lang", "en", "低保")
    assert "does not exist" in result.stderr


def test_kb_eval_prints_the_five_figures() -> None:
    result = run("kb", "eval", str(EVAL_DIR / "cases.yaml"), "--json")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)["figures"]
    for key in (
        "answer_accuracy",
        "helpful_rate",
        "wrong_answer_rate",
        "out_of_scope_rejection",
        "routing_accuracy",
    ):
        assert 0.0 <= figures[key] <= 1.0


def test_kb_eval_with_unknown_ids(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text("cases:\n  - {q: 低保, expect: no-such-id}\n", encoding="utf-8")
    result = run("kb", "eval", str(cases))
    assert result.returncode == 4
    assert "no-such-id" in result.stderr


def test_sample_kb_found_from_any_directory(tmp_path: Path) -> None:
    result = run("ask", "--json", "低保", cwd=tmp_path)
    assert json.loads(result.stdout)["id"] == "dibao"


def test_no_command_prints_help() -> None:
    result = run()
    assert result.returncode == 2
    assert "chat" in result.stderr


def test_database_problems_are_clear_errors(tmp_path: Path) -> None:
    env_db = tmp_path / "missing.sqlite3"
    for args in (["tickets", "list", "--db", str(env_db)], ["chat", "--db", str(tmp_path)]):
        result = run(*args)
        assert result.returncode == 2, result
        assert "Traceback" not in result.stderr
    assert not env_db.exists()  # nothing created at a mistyped path
