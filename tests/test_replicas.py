"""Several replicas on one PostgreSQL: each update processed once, in order per chat; one
poller and one sender by advisory lock, taken over when its holder dies; NOTIFY wakes."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from bot.channels.menus import MenuBook
from bot.knowledge.loader import load_knowledge, sample_kb_path
from bot.knowledge.model import KnowledgeBase
from bot.store import MIGRATIONS, Store, TicketStore, backend, replicas
from tests.emulator import BotApiEmulator
from tests.telegram_harness import running_bot

CHATS = 50
PER_CHAT = 20  # 1,000 updates


async def replica(url: str, name: str, done: asyncio.Event) -> int:
    """One replica's processing loop, as the bot's: heads, then claim in the transaction."""
    processed = 0
    async with Store.opened(url) as store:
        while not done.is_set():
            heads = await store.pending_updates(limit=10)
            if not heads:
                if not await backend.fetchone(
                    store.conn, "SELECT 1 FROM updates WHERE state = 'pending' LIMIT 1"
                ):
                    done.set()
                await asyncio.sleep(0.005)
                continue
            async with store.transaction():
                claimed = await store.claim_updates([u for u, _ in heads])
                for update_id, payload in heads:
                    if update_id not in claimed:
                        continue
                    chat = json.loads(payload)["message"]["chat"]["id"]
                    # The effect: one question log row per update (id = order of effects).
                    await store.log_question(
                        f"tg:{chat}", str(update_id), "zh", name, None, 0.0, []
                    )
                    await asyncio.sleep(random.random() * 0.002)  # others run meanwhile
                await store.mark_updates_done(sorted(claimed))
            processed += len(claimed)
    return processed


async def test_three_replicas_process_each_update_once_in_chat_order(postgres_url: str) -> None:
    rng = random.Random(13)
    # Chats' messages interleaved at random, as they arrive from many people at once.
    order = [chat for chat in range(1, CHATS + 1) for _ in range(PER_CHAT)]
    rng.shuffle(order)
    updates = [
        (
            update_id,
            json.dumps({"update_id": update_id, "message": {"chat": {"id": chat}}}),
            chat,
        )
        for update_id, chat in enumerate(order, start=1)
    ]
    async with Store.opened(postgres_url) as store:
        assert await store.save_updates(updates) == 1000
    done = asyncio.Event()
    started = time.perf_counter()
    counts = await asyncio.gather(*(replica(postgres_url, f"r{i}", done) for i in range(3)))
    elapsed = time.perf_counter() - started
    print(f"1,000 updates by 3 replicas in {elapsed:.2f} s; per replica {counts}")
    assert sum(counts) == 1000 and all(counts), counts  # every replica took a share
    async with Store.opened(postgres_url) as store:
        rows = await backend.fetchall(
            store.conn, "SELECT user_key, text, route FROM questions ORDER BY id"
        )
        pending = await backend.fetchone(
            store.conn, "SELECT COUNT(*) FROM updates WHERE state <> 'done'"
        )
    assert pending is not None and pending[0] == 0
    seen = [int(r[1]) for r in rows]
    assert len(seen) == 1000 and sorted(seen) == list(range(1, 1001))  # once each
    by_chat: dict[str, list[int]] = defaultdict(list)
    for user, text, _ in rows:
        by_chat[user].append(int(text))
    assert len(by_chat) == CHATS
    for ids in by_chat.values():
        assert ids == sorted(ids)  # a chat's effects in the order of its messages


async def test_a_chat_waits_for_its_oldest_update(postgres_url: str) -> None:
    async with Store.opened(postgres_url) as a, Store.opened(postgres_url) as b:
        await a.save_updates([(1, "{}", 7), (2, "{}", 7), (3, "{}", 8)])
        async with a.transaction():
            assert await a.claim_updates([1, 3]) == {1, 3}
            # Meanwhile another replica sees only each chat's oldest, both held: nothing.
            heads = [u for u, _ in await b.pending_updates()]
            assert heads == [1, 3]
            async with b.transaction():
                assert await b.claim_updates(heads) == set()
            await a.mark_updates_done([1])
        assert [u for u, _ in await b.pending_updates()] == [2, 3]


LEADER = """
import asyncio, sys, time
from bot.store.replicas import Leadership
async def main():
    lead = Leadership(sys.argv[1], 4242, "test")
    while not await lead.held():
        await asyncio.sleep(0.1)
    print("lead", time.time(), flush=True)
    await asyncio.sleep(3600)
asyncio.run(main())
"""


def leader(url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.Popen(
        [sys.executable, "-c", LEADER, url], stdout=subprocess.PIPE, text=True, env=env
    )


def test_the_lock_passes_on_within_seconds_when_its_holder_is_killed(postgres_url: str) -> None:
    first = leader(postgres_url)
    second = None
    try:
        assert first.stdout is not None and first.stdout.readline().startswith("lead")
        second = leader(postgres_url)
        time.sleep(1.5)
        assert second.poll() is None
        os.kill(first.pid, signal.SIGKILL)
        killed = time.time()
        first.wait(10)
        assert second.stdout is not None
        line = second.stdout.readline()  # blocks until the second one leads
        takeover = float(line.split()[1]) - killed
        print(f"takeover {takeover:.2f} s after SIGKILL")
        assert 0 <= takeover < 5
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)


async def test_concurrent_callers_take_the_lock_once(postgres_url: str) -> None:
    """Callers of `held()` at once (the sender, the deadline scan, a health check) share
    one lock connection and take the lock on it once: the advisory lock is re-entrant,
    so a second take would need a second unlock, and a second connection would keep the
    lock after `release()`."""
    for _ in range(5):
        lead = replicas.Leadership(postgres_url, 4343, "test")
        other = await backend.connect(postgres_url)
        try:
            assert await asyncio.gather(*(lead.held() for _ in range(4))) == [True] * 4
            assert lead.conn is not None
            # Taken once: one unlock frees it for another session.
            await lead.conn.execute("SELECT pg_advisory_unlock(?)", (4343,))
            row = await backend.fetchone(other, "SELECT pg_try_advisory_lock(?)", (4343,))
            assert row is not None and row[0] is True
            await other.execute("SELECT pg_advisory_unlock(?)", (4343,))
            lead.leading = False  # the test gave the lock up behind its back
            assert await asyncio.gather(*(lead.held() for _ in range(4))) == [True] * 4
            await lead.release()
            # Released: no other connection of `lead` keeps it.
            row = await backend.fetchone(other, "SELECT pg_try_advisory_lock(?)", (4343,))
            assert row is not None and row[0] is True
            await other.execute("SELECT pg_advisory_unlock(?)", (4343,))
        finally:
            await lead.release()
            await other.close()


async def test_stored_updates_wake_a_listening_replica(postgres_url: str) -> None:
    wake, stopping = asyncio.Event(), asyncio.Event()
    listener = asyncio.create_task(
        replicas.listen(postgres_url, {replicas.UPDATES_CHANNEL: wake}, stopping)
    )
    try:
        await asyncio.wait_for(wake.wait(), 10)  # set once it listens
        wake.clear()
        async with Store.opened(postgres_url) as store:
            started = time.perf_counter()
            await store.save_updates([(1, "{}", 5)])
            await asyncio.wait_for(wake.wait(), 5)
            print(f"woken {1000 * (time.perf_counter() - started):.1f} ms after the commit")
    finally:
        stopping.set()
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)


async def test_a_deadline_flag_is_taken_once(db_target: Path | str) -> None:
    async with Store.opened(db_target) as one, Store.opened(db_target) as two:
        async with one.transaction():
            number = await TicketStore(one).next_number(2026)
            row = await backend.fetchone(
                one.conn,
                "INSERT INTO tickets (number, kind, citizen, category, department, description, "
                "status, created_at, deadline) VALUES (?, 'complaint', 'tg:1', 'other', "
                "'office', 'x', 'received', '2026-03-02', '2026-03-10') "
                "RETURNING id",
                (number,),
            )
        assert row is not None
        assert await TicketStore(one).flag_once(row[0], "reminded")
        assert not await TicketStore(two).flag_once(row[0], "reminded")
        assert await TicketStore(two).flag_once(row[0], "overdue")


async def test_a_menu_another_replica_is_sending_is_its_owners(db_target: Path | str) -> None:
    """A press reaches a replica that never saw the menu's send (another one sends): while
    the send is in flight the menu is found in the outbox by chat, owner and buttons."""
    chat, owner, buttons = -100500, "tg:1", ["f:a", "f:b"]
    async with Store.opened(db_target) as sender, Store.opened(db_target) as presser:
        rows = [[{"text": "A", "data": "f:a"}], [{"text": "B", "data": "f:b"}]]
        item = await sender.enqueue(chat, "send", {"text": "?", "buttons": rows}, owner=owner)
        book = MenuBook()  # the pressing replica's: nothing noted
        menu = (chat, 42)
        assert await book.may_press(presser, menu, owner, buttons)
        assert not await book.may_press(presser, menu, "tg:2", buttons)  # someone else's
        assert not await book.may_press(presser, menu, owner, ["f:a"])  # another menu
        assert not await book.may_press(presser, menu, owner, [])
        async with sender.transaction():
            await sender.outbox_delivered([(item, 42)])
            await sender.remember_menus([(chat, 42, owner)])
        assert await book.may_press(presser, menu, owner, buttons)
        assert not await book.may_press(presser, menu, "tg:2", buttons)
        # Not in flight any more: an older message with the same buttons is stale.
        assert not await book.may_press(presser, (chat, 41), owner, buttons)


async def test_replicas_starting_at_once_migrate_once(postgres_url: str) -> None:
    stores = await asyncio.gather(*(Store.open(postgres_url) for _ in range(3)))
    try:
        rows = await backend.fetchall(stores[0].conn, "SELECT version FROM schema_version")
        assert sorted(r[0] for r in rows) == list(range(1, len(MIGRATIONS) + 1))
    finally:
        for store in stores:
            await store.close()


async def test_the_weekly_review_reaches_the_admins_once_from_two_replicas(
    emulator: BotApiEmulator, sample_kb: KnowledgeBase, postgres_url: str
) -> None:
    first, *rest = sample_kb.entries
    kb = dataclasses.replace(
        sample_kb, entries=(dataclasses.replace(first, review_by=dt.date(2020, 1, 1)), *rest)
    )
    admin = 5150
    async with (
        running_bot(emulator, kb, postgres_url, admins=(admin,)) as one,  # type: ignore[arg-type]
        running_bot(emulator, kb, postgres_url, admins=(admin,)) as two,  # type: ignore[arg-type]
    ):
        await emulator.wait_for_call("setMyCommands", 6, timeout=20)  # both have started
        assert [await one.duties_lead.held(), await two.duties_lead.held()].count(True) == 1
        for replica in (one, two):
            await replica._review_job(None)  # type: ignore[arg-type]
        (notice,) = await emulator.wait_for_sent(admin, 1, timeout=20)
        assert notice.plain_text is not None and first.id in notice.plain_text
        await asyncio.sleep(2)  # a second copy would be sent by now
        assert len(emulator.sent(admin)) == 1


async def test_a_kb_edit_is_reported_to_the_admins_once_from_two_replicas(
    emulator: BotApiEmulator, tmp_path: Path, postgres_url: str
) -> None:
    """Both replicas watch the KB folder and reload an edit; the one that sends tells."""
    kb_dir = tmp_path / "kb"
    shutil.copytree(sample_kb_path(), kb_dir)
    kb = load_knowledge(kb_dir).kb
    assert kb is not None
    admin = 5151
    settings = {"admins": (admin,), "kb_dir": kb_dir}
    async with (
        running_bot(emulator, kb, postgres_url, **settings) as one,  # type: ignore[arg-type]
        running_bot(emulator, kb, postgres_url, **settings) as two,  # type: ignore[arg-type]
    ):
        await emulator.wait_for_call("setMyCommands", 6, timeout=20)  # both have started
        for replica in (one, two):
            await asyncio.wait_for(replica.reloader.watching.wait(), 20)
        (kb_dir / "dogs.yaml").write_text(DOG_ENTRY, encoding="utf-8")
        (report,) = await emulator.wait_for_sent(admin, 1, timeout=30)
        assert report.plain_text is not None and "dog-licence" in report.plain_text
        for replica in (one, two):  # both serve the edit
            for _ in range(100):
                if any(e.id == "dog-licence" for e in replica.dialogue.kb.entries):
                    break
                await asyncio.sleep(0.1)
            assert any(e.id == "dog-licence" for e in replica.dialogue.kb.entries)
        await asyncio.sleep(2)  # a second copy would be sent by now
        assert len(emulator.sent(admin)) == 1


DOG_ENTRY = """
entries:
  - id: dog-licence
    title: {zh: 犬只登记, en: Dog registration}
    questions: {zh: [养狗要办证吗], en: [Do I need a dog licence?]}
    answer: {summary: {zh: 到镇派出所办理犬只登记。, en: Register your dog at the police station.}}
"""


async def test_a_sender_that_loses_its_lock_connection_stops_sending(
    emulator: BotApiEmulator, sample_kb: KnowledgeBase, postgres_url: str
) -> None:
    """The sending replica's lock connection is cut while its process lives on (a network
    blip, a restarted pooler): PostgreSQL frees the lock for another holder (here the test
    itself), and the replica must send nothing until the lock is its own again, or two
    senders would deliver the same outbox rows."""
    async with running_bot(emulator, sample_kb, postgres_url) as bot:
        emulator.add_message(7099, "低保怎么申请", user_id=7099)
        await emulator.wait_for_sent(7099, 1, timeout=30)  # the sender is at work
        assert await bot.duties_lead.held()
        lock_conn = bot.duties_lead.conn
        assert lock_conn is not None
        pid = lock_conn.raw.info.backend_pid  # type: ignore[attr-defined]
        holder = await backend.connect(postgres_url)
        try:
            await holder.execute("SELECT pg_terminate_backend(?)", (pid,))
            # The test is the other replica now: it holds the sending lock.
            await holder.execute("SELECT pg_advisory_lock(?)", (replicas.DUTIES_LOCK,))
            chats = range(7100, 7110)
            for chat in chats:
                emulator.add_message(chat, "低保怎么申请", user_id=chat)
            async with Store.opened(postgres_url) as store:
                for _ in range(200):  # every question processed, its reply queued
                    if await store.outbox_backlog() >= len(chats):
                        break
                    await asyncio.sleep(0.05)
                assert await store.outbox_backlog() >= len(chats)
                await asyncio.sleep(2)  # a sender that still sent would have by now
                assert [len(emulator.sent(chat)) for chat in chats] == [0] * len(chats)
                assert not bot.duties_lead.leading
            await holder.execute("SELECT pg_advisory_unlock(?)", (replicas.DUTIES_LOCK,))
        finally:
            await holder.close()
        for chat in chats:  # the lock is free again: the replica takes it and delivers once
            await emulator.wait_for_sent(chat, 1, timeout=30)
        await asyncio.sleep(1)
        assert [len(emulator.sent(chat)) for chat in chats] == [1] * len(chats)
