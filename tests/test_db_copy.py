"""`citizen-desk db migrate` and `db copy`: a township's SQLite data moved into PostgreSQL."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.store import Store, TicketStore
from bot.store.copying import row_counts
from bot.workdays import WorkCalendar
from tests.processes import cli as run_cli
from tests.test_tickets import CITIZEN, OTHER, STAFF, SUPERVISOR, Clock, Env


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(None, *args)


async def township(path: Path, kb: KnowledgeBase, matcher: Matcher, clock: Clock) -> None:
    """A small desk's SQLite file: staff, chats, tickets, one merged into a LATER ticket."""
    calendar = WorkCalendar()
    env = Env(path, kb, matcher, calendar, clock)
    await env.open()
    async with env.store.transaction():
        for member in (STAFF, SUPERVISOR):
            await TicketStore(env.store).add_staff(member)
    await env.go(CITIZEN, "低保怎么申请")
    await env.go(OTHER, "how do I apply for subsistence allowance")
    first = await env.file(CITIZEN)
    await env.file(OTHER, description="路灯坏了一个月，晚上很黑")
    later = await env.file(OTHER, description="村口的垃圾还是没有人清理，越堆越多")
    await env.do("merge", STAFF, first.number, later.number)
    await env.scan()
    await env.store.save_updates([(1, "{}"), (2, "{}")])
    await env.store.close()


async def test_copy_moves_every_row_and_refuses_a_second_time(
    tmp_path: Path,
    postgres_url: str,
    sample_kb: KnowledgeBase,
    matcher: Matcher,
) -> None:
    old = tmp_path / "old.sqlite3"
    await township(old, sample_kb, matcher, Clock(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)))
    async with Store.opened(old) as store:
        before = await row_counts(store)
    assert before["tickets"] == 3 and before["ticket_events"] > 3 and before["questions"] >= 2

    done = cli("db", "copy", "--from", f"sqlite://{old}", "--to", postgres_url)
    assert done.returncode == 0, done.stderr
    printed = {
        line.split()[0]: int(line.split()[1])
        for line in done.stdout.splitlines()
        if line.endswith("  ok")
    }
    assert printed == before
    assert "row counts match" in done.stdout

    async with Store.opened(postgres_url) as store:
        assert await row_counts(store) == before
        tickets = TicketStore(store)
        merged = await store.conn.execute_fetchall(
            "SELECT a.number, b.number FROM tickets a JOIN tickets b ON b.id = a.merged_into"
        )
        assert len(merged) == 1 and merged[0][0] < merged[0][1]  # a forward reference
        # The identity goes on after the copied ids: a new row does not collide.
        copied = await store.conn.execute_fetchall("SELECT MAX(id) FROM outbox")
        assert copied[0][0] > 1
        next_id = await store.enqueue(1, "send", {"text": "x"}, owner="tg:1")
        assert next_id == copied[0][0] + 1
        assert await tickets.next_number(2026) == "TS-2026-000004"

    again = cli("db", "copy", "--from", f"sqlite://{old}", "--to", postgres_url)
    assert again.returncode != 0
    assert "not empty" in again.stderr and "tickets (3)" in again.stderr
    assert "Traceback" not in again.stderr


def test_migrate_takes_a_postgresql_url(postgres_url: str) -> None:
    done = cli("db", "migrate", "--db", postgres_url)
    assert done.returncode == 0, done.stderr
    assert "schema version" in done.stdout and "postgresql://" in done.stdout
