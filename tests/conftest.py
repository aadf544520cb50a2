"""Shared fixtures: the sample knowledge base, its matcher, and the Bot API emulator."""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.knowledge.loader import load_knowledge, sample_kb_path
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher
from tests.emulator.fixtures import emulator, emulator_bot  # noqa: F401
from tests.postgres_server import PostgresServer, server_bin_dir

REPO = Path(__file__).resolve().parent.parent
EVAL_DIR = REPO / "tests" / "eval"
#: Set by `.ci/run`: a test that needs a system package fails instead of skipping.
REQUIRE_SYSTEM = os.environ.get("CITIZEN_DESK_REQUIRE_SYSTEM") == "1"
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")


def require_system(what: str, present: bool) -> None:
    """Skip with a one-line reason when a system package is missing (fail in CI)."""
    if present:
        return
    reason = f"{what} is not installed (apt-get install it; .ci/run does)"
    if REQUIRE_SYSTEM:
        pytest.fail(f"CITIZEN_DESK_REQUIRE_SYSTEM=1 but {reason}")
    pytest.skip(reason)


def need_chromium() -> None:
    """Skip a browser test without Debian's chromium (a failure under CI)."""
    require_system("chromium", CHROMIUM.exists())


def need_playwright() -> None:
    """Skip a browser test without the playwright package (a failure under CI)."""
    require_system("the playwright package", importlib.util.find_spec("playwright") is not None)


@pytest.fixture(scope="session")
def sample_kb() -> KnowledgeBase:
    """The shipped sample knowledge base, loaded once."""
    result = load_knowledge(sample_kb_path())
    assert result.kb is not None, result.report()
    return result.kb


@pytest.fixture(scope="session")
def matcher(sample_kb: KnowledgeBase) -> Matcher:
    """A matcher over the sample knowledge base, built once."""
    return Matcher(sample_kb)


#: A one-entry KB file (a passport entry, outside the sample KB's topics).
PASSPORT_ENTRY = """
entries:
  - id: passport-apply
    title: 普通护照申领
    questions: [怎么办护照, 护照在哪里办]
    keywords: [护照]
    answer:
      summary: 携带身份证到县公安局出入境窗口申请。
      time_limit: 7个工作日
"""


def write_kb(directory: Path, files: dict[str, str]) -> Path:
    """Write YAML files (name → text) into `directory` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL server for the session (skips without the server binaries)."""
    bin_dir = server_bin_dir()
    require_system("PostgreSQL (initdb, pg_ctl)", bin_dir is not None)
    assert bin_dir is not None
    server = PostgresServer(bin_dir)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty PostgreSQL database of the session's server."""
    return postgres_server.database()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's database is: an SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "db.sqlite3"
    return str(request.getfixturevalue("postgres_url"))
