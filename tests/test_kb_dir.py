"""One rule for the knowledge directory (issue 10.10), through the real command line.

--kb > CITIZEN_DESK_KB > ./knowledge (when it is a directory) > the installed sample; every
KB command says which directory it uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.knowledge.loader import sample_kb_path
from tests.conftest import EVAL_DIR, REPO, write_kb

GOOD = """\
entries:
  - id: dog-licence
    title: 养犬登记
    questions: [狗怎么办证, 养狗登记]
    answer: {summary: 到派出所办理养犬登记。}
"""
#: An unclosed quote: a file `kb check` must not call good.
BROKEN = 'entries:\n  - id: x\n    title: "养犬\n    questions: [q]\n'


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = "", timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_DESK_")}
    base["PYTHONPATH"] = str(REPO)
    base["PYTHONUTF8"] = "1"
    base["CITIZEN_DESK_DB"] = str(cwd / "db.sqlite3")
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env={**base, **(env or {})},
        timeout=timeout,
        check=False,
    )


def test_kb_check_uses_the_knowledge_directory_of_the_working_directory(tmp_path: Path) -> None:
    write_kb(tmp_path / "knowledge", {"dogs.yaml": BROKEN})
    run = cli("kb", "check", cwd=tmp_path)
    assert run.returncode == 1, run.stdout
    assert "dogs.yaml" in run.stdout
    assert str(tmp_path / "knowledge") in run.stdout.splitlines()[0]
    assert "当前目录下的 knowledge/" in run.stdout.splitlines()[0]


def test_the_environment_comes_before_the_working_directory(tmp_path: Path) -> None:
    write_kb(tmp_path / "knowledge", {"dogs.yaml": BROKEN})
    mine = write_kb(tmp_path / "mine", {"dogs.yaml": GOOD})
    run = cli("kb", "check", "--lang", "en", cwd=tmp_path, env={"CITIZEN_DESK_KB": str(mine)})
    assert run.returncode == 0, run.stdout
    first = run.stdout.splitlines()[0]
    assert (
        first
        == f"knowledge base: {mine} (from CITIZEN_DESK_KB or kb_dir in the configuration file)"
    )
    assert "1 file, 1 entry" in run.stdout


def test_the_option_comes_before_the_environment(tmp_path: Path) -> None:
    broken = write_kb(tmp_path / "broken", {"dogs.yaml": BROKEN})
    mine = write_kb(tmp_path / "mine", {"dogs.yaml": GOOD})
    run = cli("kb", "check", "--kb", str(mine), cwd=tmp_path, env={"CITIZEN_DESK_KB": str(broken)})
    assert run.returncode == 0, run.stdout
    assert "来自 --kb" in run.stdout.splitlines()[0]


def test_without_any_the_installed_sample_is_checked_and_named(tmp_path: Path) -> None:
    run = cli("kb", "check", "--lang", "en", cwd=tmp_path)
    assert run.returncode == 0, run.stdout
    first = run.stdout.splitlines()[0]
    assert str(sample_kb_path()) in first and "the sample installed" in first
    assert "--kb or CITIZEN_DESK_KB" in first


def test_chat_and_ask_follow_the_same_rule(tmp_path: Path) -> None:
    write_kb(tmp_path / "knowledge", {"dogs.yaml": GOOD})
    chat = cli("chat", cwd=tmp_path, stdin="狗怎么办证\n")
    assert chat.returncode == 0, chat.stderr
    assert "养犬登记" in chat.stdout
    assert f"知识库目录：{tmp_path / 'knowledge'}" in chat.stderr
    mine = write_kb(tmp_path / "env", {"dogs.yaml": BROKEN})
    for command in (["chat"], ["ask", "狗怎么办证"]):
        run = cli(*command, cwd=tmp_path, env={"CITIZEN_DESK_KB": str(mine)})
        assert run.returncode == 4, run.stderr
        assert "dogs.yaml" in run.stderr and str(mine) in run.stderr


def test_every_kb_command_names_its_directory(tmp_path: Path) -> None:
    kb = write_kb(tmp_path / "knowledge", {"dogs.yaml": GOOD})
    cases = tmp_path / "cases.yaml"
    cases.write_text("cases:\n  - {q: 狗怎么办证, expect: dog-licence}\n", encoding="utf-8")
    for command in (
        ["kb", "eval", str(cases)],
        ["kb", "doctor"],
        ["kb", "gaps"],
        ["ask", "养狗登记"],
        ["report", "--year", "2026"],
    ):
        if command[:2] in (["kb", "gaps"], ["report", "--year"]):
            cli("db", "migrate", cwd=tmp_path)
        run = cli(*command, cwd=tmp_path)
        assert run.returncode == 0, (command, run.stderr)
        assert f"知识库目录：{kb}" in run.stderr, (command, run.stderr)
    assert (EVAL_DIR / "cases.yaml").exists()


def test_run_loads_the_same_directory_before_it_connects(tmp_path: Path) -> None:
    write_kb(tmp_path / "knowledge", {"dogs.yaml": BROKEN})
    env = {
        "TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35,
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
    }
    try:
        run = cli("run", cwd=tmp_path, env=env, timeout=30)
    except subprocess.TimeoutExpired as exc:  # the old code ignored ./knowledge and went on
        raise AssertionError("run did not check ./knowledge before connecting") from exc
    assert run.returncode == 4, run.stderr
    assert "dogs.yaml" in run.stderr
    assert str(tmp_path / "knowledge") in run.stderr


def test_tickets_use_the_rule_too(tmp_path: Path) -> None:
    write_kb(tmp_path / "knowledge", {"dogs.yaml": BROKEN})
    cli("db", "migrate", cwd=tmp_path)
    run = cli("tickets", "list", cwd=tmp_path)
    assert run.returncode == 4, run.stderr
    assert "dogs.yaml" in run.stderr


def _first_lines_until(
    args: list[str], cwd: Path, env: dict[str, str], marker: str, timeout: float = 60
) -> str:
    """Start a server command, read its log (stderr) until `marker` shows, then stop it."""
    import selectors
    import time

    base = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_DESK_")}
    base.update(PYTHONPATH=str(REPO), PYTHONUTF8="1", CITIZEN_DESK_DB=str(cwd / "db.sqlite3"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env={**base, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert proc.stderr is not None
    seen = ""
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stderr, selectors.EVENT_READ)
            deadline = time.monotonic() + timeout
            while marker not in seen and time.monotonic() < deadline:
                if sel.select(timeout=0.5):
                    line = proc.stderr.readline()
                    if not line:
                        break
                    seen += line
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return seen


def test_run_names_the_directory_it_uses_on_a_good_start(tmp_path: Path) -> None:
    write_kb(tmp_path / "knowledge", {"dogs.yaml": GOOD})
    env = {
        "TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35,
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",  # nothing listens: it retries
    }
    log = _first_lines_until(["run"], tmp_path, env, "knowledge base:")
    line = next(x for x in log.splitlines() if "knowledge base:" in x)
    assert str(tmp_path / "knowledge") in line and "working directory" in line, log


def test_web_names_the_directory_it_uses(tmp_path: Path) -> None:
    import socket

    mine = write_kb(tmp_path / "mine", {"dogs.yaml": GOOD})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = ["web", "--listen", f"127.0.0.1:{port}", "--kb", str(mine)]
    log = _first_lines_until(args, tmp_path, {}, "knowledge base:")
    line = next(x for x in log.splitlines() if "knowledge base:" in x)
    assert str(mine) in line and "--kb" in line, log
