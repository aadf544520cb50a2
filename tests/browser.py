"""What the browser tests share: `citizen-desk web` as a subprocess, the CLI beside it,
and how to launch Debian's chromium (Playwright cannot download its own)."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import CHROMIUM, need_chromium, need_playwright
from tests.processes import clean_env
from tests.processes import cli as run_cli

#: The screenshots under docs/ (refreshed with CITIZEN_DESK_SCREENSHOTS=docs).
SHOTS_ENV = "CITIZEN_DESK_SCREENSHOTS"


def launch_options() -> dict[str, Any]:
    """`chromium.launch(**launch_options())`; skips (fails in CI) without chromium/playwright."""
    need_chromium()
    need_playwright()
    return {"executable_path": str(CHROMIUM), "args": ["--no-sandbox"]}


def shots_dir(fallback: Path) -> Path:
    """Where screenshots go: CITIZEN_DESK_SCREENSHOTS when set, else `fallback`."""
    named = os.environ.get(SHOTS_ENV)
    return Path(named) if named else fallback


def cli(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`citizen-desk ARGS` on the database `db` (another process, as at the desk)."""
    return run_cli(db, *args, stdin=stdin, cwd=db.parent)


def free_port() -> int:
    """A loopback port nothing listens on (for a server started next)."""
    return _free_port()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def web_server(db: Path, cwd: Path, settings: Mapping[str, str] | None = None) -> Iterator[str]:
    """`citizen-desk web` (console and chat) on `db` and a free loopback port, with the
    CITIZEN_DESK_* `settings` given; its URL."""
    port = _free_port()
    command = [sys.executable, "-m", "bot.cli", "web", "--listen", f"127.0.0.1:{port}"]
    command += ["--db", str(db)]
    env = {**clean_env(), **(settings or {})}
    proc = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                errors = proc.stderr.read() if proc.stderr else b""
                raise AssertionError(f"citizen-desk web exited: {errors!r}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            raise AssertionError("citizen-desk web did not start listening in 30 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stderr:
            proc.stderr.close()


def query(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Rows of a read-only query on the SQLite file (what the server wrote)."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return list(conn.execute(sql, params))
