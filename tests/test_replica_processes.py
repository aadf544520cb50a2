"""Three `citizen-desk run` processes on one PostgreSQL against the Bot API emulator, with
replicas SIGKILLed (the polling leader among them) and restarted while citizens write.

Every update the emulator saw confirmed is answered; none is processed twice (one question
log row per update); each chat's questions are processed and answered in the order they
were written; a reply is sent twice only when a kill hit while that very reply was in
flight to the Bot API (its fate cannot be known, so it is resent rather than lost).
"""

# The emulator fixture is used as a test argument of the same name.

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import psycopg

from bot.messages import t
from tests.emulator import BotApiEmulator, SentMessage
from tests.test_telegram_process import bot_env, spawn, workers_of

REPLICAS = 3
CHATS = 30
#: Ten questions, each answered by one message whose first line names it.
QUESTIONS = {
    "低保怎么申请": "最低生活保障",
    "社保卡丢了咋补办": "社保卡申领",
    "新农合一年交多少钱": "原新农合",
    "户口迁移要带啥": "户口迁移",
    "你好": "您好",
    "怎么办居住证": "居住证办理",
    "残疾证怎么办理": "残疾人证",
    "高龄补贴怎么领": "高龄津贴",
    "医保怎么报销": "医保报销",
    "老人养老金怎么领": "养老保险待遇领取",
}
KILLS = 5
#: Override to replay another run: CITIZEN_DESK_REPLICA_SEED=<the printed seed>.
SEED = int(os.environ.get("CITIZEN_DESK_REPLICA_SEED", "13"))


@dataclass(frozen=True)
class Kill:
    """A SIGKILL: when (monotonic), which slot, the locks its process held, and when its
    send worker was seen gone (a request it wrote may still reach the emulator till then)."""

    at: float
    slot: int
    polling: bool
    sending: bool
    gone: float


class Replica:
    """One slot of the deployment: a `citizen-desk run` process, restarted after a kill."""

    def __init__(self, slot: int, env: dict[str, str], log: Path):
        self.slot, self.env, self.log = slot, env, log
        self.proc = spawn(env, log)
        self.mark = 0  # where this process's log lines start

    def restart(self) -> None:
        self.mark = self.log.stat().st_size if self.log.exists() else 0
        self.proc = spawn(self.env, self.log)

    def said(self, text: str) -> bool:
        """Whether this process (since its start) logged `text`."""
        if not self.log.exists():
            return False
        with self.log.open("rb") as f:
            f.seek(self.mark)
            return text.encode() in f.read()

    def leads(self, duty: str) -> bool:
        """Whether this process took the lock of `duty` (polling, sending): it keeps it
        until it dies, the lock going with its connection."""
        return self.said(f"now leads {duty}")


def first_line(message: SentMessage) -> str:
    text = message.history[0] if message.history else message.text
    return (text or "").split("\n")[0]


def answers(emulator: BotApiEmulator, chat: int) -> list[SentMessage]:
    """The bot's messages in a chat but flood control's "I will answer in order" notices
    (a backlog after a kill comes in as a burst; each replica keeps its own flood memory,
    docs/operations.md)."""
    return [m for m in emulator.sent(chat) if m.text != t("flood_held", "zh")]


def question_of(message: SentMessage) -> str:
    """Which question a reply answers (by the marker on its first line)."""
    line = first_line(message)
    found = [q for q, marker in QUESTIONS.items() if marker in line]
    assert len(found) == 1, line
    return found[0]


async def test_three_replicas_survive_kills_and_answer_each_message_once_in_order(
    emulator: BotApiEmulator, postgres_url: str, tmp_path: Path
) -> None:
    # One generator per task, so that a seed replays the same choices whatever the timing.
    rng, pace, victims = (random.Random(f"{SEED}:{use}") for use in ("chats", "pace", "kills"))
    print(f"replica test seed {SEED}")
    chats = [30_000 + n for n in range(CHATS)]
    # Each citizen asks the ten questions in an order of their own, interleaved with others.
    asked = {chat: rng.sample(list(QUESTIONS), len(QUESTIONS)) for chat in chats}
    arrivals = [chat for chat in chats for _ in QUESTIONS]
    rng.shuffle(arrivals)
    env = bot_env(emulator, tmp_path / "unused.sqlite3", CITIZEN_DESK_DB=postgres_url)
    started = time.monotonic()
    replicas = [Replica(i, env, tmp_path / f"replica{i}.log") for i in range(REPLICAS)]
    kills: list[Kill] = []
    takeovers: list[float] = []  # seconds from a polling leader's kill to another's lead

    async def feed() -> None:
        await emulator.wait_for_call("getUpdates", 1, timeout=60)  # someone polls
        sent = dict.fromkeys(chats, 0)
        for chat in arrivals:
            emulator.add_message(chat, asked[chat][sent[chat]], user_id=chat)
            sent[chat] += 1
            await asyncio.sleep(pace.uniform(0.01, 0.05))

    async def kill(victim: Replica) -> None:
        polling, sending = victim.leads("polling"), victim.leads("sending")
        victim.proc.kill()
        at = time.monotonic()
        await asyncio.to_thread(victim.proc.wait)
        # Its send worker dies with it: an orphan could send a reply after the kill.
        pid = victim.proc.pid
        await emulator.wait_for(lambda: not workers_of(pid) or None, timeout=5)
        kills.append(Kill(at, victim.slot, polling, sending, time.monotonic()))
        if polling:  # a surviving replica must take polling over, not the restarted one
            others = [r for r in replicas if r is not victim]
            while not any(r.leads("polling") for r in others):
                assert time.monotonic() - at < 10, "no replica took polling over"
                await asyncio.sleep(0.05)
            takeovers.append(time.monotonic() - at)
        victim.restart()

    feeder = asyncio.create_task(feed())
    try:
        await emulator.wait_for_call("getUpdates", 1, timeout=60)
        for n in range(KILLS):
            await asyncio.sleep(victims.uniform(0.8, 2.0))
            leaders = [r for r in replicas if r.proc.poll() is None and r.leads("polling")]
            # Every other kill is the polling leader's; the rest fall on any replica.
            victim = leaders[0] if n % 2 == 0 and leaders else victims.choice(replicas)
            await kill(victim)
        await feeder
        total = len(arrivals)
        await emulator.wait_for(
            lambda: all(len(answers(emulator, c)) >= len(QUESTIONS) for c in chats) or None,
            timeout=60,
        )
        answered = time.monotonic() - started
        # A process still starting has no SIGTERM handler yet: stop each once it runs.
        await emulator.wait_for(lambda: all(r.said("connected as") for r in replicas) or None, 60)
        for replica in replicas:
            replica.proc.send_signal(signal.SIGTERM)
        codes = [await asyncio.to_thread(r.proc.wait, 20) for r in replicas]
    finally:
        feeder.cancel()
        for replica in replicas:
            if replica.proc.poll() is None:
                replica.proc.kill()
                replica.proc.wait()
    assert codes == [0] * REPLICAS
    assert any(k.polling for k in kills), "the polling leader was never killed"
    assert emulator.confirmed_update_id >= total  # every update accepted, Telegram-side

    with psycopg.connect(postgres_url) as conn:
        states = conn.execute("SELECT state, COUNT(*) FROM updates GROUP BY state").fetchall()
        rows = conn.execute("SELECT user_key, text FROM questions ORDER BY id").fetchall()
    assert states == [("done", total)]
    assert len(rows) == total  # one question log row per update: none processed twice
    processed: dict[int, list[str]] = {chat: [] for chat in chats}
    for user, text in rows:
        processed[int(user.removeprefix("tg:"))].append(text)
    assert processed == asked  # each chat's messages processed in the order written

    # When each reply was in flight: from the request read to its answer (+0.5 s for the
    # sender to record it as sent). A kill hits it if the killed worker was not yet gone
    # when the request was read and the answer was not recorded before the kill.
    in_flight: dict[tuple[int, str], list[tuple[float, float]]] = {}
    for record in emulator.call_log:
        if record.method == "sendMessage" and "chat_id" in record.params:
            line = str(record.params.get("text", "")).split("\n")[0]
            key = (int(record.params["chat_id"]), line)
            end = (record.finished or record.started) + 0.5
            in_flight.setdefault(key, []).append((record.started, end))
    resent: Counter[int] = Counter()  # by the number of the kill that left them in doubt
    held = sum(len(emulator.sent(c)) - len(answers(emulator, c)) for c in chats)
    for chat in chats:
        messages = answers(emulator, chat)
        replies = [question_of(m) for m in messages]
        doubted: set[Kill] = set()
        for question, count in Counter(replies).items():
            if count == 1:
                continue
            line = next(first_line(m) for m in messages if question_of(m) == question)
            windows = in_flight.get((chat, line), [])
            hit = [
                k for k in kills if k.sending and any(a <= k.gone and k.at <= b for a, b in windows)
            ]
            assert hit and count - 1 <= len(hit), (
                f"chat {chat}: {question} answered {count} times without the sender "
                f"killed while it was in flight"
            )
            # The sender has at most one message of a chat in flight: one in doubt a kill.
            assert hit[0] not in doubted, f"chat {chat}: two replies resent after one kill"
            doubted.add(hit[0])
            resent[kills.index(hit[0]) + 1] += count - 1
        # Answered in the order asked, a reply resent right after itself.
        assert [question for question, _ in groupby(replies)] == asked[chat]
    print(
        f"replica test: {REPLICAS} replicas, {total} messages from {CHATS} chats, "
        f"{len(kills)} SIGKILLs (polling leader {sum(k.polling for k in kills)}, "
        f"sender {sum(k.sending for k in kills)}; polling taken over in "
        f"{', '.join(f'{t:.1f}' for t in takeovers)} s), all answered {answered:.1f} s after "
        f"the first start; {held} flood notices; replies resent because in flight at a "
        f"sender's kill: {sum(resent.values())} (by kill: {dict(sorted(resent.items()))})"
    )
