"""Admins: live knowledge reloads; citizens: /mydata and /forget; the retention job."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

from bot.knowledge.loader import sample_kb_path
from bot.knowledge.model import KnowledgeBase
from bot.privacy import ERASED, apply_retention
from bot.store import Store
from bot.tickets.service import TicketDesk
from tests.emulator import BotApiEmulator, SentMessage
from tests.telegram_harness import running_bot

ADMIN = 900
CITIZEN = 5001

NEW_ENTRY = """
entries:
  - id: dog-licence
    title: {zh: 犬只登记, en: Dog registration}
    questions: {zh: [养狗要办证吗, 狗证在哪里办], en: [Do I need a dog licence?]}
    keywords: {zh: [狗证, 养犬], en: [dog licence]}
    answer: {summary: {zh: 到镇派出所办理犬只登记。, en: Register your dog at the police station.}}
"""


def copy_sample(tmp_path: Path) -> Path:
    kb_dir = tmp_path / "kb"
    shutil.copytree(sample_kb_path(), kb_dir)
    return kb_dir


async def admin_notice(emulator: BotApiEmulator, count: int) -> SentMessage:
    return (await emulator.wait_for_sent(ADMIN, count, timeout=20))[count - 1]


async def test_hot_reload_good_broken_and_deleted(
    emulator: BotApiEmulator, sample_kb: KnowledgeBase, tmp_path: Path
) -> None:
    kb_dir = copy_sample(tmp_path)
    settings = {"kb_dir": kb_dir, "admins": (ADMIN,)}
    async with running_bot(emulator, sample_kb, tmp_path / "db.sqlite3", **settings) as service:
        # The file watcher starts in the background: write only once it is watching.
        await asyncio.wait_for(service.reloader.watching.wait(), 20)
        # A good edit: a new file with a new entry is picked up within seconds.
        (kb_dir / "dogs.yaml").write_text(NEW_ENTRY, encoding="utf-8")
        report = await admin_notice(emulator, 1)
        assert report.plain_text is not None and "新增 1 条：dog-licence" in report.plain_text
        emulator.add_message(CITIZEN, "养狗要办证吗")
        answer = (await emulator.wait_for_sent(CITIZEN, 1))[-1]
        assert answer.plain_text is not None and "犬只登记" in answer.plain_text

        # A broken edit: the old KB keeps serving and the admins get the check report
        # (in zh, as every staff message), with the file and the line.
        (kb_dir / "dogs.yaml").write_text(
            NEW_ENTRY.replace("title:", "title: [", 1), encoding="utf-8"
        )
        broken = await admin_notice(emulator, 2)
        assert broken.plain_text is not None
        assert broken.plain_text.startswith("知识库重新加载失败，仍在使用原来的知识库。")
        assert "dogs.yaml:5: 错误：YAML 语法错误" in broken.plain_text
        emulator.add_message(CITIZEN, "狗证在哪里办")
        still = (await emulator.wait_for_sent(CITIZEN, 2))[-1]
        assert still.plain_text is not None and "犬只登记" in still.plain_text

        # A deleted file: its entries are gone, and the report says so.
        (kb_dir / "dogs.yaml").unlink()
        removed = await admin_notice(emulator, 3)
        assert removed.plain_text is not None and "删除 1 条：dog-licence" in removed.plain_text

        # /reload on request reports an edit.
        text = (kb_dir / "government.yaml").read_text(encoding="utf-8")
        (kb_dir / "government.yaml").write_text(
            text.replace("0376-6210012", "0376-6210099"), encoding="utf-8"
        )
        await admin_notice(emulator, 4)  # the watcher saw it
        emulator.add_message(ADMIN, "/reload", user_id=ADMIN)
        await admin_notice(emulator, 6)  # the acknowledgement and the report, in either order
        last_two = " ".join(m.plain_text or "" for m in emulator.sent(ADMIN)[4:6])
        assert "正在重新加载" in last_two and "知识库已重新加载：32 个条目" in last_two

        # Only admins may reload.
        emulator.add_message(CITIZEN, "/reload")
        refused = (await emulator.wait_for_sent(CITIZEN, 3))[-1]
        assert refused.plain_text is not None and "没有这个命令" in refused.plain_text


async def test_mydata_and_forget(
    emulator: BotApiEmulator, sample_kb: KnowledgeBase, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite3"
    async with running_bot(emulator, sample_kb, db) as service:
        emulator.add_message(CITIZEN, "低保怎么申请")
        await emulator.wait_for_sent(CITIZEN, 1)
        async with service.db_lock, service.processing.transaction():
            await service.desk.file(
                f"tg:{CITIZEN}", "roads", "李湾村路口路灯坏了，晚上很黑", phone="13812345678"
            )
        await emulator.wait_for_sent(CITIZEN, 2)

        emulator.add_message(CITIZEN, "/mydata")
        prompt = (await emulator.wait_for_sent(CITIZEN, 3))[-1]
        assert prompt.callback_data == ["pd:mydata", "pd:cancel"]
        emulator.add_callback(CITIZEN, prompt.message_id, "pd:mydata")
        messages = await emulator.wait_for(
            lambda: [m for m in emulator.sent(CITIZEN) if m.kind == "document"] or None
        )
        document = messages[0]
        data = json.loads(document.file_bytes or b"{}")
        assert data["user"] == f"tg:{CITIZEN}"
        assert [q["text"] for q in data["questions"]] == ["低保怎么申请", "/mydata"] or data[
            "questions"
        ][0]["text"] == "低保怎么申请"
        assert data["tickets"][0]["phone"] == "13812345678"

        before = len(emulator.sent(CITIZEN))
        emulator.add_message(CITIZEN, "/forget")
        confirm = (await emulator.wait_for_sent(CITIZEN, before + 1))[-1]
        emulator.add_callback(CITIZEN, confirm.message_id, "pd:forget")
        done = (await emulator.wait_for_sent(CITIZEN, before + 2))[-1]
        assert done.plain_text is not None and "1个工单已匿名化" in done.plain_text
    with sqlite3.connect(db) as conn:
        ticket = conn.execute(
            "SELECT citizen, phone, description, status, category FROM tickets"
        ).fetchone()
        questions = conn.execute("SELECT user_key, text FROM questions").fetchall()
        users = conn.execute(
            "SELECT COUNT(*) FROM users WHERE user_key = ?", (f"tg:{CITIZEN}",)
        ).fetchone()
    assert ticket[0].startswith("anonymised:") and ticket[1] is None and ticket[2] == ERASED
    assert ticket[3:] == ("received", "roads")  # the figures stay true
    assert all(q == (None, ERASED) for q in questions)
    assert users == (0,)


async def test_retention_anonymises_only_old_closed_tickets(
    sample_kb: KnowledgeBase, tmp_path: Path
) -> None:
    from bot.config import load_settings

    now = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)
    async with Store.opened(tmp_path / "db.sqlite3") as store:
        desk = TicketDesk.from_settings(
            store, sample_kb, load_settings(environ={}), clock=lambda: now
        )
        async with store.transaction():
            old = await desk.file("tg:1", "roads", "旧工单的描述内容很长", phone="13912345678")
            recent = await desk.file("tg:2", "roads", "新工单的描述内容很长", phone="13712345678")
            still_open = await desk.file(
                "tg:3", "roads", "没有办结的旧工单内容", phone="13612345678"
            )
            await store.conn.execute(
                "UPDATE tickets SET status = 'closed', closed_at = ? WHERE id = ?",
                ((now - dt.timedelta(days=3 * 365 + 30)).isoformat(), old.id),
            )
            await store.conn.execute(
                "UPDATE tickets SET status = 'closed', closed_at = ? WHERE id = ?",
                ((now - dt.timedelta(days=300)).isoformat(), recent.id),
            )
            count = await apply_retention(store, now, years=3)
        assert count == 1
        rows = {
            r[0]: r[1:]
            for r in await (
                await store.conn.execute("SELECT id, phone, anonymised FROM tickets")
            ).fetchall()
        }
    assert rows[old.id] == (None, 1)
    assert rows[recent.id] == ("13712345678", 0)
    assert rows[still_open.id] == ("13612345678", 0)


async def test_reload_keeps_answering_while_it_indexes(
    emulator: BotApiEmulator, sample_kb: KnowledgeBase, tmp_path: Path
) -> None:
    kb_dir = copy_sample(tmp_path)
    async with running_bot(emulator, sample_kb, tmp_path / "db.sqlite3", kb_dir=kb_dir) as service:
        reload = asyncio.create_task(service.reloader.reload())
        emulator.add_message(CITIZEN, "低保怎么申请")
        answer = (await emulator.wait_for_sent(CITIZEN, 1))[-1]
        report = await reload
    assert answer.plain_text is not None and "最低生活保障" in answer.plain_text
    assert report.startswith("知识库已重新加载：32 个条目")
