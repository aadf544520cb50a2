"""The staff command line explains itself: help, listing, numbers, statuses, actors (10.12)."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from tests.processes import cli

PHONE = "13812345678"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with one complaint, filed through the terminal chat, with a phone number."""
    path = tmp_path_factory.mktemp("desk") / "db.sqlite3"
    filed = cli(
        path,
        "chat",
        stdin=f"我要反映问题\n4\n村口垃圾堆了两个星期没人清运，臭气熏天\n村口\n/skip\n/skip\n{PHONE}\n1\n",
    )
    assert "TS-" in filed.stdout, filed.stdout + filed.stderr
    return path


def test_every_tickets_subcommand_and_argument_is_described(db: Path) -> None:
    overview = cli(db, "tickets", "--help").stdout
    commands = ("list", "show", "claim", "reveal", "kb", "reply", "resolve", "reject", "note")
    for name in (*commands, "transfer", "assign", "merge", "extend", "scan"):
        line = next(x for x in overview.splitlines() if x.strip().startswith(name + " "))
        assert len(line.split()) > 1, f"{name} has no description"
    assign = cli(db, "tickets", "assign", "--help").stdout
    transfer = cli(db, "tickets", "transfer", "--help").stdout
    assert "department id" in assign and "first dispatch" in assign
    assert "another department" in transfer
    assert "working days" in cli(db, "tickets", "extend", "--help").stdout
    assert "000001 or 1" in cli(db, "tickets", "claim", "--help").stdout
    assert "default: the desk" in overview


def test_list_has_a_header_and_aligned_columns(db: Path) -> None:
    lines = cli(db, "tickets", "list").stdout.splitlines()
    assert lines[0].split()[:3] == ["NUMBER", "STATUS", "DUE"]
    assert lines[1].startswith("TS-") and "\t" not in lines[1]
    assert lines[0].index("STATUS") == lines[1].index("received")


def test_an_unknown_status_is_refused_with_the_choices(db: Path) -> None:
    run = cli(db, "tickets", "list", "--status", "bogus")
    assert run.returncode != 0 and "unknown status bogus" in run.stderr
    assert "in_progress" in run.stderr and run.stdout == ""
    assert cli(db, "tickets", "list", "--status", "received").stdout.count("TS-") == 1


@pytest.mark.parametrize("typed", ["1", "000001", "TS-{year}-1"])
def test_a_short_ticket_number_means_this_years(db: Path, typed: str) -> None:
    full = cli(db, "tickets", "list").stdout.splitlines()[1].split()[0]
    year = full.split("-")[1]
    shown = cli(db, "tickets", "show", typed.format(year=year))
    assert shown.returncode == 0 and full in shown.stdout, shown.stderr


@pytest.mark.parametrize("typed", ["0", "abc", "1234567"])
def test_a_number_that_is_not_one_is_refused_clearly(db: Path, typed: str) -> None:
    run = cli(db, "tickets", "show", typed)
    assert run.returncode != 0 and f"{typed} is not a ticket number" in run.stderr


def test_staff_list_takes_db_after_the_subcommand(tmp_path: Path) -> None:
    db = tmp_path / "staff.sqlite3"
    assert cli(db, "staff", "add", "7", "--name", "王五", "--db", str(db)).returncode == 0
    listed = cli(tmp_path / "other.sqlite3", "staff", "list", "--db", str(db))
    assert listed.returncode == 0 and listed.stdout.startswith("7\tstaff"), listed.stderr


@pytest.mark.parametrize(
    "args",
    [[PHONE], ["+86 138-1234-5678"], ["7", "--name", PHONE], ["-5"], ["²"], ["0"], ["9" * 20]],
)
def test_staff_add_refuses_what_is_not_a_telegram_id(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "staff.sqlite3"
    run = cli(db, "staff", "add", *args)
    assert run.returncode != 0
    assert "phone number" in run.stderr or "not a Telegram user id" in run.stderr
    assert "Traceback" not in run.stderr
    assert cli(db, "staff", "list").stdout == ""


def test_the_desk_reveals_only_when_asked_and_the_audit_names_who(db: Path) -> None:
    refused = cli(db, "tickets", "reveal", "1")
    assert refused.returncode != 0 and PHONE not in refused.stdout
    revealed = cli(db, "tickets", "reveal", "1", "--supervisor")
    assert revealed.returncode == 0 and PHONE in revealed.stdout
    audit = next(x for x in revealed.stdout.splitlines() if "查看" in x)
    assert f"(desk:{getpass.getuser()})" in audit


def test_staff_add_role_is_described(tmp_path: Path) -> None:
    shown = cli(tmp_path / "x.sqlite3", "staff", "add", "--help").stdout
    assert "supervisor may also extend" in shown and "default: staff" in shown


def test_the_desk_cannot_extend_unless_told_it_is_a_supervisor(db: Path) -> None:
    refused = cli(db, "tickets", "extend", "1", "5", "理由")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    allowed = cli(db, "tickets", "extend", "1", "5", "理由", "--supervisor")
    assert allowed.returncode == 0, allowed.stderr
