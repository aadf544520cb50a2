"""Console queue benchmark: server time of each queue page of the web console at 100,000 tickets.

Run from the repository root:

    python benchmarks/console_queue.py [--engine sqlite|postgresql] [--volume 100000] [--runs 20]

A fresh database is filled with V tickets by `benchmarks/tickets.py`'s bulk loader
(`executemany`, one transaction: ~85 % closed, ~1 % answered, ~14 % open, one `file` event
each). SQLite: a new file (`Store.open`: WAL, synchronous=NORMAL), checkpointed after the
load. PostgreSQL: a database (C.UTF-8 locale, as docs/operations.md says) of a throwaway
server started for the run and removed after it (`benchmarks/common.py`'s
`start_postgres`: tests/postgres_server.py's initdb + pg_ctl, its own Unix socket, default
durability; never a shared server), given the `VACUUM ANALYZE` its autovacuum would run
after such a load. A console account is linked to the busiest
assignee, and a session is opened for it. Then every queue page (and the rows the live
queue polls) is requested through the real Starlette app over httpx's ASGI transport, R
times each after one warm-up request. Server time is taken inside the ASGI call, from the
request's arrival to the last byte of the response body: routing, the session and role
check, the SQL (the seven queue counts, the page's count and its 50 rows) and the template.

Prints the Markdown body of the `## Console queues` section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Took, command_line, machine, shell_date, start_postgres, utf8_database
from benchmarks.tickets import bulk_load, db_bytes, open_desk, percentile, staff_members
from bot.config import load_settings
from bot.knowledge.loader import load_knowledge, sample_kb_path
from bot.store.backend import fetchone
from bot.tickets.model import Role
from bot.web.accounts import Account, AccountStore
from bot.web.app import create_app
from bot.web.auth import COOKIE
from bot.web.context import SESSION_TTL, WebContext

TARGET_MS = 50.0


class ServerTimer:
    """An ASGI wrapper that times each request inside the server (client time excluded)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last_ms = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        start = time.perf_counter()
        await self.app(scope, receive, send)
        self.last_ms = (time.perf_counter() - start) * 1000


def pages(assignee: str, category: str, department: str, number: str) -> list[tuple[str, str]]:
    """(what, URL) of every page timed."""
    return [
        ("my tickets", "/q/mine"),
        ("unassigned", "/q/unassigned"),
        ("due within one working day", "/q/due"),
        ("overdue (督办)", "/q/overdue"),
        ("waiting for a rating", "/q/rating"),
        ("reopened (重办)", "/q/reopened"),
        ("all", "/q/all"),
        ("all, status = closed", "/q/all?status=closed"),
        ("all, category + department", f"/q/all?category={category}&department={department}"),
        ("all, assignee", f"/q/all?assignee={assignee}"),
        ("all, kind = report", "/q/all?kind=report"),
        ("all, a month (date range)", "/q/all?since=2026-06-01&until=2026-06-30"),
        ("all, search 塌陷 (description)", "/q/all?q=塌陷"),
        ("all, search 张家庄 (location)", "/q/all?q=张家庄"),
        ("all, search a ticket number", f"/q/all?q={number}"),
        ("all, search with no match", "/q/all?q=没有这个词"),
        ("all, search one character 路", "/q/all?q=路"),
        ("all, search with no match, two characters", "/q/all?q=有这"),
        ("unassigned, search 垃圾 (deadline order)", "/q/unassigned?q=垃圾"),
        ("all, search + status + category", f"/q/all?q=垃圾&status=closed&category={category}"),
        ("unassigned, live rows (changed)", "/q/unassigned/rows?since=0"),
        ("unassigned, live rows (unchanged, 204)", "/q/unassigned/rows?since={latest}"),
    ]


@contextmanager
def database(engine: str) -> Iterator[Path | str]:
    """A new SQLite file, or a database of a new throwaway PostgreSQL server; removed after."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory(prefix="console-bench-") as tmp:
            yield Path(tmp) / "console.sqlite3"
        return
    server = start_postgres()
    try:
        yield utf8_database(server, "console")
    finally:
        server.stop()


async def run(engine: str, volume: int, runs: int, seed: int) -> dict[str, Any]:
    """Load, then time every page; the figures and the data's shape."""
    kb = load_knowledge(sample_kb_path()).kb
    if kb is None:
        raise SystemExit("the sample KB does not load")
    out: dict[str, Any] = {"engine": engine}
    with database(engine) as db:
        store, desk = await open_desk(db, kb)  # type: ignore[arg-type]
        try:
            print(f"loading {volume:,} tickets …", file=sys.stderr)
            out["insert_s"] = await bulk_load(store, desk, volume, random.Random(seed))
            conn = store.conn
            if isinstance(db, Path):
                await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                out["bytes"] = db_bytes(db)
            else:
                # The loader gave the ids: the identity column continues after them.
                await conn.execute(
                    "SELECT setval(pg_get_serial_sequence('tickets', 'id'), "
                    "(SELECT MAX(id) FROM tickets))"
                )
                await conn.execute("VACUUM ANALYZE")
                row = await fetchone(conn, "SELECT pg_database_size(current_database())")
                out["bytes"] = int(row[0]) if row else 0
            busiest = await conn.execute_fetchall(
                "SELECT assignee, COUNT(*) FROM tickets WHERE assignee IS NOT NULL "
                "AND status NOT IN ('closed', 'rejected', 'merged') "
                "GROUP BY assignee ORDER BY 2 DESC LIMIT 1"
            )
            key = str(next(iter(busiest))[0])
            member = next(m for m in staff_members(kb) if m.key == key)
            number = str(
                next(
                    iter(
                        await conn.execute_fetchall(
                            "SELECT number FROM tickets WHERE id = ?", (min(4242, volume),)
                        )
                    )
                )[0]
            )
            account = Account("clerk", Role.STAFF, member.dept, "Clerk", member.user_id)
            async with store.transaction():
                await AccountStore(store).save(account, "benchmark password")
                token = await AccountStore(store).open_session(
                    "clerk", "zh", time.time(), SESSION_TTL
                )
            settings = load_settings(environ={}, overrides={"db_path": db})
            timer = ServerTimer(create_app(WebContext(store, desk, settings)))
            transport = httpx.ASGITransport(app=timer)
            category = desk.kb.complaint_categories[0]
            async with httpx.AsyncClient(
                transport=transport, base_url="http://console.test", cookies={COOKIE: token}
            ) as client:
                latest = str(
                    next(iter(await conn.execute_fetchall("SELECT MAX(id) FROM ticket_events")))[0]
                )
                rows = []
                for what, url in pages(key, category.id, category.department or "", number):
                    url = url.replace("{latest}", latest)
                    times: list[float] = []
                    for i in range(runs + 1):
                        response = await client.get(url)
                        if response.status_code not in (200, 204):
                            raise SystemExit(f"{url}: HTTP {response.status_code}")
                        if i:
                            times.append(timer.last_ms)
                    total = response.headers.get("x-total", "")
                    rows.append((what, url, response, times, total))
                out["rows"] = rows
            out["open"] = next(
                iter(
                    await conn.execute_fetchall(
                        "SELECT COUNT(*) FROM tickets WHERE status NOT IN "
                        "('closed', 'rejected', 'merged', 'answered')"
                    )
                )
            )[0]
            out["member"] = f"{key} ({member.dept})"
        finally:
            await store.close()
    return out


def shown_total(response: httpx.Response) -> str:
    """How many tickets the page says match (the rows' `data-total`), '-' for a 204."""
    if response.status_code == 204:
        return "204, no body"
    marker = 'data-total="'
    at = response.text.find(marker)
    if at < 0:
        return "?"
    end = response.text.index('"', at + len(marker))
    return f"{int(response.text[at + len(marker) : end]):,}"


def render(out: dict[str, Any], meta: dict[str, str], volume: int, runs: int) -> str:
    """The Markdown body of the `## Console queues` section."""
    lines = [
        f"- Engine: {out['engine']}",
        f"- Machine: {meta['machine']}",
        f"- Date: {meta['date']}",
        f"- Command: `{meta['command']}` (took {meta['elapsed']})",
        f"- Load average (1 min) at start / end: {meta['load']}",
        "",
        f"### Queue pages at {volume:,} tickets (server time, {runs} runs each after a warm-up)",
        "",
        f"| page | URL | tickets matching | median ms | p95 ms | max ms | ≤ {TARGET_MS:.0f} ms |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    worst = 0.0
    for what, url, response, times, _ in out["rows"]:
        med, p95 = statistics.median(times), percentile(times, 95)
        worst = max(worst, med)
        ok = "✅" if med <= TARGET_MS else "❌"
        lines.append(
            f"| {what} | `{url}` | {shown_total(response)} | {med:.1f} | {p95:.1f} "
            f"| {max(times):.1f} | {ok} |"
        )
    lines += [
        "",
        f"Data: {volume:,} tickets bulk-inserted in {out['insert_s']:.1f} s "
        f"({out['open']:,} open), {out['bytes'] / 1024 / 1024:.1f} MiB. The clerk is linked "
        f"to the busiest assignee, {out['member']}. Every page but the polled rows also "
        "counts all seven queues for the tabs. Slowest median: "
        f"{worst:.1f} ms (target ≤ {TARGET_MS:.0f} ms: "
        f"{'met' if worst <= TARGET_MS else 'MISSED'}).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--volume", type=int, default=100_000, help="tickets in the database")
    p.add_argument("--runs", type=int, default=20, help="timed requests per page")
    p.add_argument("--seed", type=int, default=12345)
    args = p.parse_args(argv)
    command = command_line("benchmarks/console_queue.py", argv)
    meta = {"machine": machine(), "date": shell_date(), "command": command}
    took = Took()
    out = asyncio.run(run(args.engine, args.volume, args.runs, args.seed))
    meta["elapsed"] = f"{took.seconds():.0f} s"
    meta["load"] = f"{took.loads()} on {os.cpu_count()} CPUs"
    print(render(out, meta, args.volume, args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
