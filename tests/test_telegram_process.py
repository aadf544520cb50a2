"""`citizen-desk run` as a process: start-up errors, SIGTERM, and the crash test."""

# The emulator fixture is used as a test argument of the same name.

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.emulator import BotApiEmulator
from tests.telegram_harness import processes

QUESTIONS = ["低保怎么申请", "社保卡丢了咋补办", "新农合一年交多少钱", "户口迁移要带啥", "你好"]


def bot_env(emulator: BotApiEmulator | None, db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CITIZEN_DESK_"))}
    if emulator is not None:
        env["TELEGRAM_BOT_TOKEN"] = emulator.token
        env["TELEGRAM_API_BASE_URL"] = emulator.base_url
    env.update(
        CITIZEN_DESK_DB=str(db),
        CITIZEN_DESK_POLL_TIMEOUT="1",
        CITIZEN_DESK_RATE_LIMIT="0",
        CITIZEN_DESK_CHAT_INTERVAL="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def workers_of(pid: int) -> list[int]:
    """The send workers (`python -m bot.channels.telegram_worker FD PID`) of process `pid`."""
    return [
        p
        for p, args in processes().items()
        if "bot.channels.telegram_worker" in args and args[-1:] == [str(pid)]
    ]


def spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


@contextmanager
def stopped_at_end(proc: subprocess.Popen[bytes]) -> Iterator[None]:
    try:
        yield
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_no_token_suggests_the_terminal_chat(tmp_path: Path) -> None:
    env = bot_env(None, tmp_path / "db.sqlite3")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "citizen-desk chat" in result.stderr


async def test_rejected_token_exits_3(emulator: BotApiEmulator, tmp_path: Path) -> None:
    env = bot_env(emulator, tmp_path / "db.sqlite3", TELEGRAM_BOT_TOKEN="999:not-the-right-token")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 3
    assert b"rejected the token" in err
    assert b"not-the-right-token" not in err


def test_unreachable_api_is_retried_and_sigterm_exits_0(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = bot_env(None, tmp_path / "db.sqlite3")
    env["TELEGRAM_BOT_TOKEN"] = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    env["TELEGRAM_API_BASE_URL"] = f"http://127.0.0.1:{port}/bot"
    log = tmp_path / "bot.log"
    proc = spawn(env, log)
    with stopped_at_end(proc):
        deadline = time.monotonic() + 30
        while "retrying" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    text = log.read_text()
    assert "Bot API unreachable" in text and "retrying" in text
    assert "ABCDEFGHIJKLMNOPQRSTUVWXYZ" not in text  # the token never reaches the log


async def test_sigterm_finishes_and_exits_0(emulator: BotApiEmulator, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    proc = spawn(bot_env(emulator, db), tmp_path / "bot.log")
    with stopped_at_end(proc):
        emulator.add_message(1, "低保怎么申请")
        await emulator.wait_for_sent(1, 1, timeout=60)
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 20)
    assert code == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state FROM updates").fetchall() == [("done",)]
    assert emulator.token not in (tmp_path / "bot.log").read_text()


async def test_crash_loses_no_update_and_processes_none_twice(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    """SIGKILL at random moments while questions stream in; restart each time.

    Every confirmed update is answered; each is processed exactly once (one logged
    question per update); a reply is sent twice only when the kill hit while that very
    reply was in flight to the Bot API (it cannot be known whether it arrived, so it is
    sent again rather than lost — see docs/architecture.md).
    """
    rng = random.Random(20261127)
    db = tmp_path / "db.sqlite3"
    env = bot_env(emulator, db)
    log = tmp_path / "bot.log"
    chats = [20_000 + n for n in range(120)]
    kills: list[float] = []
    proc = spawn(env, log)

    async def feed() -> None:
        for n, chat in enumerate(chats):
            emulator.add_message(chat, QUESTIONS[n % len(QUESTIONS)])
            await asyncio.sleep(rng.uniform(0.02, 0.06))

    feeder = asyncio.create_task(feed())
    try:
        for _ in range(5):
            # Kill a running bot: wait until this process polls, then a random moment.
            polls = len(emulator.calls_to("getUpdates"))
            await emulator.wait_for_call("getUpdates", polls + 1, timeout=60)
            await asyncio.sleep(rng.uniform(0.05, 0.5))
            kills.append(time.monotonic())
            proc.kill()
            await asyncio.to_thread(proc.wait)
            # Its send worker dies with it: an orphan could send a reply after the kill.
            await emulator.wait_for(lambda pid=proc.pid: not workers_of(pid) or None, timeout=5)
            proc = spawn(env, log)
        await feeder
        await emulator.wait_for(lambda: all(emulator.sent(c) for c in chats) or None, timeout=90)
        polls = len(emulator.calls_to("getUpdates"))
        await emulator.wait_for_call("getUpdates", polls + 1, timeout=60)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert emulator.confirmed_update_id >= len(chats)
    with sqlite3.connect(db) as conn:
        states = conn.execute("SELECT state, COUNT(*) FROM updates GROUP BY state").fetchall()
        logged = conn.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
    assert states == [("done", len(chats))]
    assert logged == len(chats)  # every message is logged once, greetings included
    in_flight: dict[int, list[tuple[float, float]]] = {}
    for record in emulator.call_log:
        if record.method == "sendMessage":
            if "chat_id" not in record.params:
                continue  # the request died with the process before it was read
            chat = int(record.params["chat_id"])
            end = (record.finished or record.started) + 0.5
            in_flight.setdefault(chat, []).append((record.started, end))
    for chat in chats:
        count = len(emulator.sent(chat))
        assert count >= 1, f"chat {chat} never answered"
        if count > 1:
            windows = in_flight.get(chat, [])
            assert any(a <= k <= b for k in kills for a, b in windows), (
                f"chat {chat} answered {count} times without a kill during its send"
            )
    duplicates = sum(len(emulator.sent(c)) - 1 for c in chats)
    print(f"crash test: {len(kills)} kills, {len(chats)} updates, {duplicates} resent replies")
