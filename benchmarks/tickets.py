"""Tickets benchmark: filing throughput, and reads and the deadline scan at 100,000 tickets.

Run from the repository root:

    /tmp/venv/bin/python benchmarks/tickets.py [--file 2000] [--volume 100000] [--runs 5]

1. Filing: a fresh database (`Store.open`: WAL, synchronous=NORMAL), the sample KB, the
   desk from `TicketDesk.from_settings` with a staff chat, then N tickets through
   `desk.file(...)`, one per `store.transaction()`: tickets/s, p50/p99 per filing.
2. Volume: a second fresh database, the staff registered, V tickets bulk-inserted
   (~85 % closed, ~1 % answered, ~14 % open; open tickets past their deadline are flagged
   overdue and those due by the next working day reminded, as earlier scans leave them).
   Then the median of R runs of: `open_tickets()`, `StaffDesk.queue(member)` (its counts
   checked against COUNT queries), `of_citizen`, `by_number`, `desk.scan()` as the scan
   job runs it, and `desk.scan()` two working days later (rolled back each run; its
   counts checked against SQL).

Prints the Markdown body of the `## Tickets` section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import command_line, machine, shell_date
from bot.config import load_settings
from bot.knowledge.loader import load_knowledge, sample_kb_path
from bot.knowledge.model import KnowledgeBase
from bot.store import Store, TicketStore
from bot.tickets.model import Attachment, Role, StaffMember, Status
from bot.tickets.service import TicketDesk
from bot.tickets.staff import StaffDesk

T = TypeVar("T")

STAFF_CHAT = -100
BUDGET_MS = 200.0  # a read or a scan run (every 60 s, under the bot's db lock) should fit
OPEN_SQL = "status IN ('received', 'assigned', 'in_progress', 'reopened')"
#: The sample KB's complaint categories, and how often citizens pick each.
CATEGORIES = "environment roads subsidies window-service village-affairs other inquiry conduct"
CATEGORY_WEIGHTS = (22, 18, 16, 12, 10, 10, 9, 3)
OPEN_STATUSES = (Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED)
OPEN_WEIGHTS = (3, 3, 3, 1)
VILLAGES = [s + c + "村" for s in "张王李赵刘陈杨黄周吴" for c in ("家庄", "湾", "集", "岗", "营")]
SPOTS = ("村口", "小学门口", "菜市场旁", "桥头", "老街", "水塘边")
TEMPLATES = (
    "{v}{p}的垃圾已经{n}天没人清运了，气味很大，影响周边居民。",
    "{v}通往镇上的水泥路{p}一段塌陷了，晚上出行很危险。",
    "我家的耕地地力保护补贴到现在还没发下来，{v}其他人{n}月份就收到了。",
    "为民服务中心{n}号窗口上班时间没人，等了一个多小时，医保缴费没办成。",
    "请问社保卡补办需要带什么材料？在哪个窗口办？",
)
QUEUE_SECTIONS = {"我的工单": "assignee = ?", "未认领": "assignee IS NULL", "已超期": "overdue = 1"}


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[max(1, min(len(ordered), math.ceil(q / 100 * len(ordered)))) - 1]


async def timed(runs: int, make: Callable[[], Awaitable[T]]) -> tuple[list[float], list[T]]:
    """Run `make()` `runs` times: the times in ms and the results."""
    times: list[float] = []
    results: list[T] = []
    for _ in range(runs):
        start = time.perf_counter()
        results.append(await make())
        times.append((time.perf_counter() - start) * 1000)
    return times, results


def description(rng: random.Random) -> str:
    v, p, n = rng.choice(VILLAGES), rng.choice(SPOTS), rng.randint(2, 12)
    return rng.choice(TEMPLATES).format(v=v, p=p, n=n)


def category(rng: random.Random) -> str:
    return rng.choices(CATEGORIES.split(), weights=CATEGORY_WEIGHTS)[0]


def phone(rng: random.Random) -> str | None:
    return f"13{rng.randint(0, 999_999_999):09d}" if rng.random() < 0.5 else None


def photo(rng: random.Random) -> list[dict[str, Any]]:
    if rng.random() >= 0.15:
        return []
    file_id = "AgACAgUAAxkBAAI" + "".join(rng.choices("ABCDEFabcdef0123456789", k=40))
    return [{"kind": "photo", "file_id": file_id, "size": rng.randint(40_000, 900_000)}]


async def open_desk(db: Path, kb: KnowledgeBase) -> tuple[Store, TicketDesk]:
    """A store on `db` and a desk built the way the bot builds it."""
    settings = load_settings(environ={}, overrides={"db_path": db, "staff_chat": STAFF_CHAT})
    store = await Store.open(settings.db_path)
    return store, TicketDesk.from_settings(store, kb, settings)


async def count(conn: aiosqlite.Connection, sql: str, args: Sequence[Any] = ()) -> int:
    async with conn.execute(sql, tuple(args)) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


def db_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())


# -- 1. Filing -------------------------------------------------------------------------


async def bench_filing(db: Path, kb: KnowledgeBase, n: int, seed: int) -> dict[str, float]:
    """File `n` tickets, one per transaction."""
    rng = random.Random(seed)
    store, desk = await open_desk(db, kb)
    try:
        # Untimed warm-up (calendar, imports), rolled back.
        await store.conn.execute("BEGIN IMMEDIATE")
        await desk.file("tg:1", "roads", "warm-up", source_key="warm-up")
        await store.conn.execute("ROLLBACK")
        latencies: list[float] = []
        start = time.perf_counter()
        for i in range(n):
            cat = category(rng)
            citizen = f"tg:{600_000_001 + rng.randrange(max(1, n // 2))}"
            text = description(rng)
            attachments = tuple(Attachment(**a) for a in photo(rng))
            t0 = time.perf_counter()
            async with store.transaction():
                await desk.file(
                    citizen,
                    cat,
                    text,
                    location=f"青石镇{rng.choice(VILLAGES)}" if rng.random() < 0.6 else None,
                    phone=phone(rng),
                    attachments=attachments,
                    anonymous=cat == "conduct" and rng.random() < 0.5,
                    source_key=f"k{i}",
                )
            latencies.append((time.perf_counter() - t0) * 1000)
        wall = time.perf_counter() - start
        outbox = await count(store.conn, "SELECT COUNT(*) FROM outbox")
    finally:
        await store.close()
    return {
        "n": n,
        "per_s": n / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": max(latencies),
        "outbox": outbox,
    }


# -- 2. Volume -------------------------------------------------------------------------


def staff_members(kb: KnowledgeBase) -> list[StaffMember]:
    """Five staff per department plus three supervisors."""
    members = [
        StaffMember(91_000_001 + 5 * d + k, Role.STAFF, dept.id, f"{dept.id}-{k + 1}")
        for d, dept in enumerate(kb.departments)
        for k in range(5)
    ]
    uid = 91_000_001 + len(members)
    members += [StaffMember(uid + k, Role.SUPERVISOR, None, f"sup-{k + 1}") for k in range(3)]
    return members


async def bulk_load(store: Store, desk: TicketDesk, total: int, rng: random.Random) -> float:
    """Insert `total` tickets (one `file` event each) in one transaction; seconds taken."""
    members = staff_members(desk.kb)
    team: dict[str, list[StaffMember]] = {}
    for m in members:
        if m.dept:
            team.setdefault(m.dept, []).append(m)
    categories = {c.id: c for c in desk.kb.complaint_categories}
    now, today = desk.clock(), desk.today()
    next_wd = desk.calendar.next_working_day(today)
    occasional = max(1, total * 2 // 5)
    rows: list[dict[str, Any]] = []
    for _ in range(total):
        cat = categories[category(rng)]
        roll = rng.random()
        if roll < 0.85:
            status, age = Status.CLOSED, rng.uniform(10, 730)
        elif roll < 0.86:
            status, age = Status.ANSWERED, rng.uniform(4, 20)
        else:
            status = rng.choices(OPEN_STATUSES, weights=OPEN_WEIGHTS)[0]
            age = min(rng.expovariate(1 / 7), 60.0)
        created = now - dt.timedelta(days=age, seconds=rng.randrange(86_400))
        deadline = desk.calendar.add_working_days(
            (created + dt.timedelta(hours=8)).date(), cat.deadline_days
        )
        frequent = rng.random() < 0.3  # 30 % of tickets from 2,000 frequent filers
        citizen = 600_000_001 + (
            rng.randrange(2_000) if frequent else 2_000 + rng.randrange(occasional)
        )
        row: dict[str, Any] = {
            "kind": "inquiry" if cat.id == "inquiry" else ("report" if cat.report else "complaint"),
            "category": cat.id,
            "department": cat.department,
            "assignee": None,
            "status": status.value,
            "citizen": f"tg:{citizen}",
            "anonymous": int(cat.report and rng.random() < 0.5),
            "description": description(rng),
            "location": f"青石镇{rng.choice(VILLAGES)}{rng.choice(SPOTS)}"
            if rng.random() < 0.6
            else None,
            "phone": phone(rng),
            "attachments": json.dumps(photo(rng)),
            "lang": "zh",
            "created_at": created.isoformat(),
            "deadline": deadline.isoformat(),
            "reminded": 0,
            "overdue": 0,
            "answered_at": None,
            "closed_at": None,
            "outcome": None,
            "rating": None,
            "source_key": f"{rng.getrandbits(48):012x}",
        }
        if status is not Status.RECEIVED:
            people = team[cat.department]  # skewed: the first of a team carries the most
            row["assignee"] = people[min(len(people) - 1, int(rng.expovariate(1.0)))].key
        if status in (Status.CLOSED, Status.ANSWERED):
            handled = min(
                created + dt.timedelta(days=rng.uniform(0.5, cat.deadline_days * 1.3)),
                now - dt.timedelta(hours=rng.uniform(1, 40)),
            )
            row["answered_at"] = handled.isoformat()
            row["outcome"] = "经核实，已安排人员处理完毕。"
            if status is Status.CLOSED:
                row["closed_at"] = (handled + dt.timedelta(days=rng.uniform(0, 3))).isoformat()
                row["rating"] = rng.choice((5, 5, 5, 4, 4, 3, 2, 1))
        elif deadline < today:
            row["overdue"] = 1
        elif deadline <= next_wd:
            row["reminded"] = 1
        rows.append(row)
    rows.sort(key=lambda r: str(r["created_at"]))
    seq: Counter[int] = Counter()
    for ticket_id, row in enumerate(rows, start=1):
        year = (dt.datetime.fromisoformat(row["created_at"]) + dt.timedelta(hours=8)).year
        seq[year] += 1
        row["id"], row["number"] = ticket_id, f"TS-{year}-{seq[year]:06d}"
    columns = list(rows[0])
    insert = f"INSERT INTO tickets ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    start = time.perf_counter()
    async with store.transaction():
        for member in members:
            await TicketStore(store).add_staff(member)
        await store.conn.executemany(insert, [tuple(r[c] for c in columns) for r in rows])
        await store.conn.executemany(
            "INSERT INTO ticket_events (ticket_id, at, actor, action, from_status, to_status, "
            "note, public) VALUES (?, ?, ?, 'file', NULL, 'received', NULL, 1)",
            [(r["id"], r["created_at"], r["citizen"]) for r in rows],
        )
        await store.conn.executemany(
            "INSERT INTO ticket_seq (year, last) VALUES (?, ?)", seq.items()
        )
    return time.perf_counter() - start


class RolledBack(Exception):
    """Raised to roll a measured transaction back."""


async def scan(store: Store, desk: TicketDesk, commit: bool) -> dict[str, int]:
    """`desk.scan()` in one transaction, as the scan job runs it; rolled back unless `commit`."""
    counts: dict[str, int] = {}
    try:
        async with store.transaction():
            counts = await desk.scan()
            if not commit:
                raise RolledBack
    except RolledBack:
        pass
    return counts


def queue_counts(text: str) -> dict[str, int]:
    """The counts in the `/queue` headings (`我的工单（12）`)."""
    found = {t: re.search(re.escape(t) + r"（(\d+)）", text) for t in QUEUE_SECTIONS}
    return {t: int(m.group(1)) if m else -1 for t, m in found.items()}


async def first_row(conn: aiosqlite.Connection, sql: str, args: Sequence[Any] = ()) -> Any:
    async with conn.execute(sql, tuple(args)) as cur:
        return await cur.fetchone()


async def bench_volume(
    db: Path, kb: KnowledgeBase, total: int, runs: int, seed: int
) -> dict[str, Any]:
    """Reads and the scan at `total` tickets."""
    store, desk = await open_desk(db, kb)
    conn, tickets = store.conn, TicketStore(store)
    rows: list[tuple[str, str, list[float]]] = []

    async def measure(name: str, make: Callable[[], Awaitable[T]], show: Callable[[T], str]) -> T:
        times, results = await timed(runs, make)
        rows.append((name, show(results[0]), times))
        return results[0]

    out: dict[str, Any] = {"rows": rows}
    try:
        out["insert_s"] = await bulk_load(store, desk, total, random.Random(seed + 1))
        # The bot's scan runs every minute: settle the state it would leave (untimed).
        out["settle"] = await scan(store, desk, commit=True)
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        out["bytes_loaded"] = db_bytes(db)
        out["open"] = await count(conn, f"SELECT COUNT(*) FROM tickets WHERE {OPEN_SQL}")
        key, _ = await first_row(
            conn,
            f"SELECT assignee, COUNT(*) FROM tickets WHERE {OPEN_SQL} AND assignee IS NOT NULL "
            "GROUP BY assignee ORDER BY 2 DESC LIMIT 1",
        )
        member = next(m for m in staff_members(kb) if m.key == key)
        citizen, citizen_n = await first_row(
            conn, "SELECT citizen, COUNT(*) FROM tickets GROUP BY citizen ORDER BY 2 DESC LIMIT 1"
        )
        async with conn.execute(
            "SELECT number FROM tickets ORDER BY random() LIMIT ?", (runs,)
        ) as c:
            numbers = iter([str(r[0]) for r in await c.fetchall()])

        await measure(
            "`TicketStore.open_tickets()` (all open tickets)",
            tickets.open_tickets,
            lambda r: f"{len(r):,}",
        )
        truth = {
            title: await count(
                conn,
                f"SELECT COUNT(*) FROM tickets WHERE {OPEN_SQL} AND {where}",
                (member.key,) if "?" in where else (),
            )
            for title, where in QUEUE_SECTIONS.items()
        }
        text = await measure(
            f"`StaffDesk.queue(member)` (`/queue` of {member.key}, {member.dept})",
            lambda: StaffDesk(desk).queue(member),
            lambda r: (
                " / ".join(f"{n:,}" for n in queue_counts(r).values())
                + (" = COUNT ✅" if queue_counts(r) == truth else " ≠ COUNT ❌")
            ),
        )
        shown = queue_counts(text)
        out["queue"] = {"shown": shown, "truth": truth}
        await measure(
            f"`TicketStore.of_citizen()` (the busiest citizen, {citizen_n} tickets)",
            lambda: tickets.of_citizen(citizen),
            lambda r: f"{len(r)}",
        )
        await measure(
            f"`TicketStore.by_number()` ({runs} different numbers)",
            lambda: tickets.by_number(next(numbers)),
            lambda r: "found" if r else "not found",
        )
        await measure(
            "`desk.scan()`, a normal minute (committed, as the scan job runs it)",
            lambda: scan(store, desk, commit=True),
            fmt,
        )
        today = desk.today()
        shift = desk.calendar.add_working_days(today, 2) - today
        later = TicketDesk(
            store, kb, desk.calendar, desk.notifier, clock=lambda: desk.clock() + shift
        )
        got = await measure(
            f"`desk.scan()`, roll-over: two working days later (+{shift.days} d, rolled back)",
            lambda: scan(store, later, commit=False),
            fmt,
        )
        day, upto = later.today().isoformat(), desk.calendar.next_working_day(later.today())
        base = f"SELECT COUNT(*) FROM tickets WHERE {OPEN_SQL} AND overdue = 0 AND "
        out["scan"] = {
            "got": got,
            "reminded": await count(
                conn,
                base + "reminded = 0 AND deadline >= ? AND deadline <= ?",
                (day, upto.isoformat()),
            ),
            "overdue": await count(conn, base + "deadline < ?", (day,)),
        }
        plan = await conn.execute_fetchall(
            f"EXPLAIN QUERY PLAN SELECT id FROM tickets WHERE {OPEN_SQL} AND overdue = 0 "
            "AND (deadline < ? OR (reminded = 0 AND deadline <= ?)) ORDER BY deadline, id",
            (day, upto.isoformat()),
        )
        out["plan"] = "; ".join(str(r[3]) for r in plan)
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await store.close()
    out["bytes_end"] = db_bytes(db)
    return out


# -- 3. Report -------------------------------------------------------------------------


def fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in counts.items())


def mib(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB"


def render(
    f: dict[str, float], vol: dict[str, Any], meta: dict[str, str], total: int, runs: int
) -> str:
    """The Markdown body of the `## Tickets` section."""
    lines = [
        f"- Machine: {meta['machine']}",
        f"- Date: {meta['date']}",
        f"- Command: `{meta['command']}` (took {meta['elapsed']})",
        "",
        "### Filing (`desk.file`, one ticket per transaction, fresh database)",
        "",
        "| tickets | tickets/s | p50 ms | p99 ms | max ms |",
        "|---:|---:|---:|---:|---:|",
        f"| {f['n']:,} | {f['per_s']:,.0f} | {f['p50']:.2f} | {f['p99']:.2f} | {f['max']:.2f} |",
        "",
        f"Each filing: the `source_key` guard, number allocation, the working-day deadline, "
        f"the ticket row, its event, the citizen's confirmation and the staff card in the "
        f"outbox ({f['outbox']:,.0f} outbox rows in all), one commit (WAL, synchronous=NORMAL). "
        "Tickets/s is N ÷ the loop's wall time; p50/p99 time the transaction alone.",
        "",
        f"### Reads and the deadline scan at {total:,} tickets (median of {runs} runs)",
        "",
        f"| operation | result | median ms | min ms | max ms | ≤ {BUDGET_MS:.0f} ms |",
        "|---|---|---:|---:|---:|---|",
    ]
    for name, result, t in vol["rows"]:
        med = statistics.median(t)
        ok = "✅" if med <= BUDGET_MS else "❌"
        lines.append(f"| {name} | {result} | {med:.2f} | {min(t):.2f} | {max(t):.2f} | {ok} |")
    q, sc = vol["queue"], vol["scan"]
    scan_ok = (sc["got"]["reminded"], sc["got"]["overdue"]) == (sc["reminded"], sc["overdue"])
    lines += [
        "",
        f"Data: {total:,} tickets bulk-inserted in {vol['insert_s']:.1f} s, "
        f"{vol['open']:,} of them open (~85 % closed, ~1 % answered); open tickets past "
        "their deadline are flagged overdue and those due by the next working day reminded, "
        f"and one untimed scan ran first ({fmt(vol['settle'])}), so the data is as the "
        "minute-by-minute scan leaves it. Database: "
        f"{mib(vol['bytes_loaded'])} after the load, {mib(vol['bytes_end'])} at the end "
        "(checkpointed; one event per ticket, no outbox history).",
        "",
        f"- `/queue` headings (mine / unassigned / overdue): {fmt(q['shown'])}; `COUNT(*)` "
        f"in SQL: {fmt(q['truth'])} ({'exact' if q['shown'] == q['truth'] else 'WRONG'}).",
        f"- Roll-over scan against SQL: reminded {sc['got']['reminded']:,} (SQL "
        f"{sc['reminded']:,}), overdue {sc['got']['overdue']:,} (SQL {sc['overdue']:,}): "
        f"{'the same' if scan_ok else 'DIFFERENT'}.",
        f"- Plan of the scan's candidates (`due_tickets`): `{vol['plan']}`",
    ]
    return "\n".join(lines) + "\n"


async def run(args: argparse.Namespace) -> tuple[dict[str, float], dict[str, Any]]:
    kb = load_knowledge(sample_kb_path()).kb
    if kb is None:
        raise SystemExit("the sample KB does not load")
    with tempfile.TemporaryDirectory(prefix="tickets-bench-") as tmp:
        print(f"filing {args.file:,} tickets …", file=sys.stderr)
        filing = await bench_filing(Path(tmp) / "filing.sqlite3", kb, args.file, args.seed)
        print(f"loading {args.volume:,} tickets and timing …", file=sys.stderr)
        vol = await bench_volume(
            Path(tmp) / "volume.sqlite3", kb, args.volume, args.runs, args.seed
        )
    return filing, vol


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--file", type=int, default=2_000, help="tickets to file")
    p.add_argument("--volume", type=int, default=100_000, help="tickets in the big database")
    p.add_argument("--runs", type=int, default=5, help="runs per timing (median)")
    p.add_argument("--seed", type=int, default=12345)
    args = p.parse_args(argv)
    meta = {
        "machine": machine(),
        "date": shell_date(),
        "command": command_line("benchmarks/tickets.py", argv, sys.executable),
    }
    start = time.perf_counter()
    filing, vol = asyncio.run(run(args))
    meta["elapsed"] = f"{time.perf_counter() - start:.0f} s"
    print(render(filing, vol, meta, args.volume, args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
