"""`citizen-desk staff add/passwd` for console logins and `citizen-desk web`, as real processes."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.processes import cli

PASSWORD = "a long enough secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_staff_add_reads_the_password_from_stdin_and_never_prints_it(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    added = cli(db, "staff", "add", "admin1", "--role", "admin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "admin1" in added.stdout and PASSWORD not in added.stdout + added.stderr
    with sqlite3.connect(db) as conn:
        role, hashed = conn.execute(
            "SELECT role, password_hash FROM web_accounts WHERE login = 'admin1'"
        ).fetchone()
    assert role == "admin" and hashed.startswith("$argon2id$") and PASSWORD not in hashed
    changed = cli(db, "staff", "passwd", "admin1", stdin="another long secret\n")
    assert changed.returncode == 0, changed.stderr
    with sqlite3.connect(db) as conn:
        (rehashed,) = conn.execute(
            "SELECT password_hash FROM web_accounts WHERE login = 'admin1'"
        ).fetchone()
    assert rehashed != hashed


def test_a_short_password_or_unknown_login_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    short = cli(db, "staff", "add", "clerk", stdin="short\n")
    assert short.returncode != 0 and "at least" in short.stderr
    unknown = cli(db, "staff", "passwd", "nobody", stdin=PASSWORD + "\n")
    assert unknown.returncode != 0 and "nobody" in unknown.stderr


def test_telegram_staff_still_take_a_numeric_id(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    added = cli(db, "staff", "add", "777", "--role", "supervisor")
    assert added.returncode == 0 and "added 777" in added.stdout
    refused = cli(db, "staff", "add", "778", "--role", "admin")
    assert refused.returncode != 0


def test_web_serves_the_console_on_loopback_and_stops_on_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_DESK_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "web", "--listen", f"127.0.0.1:{port}", "--db", str(db)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body, frames = "", None
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                    body, frames = r.read().decode(), r.headers.get("X-Frame-Options")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        assert "工作人员登录" in body
        assert frames == "DENY"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/htmx.min.js") as r:
            assert b"htmx" in r.read(200)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
