"""Transport retention (bot/transport.py): finished, old updates, outbox messages and web
chat messages are deleted a chunk at a time; everything still needed stays."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.errors import ConfigError
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.store import Store
from bot.store.backend import fetchall, fetchone, is_postgres
from bot.store.transport import TABLES, TransportSQL
from bot.transport import purge
from bot.web.serve import serve
from tests.conftest import write_kb
from tests.emulator import BotApiEmulator
from tests.telegram_harness import running_bot
from tests.test_web_admin_kb import PASSPORT, free_port
from tests.test_webchat_crash import until
from tests.webchat_env import events, join, say, webchat

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def at(days_ago: float) -> str:
    """A stored time stamp, `days_ago` days before NOW."""
    return (NOW - dt.timedelta(days=days_ago)).isoformat(timespec="seconds")


OLD, YOUNG = at(40), at(1)


async def update(store: Store, uid: int, state: str, when: str, not_before: float = 0) -> None:
    await store.conn.execute(
        "INSERT INTO updates (update_id, payload, state, received_at, done_at, not_before) "
        "VALUES (?, '{}', ?, ?, ?, ?)",
        (uid, state, when, None if state == "pending" else when, not_before),
    )


async def outbox(
    store: Store, kind: str, state: str, when: str, ticket_id: int | None = None
) -> int:
    row = await fetchone(
        store.conn,
        "INSERT INTO outbox (chat_id, kind, payload, owner, state, created_at, ticket_id) "
        "VALUES (1, ?, '{}', 'tg:1', ?, ?, ?) RETURNING id",
        (kind, state, when, ticket_id),
    )
    assert row is not None
    return int(row[0])


async def inbox(store: Store, client_id: str, state: str, when: str) -> None:
    await store.conn.execute(
        "INSERT INTO webchat_inbox (visitor, client_id, payload, state, received_at, done_at) "
        "VALUES ('chat:v', ?, '{}', ?, ?, ?)",
        (client_id, state, when, None if state == "pending" else when),
    )


async def keys(store: Store, table: str, key: str = "id") -> list[int]:
    return [int(r[0]) for r in await fetchall(store.conn, f"SELECT {key} FROM {table} ORDER BY 1")]


async def test_only_finished_old_rows_go(db_target: Path | str) -> None:
    async with Store.opened(db_target) as store:
        await update(store, 1, "done", OLD)
        await update(store, 2, "failed", OLD)
        await update(store, 3, "pending", OLD)  # not processed yet (an outage)
        await update(store, 4, "pending", OLD, not_before=NOW.timestamp() + 60)  # held
        await update(store, 5, "done", YOUNG)
        await update(store, 6, "done", YOUNG)
        gone = [
            await outbox(store, "send", "sent", OLD),
            await outbox(store, "send", "failed", OLD),
            await outbox(store, "send", "undeliverable", OLD),  # about no ticket
            await outbox(store, "webchat", "pending", OLD),  # a web chat event, history
            await outbox(store, "terminal", "sent", OLD),  # shown
        ]
        kept = [
            await outbox(store, "send", "undeliverable", OLD, ticket_id=7),  # staff count it
            await outbox(store, "send", "pending", OLD),  # in flight, or retried
            await outbox(store, "edit", "pending", OLD),
            await outbox(store, "terminal", "pending", OLD),  # not shown yet
            await outbox(store, "send", "sent", YOUNG),
            await outbox(store, "webchat", "pending", YOUNG),
        ]
        await inbox(store, "c-old-done", "done", OLD)
        await inbox(store, "c-old-failed", "failed", OLD)
        await inbox(store, "c-old-pending", "pending", OLD)
        await inbox(store, "c-young-done", "done", YOUNG)
        await inbox(store, "c-young-new", "done", YOUNG)

        purged = await purge(store, NOW, days=30)

        assert purged.deleted == {"updates": 2, "outbox": len(gone), "webchat_inbox": 2}
        assert await keys(store, "updates", "update_id") == [3, 4, 5, 6]
        assert await keys(store, "outbox") == sorted(kept)
        clients = await fetchall(store.conn, "SELECT client_id FROM webchat_inbox ORDER BY id")
        assert [r[0] for r in clients] == ["c-old-pending", "c-young-done", "c-young-new"]
        # Nothing more to do: a second purge deletes nothing.
        assert (await purge(store, NOW, days=30)).total == 0
        # The same rows are young for a longer retention.
        assert await keys(store, "updates", "update_id") == [3, 4, 5, 6]


async def test_each_tables_newest_row_stays_so_offsets_and_ids_go_on(
    db_target: Path | str,
) -> None:
    async with Store.opened(db_target) as store:
        for uid in range(100, 110):
            await update(store, uid, "done", OLD)
        sent = [await outbox(store, "webchat", "pending", OLD) for _ in range(5)]
        for n in range(3):
            await inbox(store, f"client-{n}", "done", OLD)
        purged = await purge(store, NOW, days=30)
        assert purged.deleted == {"updates": 9, "outbox": 4, "webchat_inbox": 2}
        # Telegram's polling offset is MAX(update_id): the newest update is kept.
        assert await store.last_update_id() == 109
        assert await keys(store, "outbox") == [sent[-1]]
        # A new message gets an id after every id ever handed out (SQLite would reuse the
        # newest's id + 1 if it were deleted): a page resuming after it misses nothing.
        new = await store.enqueue(0, "webchat", {"text": "later"}, "chat:v")
        assert new > sent[-1]


async def test_chunks_are_separate_transactions_the_lock_shared_between_them(
    tmp_path: Path,
) -> None:
    async with Store.opened(tmp_path / "db.sqlite3") as store:
        async with store.transaction():
            await store.conn.executemany(
                "INSERT INTO outbox (chat_id, kind, payload, state, created_at) "
                "VALUES (1, 'send', '{}', 'sent', ?)",
                [(OLD,)] * 2501,
            )
        lock = asyncio.Lock()
        seen: list[int] = []
        done = asyncio.Event()

        async def other_user() -> None:  # the update processor, on the same connection
            while not done.is_set():
                async with lock:
                    assert not store.conn.in_transaction  # never inside a chunk
                    seen.append(len(await keys(store, "outbox")))
                await asyncio.sleep(0)

        task = asyncio.create_task(other_user())
        purged = await purge(store, NOW, days=30, lock=lock, chunk=1000)
        done.set()
        await task
        # 2,500 old rows below the newest: 1,000 + 1,000 + 500, one transaction each.
        assert purged.deleted["outbox"] == 2500 and purged.chunks == 3
        assert await keys(store, "outbox") == [2501]
        # The other user of the connection got in between the chunks.
        assert {1501, 501} & set(seen), seen


async def test_a_young_row_stops_the_walk(db_target: Path | str) -> None:
    """Rows are written in key order, so nothing after a young row is old: the walk reads
    no further than the first chunk that reaches one."""
    async with Store.opened(db_target) as store:
        for uid in range(1, 6):
            await update(store, uid, "done", OLD)
        for uid in range(6, 50):
            await update(store, uid, "done", YOUNG)
        purged = await purge(store, NOW, days=30, chunk=10)
        assert purged.deleted["updates"] == 5
        assert purged.chunks == 1  # updates; the other two tables are empty


async def fill(store: Store, rows: int) -> None:
    """`rows` finished, old rows in each transport table (one statement each)."""
    series = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "SELECT i FROM n"
    )
    if is_postgres(store.path):
        series = "SELECT i FROM generate_series(1, ?) AS n(i)"
    async with store.transaction():
        await store.conn.execute(
            f"INSERT INTO updates (update_id, payload, state, received_at) "
            f"SELECT i, '{{}}', 'done', ? FROM ({series}) s",
            (OLD, rows),
        )
        await store.conn.execute(
            f"INSERT INTO outbox (chat_id, kind, payload, state, created_at) "
            f"SELECT i, 'send', '{{}}', 'sent', ? FROM ({series}) s",
            (OLD, rows),
        )
        await store.conn.execute(
            f"INSERT INTO webchat_inbox (visitor, client_id, payload, state, received_at) "
            f"SELECT 'chat:v', 'c' || i, '{{}}', 'done', ? FROM ({series}) s",
            (OLD, rows),
        )
    await store.conn.execute("ANALYZE")


async def plan(store: Store, sql: str, args: tuple[Any, ...]) -> str:
    if is_postgres(store.path):
        rows = await fetchall(store.conn, "EXPLAIN " + sql, args)
        return "\n".join(str(r[0]) for r in rows)
    rows = await fetchall(store.conn, "EXPLAIN QUERY PLAN " + sql, args)
    return "\n".join(str(r[3]) for r in rows)


async def test_the_walk_and_the_delete_use_the_primary_key(db_target: Path | str) -> None:
    async with Store.opened(db_target) as store:
        await fill(store, 20_000)
        sql = TransportSQL(store.conn)
        for table in TABLES:
            ids = list(range(1000, 2000))
            walk = await plan(store, sql.walk_sql(table), (OLD, 0, 20_000, 1000))
            delete = await plan(store, sql.delete_sql(table, len(ids)), (*ids, OLD))
            for shown in (walk, delete):
                if is_postgres(store.path):
                    assert f"Index Scan using {table.name}_pkey" in shown, shown
                    assert "Seq Scan" not in shown, shown
                else:
                    assert "USING INTEGER PRIMARY KEY" in shown, shown
                    assert "SCAN" not in shown.replace("SEARCH", ""), shown


# -- where it runs: the bot's daily retention job, `citizen-desk web` hourly ---------------


async def test_the_bots_retention_job_purges_and_a_restart_keeps_its_offset(
    emulator: BotApiEmulator, matcher: Matcher, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    chat = 5001
    async with running_bot(emulator, matcher, db):
        for n, text in enumerate(("低保怎么申请", "谢谢", "/help")):
            emulator.add_message(chat, text)
            await emulator.wait_for_sent(chat, n + 1)
    with sqlite3.connect(db) as conn:  # a month and more later
        conn.execute("UPDATE updates SET received_at = ?", (at(40),))
        conn.execute("UPDATE outbox SET created_at = ?", (at(40),))
        newest = int(conn.execute("SELECT MAX(update_id) FROM updates").fetchone()[0])
        sent = conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'sent'").fetchone()[0]
    assert sent >= 3
    registered = len(emulator.calls_to("setMyCommands"))
    async with running_bot(emulator, matcher, db) as service:
        # Started (its first run's calls satisfied the harness's wait already).
        await until(lambda: len(emulator.calls_to("setMyCommands")) > registered, 15, "start")
        await service._retention_job(None)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT update_id FROM updates").fetchall() == [(newest,)]
        assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 1
    calls = len(emulator.calls_to("getUpdates"))
    async with running_bot(emulator, matcher, db):
        emulator.add_message(chat, "低保怎么申请")
        await emulator.wait_for_sent(chat, 4)
    # The restarted bot asked for what follows the newest update: nothing old again.
    first = emulator.calls_to("getUpdates")[calls]
    assert first["offset"] == newest + 1
    assert len(emulator.sent(chat)) == 4


async def test_a_retried_web_post_is_still_recognised_and_history_shown(
    tmp_path: Path, sample_kb: KnowledgeBase
) -> None:
    async with webchat(tmp_path / "db.sqlite3", sample_kb) as chat:
        processor = chat.processor
        async with chat.client() as client:
            await join(client)
            await say(client, "retry-0001", text="低保怎么申请")
            await say(client, "retry-0002", text="谢谢")
            assert await processor.process_pending() == 2
            history = events(await client.get("/chat/events"))
            # A day later (the page reopened, the phone retrying): the hourly purge
            # deletes nothing the window needs.
            later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
            purged = await purge(processor.store, later, days=30, lock=processor.lock)
            assert purged.total == 0
            again = await say(client, "retry-0001", text="低保怎么申请")
            assert again.json() == {"ok": True, "duplicate": True}
            assert await processor.process_pending() == 0
            assert events(await client.get("/chat/events")) == history
            # Past the retention period the history goes, its newest event excepted.
            much_later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
            purged = await purge(processor.store, much_later, days=30, lock=processor.lock)
            assert purged.deleted["outbox"] == len(history) - 1
            assert purged.deleted["webchat_inbox"] == 1
            assert events(await client.get("/chat/events")) == history[-1:]


async def test_citizen_desk_web_purges_on_its_own(tmp_path: Path) -> None:
    kb_dir = write_kb(tmp_path / "kb", {"passport.yaml": PASSPORT})
    db = tmp_path / "db.sqlite3"
    async with Store.opened(db) as store:
        for uid in range(1, 11):
            await update(store, uid, "done", at(10))
    settings = load_settings(
        environ={"CITIZEN_DESK_TRANSPORT_RETENTION_DAYS": "7"},
        overrides={"db_path": db, "kb_dir": kb_dir},
    )
    assert settings.transport_retention_days == 7
    stop = asyncio.Event()
    server = asyncio.create_task(serve(settings, kb_dir, f"127.0.0.1:{free_port()}", False, stop))

    def left() -> int:
        with sqlite3.connect(db, timeout=30) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM updates").fetchone()[0])

    try:
        await until(lambda: left() == 1, 15, "the old updates deleted")
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)


def test_the_setting_is_read_and_checked() -> None:
    assert load_settings(environ={}).transport_retention_days == 30
    env = {"CITIZEN_DESK_TRANSPORT_RETENTION_DAYS": "90"}
    assert load_settings(environ=env).transport_retention_days == 90
    with pytest.raises(ConfigError, match="transport_retention_days"):
        load_settings(environ={"CITIZEN_DESK_TRANSPORT_RETENTION_DAYS": "0"})


async def test_web_chat_events_are_no_outbox_backlog(db_target: Path | str) -> None:
    """They stay pending for good (the page's history): `citizen-desk health` and the
    bot's health endpoint count only messages waiting for a sender."""
    async with Store.opened(db_target) as store:
        for _ in range(3):
            await outbox(store, "webchat", "pending", YOUNG)
        await outbox(store, "send", "pending", YOUNG)
        await outbox(store, "send", "sent", YOUNG)
        assert await store.outbox_backlog() == 1
