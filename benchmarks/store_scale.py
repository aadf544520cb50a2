"""Store scale benchmark (issue 13): filing rate and the console's queue queries at 10^5 and
10^6 tickets, on SQLite and on PostgreSQL.

Run from the repository root:

    python benchmarks/store_scale.py [--backend sqlite postgresql] [--volume 100000]
        [--filings 1000] [--runs 30] [--json results.jsonl]

For each backend and volume V:

1. A fresh, fully migrated database: an SQLite file (`Store.open`: WAL,
   synchronous=NORMAL), or a database of a throwaway PostgreSQL server started for the run
   (`tests/postgres_server.py`'s initdb + pg_ctl, its own directory and Unix socket, never
   a shared server; unlike the tests' server it keeps PostgreSQL's default durability:
   fsync on, synchronous_commit on, full_page_writes on; the database is made with the
   C.UTF-8 locale so that pg_trgm sees Chinese, as docs/operations.md says to).
2. Seeding V tickets in bulk, in one transaction, through the same schema: realistic rows
   (the shape of `benchmarks/tickets.py`: ~85 % closed, ~1 % answered, ~14 % open, five
   staff per department, 30 % of tickets from 2,000 frequent filers) with their audit
   lines (file, claim, resolve, rate or close: 1 to 4 per ticket) and ratings. SQLite:
   `executemany`; PostgreSQL: `COPY`. The migrations' indexes on `tickets` and
   `ticket_events` (and SQLite's search triggers) are dropped for the load and made again
   from their own definitions afterwards (SQLite's search index by migration 13's own
   backfill), as a restore would. Then SQLite is checkpointed; PostgreSQL gets the
   `VACUUM ANALYZE` its autovacuum would run (the bot never runs ANALYZE on SQLite, so
   SQLite plans without statistics, as in production).
3. The console's queue SQL (`bot.store.web.QueueStore`, what `bot/web/routes_queue.py`
   runs per page): the seven tab counts, the newest audit line (the live poll), and the
   count + 50 rows of queues, filtered lists and text searches; R timed runs each after a
   warm-up: p50 and p99 (nearest rank).
4. N filings through the real path on top of the seeded data: `TicketDesk.file(...)` (the
   source-key guard, the number, the deadline, the ticket row, its audit line, the
   citizen's confirmation and the staff card in the outbox), one `store.transaction()`
   each: filings/s (N ÷ wall time) and p50/p99 per transaction. PostgreSQL also once more
   with `synchronous_commit = off` (SQLite's synchronous=NORMAL in WAL mode is the same
   trade: a crash can lose the last commits, never corrupt).
5. Size on disk, whole and per table (indexes included): SQLite `dbstat`, PostgreSQL
   `pg_total_relation_size` and `pg_database_size`.

Prints Markdown; `--json` appends one JSON line per backend and volume.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Took, command_line, machine, shell_date, start_postgres, utf8_database
from benchmarks.tickets import (
    OPEN_STATUSES,
    OPEN_WEIGHTS,
    SPOTS,
    VILLAGES,
    category,
    description,
    open_desk,
    percentile,
    phone,
    photo,
    staff_members,
)
from bot.knowledge.loader import load_knowledge, sample_kb_path
from bot.knowledge.model import KnowledgeBase
from bot.store import Store, TicketStore, search
from bot.store.backend import Connection, after_copy, fetchall, fetchone
from bot.store.web import Filters, QueueStore
from bot.tickets.model import Attachment, Status
from bot.tickets.service import TicketDesk

BATCH = 20_000
TARGET_MS = 50.0
#: A slow query stops after this much time once it has run `MIN_RUNS` times.
BUDGET_MS, MIN_RUNS = 20_000.0, 5
TICKET_COLUMNS = [
    "id",
    "number",
    "kind",
    "category",
    "department",
    "assignee",
    "status",
    "citizen",
    "anonymous",
    "description",
    "location",
    "phone",
    "attachments",
    "lang",
    "created_at",
    "deadline",
    "reminded",
    "overdue",
    "answered_at",
    "closed_at",
    "outcome",
    "rating",
    "source_key",
]
EVENT_COLUMNS = ["ticket_id", "at", "actor", "action", "from_status", "to_status", "note", "public"]
RATING_COLUMNS = ["ticket_id", "round", "rating", "comment", "at"]
OUTCOME = "经核实，已安排人员处理完毕。"
SEARCH_TRIGGERS = ("tickets_search_insert", "tickets_search_update", "tickets_search_delete")


# -- seeding ------------------------------------------------------------------------------


@dataclass
class Plan:
    """One ticket before its row is made: when, what, and how far it got."""

    created: dt.datetime
    category: str
    status: Status


def plans(desk: TicketDesk, total: int, rng: random.Random) -> list[Plan]:
    """`total` tickets' creation time, category and status, oldest first."""
    now = desk.clock()
    out: list[Plan] = []
    for _ in range(total):
        roll = rng.random()
        if roll < 0.85:
            status, age = Status.CLOSED, rng.uniform(10, 730)
        elif roll < 0.86:
            status, age = Status.ANSWERED, rng.uniform(4, 20)
        else:
            status = rng.choices(OPEN_STATUSES, weights=OPEN_WEIGHTS)[0]
            age = min(rng.expovariate(1 / 7), 60.0)
        created = now - dt.timedelta(days=age, seconds=rng.randrange(86_400))
        out.append(Plan(created, category(rng), status))
    out.sort(key=lambda p: p.created)
    return out


@dataclass
class Batch:
    """Rows of the three tables for a run of consecutive tickets."""

    tickets: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    ratings: list[tuple[Any, ...]] = field(default_factory=list)


def batches(
    desk: TicketDesk, todo: list[Plan], rng: random.Random, seq: Counter[int]
) -> Iterator[Batch]:
    """The rows of every planned ticket, `BATCH` tickets at a time (ids from 1, numbers per
    year counted in `seq`)."""
    members = staff_members(desk.kb)
    team: dict[str, list[str]] = {}
    for m in members:
        if m.dept:
            team.setdefault(m.dept, []).append(m.key)
    categories = {c.id: c for c in desk.kb.complaint_categories}
    now, today = desk.clock(), desk.today()
    next_wd = desk.calendar.next_working_day(today)
    occasional = max(1, len(todo) * 2 // 5)
    batch = Batch()
    for ticket_id, plan in enumerate(todo, start=1):
        cat = categories[plan.category]
        created, status = plan.created, plan.status
        local = created + dt.timedelta(hours=8)
        seq[local.year] += 1
        deadline = desk.calendar.add_working_days(local.date(), cat.deadline_days)
        frequent = rng.random() < 0.3
        offset = rng.randrange(2_000) if frequent else 2_000 + rng.randrange(occasional)
        citizen = f"tg:{600_000_001 + offset}"
        assignee = answered = closed = outcome = rating = None
        overdue = reminded = 0
        events = [(ticket_id, created.isoformat(), citizen, "file", None, "received", None, 1)]
        if status is not Status.RECEIVED:
            people = team[cat.department or ""]
            assignee = people[min(len(people) - 1, int(rng.expovariate(1.0)))]
            at = created + dt.timedelta(hours=rng.uniform(0.2, 20))
            events.append((ticket_id, at.isoformat(), assignee, "claim", "received", "assigned",
                           None, 0))  # fmt: skip
        if status in (Status.CLOSED, Status.ANSWERED):
            handled = min(
                created + dt.timedelta(days=rng.uniform(0.5, cat.deadline_days * 1.3)),
                now - dt.timedelta(hours=rng.uniform(1, 40)),
            )
            answered, outcome = handled.isoformat(), OUTCOME
            events.append((ticket_id, answered, assignee, "resolve", "assigned", "answered",
                           OUTCOME, 1))  # fmt: skip
            if status is Status.CLOSED:
                closed = (handled + dt.timedelta(days=rng.uniform(0, 3))).isoformat()
                if rng.random() < 0.8:
                    rating = rng.choice((5, 5, 5, 4, 4, 3, 2, 1))
                    batch.ratings.append((ticket_id, 1, rating, None, closed))
                    events.append((ticket_id, closed, citizen, "rate", "answered", "closed",
                                   str(rating), 0))  # fmt: skip
                else:
                    events.append((ticket_id, closed, "system", "close", "answered", "closed",
                                   "unrated", 1))  # fmt: skip
        elif deadline < today:
            overdue = 1
        elif deadline <= next_wd:
            reminded = 1
        kind = "inquiry" if cat.id == "inquiry" else ("report" if cat.report else "complaint")
        place = f"青石镇{rng.choice(VILLAGES)}{rng.choice(SPOTS)}" if rng.random() < 0.6 else None
        batch.tickets.append((
            ticket_id, f"TS-{local.year}-{seq[local.year]:06d}", kind, cat.id, cat.department,
            assignee, status.value, citizen, int(cat.report and rng.random() < 0.5),
            description(rng), place, phone(rng), json.dumps(photo(rng)), "zh",
            created.isoformat(), deadline.isoformat(), reminded, overdue, answered, closed,
            outcome, rating, f"{rng.getrandbits(48):012x}",
        ))  # fmt: skip
        batch.events.extend(events)
        if len(batch.tickets) >= BATCH:
            yield batch
            batch = Batch()
    if batch.tickets:
        yield batch


def is_sqlite(conn: Connection) -> bool:
    """Whether the connection is SQLite's (else PostgreSQL's)."""
    return isinstance(conn, aiosqlite.Connection)


async def deferred_indexes(conn: Connection) -> list[str]:
    """The definitions of the secondary indexes on tickets and their audit lines (not those
    behind a key or a UNIQUE constraint), which the load drops and makes again."""
    if is_sqlite(conn):
        rows = await fetchall(
            conn,
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('tickets', 'ticket_events')",
        )
    else:
        rows = await fetchall(
            conn,
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid IN ('tickets'::regclass, 'ticket_events'::regclass) "
            "AND NOT i.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
        )
    return [f"{r[0]}\t{r[1]}" for r in rows]


async def write_rows(conn: Connection, table: str, columns: Sequence[str], rows: list[Any]) -> None:
    """Append rows to a table: `executemany` on SQLite, `COPY` on PostgreSQL."""
    if is_sqlite(conn):
        marks = ", ".join("?" for _ in columns)
        await conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        return
    raw = conn.raw  # type: ignore[union-attr]
    copying = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    async with raw.cursor() as cur, cur.copy(copying) as copy:
        for row in rows:
            await copy.write_row(row)


async def seed(store: Store, desk: TicketDesk, total: int, rng: random.Random) -> dict[str, Any]:
    """Bulk-load `total` tickets with their audit lines and ratings; what it took."""
    conn = store.conn
    start = time.perf_counter()
    todo = plans(desk, total, rng)
    indexes = await deferred_indexes(conn)
    sqlite = is_sqlite(conn)
    fts = sqlite and await search.has_index(conn)
    seq: Counter[int] = Counter()
    counts = Counter[str]()
    async with store.transaction():
        if not sqlite:
            await conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for member in staff_members(desk.kb):
            await TicketStore(store).add_staff(member)
        for entry in indexes:
            await conn.execute(f"DROP INDEX {entry.split(chr(9))[0]}")
        if fts:
            for trigger in SEARCH_TRIGGERS:
                await conn.execute(f"DROP TRIGGER {trigger}")
        for batch in batches(desk, todo, rng, seq):
            await write_rows(conn, "tickets", TICKET_COLUMNS, batch.tickets)
            await write_rows(conn, "ticket_events", EVENT_COLUMNS, batch.events)
            await write_rows(conn, "ratings", RATING_COLUMNS, batch.ratings)
            counts.update(events=len(batch.events), ratings=len(batch.ratings))
        await conn.executemany("INSERT INTO ticket_seq (year, last) VALUES (?, ?)", seq.items())
        loaded = time.perf_counter()
        for entry in indexes:
            await conn.execute(entry.split("\t", 1)[1])
        if fts:
            # Migration 13's own triggers and backfill (the virtual table stays).
            for statement in search.sqlite_statements()[1:]:
                await conn.execute(statement)
        if not sqlite:
            await after_copy(conn, "tickets")
    indexed = time.perf_counter()
    if sqlite:
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        await conn.execute("VACUUM ANALYZE")
    return {
        "tickets": total,
        "events": counts["events"],
        "ratings": counts["ratings"],
        "load_s": loaded - start,
        "index_s": indexed - loaded,
        "settle_s": time.perf_counter() - indexed,
    }


# -- the queue queries --------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One thing a console page asks the store."""

    name: str
    queue: str = ""
    filters: Filters = field(default_factory=Filters)
    #: "rows" (count + a page), "counts" (the seven tabs) or "latest" (the live poll).
    kind: str = "rows"


def queries(me: str, cat: str, dept: str, number: str) -> list[Query]:
    """What is timed: the tab counts, the poll, and pages of queues, filters and searches."""
    return [
        Query("counts of the seven tabs", kind="counts"),
        Query("newest audit line (live poll)", kind="latest"),
        Query("my tickets", "mine"),
        Query("unassigned", "unassigned"),
        Query("due within one working day", "due"),
        Query("overdue (督办)", "overdue"),
        Query("all, newest first", "all"),
        Query("all, status = closed", "all", Filters(status="closed")),
        Query("all, category + department", "all", Filters(category=cat, department=dept)),
        Query("all, assignee", "all", Filters(assignee=me)),
        Query("all, kind = report", "all", Filters(kind="report")),
        Query("all, one month", "all", Filters(since="2026-06-01", until="2026-06-30")),
        Query("search 塌陷 (description)", "all", Filters(q="塌陷")),
        Query("search 张家庄 (location)", "all", Filters(q="张家庄")),
        Query("search 垃圾已经 (4 characters)", "all", Filters(q="垃圾已经")),
        Query("search 没有这个词 (no match)", "all", Filters(q="没有这个词")),
        Query("search 路 (one character)", "all", Filters(q="路")),
        Query("search a ticket number", "all", Filters(q=number, number=number)),
        Query("unassigned, search 垃圾", "unassigned", Filters(q="垃圾")),
        Query(
            "search 垃圾 + closed + category",
            "all",
            Filters(status="closed", category=cat, q="垃圾"),
        ),
    ]


def runner(
    store: QueueStore, query: Query, me: str, today: dt.date
) -> Callable[[], Awaitable[int]]:
    """A call running `query` once; it returns how many tickets match."""

    async def rows() -> int:
        total, _ = await store.rows(query.queue, me, today, query.filters)
        return total

    async def counts() -> int:
        return sum((await store.counts(me, today)).values())

    return {"rows": rows, "counts": counts, "latest": store.latest_change}[query.kind]


async def time_queries(store: Store, desk: TicketDesk, runs: int) -> list[dict[str, Any]]:
    """p50/p99 of every query: `runs` runs after one warm-up (fewer for a slow one, see
    `BUDGET_MS`)."""
    conn = store.conn
    me, _ = await fetchone(
        conn,
        "SELECT assignee, COUNT(*) FROM tickets WHERE assignee IS NOT NULL AND status IN "
        "('assigned', 'in_progress', 'reopened') GROUP BY assignee ORDER BY 2 DESC LIMIT 1",
    )
    number = (await fetchone(conn, "SELECT number FROM tickets ORDER BY id LIMIT 1 OFFSET 41"))[0]
    cat = desk.kb.complaint_categories[0]
    queue = QueueStore(conn, desk.calendar)
    today = desk.today()
    out = []
    for query in queries(str(me), cat.id, cat.department or "", str(number)):
        call = runner(queue, query, str(me), today)
        matching = await call()
        times: list[float] = []
        while len(times) < runs and (len(times) < MIN_RUNS or sum(times) < BUDGET_MS):
            start = time.perf_counter()
            await call()
            times.append((time.perf_counter() - start) * 1000)
        out.append(
            {
                "name": query.name,
                "matching": matching if query.kind == "rows" else None,
                "p50": percentile(times, 50),
                "p99": percentile(times, 99),
                "runs": len(times),
            }
        )
    return out


# -- filing -------------------------------------------------------------------------------


async def time_filing(
    store: Store, desk: TicketDesk, n: int, rng: random.Random, tag: str
) -> dict[str, Any]:
    """File `n` tickets through `TicketDesk.file`, one transaction each."""
    latencies: list[float] = []
    start = time.perf_counter()
    for i in range(n):
        cat = category(rng)
        attachments = tuple(Attachment(**a) for a in photo(rng))
        t0 = time.perf_counter()
        async with store.transaction():
            await desk.file(
                f"tg:{600_000_001 + rng.randrange(100_000)}",
                cat,
                description(rng),
                location=f"青石镇{rng.choice(VILLAGES)}" if rng.random() < 0.6 else None,
                phone=phone(rng),
                attachments=attachments,
                anonymous=cat == "conduct" and rng.random() < 0.5,
                source_key=f"bench-{tag}-{i}",
            )
        latencies.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - start
    return {
        "n": n,
        "per_s": n / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
    }


# -- size on disk -------------------------------------------------------------------------


async def sizes(store: Store) -> dict[str, int]:
    """Bytes on disk: `total`, and per table with its indexes (and search index)."""
    conn = store.conn
    out: Counter[str] = Counter()
    if is_sqlite(conn):
        owners = {
            str(r[0]): str(r[1])
            for r in await fetchall(conn, "SELECT name, tbl_name FROM sqlite_master")
        }
        for name, size in await fetchall(
            conn, "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"
        ):
            owner = owners.get(str(name), str(name))
            if owner.startswith(search.TABLE):
                owner = search.TABLE
            out[owner] += int(size)
        path = Path(str(store.path))
        out["total"] = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
        return dict(out)
    for table in ("tickets", "ticket_events", "ratings", "outbox"):
        row = await fetchone(conn, "SELECT pg_total_relation_size(?::regclass)", (table,))
        out[table] = int(row[0])
    row = await fetchone(conn, "SELECT pg_database_size(current_database())")
    out["total"] = int(row[0])
    return dict(out)


# -- one run ------------------------------------------------------------------------------


async def run(
    target: Path | str, kb: KnowledgeBase, volume: int, filings: int, runs: int, seed_: int
) -> dict[str, Any]:
    """Seed, time the queries, file, measure the size: the figures of one backend."""
    store, desk = await open_desk(target, kb)  # type: ignore[arg-type]
    out: dict[str, Any] = {"backend": "sqlite" if is_sqlite(store.conn) else "postgresql"}
    try:
        out["seed"] = await seed(store, desk, volume, random.Random(seed_))
        out["size_seeded"] = await sizes(store)
        out["queries"] = await time_queries(store, desk, runs)
        rng = random.Random(seed_ + 1)
        out["filing"] = await time_filing(store, desk, filings, rng, "a")
        out["filings_total"] = filings
        if not is_sqlite(store.conn):
            await store.conn.execute("SET synchronous_commit = off")
            out["filing_async"] = await time_filing(store, desk, filings, rng, "b")
            out["filings_total"] += filings
        if is_sqlite(store.conn):
            await store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        out["size_after"] = await sizes(store)
        row = await fetchone(store.conn, "SELECT COUNT(*), COUNT(DISTINCT number) FROM tickets")
        out["tickets_after"], out["numbers_after"] = int(row[0]), int(row[1])
        row = await fetchone(store.conn, "SELECT COUNT(*) FROM outbox")
        out["outbox_after"] = int(row[0])
    finally:
        await store.close()
    return out


# -- output -------------------------------------------------------------------------------


def mib(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f}"


def render(out: dict[str, Any]) -> str:
    """One backend's figures at one volume, as Markdown."""
    s, f = out["seed"], out["filing"]
    lines = [
        f"#### {out['backend']}, {s['tickets']:,} tickets",
        "",
        f"Seeded {s['tickets']:,} tickets, {s['events']:,} audit lines, {s['ratings']:,} "
        f"ratings: rows {s['load_s']:.1f} s, indexes {s['index_s']:.1f} s, "
        f"{'checkpoint' if out['backend'] == 'sqlite' else 'VACUUM ANALYZE'} "
        f"{s['settle_s']:.1f} s. Size {mib(out['size_seeded']['total'])} MiB "
        "(" + ", ".join(
            f"{k} {mib(v)}" for k, v in sorted(out["size_seeded"].items(), key=lambda kv: -kv[1])
            if k != "total" and v >= 1024 * 1024
        ) + ").",
        "",
        "| query | tickets matching | runs | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]  # fmt: skip
    for q in out["queries"]:
        shown = "—" if q["matching"] is None else f"{q['matching']:,}"
        flag = " ⚠" if q["p50"] > TARGET_MS else ""
        lines.append(
            f"| {q['name']} | {shown} | {q['runs']} | {q['p50']:.1f}{flag} | {q['p99']:.1f} |"
        )
    lines += [
        "",
        f"Filing (`TicketDesk.file`, one transaction each, {f['n']:,} on top): "
        f"{f['per_s']:,.0f} filings/s, p50 {f['p50']:.2f} ms, p99 {f['p99']:.2f} ms",
    ]
    if "filing_async" in out:
        a = out["filing_async"]
        lines[-1] += (
            f"; with synchronous_commit = off: {a['per_s']:,.0f}/s, p50 {a['p50']:.2f} ms, "
            f"p99 {a['p99']:.2f} ms"
        )
    lines[-1] += (
        f". After: {out['tickets_after']:,} tickets, {out['outbox_after']:,} outbox rows, "
        f"{mib(out['size_after']['total'])} MiB."
    )
    return "\n".join(lines) + "\n"


def combined(results: list[dict[str, Any]]) -> str:
    """Every run side by side: the queries' p50 / p99, filing and size (Markdown)."""
    heads = [f"{r['backend']} {r['seed']['tickets']:,}" for r in results]
    lines = [
        "| query | " + " | ".join(f"{h} p50 / p99 ms" for h in heads) + " |",
        "|---|" + "---:|" * len(results),
    ]
    for i, q in enumerate(results[0]["queries"]):
        cells = [f"{r['queries'][i]['p50']:.1f} / {r['queries'][i]['p99']:.1f}" for r in results]
        lines.append(f"| {q['name']} | " + " | ".join(cells) + " |")
    rows = {
        "filings/s (p50 / p99 ms)": lambda r: (
            f"{r['filing']['per_s']:,.0f} ({r['filing']['p50']:.1f} / {r['filing']['p99']:.1f})"
        ),
        "filings/s, synchronous_commit = off": lambda r: (
            f"{r['filing_async']['per_s']:,.0f} ({r['filing_async']['p50']:.1f} / "
            f"{r['filing_async']['p99']:.1f})"
            if "filing_async" in r
            else "—"
        ),
        "size on disk, MiB": lambda r: mib(r["size_seeded"]["total"]),
        "bulk seeding: rows + indexes, s": lambda r: (
            f"{r['seed']['load_s']:.0f} + {r['seed']['index_s']:.0f}"
        ),
    }
    for name, cell in rows.items():
        lines.append(f"| **{name}** | " + " | ".join(cell(r) for r in results) + " |")
    return "\n".join(lines) + "\n"


@asynccontextmanager
async def database(backend: str, volume: int, keep: str | None) -> AsyncIterator[Path | str]:
    """Where one run's database is: a new SQLite file or a database of a new throwaway
    PostgreSQL server; removed afterwards unless `keep` (a directory for the SQLite file;
    the server is left running, its data directory printed)."""
    if backend == "sqlite":
        if keep:
            path = Path(keep) / f"scale-{volume}.sqlite3"
            path.unlink(missing_ok=True)
            yield path
            return
        with tempfile.TemporaryDirectory(prefix="store-scale-") as tmp:
            yield Path(tmp) / "scale.sqlite3"
        return
    server = start_postgres()
    try:
        yield utf8_database(server, "scale")
    finally:
        if keep:
            print(
                f"kept: {server.url('scale')} (stop: pg_ctl -D {server.data} stop)", file=sys.stderr
            )
        else:
            server.stop()


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    kb = load_knowledge(sample_kb_path()).kb
    if kb is None:
        raise SystemExit("the sample KB does not load")
    results = []
    for volume in args.volume:
        for backend in args.backend:
            print(f"{backend}, {volume:,} tickets …", file=sys.stderr)
            took = Took()
            async with database(backend, volume, args.keep) as target:
                out = await run(target, kb, volume, args.filings, args.runs, args.seed)
            out["elapsed_s"] = took.seconds()
            out["load"] = took.loads()
            out["date"] = shell_date()
            out["runs"] = args.runs
            print(render(out), flush=True)
            print(f"(took {out['elapsed_s']:.0f} s, load {out['load']})\n", flush=True)
            if args.json:
                with open(args.json, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(out, ensure_ascii=False) + "\n")
            results.append(out)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--backend", nargs="+", default=["sqlite", "postgresql"],
                   choices=["sqlite", "postgresql"])  # fmt: skip
    p.add_argument("--volume", type=int, nargs="+", default=[100_000], help="tickets seeded")
    p.add_argument("--filings", type=int, default=1000, help="tickets filed on top")
    p.add_argument("--runs", type=int, default=30, help="timed runs per query")
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--json", help="append the figures to this JSON-lines file")
    p.add_argument("--keep", help="keep the databases (SQLite files in this directory)")
    p.add_argument("--combine", nargs="+", help="print one table of these JSON-lines files")
    args = p.parse_args(argv)
    if args.combine:
        results = [
            json.loads(line) for f in args.combine for line in Path(f).read_text().splitlines()
        ]
        print(combined(results))
        return 0
    command = command_line("benchmarks/store_scale.py", argv)
    print(f"- Machine: {machine()}\n- Date: {shell_date()}\n- Command: `{command}`\n")
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
