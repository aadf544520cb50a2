"""Web chat flood control over HTTP (ASGI) on a real SQLite file: Telegram's pacing, judged
by when a visitor's message was stored, not by when the processor gets to it."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from bot.knowledge.model import KnowledgeBase
from bot.messages import t
from bot.webchat.processor import ChatProcessor
from tests.webchat_env import events, join, say, webchat

#: Questions with distinct answers, each with how its answer begins.
QUESTIONS = [
    ("低保怎么申请", "【最低生活保障申请】"),
    ("残疾证怎么办", "【残疾人证办理】"),
    ("高龄津贴怎么领", "【高龄津贴】"),
    ("宅基地怎么申请", "【农村宅基地和建房申请】"),
    ("社保卡怎么办", "【社保卡申领/补办】"),
    ("新生儿怎么上户口", "【新生儿出生登记（给孩子上户口）】"),
]
HELD = t("flood_held", "zh")
FIRE = "着火了快来人"


class Seen:
    """What a visitor's page has received, and when each event first arrived."""

    def __init__(self, client: httpx.AsyncClient):
        self.client = client
        self.got: list[tuple[int, dict[str, Any], float]] = []

    async def read(self) -> None:
        after = self.got[-1][0] if self.got else 0
        new = events(await self.client.get("/chat/events", headers={"last-event-id": str(after)}))
        self.got += [(i, p, time.monotonic()) for i, p in new]

    async def until(self, check: Callable[[list[str]], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not check(self.texts):
            assert time.monotonic() < deadline, self.texts
            await asyncio.sleep(0.05)
            await self.read()

    @property
    def texts(self) -> list[str]:
        return [p["text"] for _, p, _ in self.got]

    def first_lines(self) -> list[str]:
        return [text.split("\n")[0] for text in self.texts]

    def arrived(self, begins: str) -> float:
        return next(at for _, p, at in self.got if p["text"].startswith(begins))


@contextlib.asynccontextmanager
async def running(processor: ChatProcessor) -> AsyncIterator[None]:
    """The processor's loop, as `citizen-desk web` runs it, for the time of the block."""
    task = asyncio.create_task(processor.run(poll=0.05, retry=0.05))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def pending(db: Path) -> list[tuple[str, float]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT client_id, not_before FROM webchat_inbox WHERE state = 'pending' ORDER BY id"
        ).fetchall()
    return [(str(r[0]), float(r[1])) for r in rows]


def answers(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("【")]


async def test_a_burst_is_answered_in_order_the_rest_after_the_window_with_one_notice(
    tmp_path: Path, sample_kb: KnowledgeBase
) -> None:
    async with (
        webchat(tmp_path / "db.sqlite3", sample_kb, flood_messages=3, flood_window=2) as chat,
        chat.client() as client,
    ):
        await join(client)
        for n, (question, _) in enumerate(QUESTIONS):
            assert (await say(client, f"burst-{n:04d}", text=question)).status_code == 200
        written = time.monotonic()
        page = Seen(client)
        async with running(chat.processor):
            await page.until(lambda texts: len(answers([x.split("\n")[0] for x in texts])) == 6)
            await asyncio.sleep(0.3)  # anything more would come now
            await page.read()
    lines = page.first_lines()
    expected = [begins for _, begins in QUESTIONS]
    assert answers(lines) == expected  # all answered, in the order written
    assert page.texts.count(HELD) == 1  # one notice, after the three that fit the window
    assert lines.index(HELD) == max(lines.index(b) for b in expected[:3]) + 1
    # The three past the limit wait for the window (2 s) to pass.
    for _, begins in QUESTIONS[3:]:
        assert page.arrived(begins) - written >= 1.9
    for _, begins in QUESTIONS[:3]:
        assert page.arrived(begins) - written < 1.9


async def test_messages_stored_while_down_at_a_human_pace_are_answered_at_once(
    tmp_path: Path, sample_kb: KnowledgeBase
) -> None:
    db = tmp_path / "db.sqlite3"
    # At most 2 per second: six at once would be a flood, six written 0.6 s apart are not.
    async with (
        webchat(db, sample_kb, flood_messages=2, flood_window=1) as chat,
        chat.client() as client,
    ):
        await join(client)
        for n, (question, _) in enumerate(QUESTIONS):  # the processor is not running
            if n:
                await asyncio.sleep(0.6)
            assert (await say(client, f"down-{n:04d}", text=question)).status_code == 200
        assert len(pending(db)) == 6
        page = Seen(client)
        started = time.monotonic()
        async with running(chat.processor):
            await page.until(lambda texts: len(answers([x.split("\n")[0] for x in texts])) == 6)
            took = time.monotonic() - started
            await asyncio.sleep(0.3)
            await page.read()
    assert answers(page.first_lines()) == [begins for _, begins in QUESTIONS]
    assert HELD not in page.texts
    assert took < 1.0  # none waited for a window
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT MAX(not_before), COUNT(*) FROM webchat_inbox").fetchone() == (
            0,
            6,
        )


async def test_an_emergency_in_a_flood_is_answered_at_once(
    tmp_path: Path, sample_kb: KnowledgeBase
) -> None:
    db = tmp_path / "db.sqlite3"
    async with (
        webchat(db, sample_kb, flood_messages=2, flood_window=10) as chat,
        chat.client() as client,
    ):
        await join(client)
        page = Seen(client)
        async with running(chat.processor):
            for n in range(4):
                await say(client, f"flood-{n:04d}", text="低保怎么申请")
            await page.until(lambda texts: HELD in texts)
            await say(client, "fire-00001", text=FIRE)
            await page.until(lambda texts: any("请马上拨打 119" in x for x in texts), timeout=5)
            await asyncio.sleep(0.3)
            await page.read()
    # The emergency came at once; the two held questions still wait (for 10 s), stored.
    assert sum("最低生活保障" in x for x in page.texts) == 2
    assert [client_id for client_id, _ in pending(db)] == ["flood-0002", "flood-0003"]
    assert all(due > time.time() for _, due in pending(db))


async def test_a_held_message_is_answered_when_due_after_a_restart(
    tmp_path: Path, sample_kb: KnowledgeBase
) -> None:
    db = tmp_path / "db.sqlite3"
    settings: dict[str, Any] = {"flood_messages": 3, "flood_window": 2}
    async with webchat(db, sample_kb, **settings) as chat, chat.client() as client:
        await join(client)
        for n, (question, _) in enumerate(QUESTIONS[:4]):
            await say(client, f"restart-{n:04d}", text=question)
        page = Seen(client)
        async with running(chat.processor):
            await page.until(lambda texts: HELD in texts)
        cookies, csrf = client.cookies, client.headers["x-csrf-token"]
    ((held, due),) = pending(db)  # stopped: the fourth is stored, waiting for its time
    assert held == "restart-0003" and due > time.time()
    async with webchat(db, sample_kb, **settings) as again, again.client() as client:
        client.cookies, client.headers["x-csrf-token"] = cookies, csrf
        page.client = client
        async with running(again.processor):
            await page.until(lambda texts: any(QUESTIONS[3][1] in x for x in texts))
            answered = time.time()
            await asyncio.sleep(0.3)
            await page.read()
    assert answered >= due
    assert answers(page.first_lines()) == [begins for _, begins in QUESTIONS[:4]]
    assert page.texts.count(HELD) == 1
    assert pending(db) == []


async def test_a_press_after_a_held_message_is_answered_after_it(
    tmp_path: Path, sample_kb: KnowledgeBase
) -> None:
    async with (
        webchat(tmp_path / "db.sqlite3", sample_kb, flood_messages=1, flood_window=2) as chat,
        chat.client() as client,
    ):
        await join(client)
        page = Seen(client)
        async with running(chat.processor):
            await say(client, "press-0001", text="低保怎么申请")
            await page.until(lambda texts: len(texts) == 1)
            (button, *_) = [b["data"] for row in page.got[0][1]["buttons"] for b in row]
            await say(client, "press-0002", text="残疾证怎么办")  # held: 1 per 2 s
            await say(client, "press-0003", action=button)
            await page.until(lambda texts: len(texts) == 4)
            await asyncio.sleep(0.3)
            await page.read()
    lines = page.first_lines()
    assert lines[1] == HELD and lines[2] == "【残疾人证办理】"
    assert len(lines) == 4  # the press's answer last, after the message written before it
