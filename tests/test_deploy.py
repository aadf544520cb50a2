"""deploy/compose.yaml and the commands of docs/operations.md, checked without Docker.

The compose file is read with PyYAML: two bot replicas on one PostgreSQL URL, a database
health check, migrations run once before the replicas, no secret written in the file.
Every `citizen-desk` command in it and in the operations guide's code blocks is parsed by
the real argument parser, and every setting it names is one the bot reads. The guide's
backup and restore check runs with the real pg_dump/pg_restore on a throwaway server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from bot.cli import build_parser
from bot.config import ENVIRONMENT
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.store import Store
from bot.store.copying import row_counts
from tests.conftest import require_system
from tests.postgres_server import PostgresServer
from tests.test_db_copy import cli, township
from tests.test_tickets import Clock

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "deploy" / "compose.yaml"
ENV_EXAMPLE = REPO / "deploy" / "desk.env.example"
OPERATIONS = REPO / "docs" / "operations.md"
#: Settings the compose file or the guide may name that are not in bot.config.ENVIRONMENT.
OTHER_SETTINGS = {"CITIZEN_DESK_CONFIG", "CITIZEN_DESK_REQUIRE_SYSTEM"}
#: A Bot API token as @BotFather issues it.
TOKEN_RE = re.compile(r"\b\d{6,}:[A-Za-z0-9_-]{30,}")


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def services() -> dict[str, dict[str, Any]]:
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's `environment:`, in either of compose's two forms."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def command(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command") or []
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd]


def bots() -> dict[str, dict[str, Any]]:
    """The services that run the Telegram bot (`citizen-desk run`)."""
    return {n: s for n, s in services().items() if command(s)[:2] == ["citizen-desk", "run"]}


def env_files(service: dict[str, Any]) -> list[str]:
    files = service.get("env_file") or []
    return [files] if isinstance(files, str) else [str(f) for f in files]


def test_two_bot_replicas_share_one_postgresql_database() -> None:
    replicas = bots()
    assert len(replicas) == 2, sorted(replicas)
    urls = {environment(s).get("CITIZEN_DESK_DB") for s in replicas.values()}
    assert len(urls) == 1, urls
    url = urls.pop()
    assert url is not None and url.startswith("postgresql://")
    credentials, _, host = url.removeprefix("postgresql://").rpartition("@")
    assert ":" not in credentials, "the password belongs in desk.env (PGPASSWORD)"
    assert host.split(":")[0].split("/")[0] in services(), "the URL names the db service"
    migrate = services()["migrate"]
    assert environment(migrate)["CITIZEN_DESK_DB"] == url
    # The same token and settings on every replica and on the migration.
    assert {tuple(env_files(s)) for s in [*replicas.values(), migrate]} == {("desk.env",)}
    # The same knowledge on every replica, read-only.
    kb_mounts = {tuple(v for v in s["volumes"] if ":/knowledge" in v) for s in replicas.values()}
    assert len(kb_mounts) == 1 and all(v.endswith(":ro") for v in kb_mounts.pop())
    with_web = [n for n, s in replicas.items() if "--web" in command(s)]
    assert len(with_web) == 1, "one replica serves the console"
    # Behind the host's proxy the console's peer is the network's gateway: trusted, so
    # that failed logins are counted per real address, not for everyone at once.
    (ipam,) = compose()["networks"]["default"]["ipam"]["config"]
    assert environment(replicas[with_web[0]])["FORWARDED_ALLOW_IPS"] == ipam["gateway"]
    assert ipam["subnet"].startswith(ipam["gateway"].rsplit(".", 1)[0] + ".")


def test_postgres_has_a_volume_and_a_health_check() -> None:
    db = services()["db"]
    assert db["image"] == "postgres:15"
    data = [v for v in db["volumes"] if v.endswith(":/var/lib/postgresql/data")]
    assert data and data[0].split(":")[0] in compose()["volumes"], "a named volume"
    check = db["healthcheck"]["test"]
    assert check[0] in ("CMD", "CMD-SHELL") and "pg_isready" in " ".join(check[1:])
    user = environment(db)["POSTGRES_USER"]
    assert f"--username={user}" in check
    # TCP, as the bots connect: the socket answers during the image's first-start init.
    assert "--host=127.0.0.1" in check
    url = environment(services()["migrate"])["CITIZEN_DESK_DB"]
    assert url.endswith(f"/{environment(db)['POSTGRES_DB']}")
    assert url.removeprefix("postgresql://").startswith(f"{user}@")


def test_migrations_run_once_before_the_replicas() -> None:
    migrate = services()["migrate"]
    assert command(migrate) == ["citizen-desk", "db", "migrate"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert str(migrate.get("restart", "no")) == "no"
    for name, bot in bots().items():
        assert bot["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}, (
            name
        )
        assert bot["restart"] == "unless-stopped", name


def test_the_image_has_the_postgresql_client() -> None:
    """The image is built with the `postgres` extra, which the Dockerfile installs."""
    for name in ("migrate", *bots()):
        build = services()[name]["build"]
        assert "postgres" in build["args"]["EXTRAS"], name
        assert (COMPOSE.parent / build["context"] / "Dockerfile").is_file()
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^ARG EXTRAS=", dockerfile, re.M)
    assert re.search(r"^RUN pip install \"/app/\$\{EXTRAS\}\"", dockerfile, re.M)


def test_no_secret_is_written_in_the_compose_file() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    assert not TOKEN_RE.search(text)
    for name, service in services().items():
        env = environment(service)
        for key in ("TELEGRAM_BOT_TOKEN", "POSTGRES_PASSWORD", "PGPASSWORD"):
            assert key not in env, f"{name}: {key} belongs in desk.env"
        assert all("password" not in k.lower() or k.endswith("_FILE") for k in env), name
    # The example env file names the secrets but holds no value for them.
    example = dict(
        line.partition("=")[::2]
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    assert {"TELEGRAM_BOT_TOKEN", "POSTGRES_PASSWORD", "PGPASSWORD"} <= set(example)
    assert example["TELEGRAM_BOT_TOKEN"] == example["PGPASSWORD"] == ""
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert "deploy/desk.env" in ignored


def test_every_setting_named_is_one_the_bot_reads() -> None:
    named = set(re.findall(r"\b(?:CITIZEN_DESK|TELEGRAM)_[A-Z_]+", ENV_EXAMPLE.read_text()))
    for service in services().values():
        named |= {k for k in environment(service) if k.startswith(("CITIZEN_DESK", "TELEGRAM"))}
    for block in code_blocks():
        named |= set(re.findall(r"\b(?:CITIZEN_DESK|TELEGRAM)_[A-Z_]+", block))
    unknown = named - set(ENVIRONMENT) - OTHER_SETTINGS
    assert not unknown, sorted(unknown)


# -- the commands of the compose file and of docs/operations.md ----------------------------


def code_blocks() -> list[str]:
    """The fenced code blocks of docs/operations.md."""
    text = OPERATIONS.read_text(encoding="utf-8")
    return re.findall(r"^ *```[a-z]*\n(.*?)^ *```", text, re.S | re.M)


def invocations(block: str) -> list[list[str]]:
    """Every `citizen-desk …` command line of a shell block, as its arguments."""
    text = re.sub(r"\\\n\s*", " ", block)
    text = re.sub(r"\$\([^)]*\)", "X", text)  # $(date +%F) is one word of the path
    found = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0]
        for part in re.split(r"\s(?:&&|\|\|?|;)\s", line):
            words = shlex.split(part, comments=True)
            words = words[: next((i for i, w in enumerate(words) if w[0] in "<>"), len(words))]
            # Not the image's or a container's name (`docker run --name citizen-desk …`).
            starts = [
                i
                for i, w in enumerate(words)
                if w.rsplit("/", 1)[-1] == "citizen-desk" and not (i and words[i - 1][0] == "-")
            ]
            if starts:
                found.append(words[starts[0] + 1 :])
    return found


def parse(parser: argparse.ArgumentParser, args: list[str]) -> str | None:
    """None if the real parser takes `args`, else its complaint."""
    try:
        parser.parse_args(args)
    except SystemExit as exc:
        return None if exc.code == 0 else f"exit {exc.code}"
    return None


def unknown_subcommand(parser: argparse.ArgumentParser, words: list[str]) -> str | None:
    """The first of `words` that is not a subcommand where the parser wants one."""
    for word in words:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            return None  # a leaf: the rest are its arguments
        if word not in subs[0].choices:
            return word
        parser = subs[0].choices[word]
    return None


def test_compose_commands_exist(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    for name, service in services().items():
        cmd = command(service)
        if cmd and cmd[0] == "citizen-desk":
            assert parse(parser, cmd[1:]) is None, (name, cmd, capsys.readouterr().err)


def test_the_guides_commands_exist(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    commands = [c for block in code_blocks() for c in invocations(block)]
    named = {" ".join(c[:2]) for c in commands} | {c[0] for c in commands if c}
    # What this guide must keep showing: the bot, upgrades, backups, moving from SQLite.
    assert {"run", "db migrate", "db copy", "db backup", "staff add"} <= named, named
    for args in commands:
        assert parse(parser, args) is None, (args, capsys.readouterr().err)
    # Commands named in the text: the subcommands exist (their arguments may be elided).
    prose = re.findall(r"`citizen-desk ([a-z][a-z -]*?)(?: -|`| [A-Z<])", OPERATIONS.read_text())
    assert len(prose) > 10
    for words in prose:
        assert unknown_subcommand(parser, words.split()) is None, words
    assert unknown_subcommand(parser, ["tickets", "rescan"]) == "rescan"


def test_invocations_are_found_where_they_hide() -> None:
    """The extraction itself: continuation lines, `docker compose run`, pipes, $(…)."""
    block = (
        "docker compose run --rm migrate citizen-desk db copy \\\n"
        "    --from sqlite:///x.sqlite3 --to postgresql://desk@db/desk   # once\n"
        "citizen-desk db backup /b/desk-$(date +%F).sqlite3 && echo ok\n"
        "echo 1 | /opt/bin/citizen-desk ask > out.txt\n"
        "docker run -d --name citizen-desk -e X=1 citizen-desk\n"
    )
    assert invocations(block) == [
        ["db", "copy", "--from", "sqlite:///x.sqlite3", "--to", "postgresql://desk@db/desk"],
        ["db", "backup", "/b/desk-X.sqlite3"],
        ["ask"],
        [],
    ]
    assert parse(build_parser(), ["db", "kopy"]) is not None


# -- the guide's backup and restore check, on a real server ---------------------------------


def backup_script() -> str:
    """The guide's PostgreSQL backup section as one shell script, its tools run here: the
    `DUMP=` line and the `docker compose exec -T db` lines without that prefix (the
    one-off `docker compose run`, `stop`, `start` and the final `dropdb` are left out)."""
    text = OPERATIONS.read_text(encoding="utf-8")
    section = text.split("### Backups on PostgreSQL", 1)[1].split("\n## ", 1)[0]
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = line.split(" #", 1)[0].strip()
            if line.startswith("DUMP="):
                lines.append(line)
            elif line.startswith("docker compose exec -T db "):
                line = line.removeprefix("docker compose exec -T db ")
                if not line.startswith("dropdb"):
                    lines.append(line)
    return "\n".join(lines)


def test_the_backup_script_has_every_step() -> None:
    tools = [line.split(" ", 1)[0] for line in backup_script().splitlines()]
    assert tools == ["DUMP=/backup/desk-$(date", "pg_dump", "createdb", "pg_restore", "psql",
                     "pg_restore"]  # fmt: skip


def fresh_database(server: PostgresServer, name: str) -> str:
    """The database `name`, new and empty, owned by the role `desk` (the guide's names)."""
    with psycopg.connect(server.url(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'desk'").fetchone():
            conn.execute("CREATE ROLE desk LOGIN SUPERUSER")
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if name == "desk":
            conn.execute("CREATE DATABASE desk OWNER desk")
    return f"postgresql://desk@/{name}?host={server.socket}"


def version(url: str) -> str:
    result = cli("db", "migrate", "--db", url)
    assert result.returncode == 0, result.stderr
    return result.stdout.rsplit("schema version", 1)[1].strip()


async def test_the_documented_backup_restores_every_row(
    tmp_path: Path,
    postgres_server: PostgresServer,
    sample_kb: KnowledgeBase,
    matcher: Matcher,
) -> None:
    require_system("PostgreSQL client tools (pg_dump)", shutil.which("pg_dump") is not None)
    old = tmp_path / "old.sqlite3"
    await township(old, sample_kb, matcher, Clock(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)))
    live = fresh_database(postgres_server, "desk")
    check = fresh_database(postgres_server, "desk_check")  # dropped; the guide creates it
    try:
        copied = cli("db", "copy", "--from", f"sqlite:///{old}", "--to", live)
        assert copied.returncode == 0 and "row counts match" in copied.stdout, copied.stderr
        async with Store.opened(live) as store:
            before = await row_counts(store)
        assert before["tickets"] == 3 and before["ticket_events"] > 3

        script = backup_script().replace("/backup/", f"{tmp_path}/")
        result = subprocess.run(
            ["sh", "-e", "-c", script],
            capture_output=True,
            text=True,
            timeout=300,
            env={"PATH": "/usr/bin:/bin", "PGHOST": str(postgres_server.socket), "TZ": "UTC"},
        )
        assert result.returncode == 0, result.stderr
        assert re.search(r"^\s*3\s*$", result.stdout, re.M), result.stdout  # psql's count
        assert list(tmp_path.glob("desk-*.dump"))
        assert version(check) == version(live)
        async with Store.opened(check) as store:
            assert await row_counts(store) == before
        async with Store.opened(live) as store:
            assert await row_counts(store) == before  # restored in place, over itself
    finally:
        fresh_database(postgres_server, "desk_check")
        with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS desk WITH (FORCE)")
