"""`citizen-desk` as another process, the way staff run it beside the bot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def clean_env() -> dict[str, str]:
    """This checkout, and none of the caller's CITIZEN_DESK_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_DESK_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return env


def cli(
    db: Path | None, *args: str, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`citizen-desk ARGS` on the database `db` (None: the settings' default)."""
    env = clean_env()
    if db is not None:
        env["CITIZEN_DESK_DB"] = str(db)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )
