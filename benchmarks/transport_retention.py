"""Transport retention at scale (issue 12): deleting 10^6 finished, old rows of each
transport table (`updates`, `outbox`, `webchat_inbox`) with `bot.transport.purge`.

Run from the repository root:

    python benchmarks/transport_retention.py [--engine sqlite postgresql]
        [--old 1000000] [--young 100000] [--chunk 1000]

For each engine: a fresh, migrated database (an SQLite file; a throwaway PostgreSQL
server with default durability, `benchmarks/store_scale.py`'s), filled in one statement
per table with `--old` finished rows written 40 days ago and then `--young` finished rows
written a day ago (as processing leaves them: payload emptied, done or sent). Then one
purge with the default 30 days, timed whole and per chunk: how long each chunk holds the
connection's lock (its walk, its DELETE and its COMMIT: the time another writer of the
SQLite file, or the update processor on the same connection, waits at most). Then a
second purge, which finds nothing: the cost of the hourly run once caught up (on
PostgreSQL once more after the `VACUUM` autovacuum would run: the first walk after a mass
delete steps over the dead index entries).

Prints Markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.store import Store
from bot.store.backend import fetchone, is_postgres
from bot.transport import purge

NOW = dt.datetime.now(dt.UTC)


def stamp(days_ago: float) -> str:
    return (NOW - dt.timedelta(days=days_ago)).isoformat(timespec="seconds")


class TimedLock(asyncio.Lock):
    """A lock that records how long each hold lasted."""

    def __init__(self) -> None:
        super().__init__()
        self.holds: list[float] = []
        self._since = 0.0

    async def acquire(self) -> bool:
        got = await super().acquire()
        self._since = time.perf_counter()
        return got

    def release(self) -> None:
        self.holds.append(time.perf_counter() - self._since)
        super().release()


async def fill(store: Store, first: int, count: int, when: str) -> None:
    """`count` finished rows in each table, keys from `first`, written at `when`."""
    last = first + count - 1
    if is_postgres(store.path):
        series = "SELECT i FROM generate_series(CAST(? AS BIGINT), CAST(? AS BIGINT)) AS n(i)"
    else:
        series = (
            "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "SELECT i FROM n"
        )
    async with store.transaction():
        await store.conn.execute(
            "INSERT INTO updates (update_id, payload, state, received_at, done_at, chat_id) "
            f"SELECT i, '{{}}', 'done', ?, ?, 1000 + i % 5000 FROM ({series}) s",
            (when, when, first, last),
        )
        await store.conn.execute(
            "INSERT INTO outbox (id, chat_id, kind, payload, owner, state, created_at, "
            "sent_at, message_id) SELECT i, 1000 + i % 5000, 'send', '{}', "
            f"'tg:' || (1000 + i % 5000), 'sent', ?, ?, i FROM ({series}) s",
            (when, when, first, last),
        )
        await store.conn.execute(
            "INSERT INTO webchat_inbox (id, visitor, client_id, payload, state, received_at, "
            f"done_at) SELECT i, 'chat:v' || (i % 5000), 'c' || i, '{{}}', 'done', ?, ? "
            f"FROM ({series}) s",
            (when, when, first, last),
        )


async def counts(store: Store) -> dict[str, int]:
    out = {}
    for table in ("updates", "outbox", "webchat_inbox"):
        row = await fetchone(store.conn, f"SELECT COUNT(*) FROM {table}")
        out[table] = int(row[0]) if row else 0
    return out


async def run(target: Path | str, old: int, young: int, chunk: int) -> dict[str, Any]:
    async with Store.opened(target) as store:
        began = time.perf_counter()
        await fill(store, 1, old, stamp(40))
        await fill(store, old + 1, young, stamp(1))
        if is_postgres(target):
            await store.conn.execute("VACUUM ANALYZE")
        filled = time.perf_counter() - began
        before = await counts(store)
        lock = TimedLock()
        began = time.perf_counter()
        purged = await purge(store, NOW, 30, lock, chunk)
        took = time.perf_counter() - began
        holds = sorted(lock.holds)
        again = TimedLock()
        began = time.perf_counter()
        second = await purge(store, NOW, 30, again, chunk)
        idle = time.perf_counter() - began
        vacuumed = None
        if is_postgres(target):  # what autovacuum would do after the mass delete
            await store.conn.execute("VACUUM ANALYZE")
            began = time.perf_counter()
            await purge(store, NOW, 30, TimedLock(), chunk)
            vacuumed = (time.perf_counter() - began) * 1000
        after = await counts(store)
    return {
        "filled_s": filled,
        "before": before,
        "after": after,
        "deleted": purged.deleted,
        "chunks": purged.chunks,
        "took_s": took,
        "rows_per_s": purged.total / took if took else 0.0,
        "hold_p50_ms": statistics.median(holds) * 1000,
        "hold_p99_ms": holds[min(len(holds) - 1, int(0.99 * len(holds)))] * 1000,
        "hold_max_ms": holds[-1] * 1000,
        "second_deleted": second.total,
        "second_chunks": second.chunks,
        "second_ms": idle * 1000,
        "vacuumed_ms": vacuumed,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--engine", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite"])
    p.add_argument("--old", type=int, default=1_000_000)
    p.add_argument("--young", type=int, default=100_000)
    p.add_argument("--chunk", type=int, default=1000)
    args = p.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engine:
            if engine == "sqlite":
                target: Path | str = Path(tmp) / "retention.sqlite3"
                results[engine] = asyncio.run(run(target, args.old, args.young, args.chunk))
                continue
            from benchmarks.store_scale import start_postgres

            server = start_postgres()
            try:
                results[engine] = asyncio.run(
                    run(server.database(), args.old, args.young, args.chunk)
                )
            finally:
                server.stop()
    print(f"{args.old:,} old + {args.young:,} young finished rows per table, chunk {args.chunk}")
    print()
    print(
        "| engine | deleted (updates / outbox / inbox) | chunks | purge s | rows/s "
        "| lock held p50 / p99 / max ms | caught-up purge ms (chunks) | after VACUUM ms | left |"
    )
    print("|---|---|---:|---:|---:|---|---:|---:|---|")
    for engine, r in results.items():
        d, a = r["deleted"], r["after"]
        print(
            f"| {engine} | {d['updates']:,} / {d['outbox']:,} / {d['webchat_inbox']:,} "
            f"| {r['chunks']:,} | {r['took_s']:.1f} | {r['rows_per_s']:,.0f} "
            f"| {r['hold_p50_ms']:.1f} / {r['hold_p99_ms']:.1f} / {r['hold_max_ms']:.1f} "
            f"| {r['second_ms']:.1f} ({r['second_chunks']}) "
            f"| {'—' if r['vacuumed_ms'] is None else format(r['vacuumed_ms'], '.1f')} "
            f"| {a['updates']:,} / {a['outbox']:,} / {a['webchat_inbox']:,} |"
        )


if __name__ == "__main__":
    main()
