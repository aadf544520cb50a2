"""Three `citizen-desk run` processes on one PostgreSQL against the Bot API emulator, with
replicas SIGKILLed (the polling leader and the sender among them) and restarted while
citizens write and staff work on tickets in the same database.

Every update the emulator saw confirmed is answered; none is processed twice (one question
log row per update); each chat's questions are processed and answered in the order they
were written. Meanwhile the staff side files and claims tickets, makes some due for a
reminder or past their deadline (督办), and resolves others (one of those answered long
ago, so the scan closes it unrated): every reminder, 督办 and outcome reaches the emulator.

No message is sent twice except one that was in flight at a sender's kill: the emulator
had read its request, but the outbox row was not yet marked sent when its sender died (its
fate cannot be known, so it is resent rather than lost). The test finds those precisely:
before killing the replica that holds the sending lock it queues for that lock itself, so
it takes the lock the moment the dead sender's connection goes; holding it (nobody sends),
it reads the pending outbox rows. A message read by the emulator during the dead sender's
tenure whose row is still pending was in flight; every other message must arrive once.
"""

# The emulator fixture is used as a test argument of the same name.

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

import psycopg

from bot.knowledge.model import KnowledgeBase
from bot.messages import t
from bot.notify import OutboxNotifier
from bot.store import Store
from bot.store.replicas import DUTIES_LOCK
from bot.tickets.model import Action, Role, StaffMember, Status
from bot.tickets.service import TicketDesk, utcnow
from bot.workdays import WorkCalendar
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
#: The staff side: tickets filed during the run, one in four of each fate.
TICKETS = 24
FATES = ("remind", "escalate", "resolve", "close_unrated")
STAFF_CHAT = -100_500
HANDLER = StaffMember(50_001, Role.STAFF, name="承办人")
SUPERVISOR = StaffMember(50_002, Role.SUPERVISOR, name="主任")
#: The deadline scan's interval in the replicas (CITIZEN_DESK_SCAN_INTERVAL), seconds.
SCAN_INTERVAL = "0.5"
#: A message as the Bot API sees it: method, chat, text.
Key = tuple[str, int, str]
FLOOD_TEXT = t("flood_held", "zh")


@dataclass(frozen=True)
class Kill:
    """A SIGKILL: when (monotonic), which slot, the locks its process held, and when its
    send worker was seen gone. A sender's kill also has `mark`, the length of the
    emulator's call log when the test took the sending lock over (every request of the
    dead sender is before it, every request of the next after), and `pending`, the
    outbox messages not yet marked sent at that moment."""

    at: float
    slot: int
    polling: bool
    sending: bool
    gone: float
    mark: int = 0
    pending: frozenset[Key] = field(default_factory=frozenset)


class Replica:
    """One slot of the deployment: a `citizen-desk run` process, restarted after a kill.
    Each process has its own PostgreSQL application name, to see which holds a lock."""

    def __init__(self, slot: int, env: dict[str, str], log: Path):
        self.slot, self.env, self.log = slot, env, log
        self.generation = 0
        self.mark = 0  # where this process's log lines start
        self.proc = spawn(self._env(), log)

    @property
    def name(self) -> str:
        return f"replica{self.slot}.{self.generation}"

    def _env(self) -> dict[str, str]:
        return {**self.env, "PGAPPNAME": self.name}

    def restart(self) -> None:
        self.mark = self.log.stat().st_size if self.log.exists() else 0
        self.generation += 1
        self.proc = spawn(self._env(), self.log)

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
    return [m for m in emulator.sent(chat) if m.text != FLOOD_TEXT]


def question_of(message: SentMessage) -> str:
    """Which question a reply answers (by the marker on its first line)."""
    line = first_line(message)
    found = [q for q, marker in QUESTIONS.items() if marker in line]
    assert len(found) == 1, line
    return found[0]


def received(emulator: BotApiEmulator, start: int = 0, end: int | None = None) -> list[Key]:
    """The messages the emulator read (sent or edited), in order, between two marks of
    its call log; flood notices left out (the same text several times a chat by design,
    so not one message each)."""
    keys: list[Key] = []
    for record in emulator.call_log[start:end]:
        if record.method in ("sendMessage", "editMessageText") and "chat_id" in record.params:
            text = str(record.params.get("text", ""))
            if text != FLOOD_TEXT:
                keys.append((record.method, int(record.params["chat_id"]), text))
    return keys


#: The advisory lock of the sender and the deadline scan, as pg_locks shows a bigint key.
DUTY = (DUTIES_LOCK >> 32, DUTIES_LOCK & 0xFFFFFFFF)
DUTY_LOCK_SQL = (
    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
    "AND l.classid = %s AND l.objid = %s AND l.objsubid = 1"
)


async def duty_holder(conn: psycopg.AsyncConnection[tuple[object, ...]]) -> str | None:
    """The application name of the process that holds the sending lock, if any."""
    cursor = await conn.execute(f"SELECT a.application_name {DUTY_LOCK_SQL} AND l.granted", DUTY)
    row = await cursor.fetchone()
    return None if row is None else str(row[0])


async def pending_messages(conn: psycopg.AsyncConnection[tuple[object, ...]]) -> list[Key]:
    """The outbox's Bot API messages not yet marked sent."""
    cursor = await conn.execute(
        "SELECT kind, chat_id, payload FROM outbox WHERE state = 'pending' "
        "AND kind IN ('send', 'edit')"
    )
    methods = {"send": "sendMessage", "edit": "editMessageText"}
    keys = []
    for kind, chat, payload in await cursor.fetchall():
        text = json.loads(str(payload)).get("text", "")
        if text != FLOOD_TEXT:
            keys.append((methods[str(kind)], int(str(chat)), str(text)))
    return keys


class StaffSide:
    """Staff working on tickets in the same database while the replicas run (as the desk
    CLI or the web console would): the outbox and the replicas' single sender deliver
    what they cause, and the replicas' deadline scan acts on what falls due."""

    def __init__(self, store: Store, kb: KnowledgeBase):
        self.store = store
        self.calendar = WorkCalendar()
        notifier = OutboxNotifier(store, STAFF_CHAT)
        self.desk = TicketDesk(store, kb, self.calendar, notifier)
        # Answered a month ago: the citizen's days to rate it are long over.
        past = TicketDesk(store, kb, self.calendar, notifier, clock=self.month_ago)
        self.past_desk = past
        self.numbers: dict[str, list[str]] = {fate: [] for fate in FATES}
        self.citizen_chat: dict[str, int] = {}  # ticket number → its citizen's chat

    @staticmethod
    def month_ago() -> dt.datetime:
        return utcnow() - dt.timedelta(days=30)

    async def work(self, pace: random.Random) -> None:
        async with self.store.transaction():
            for member in (HANDLER, SUPERVISOR):
                await self.desk.tickets.add_staff(member)
        today = self.desk.today()
        due = {  # the seeded deadlines: the scan reminds the day before, 督办 after
            "remind": self.calendar.next_working_day(today),
            "escalate": self.calendar.previous_working_day(today),
        }
        late: list[tuple[int, str]] = []  # filed and claimed; due at the next step
        for n in range(TICKETS):
            fate = FATES[n % len(FATES)]
            async with self.store.transaction():
                for ticket_id, was in late:
                    await self.desk.tickets.update(ticket_id, deadline=due[was].isoformat())
                late = []
                ticket = await self.desk.file(
                    f"tg:{40_000 + n}", "environment", f"第{n}号路灯不亮，晚上很黑"
                )
                await self.desk.claim(HANDLER, ticket.number)
                if fate in due:
                    late.append((ticket.id, fate))
                else:
                    desk = self.past_desk if fate == "close_unrated" else self.desk
                    await desk.resolve(HANDLER, ticket.number, f"第{n}号路灯已修好")
            self.numbers[fate].append(ticket.number)
            self.citizen_chat[ticket.number] = 40_000 + n
            await asyncio.sleep(pace.uniform(0.15, 0.35))
        async with self.store.transaction():
            for ticket_id, was in late:
                await self.desk.tickets.update(ticket_id, deadline=due[was].isoformat())

    def expected(self) -> dict[str, list[tuple[int, str]]]:
        """Per fate, the (chat, start of text) of each message the staff side must cause
        beside the filing notices and staff cards."""
        handler, supervisor = HANDLER.user_id, SUPERVISOR.user_id
        return {
            "remind": [(handler, f"提醒：工单 {n} ") for n in self.numbers["remind"]],
            "escalate": [
                (chat, f"【督办】工单 {n} ")
                for n in self.numbers["escalate"]
                for chat in (STAFF_CHAT, supervisor)
            ],
            "outcome": [
                (self.citizen_chat[n], f"工单 {n} 已办理完毕")
                for fate in ("resolve", "close_unrated")
                for n in self.numbers[fate]
            ],
        }

    async def closed_unrated(self) -> int:
        """How many of the tickets answered long ago the scan has closed."""
        closed = 0
        for number in self.numbers["close_unrated"]:
            ticket = await self.desk.tickets.by_number(number)
            closed += ticket is not None and ticket.status is Status.CLOSED
        return closed

    async def audit(self) -> Counter[tuple[str, str]]:
        """(fate, action) of each deadline action in the tickets' audit logs."""
        actions = (Action.REMIND, Action.ESCALATE, Action.CLOSE)
        found: Counter[tuple[str, str]] = Counter()
        for fate, numbers in self.numbers.items():
            for number in numbers:
                ticket = await self.desk.tickets.by_number(number)
                assert ticket is not None
                for event in await self.desk.timeline(ticket, public_only=False):
                    if event.action in actions:
                        found[(fate, event.action.value)] += 1
        return found


def arrived(keys: list[Key], chat: int, start: str) -> int:
    return sum(1 for _, c, text in keys if c == chat and text.startswith(start))


async def test_three_replicas_survive_kills_and_answer_each_message_once_in_order(
    emulator: BotApiEmulator, postgres_url: str, tmp_path: Path, sample_kb: KnowledgeBase
) -> None:
    # One generator per task, so that a seed replays the same choices whatever the timing.
    rng, pace, victims, staff_pace = (
        random.Random(f"{SEED}:{use}") for use in ("chats", "pace", "kills", "staff")
    )
    print(f"replica test seed {SEED}")
    chats = [30_000 + n for n in range(CHATS)]
    # Each citizen asks the ten questions in an order of their own, interleaved with others.
    asked = {chat: rng.sample(list(QUESTIONS), len(QUESTIONS)) for chat in chats}
    arrivals = [chat for chat in chats for _ in QUESTIONS]
    rng.shuffle(arrivals)
    env = bot_env(
        emulator,
        tmp_path / "unused.sqlite3",
        CITIZEN_DESK_DB=postgres_url,
        CITIZEN_DESK_STAFF_CHAT=str(STAFF_CHAT),
        CITIZEN_DESK_SCAN_INTERVAL=SCAN_INTERVAL,
    )
    started = time.monotonic()
    replicas = [Replica(i, env, tmp_path / f"replica{i}.log") for i in range(REPLICAS)]
    kills: list[Kill] = []
    takeovers: list[float] = []  # seconds from a polling leader's kill to another's lead
    watch = await psycopg.AsyncConnection.connect(postgres_url, autocommit=True)
    store: Store | None = None

    async def feed() -> None:
        await emulator.wait_for_call("getUpdates", 1, timeout=60)  # someone polls
        sent = dict.fromkeys(chats, 0)
        for chat in arrivals:
            emulator.add_message(chat, asked[chat][sent[chat]], user_id=chat)
            sent[chat] += 1
            await asyncio.sleep(pace.uniform(0.01, 0.05))

    async def sender() -> str:
        """The replica that sends (waiting while the lock passes between replicas)."""
        deadline = time.monotonic() + 30
        while (holder := await duty_holder(watch)) is None:
            assert time.monotonic() < deadline, "no replica took the sending lock"
            await asyncio.sleep(0.05)
        return holder

    async def kill(victim: Replica) -> None:
        polling = victim.leads("polling")
        sending = await sender() == victim.name
        if sending:  # queue for its lock, to hold it the moment it dies (see the top)
            grab = await psycopg.AsyncConnection.connect(postgres_url, autocommit=True)
            backend = grab.info.backend_pid
            taking = asyncio.create_task(
                grab.execute("SELECT pg_advisory_lock(%s)", (DUTIES_LOCK,))
            )
            while not await (
                await watch.execute(f"SELECT 1 {DUTY_LOCK_SQL} AND l.pid = %s", (*DUTY, backend))
            ).fetchone():
                await asyncio.sleep(0.01)
        victim.proc.kill()
        at = time.monotonic()
        await asyncio.to_thread(victim.proc.wait)
        # Its send worker dies with it: an orphan could send a reply after the kill.
        pid = victim.proc.pid
        await emulator.wait_for(lambda: not workers_of(pid) or None, timeout=5)
        gone = time.monotonic()
        mark, pending = 0, frozenset[Key]()
        if sending:
            await asyncio.wait_for(taking, timeout=10)
            await asyncio.sleep(0.3)  # a request already written is read by now
            mark, found = len(emulator.call_log), await pending_messages(watch)
            pending = frozenset(found)
            assert len(pending) == len(found), "two pending messages alike"
            await grab.close()  # the lock passes to a replica at its next try
        kills.append(Kill(at, victim.slot, polling, sending, gone, mark, pending))
        if polling:  # a surviving replica must take polling over, not the restarted one
            others = [r for r in replicas if r is not victim]
            while not any(r.leads("polling") for r in others):
                assert time.monotonic() - at < 10, "no replica took polling over"
                await asyncio.sleep(0.05)
            takeovers.append(time.monotonic() - at)
        victim.restart()

    feeder = asyncio.create_task(feed())
    staff_work: asyncio.Task[None] | None = None
    try:
        await emulator.wait_for_call("getUpdates", 1, timeout=60)  # the schema is there
        store = await Store.open(postgres_url)
        staff = StaffSide(store, sample_kb)
        staff_work = asyncio.create_task(staff.work(staff_pace))
        for n in range(KILLS):
            await asyncio.sleep(victims.uniform(0.8, 2.0))
            leaders = [r for r in replicas if r.proc.poll() is None and r.leads("polling")]
            holder = await sender()
            senders = [r for r in replicas if r.name == holder]
            # Kills 1, 3, 5 take the polling leader, 2 the sender, 4 any replica.
            if n % 2 == 0 and leaders:
                victim = leaders[0]
            elif n == 1 and senders:
                victim = senders[0]
            else:
                victim = victims.choice(replicas)
            await kill(victim)
        await feeder
        await staff_work
        total = len(arrivals)
        expected = staff.expected()

        def delivered() -> bool | None:
            keys = received(emulator)
            done = all(len(answers(emulator, c)) >= len(QUESTIONS) for c in chats) and all(
                arrived(keys, chat, start) for wanted in expected.values() for chat, start in wanted
            )
            return done or None

        await emulator.wait_for(delivered, timeout=60)
        deadline = time.monotonic() + 30
        while await staff.closed_unrated() < len(staff.numbers["close_unrated"]):
            assert time.monotonic() < deadline, "the scan did not close the unrated tickets"
            await asyncio.sleep(0.2)
        answered = time.monotonic() - started
        # A process still starting has no SIGTERM handler yet: stop each once it runs.
        await emulator.wait_for(lambda: all(r.said("connected as") for r in replicas) or None, 60)
        for replica in replicas:
            replica.proc.send_signal(signal.SIGTERM)
        codes = [await asyncio.to_thread(r.proc.wait, 20) for r in replicas]
        audit = await staff.audit()
    finally:
        feeder.cancel()
        if staff_work is not None:
            staff_work.cancel()
        for replica in replicas:
            if replica.proc.poll() is None:
                replica.proc.kill()
                replica.proc.wait()
        if store is not None:
            await store.close()
        await watch.close()
    assert codes == [0] * REPLICAS
    assert any(k.polling for k in kills), "the polling leader was never killed"
    assert any(k.sending for k in kills), "the sender was never killed"
    assert emulator.confirmed_update_id >= total  # every update accepted, Telegram-side

    with psycopg.connect(postgres_url) as conn:
        states = conn.execute("SELECT state, COUNT(*) FROM updates GROUP BY state").fetchall()
        rows = conn.execute("SELECT user_key, text FROM questions ORDER BY id").fetchall()
        outbox = conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
    assert states == [("done", total)]
    assert len(rows) == total  # one question log row per update: none processed twice
    processed: dict[int, list[str]] = {chat: [] for chat in chats}
    for user, text in rows:
        processed[int(user.removeprefix("tg:"))].append(text)
    assert processed == asked  # each chat's messages processed in the order written
    assert [state for state, _ in outbox] == ["sent"]  # nothing left, nothing failed

    # Each deadline action was taken once, by one scan, whatever the kills.
    fates = len(FATES)
    assert audit == {
        ("remind", "remind"): TICKETS // fates,
        ("escalate", "escalate"): TICKETS // fates,
        ("close_unrated", "close"): TICKETS // fates,
    }, audit

    # In flight at a sender's kill: read by the emulator in that sender's tenure (since
    # the previous sender's kill), and still pending when its lock was taken over.
    in_flight: Counter[Key] = Counter()
    by_kill: dict[int, int] = {}
    start = 0
    for number, k in enumerate(kills, 1):
        if not k.sending:
            continue
        doubted = set(received(emulator, start, k.mark)) & k.pending
        # The sender has at most one message of a chat in flight.
        assert len({chat for _, chat, _ in doubted}) == len(doubted), doubted
        in_flight.update(doubted)
        by_kill[number] = len(doubted)
        start = k.mark
    keys = received(emulator)
    twice = {key: n for key, n in Counter(keys).items() if n != 1 + in_flight[key]}
    assert not twice, f"sent other than once plus once per kill in flight: {twice}"

    for chat in chats:
        replies = [question_of(m) for m in answers(emulator, chat)]
        # Answered in the order asked, a reply resent right after itself.
        assert [question for question, _ in groupby(replies)] == asked[chat]
    for fate, wanted in expected.items():
        for chat, text in wanted:
            assert arrived(keys, chat, text) >= 1, (fate, chat, text)
    held = sum(len(emulator.sent(c)) - len(answers(emulator, c)) for c in chats)
    resent = sum(in_flight.values())
    print(
        f"replica test: {REPLICAS} replicas, {total} messages from {CHATS} chats, "
        f"{len(kills)} SIGKILLs (polling leader {sum(k.polling for k in kills)}, "
        f"sender {sum(k.sending for k in kills)}; polling taken over in "
        f"{', '.join(f'{t:.1f}' for t in takeovers)} s); {TICKETS} tickets filed during "
        f"the run: {len(expected['remind'])} reminders, {len(staff.numbers['escalate'])} "
        f"督办 (to the staff chat and the supervisor), {len(expected['outcome'])} outcomes, "
        f"{len(staff.numbers['close_unrated'])} closed unrated; all delivered "
        f"{answered:.1f} s after the first start; {len(keys)} messages read by the "
        f"emulator, {held} flood notices besides; resent because in flight at a "
        f"sender's kill: {resent} (by kill: {by_kill}), every other message once"
    )
