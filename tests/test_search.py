"""The tickets' text search index (migration 13): the same matches as LIKE, from the index,
kept in step with the tickets, emptied of erased text."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot import privacy
from bot.store import Store, TicketStore, backend
from bot.store.migrations import MIGRATIONS, PerEngine
from bot.store.search import COUNT_CAP, like_search, text_search
from bot.store.web import Filters, QueueStore
from bot.workdays import WorkCalendar
from tests.postgres_server import PostgresServer

TEXTS = [
    ("TS-2026-000001", "村口垃圾堆放多日无人清理", "东风村村口"),
    ("TS-2026-000002", "路面塌陷", "张家庄"),
    ("TS-2026-000003", 'Street light broken, says "Lamp 7"', None),
    ("TS-2026-000004", "噪音扰民，夜里施工", "李湾村"),
    ("TS-2026-000005", "路灯不亮", "村"),
]
QUERIES = [
    "塌陷",  # two characters, at the end of the description
    "村",  # one character, a whole location
    "村口",
    "张家庄",  # a whole location
    "无人清理",
    "ts-2026-000003",  # case-blind, like LIKE
    "lamp 7",
    '"lamp',  # a quote in the query
    "broken, says",
    "路",
    "庄",
    "没有这个词",
    "口垃",
    "00000",
]


async def insert(store: Store, number: str, description: str, location: str | None) -> int:
    """A ticket row with the text under test."""
    return await TicketStore(store).insert(
        {
            "number": number,
            "kind": "complaint",
            "category": "environment",
            "status": "received",
            "citizen": f"tg:{number[-1]}",
            "description": description,
            "location": location,
            "created_at": "2026-03-02T02:00:00+00:00",
            "deadline": "2026-03-20",
        }
    )


async def found(store: Store, q: str) -> list[int]:
    """The ids the console's search finds for `q`, newest first."""
    search = await text_search(store.conn, q)
    sql, args = search.ids_sql("TRUE", "id DESC")
    return [int(r[0]) for r in await backend.fetchall(store.conn, sql, (*args, 100))]


async def like(store: Store, q: str) -> list[int]:
    """What LIKE over the three columns finds (the search before the index)."""
    search = like_search(q)
    sql = f"SELECT id FROM tickets WHERE {search.where} ORDER BY id DESC"
    return [int(r[0]) for r in await backend.fetchall(store.conn, sql, search.args)]


async def test_the_index_finds_what_like_finds_for_short_and_long_queries(tmp_path: Path) -> None:
    async with Store.opened(tmp_path / "db.sqlite3") as store:
        for text in TEXTS:
            await insert(store, *text)
        for q in QUERIES:
            assert await found(store, q) == await like(store, q), q
        assert await found(store, "塌陷") == [2]
        assert await found(store, "村") == [5, 4, 1]
        search = await text_search(store.conn, "张家庄")
        sql, args = search.ids_sql("TRUE", "id DESC")
        plan = await backend.fetchall(store.conn, f"EXPLAIN QUERY PLAN {sql}", (*args, 50))
        assert any("VIRTUAL TABLE" in str(r[3]) for r in plan), plan
        assert not any("SCAN tickets" in str(r[3]) for r in plan), plan


async def test_a_changed_or_deleted_ticket_changes_the_index(tmp_path: Path) -> None:
    async with Store.opened(tmp_path / "db.sqlite3") as store:
        first = await insert(store, *TEXTS[0])
        second = await insert(store, *TEXTS[1])
        await TicketStore(store).update(first, description="井盖丢失", location=None)
        assert await found(store, "垃圾") == []
        assert await found(store, "井盖") == [first]
        assert await found(store, "东风村") == []
        await store.conn.execute("DELETE FROM tickets WHERE id = ?", (second,))
        assert await found(store, "塌陷") == []


async def test_forget_leaves_no_erased_text_in_the_index(tmp_path: Path) -> None:
    secret = "甴曱村后山的秘密小路"  # 甴 and 曱 appear nowhere else
    async with Store.opened(tmp_path / "db.sqlite3") as store:
        for text in TEXTS:
            await insert(store, *text)
        async with store.transaction():
            kept = await insert(store, "TS-2026-000009", "路灯不亮", "东风村")
            await TicketStore(store).update(kept, citizen="tg:77")
            erased = await insert(store, "TS-2026-000010", secret, "甴曱村")
            await TicketStore(store).update(erased, citizen="tg:78")
        assert await found(store, "甴曱") == [erased]
        async with store.transaction():
            await privacy.forget(store, "tg:78")
        assert await found(store, "甴") == []
        assert await found(store, "秘密小路") == []
        assert await found(store, "路灯不亮") == [kept, 5]
        # Not only unfindable: FTS5 keeps a deleted row's terms in its segments until they
        # are merged, so the bytes of the erased characters must be gone from the index.
        blocks = await backend.fetchall(store.conn, "SELECT block FROM ticket_search_data")
        stored = b"".join(bytes(r[0]) for r in blocks)
        assert "路".encode() in stored  # the index is there, and holds the kept text
        for char in "甴曱":
            assert char.encode() not in stored


async def test_the_migration_indexes_existing_tickets(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    conn = await backend.connect(path)
    index = next(i for i, m in enumerate(MIGRATIONS) if isinstance(m, PerEngine))
    for number, script in enumerate(MIGRATIONS[:index], start=1):  # the schema before it
        assert isinstance(script, str)
        await backend.apply_migration(conn, number, script)
    store = Store(conn, path)
    for text in TEXTS:
        await insert(store, *text)
    assert await store.migrate() == len(MIGRATIONS)
    assert await found(store, "塌陷") == [2]
    assert await found(store, "李湾") == [4]
    await store.close()


async def _utf8_database(server: PostgresServer) -> str:
    """A database whose LC_CTYPE knows Chinese letters and folds accented ones."""
    url = server.database()
    name = url.split("@/", 1)[1].split("?")[0] + "u"
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'")
    return server.url(name)


#: Cased letters beyond ASCII: PostgreSQL's ILIKE folds them under C.UTF-8, not under C.
CASED = [("TS-2026-000006", "ÉCOLE fermée, Straße 路口", "Élan")]
PG_QUERIES = [*QUERIES, "é", "ÉC", "école", "élan", "e", "LA", "ß", "Ts", "s-", "6", "'", "%", "_"]


@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
async def test_postgres_finds_what_like_finds_through_the_gram_index(
    postgres_server: PostgresServer, locale: str
) -> None:
    url = await _utf8_database(postgres_server) if locale != "C" else postgres_server.database()
    async with Store.opened(url) as store:
        indexes = await backend.fetchall(
            store.conn,
            "SELECT indexname FROM pg_indexes WHERE tablename = 'tickets' "
            "AND indexdef LIKE '%USING gin%' ORDER BY 1",
        )
        assert [r[0] for r in indexes] == ["tickets_grams"]  # migration 16 replaced trgm
        for text in [*TEXTS, *CASED]:
            await insert(store, *text)
        for q in PG_QUERIES:
            assert await found(store, q) == await like(store, q), q
        assert await found(store, "塌陷") == [2]
        assert await found(store, "村") == [5, 4, 1]
        assert await found(store, "无人清理") == [1]
        assert await found(store, "ts-2026-000003") == [3]
        # Folded like ILIKE folds in each locale: É is a letter of C.UTF-8 only.
        assert await found(store, "école") == ([6] if locale == "C.UTF-8" else [])
        assert await found(store, "LAMP 7") == [3]


async def test_postgres_short_queries_are_answered_by_the_index_alone(
    postgres_server: PostgresServer,
) -> None:
    url = await _utf8_database(postgres_server)
    async with Store.opened(url) as store:
        for text in TEXTS:
            await insert(store, *text)
        await store.conn.execute("SET enable_seqscan = off")
        for q in ("路", "塌陷"):
            search = await text_search(store.conn, q)
            plan = await _plan(store, search.where, search.args)
            assert "tickets_grams" in plan, plan
            assert "Filter" not in plan and "~~*" not in plan, plan  # no row rechecked
        search = await text_search(store.conn, "无人清理")
        plan = await _plan(store, search.where, search.args)
        assert "tickets_grams" in plan and "~~*" in plan, plan  # pairs, then LIKE


async def test_postgres_changed_deleted_and_erased_tickets_leave_the_index(
    postgres_server: PostgresServer,
) -> None:
    secret = "甴曱村后山的秘密小路"  # 甴 and 曱 appear nowhere else
    url = await _utf8_database(postgres_server)
    async with Store.opened(url) as store:
        for text in TEXTS:
            await insert(store, *text)
        first = await insert(store, "TS-2026-000011", "村口垃圾", "东风村")
        await TicketStore(store).update(first, description="井盖丢失", location=None)
        assert await found(store, "口垃") == [1]
        assert await found(store, "井盖") == [first]
        await store.conn.execute("DELETE FROM tickets WHERE id = ?", (2,))
        assert await found(store, "塌陷") == []
        async with store.transaction():
            kept = await insert(store, "TS-2026-000009", "路灯不亮", "东风村")
            await TicketStore(store).update(kept, citizen="tg:77")
            erased = await insert(store, "TS-2026-000010", secret, "甴曱村")
            await TicketStore(store).update(erased, citizen="tg:78")
        for q in ("甴", "甴曱", "秘密小路"):
            assert await found(store, q) == [erased], q
        async with store.transaction():
            await privacy.forget(store, "tg:78")
        await store.conn.execute("SET enable_seqscan = off")  # the index, not a table scan
        for q in ("甴", "曱", "甴曱", "秘密", "秘密小路", "后山的"):
            assert await found(store, q) == [], q
        assert await found(store, "路灯不亮") == [kept, 5]
        # What the index holds for the erased row is its placeholder's grams.
        row = await backend.fetchone(
            store.conn,
            "SELECT grams @> ticket_query_grams(?) FROM tickets WHERE id = ?",
            ("甴", erased),
        )
        assert row is not None and row[0] is False


async def test_postgres_migration_16_indexes_existing_tickets(
    postgres_server: PostgresServer,
) -> None:
    url = await _utf8_database(postgres_server)
    conn = await backend.connect(url)
    assert await backend.schema_version(conn) == 0
    for number, script in enumerate(MIGRATIONS[:15], start=1):  # the schema before it
        statements = script.statements(conn) if isinstance(script, PerEngine) else script
        await backend.apply_migration(conn, number, statements)
    store = Store(conn, url)
    for text in TEXTS:
        await insert(store, *text)
    assert await store.migrate() == len(MIGRATIONS)
    assert await found(store, "塌陷") == [2]
    assert await found(store, "李湾") == [4]
    assert await found(store, "村") == [5, 4, 1]
    await store.close()


async def _plan(store: Store, where: str, args: Any) -> str:
    rows = await backend.fetchall(
        store.conn, f"EXPLAIN SELECT id FROM tickets WHERE {where}", tuple(args)
    )
    return "\n".join(str(r[0]) for r in rows)


async def test_postgres_counts_a_search_up_to_the_cap(postgres_server: PostgresServer) -> None:
    url = await _utf8_database(postgres_server)
    async with Store.opened(url) as store:
        for text in TEXTS:
            await insert(store, *text)
        queues = QueueStore(store.conn, WorkCalendar())
        today = dt.date(2026, 3, 2)
        assert queues.count_cap(Filters(q="村")) == COUNT_CAP
        assert queues.count_cap(Filters()) is None
        total, rows = await queues.rows("all", "nobody", today, Filters(q="村"))
        assert total == 3 and [t.id for t in rows] == [5, 4, 1]  # under the cap: exact
        capped = replace(await text_search(store.conn, "村"), cap=2)
        sql, args = capped.count_sql("TRUE")
        row = await backend.fetchone(store.conn, sql, args)
        assert row is not None and row[0] == 3  # one past the cap: "more than 2"
    async with Store.opened(":memory:") as lite:  # SQLite counts every match
        assert QueueStore(lite.conn, WorkCalendar()).count_cap(Filters(q="村")) is None
