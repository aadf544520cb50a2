"""The Dockerfile's own commands, run without Docker (no engine on the build machines).

The test reads the Dockerfile, lays out its COPY steps under a temporary root, runs its RUN
install steps there (paths like /app and /knowledge mapped under the root, `pip` into a
fresh virtual environment; creating the unprivileged user is left to Docker), then starts
its CMD with its ENV against the Bot API emulator, checks its HEALTHCHECK, and stops it.
"""

# The emulator fixture is used as a test argument of the same name.

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.emulator import BotApiEmulator

REPO = Path(__file__).resolve().parent.parent
ROOT_PATHS = ("/app", "/knowledge", "/data")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n\s*", " ", text)
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def mapped(text: str, root: Path) -> str:
    for path in ROOT_PATHS:
        text = re.sub(rf"(?<![\w/]){re.escape(path)}(?=[/\s\"']|$)", str(root) + path, text)
    return text


def exec_form(args: str) -> list[str]:
    """The command of a CMD/HEALTHCHECK line in exec (JSON) form."""
    command = json.loads(args[args.index("[") :])
    assert isinstance(command, list)
    return [str(c) for c in command]


def test_every_package_is_installed() -> None:
    """pyproject lists packages explicitly (for the sample KB mapping): none may be missed."""
    import tomllib

    listed = set(
        tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    on_disk = {
        ".".join(p.relative_to(REPO).parts[:-1]) for p in (REPO / "bot").rglob("__init__.py")
    }
    assert on_disk <= listed, sorted(on_disk - listed)


def test_dockerfile_is_plain_and_safe() -> None:
    steps = instructions()
    kinds = [k for k, _ in steps]
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert "USER" in kinds and dict(steps)["USER"] != "root"
    assert kinds.index("USER") < kinds.index("CMD")
    assert "HEALTHCHECK" in kinds and "VOLUME" in kinds
    assert exec_form(dict(steps)["CMD"]) == ["citizen-desk", "run"]


async def test_dockerfile_commands_install_and_start_without_docker(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITIZEN_DESK_", "TELEGRAM_"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env.pop("PYTHONPATH", None)
    workdir = root
    for kind, args in instructions():
        if kind == "ENV":
            for key, value in re.findall(r"(\w+)=(\S+)", args):
                env[key] = mapped(value, root)
        elif kind == "WORKDIR":
            workdir = Path(mapped(args, root))
            workdir.mkdir(parents=True, exist_ok=True)
        elif kind == "COPY":
            *sources, dest = shlex.split(args)
            target = workdir / dest if not dest.startswith("/") else Path(mapped(dest, root))
            for source in sources:
                src = REPO / source
                out = target / src.name if dest.endswith("/") or len(sources) > 1 else target
                if src.is_dir():
                    shutil.copytree(src, out, dirs_exist_ok=True)
                else:
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(src, out)
        elif kind == "RUN" and "useradd" not in args:
            result = subprocess.run(
                mapped(args, root), shell=True, cwd=workdir, env=env, capture_output=True, text=True
            )
            assert result.returncode == 0, result.stderr[-2000:]
    (root / "data").mkdir(parents=True, exist_ok=True)
    desk = str(venv / "bin" / "citizen-desk")
    assert (root / "knowledge" / "centre.yaml").exists()
    assert env["CITIZEN_DESK_KB"] == str(root / "knowledge")

    steps = dict(instructions())
    command = exec_form(steps["CMD"])
    env["TELEGRAM_BOT_TOKEN"] = emulator.token
    env["TELEGRAM_API_BASE_URL"] = emulator.base_url
    env["CITIZEN_DESK_POLL_TIMEOUT"] = "1"
    log = tmp_path / "bot.log"
    proc = subprocess.Popen([desk, *command[1:]], env=env, cwd=workdir, stderr=log.open("wb"))
    try:
        emulator.add_message(1, "低保怎么申请")
        try:
            answer = (await emulator.wait_for_sent(1, 1, timeout=90))[-1]
        except TimeoutError:
            raise AssertionError(log.read_text(encoding="utf-8")[-3000:]) from None
        assert answer.text is not None and "最低生活保障" in answer.text
        health = exec_form(steps["HEALTHCHECK"])
        checked = await asyncio.to_thread(
            subprocess.run, [desk, *health[1:]], env=env, capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert json.loads(checked.stdout)["healthy"] is True
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (root / "data" / "citizen-desk.sqlite3").exists()
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines and all(json.loads(line)["message"] for line in lines)  # JSON logs
    assert emulator.token not in log.read_text(encoding="utf-8")
