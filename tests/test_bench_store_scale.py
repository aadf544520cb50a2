"""The store scale benchmark (benchmarks/store_scale.py) at a tiny size, so that it cannot rot:
its bulk seeding leaves the schema the migrations make, and its figures add up."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from benchmarks.common import utf8_database
from benchmarks.store_scale import render, run
from bot.knowledge.model import KnowledgeBase
from bot.store import Store
from bot.store.backend import fetchall, fetchone, is_postgres
from bot.store.web import Filters, QueueStore
from bot.workdays import WorkCalendar
from tests.postgres_server import PostgresServer

TICKETS, FILINGS = 200, 12


async def schema(store: Store) -> set[str]:
    """The names of the indexes and triggers on tickets and their audit lines."""
    if is_postgres(store.path):
        sql = (
            "SELECT 'index ' || indexname FROM pg_indexes "
            "WHERE tablename IN ('tickets', 'ticket_events')"
        )
    else:
        sql = (
            "SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('index', 'trigger') "
            "AND tbl_name IN ('tickets', 'ticket_events')"
        )
    return {str(r[0]) for r in await fetchall(store.conn, sql)}


async def searched(store: Store, q: str) -> int:
    """How many tickets the console's text search finds for `q`."""
    queue = QueueStore(store.conn, WorkCalendar())
    total, _ = await queue.rows("all", "nobody", dt.date.today(), Filters(q=q))
    return total


async def check(target: Path | str, fresh: Path | str, kb: KnowledgeBase) -> dict[str, Any]:
    """Run the benchmark on `target`; compare its schema with a fresh one at `fresh`."""
    out = await run(target, kb, TICKETS, FILINGS, runs=2, seed_=7)
    filed = out["filings_total"]
    assert out["seed"]["tickets"] == TICKETS
    assert TICKETS < out["seed"]["events"] <= 4 * TICKETS
    assert out["tickets_after"] == out["numbers_after"] == TICKETS + filed
    # Every filing wrote the citizen's confirmation and the staff card.
    assert out["outbox_after"] == 2 * filed
    by = {q["name"]: q for q in out["queries"]}
    assert by["all, newest first"]["matching"] == TICKETS
    assert by["search 没有这个词 (no match)"]["matching"] == 0
    assert by["search a ticket number"]["matching"] == 1
    assert 0 < by["search 塌陷 (description)"]["matching"] < TICKETS
    assert all(q["p99"] >= q["p50"] > 0 for q in out["queries"])
    assert out["filing"]["per_s"] > 0 and out["size_seeded"]["tickets"] > 0
    assert out["size_after"]["total"] >= out["size_seeded"]["total"] > 0
    assert "filings/s" in render(out)
    async with Store.opened(fresh) as empty, Store.opened(target) as seeded:
        # The indexes (and SQLite's search triggers) dropped for the load are all back.
        assert await schema(seeded) == await schema(empty)
        # The search finds what LIKE finds, seeded tickets (the backfill) and the last
        # one filed after the load (the triggers) alike.
        like = await fetchone(
            seeded.conn,
            "SELECT COUNT(*) FROM tickets WHERE description LIKE '%塌陷%' "
            "OR location LIKE '%塌陷%'",
        )
        assert await searched(seeded, "塌陷") == int(like[0]) > 0
        last = await fetchone(seeded.conn, "SELECT number FROM tickets ORDER BY id DESC LIMIT 1")
        assert await searched(seeded, str(last[0])) == 1
    return out


async def test_store_scale_sqlite(tmp_path: Path, sample_kb: KnowledgeBase) -> None:
    out = await check(tmp_path / "scale.sqlite3", tmp_path / "fresh.sqlite3", sample_kb)
    assert out["backend"] == "sqlite" and "filing_async" not in out
    assert out["size_seeded"]["ticket_search"] > 0


async def test_store_scale_postgresql(
    postgres_server: PostgresServer, sample_kb: KnowledgeBase
) -> None:
    target = utf8_database(postgres_server, f"scale{os.getpid()}")
    out = await check(target, postgres_server.database(), sample_kb)
    assert out["backend"] == "postgresql" and out["filing_async"]["n"] == FILINGS
