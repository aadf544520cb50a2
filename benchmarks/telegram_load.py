"""Telegram load benchmark: our bot against a bare python-telegram-bot echo bot.

Run from the repository root:

    /tmp/venv/bin/python benchmarks/telegram_load.py [--citizens 200] [--questions 5]
    /tmp/venv/bin/python benchmarks/telegram_load.py --engine postgres --replicas 1,2,3

What it does:

1. Picks the workload: N simulated citizens (distinct private chats, ids 700001…), each
   with Q questions drawn (seeded) from the `q` values of `tests/eval/cases.yaml`; a
   citizen speaks one language (English with the eval set's share of English cases,
   `language_code` "en", else "zh-hans") and asks only questions in it.
2. For each bot, on a fresh `BotApiEmulator` on loopback (in this process, same event
   loop), runs two scenarios:
   - burst: all N×Q messages are injected at once (round-robin over the citizens), then
     the bot drains them;
   - closed loop: every citizen sends its first question at once, and each next one only
     when the reply to the previous one has arrived.
   The bots: ours (`TelegramService` through `tests/telegram_harness.running_bot`: long
   polling with `poll_timeout=1`, `rate_limit=0`, a fresh SQLite file, the sample KB) and
   an echo bot (`ApplicationBuilder()…build()`, a `MessageHandler` that replies with the
   text, `updater.start_polling(poll_interval=0, timeout=1)`). The emulator has no rate
   limit, so Telegram's ~30 messages/s limit is off for both; one more burst of ours with
   `rate_limit=30` is run for information.
3. Measures, per run: updates answered / wall time (first injection → last reply), and
   the latency of each update from `add_message` to the emulator's `finished` timestamp
   of the reply's (last) `sendMessage`, matched by chat id and order. Also the process
   CPU time (all threads) and the event-loop thread's CPU time.
4. Prints a table and the ratio ours / echo throughput (target ≥ 70 %), profiles a burst
   of ours with cProfile when the ratio misses the target (or with `--profile always`),
   and rewrites the `## Telegram load` section of docs/performance.md (nothing else).

With `--engine postgres --replicas 1,2,3` (issue 13) the same workload, driver and
measurements run against bots in processes of their own: the echo bot (this file with
`--serve-echo`) and 1, 2 and 3 `citizen-desk run` replicas on one throwaway PostgreSQL
server (`tests/postgres_server.py`'s, with PostgreSQL's default durability; a fresh database
per run), started as `tests/test_replica_processes.py` starts them. Each run also reports
the CPU of every process (each replica, its send worker, all of PostgreSQL's, from /proc),
which locks each replica took, how many updates each processed (a column added to the
question log defaults to the connection's `application_name`, set by `PGAPPNAME`), and the
bytes the updates, outbox and question log rows take. It rewrites only the section
`## Telegram load on PostgreSQL, 1–3 replicas (issue 13)`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import random  # noqa: E402
import shlex  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import AsyncIterator, Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from itertools import count as counter  # noqa: E402
from typing import Any, Protocol  # noqa: E402

import yaml  # noqa: E402
from aiohttp import web  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters  # noqa: E402

from benchmarks.common import (  # noqa: E402
    PERFORMANCE,
    children_of,
    cpu_model,
    cpu_seconds,
    load_average,
    python_version,
    shell_date,
    start_postgres,
    utf8_database,
    write_section,
)
from bot.channels.telegram_format import reply_payloads  # noqa: E402
from bot.dialogue import Dialogue, Incoming, MemoryPreferences  # noqa: E402
from bot.knowledge.loader import load_knowledge, sample_kb_path  # noqa: E402
from bot.knowledge.model import KnowledgeBase  # noqa: E402
from bot.matching.matcher import MATCH_CACHE, Matcher  # noqa: E402
from bot.matching.routes import Route  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.emulator import BotApiEmulator, CallRecord  # noqa: E402
from tests.telegram_harness import running_bot  # noqa: E402
from tests.test_telegram_process import bot_env, spawn  # noqa: E402

CASES = ROOT / "tests" / "eval" / "cases.yaml"
DEFAULT_OUT = PERFORMANCE
SECTION = "## Telegram load"
PG_SECTION = "## Telegram load on PostgreSQL, 1–3 replicas (issue 13)"
FIRST_CHAT = 700_001
TARGET_RATIO = 0.70
#: The service's default flood limit (messages per person per window).
DEFAULT_FLOOD_MESSAGES = 8
PROFILE_TOP = 20
BURST, CLOSED = "burst", "closed loop"
QUESTION_ROUTES = (Route.ANSWER, Route.CLARIFY, Route.NONE)
#: After the last expected reply, how long to watch for unexpected extra messages.
GRACE = 0.3
#: Telegram's documented limit for one bot's messages, per second.
TELEGRAM_LIMIT = 30

log = logging.getLogger("telegram_load")


# -- workload ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Citizen:
    """One simulated person in a private chat."""

    chat_id: int
    language_code: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Pools:
    """The eval set's questions usable as load, by language ("zh", "en")."""

    questions: dict[str, list[str]]
    #: Cases left out: the matcher routes them to complaint, status, human or greeting.
    left_out: int
    total: int


def load_questions(matcher: Matcher) -> Pools:
    """The eval set's questions that the matcher treats as questions (answer, clarify, none).

    Complaint, status, hand-over and greeting messages start stateful flows (a complaint
    form takes the next messages as its answers), so one citizen's replies would no longer
    follow from its questions alone; they are left out.
    """
    data = yaml.safe_load(CASES.read_text("utf-8"))
    pools: dict[str, list[str]] = {"zh": [], "en": []}
    left_out = 0
    for case in data["cases"]:
        text = str(case["q"])
        if matcher.match(text).route not in QUESTION_ROUTES:
            left_out += 1
            continue
        pools["en" if case.get("lang") == "en" else "zh"].append(text)
    return Pools(pools, left_out, len(data["cases"]))


def make_citizens(count: int, questions: int, seed: int, pools: Pools) -> list[Citizen]:
    """`count` citizens with `questions` questions each, drawn from the eval set."""
    zh, en = pools.questions["zh"], pools.questions["en"]
    english_share = len(en) / (len(en) + len(zh))
    rng = random.Random(seed)
    citizens = []
    for i in range(count):
        english = rng.random() < english_share
        asked = tuple(rng.choice(en if english else zh) for _ in range(questions))
        citizens.append(Citizen(FIRST_CHAT + i, "en" if english else "zh-hans", asked))
    return citizens


async def reply_sizes(citizens: Sequence[Citizen], matcher: Matcher) -> dict[int, list[int]]:
    """sendMessage calls our bot makes per question (a long answer is cut into several)."""
    dialogue = Dialogue(matcher, MemoryPreferences())
    cache: dict[tuple[str, str], int] = {}
    sizes: dict[int, list[int]] = {}
    for citizen in citizens:
        counts = []
        for text in citizen.questions:
            key = (text, citizen.language_code)
            if key not in cache:
                incoming = Incoming("tg:1", text=text, lang_hint=citizen.language_code)
                replies = await dialogue.handle(incoming)
                cache[key] = sum(len(reply_payloads(r)) for r in replies)
            counts.append(cache[key])
        sizes[citizen.chat_id] = counts
    return sizes


# -- measuring -----------------------------------------------------------------------------


class ReplyWatcher:
    """Collects the bot's answered sendMessage calls from the emulator's call log."""

    def __init__(self, emulator: BotApiEmulator):
        self.emulator = emulator
        self.seen = len(emulator.call_log)
        self.open: list[CallRecord] = []
        #: chat id → `finished` of each successful sendMessage, in order.
        self.arrivals: dict[int, list[float]] = {}
        self.errors = 0

    def has_news(self) -> bool:
        """Whether a call arrived or an open sendMessage was answered (cheap)."""
        return len(self.emulator.call_log) > self.seen or any(
            r.finished is not None for r in self.open
        )

    def collect(self) -> set[int]:
        """Record newly answered sendMessage calls; return the chats that got any."""
        log_ = self.emulator.call_log
        fresh = [r for r in log_[self.seen :] if r.method == "sendMessage"]
        self.seen = len(log_)
        pending, self.open = [*self.open, *fresh], []
        done = []
        for record in pending:
            if record.finished is None:
                self.open.append(record)
            elif record.status != 200:
                self.errors += 1
            else:
                done.append(record)
        touched = set()
        for record in sorted(done, key=lambda r: r.finished or 0.0):
            chat = int(record.params["chat_id"])
            assert record.finished is not None
            self.arrivals.setdefault(chat, []).append(record.finished)
            touched.add(chat)
        return touched


@dataclass
class RunResult:
    """One scenario against one bot."""

    bot: str
    scenario: str
    updates: int
    messages: int
    wall: float
    latencies: list[float]
    cpu: float
    loop_cpu: float
    errors: int = 0
    note: str = ""
    profile: pstats.Stats | None = field(default=None, repr=False)
    #: updates/s of every repeat of this configuration (this run is the median one).
    rates: list[float] = field(default_factory=list)
    #: CPU seconds of the bot's child processes (our send worker) during the run.
    worker_cpu: float = 0.0
    #: (hits, misses) of our match cache in this run.
    cache: tuple[int, int] | None = None
    #: --engine postgres: `citizen-desk run` processes (0: the bot ran in this process).
    replicas: int = 0
    #: CPU seconds of each bot process during the run (label → s), --engine postgres.
    processes: dict[str, float] = field(default_factory=dict)
    #: The locks each replica took ("polling", "sending"), by label.
    roles: dict[str, str] = field(default_factory=dict)
    #: Updates each replica processed (its question log rows), by label.
    shares: dict[str, int] = field(default_factory=dict)
    #: table → (rows, average row bytes, heap bytes per row, index bytes per row).
    tables: dict[str, tuple[int, float, float, float]] = field(default_factory=dict)
    #: The 1-minute load average when the run started.
    load: str = ""
    #: PostgreSQL's write transactions and WAL bytes during the run.
    counters: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.updates / self.wall if self.wall > 0 else math.nan

    def percentile(self, p: float) -> float:
        """Latency percentile in ms (nearest rank)."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1] * 1000


async def drive(
    emulator: BotApiEmulator,
    citizens: Sequence[Citizen],
    sizes: dict[int, list[int]],
    closed: bool,
    timeout: float,
    on_done: Callable[[], None] = lambda: None,
) -> tuple[float, list[float], int, int]:
    """Inject the questions and wait for every reply; call `on_done` on the last one.

    Returns wall seconds (first injection → last reply), latencies in seconds, the
    number of sendMessage calls answered and the number refused.
    """
    watcher = ReplyWatcher(emulator)
    by_chat = {c.chat_id: c for c in citizens}
    injected: dict[int, list[float]] = {c.chat_id: [] for c in citizens}
    # Reply k of a chat is complete when `ends[chat][k]` messages have arrived there.
    ends = {
        chat: [sum(counts[: k + 1]) for k in range(len(counts))] for chat, counts in sizes.items()
    }
    answered = dict.fromkeys(by_chat, 0)
    latencies: list[float] = []
    remaining = sum(len(c.questions) for c in citizens)
    last = 0.0

    def inject(citizen: Citizen) -> None:
        k = len(injected[citizen.chat_id])
        injected[citizen.chat_id].append(time.monotonic())
        emulator.add_message(
            citizen.chat_id,
            citizen.questions[k],
            language_code=citizen.language_code,
            first_name=f"市民{citizen.chat_id - FIRST_CHAT + 1}",
        )

    start = time.monotonic()
    if closed:
        for citizen in citizens:
            inject(citizen)
    else:
        for k in range(max(len(c.questions) for c in citizens)):
            for citizen in citizens:
                if k < len(citizen.questions):
                    inject(citizen)
    async with asyncio.timeout(timeout):
        while remaining:
            await emulator.wait_for(watcher.has_news, timeout=timeout)
            for chat in watcher.collect():
                arrived = watcher.arrivals[chat]
                if chat not in by_chat:
                    continue  # not a citizen's chat (a staff group, say): checked below
                citizen = by_chat[chat]
                while answered[chat] < len(citizen.questions):
                    k = answered[chat]
                    if len(arrived) < ends[chat][k]:
                        break
                    finished = arrived[ends[chat][k] - 1]
                    latencies.append(finished - injected[chat][k])
                    last = max(last, finished)
                    answered[chat] += 1
                    remaining -= 1
                    if closed and answered[chat] < len(citizen.questions):
                        inject(citizen)
    on_done()
    # Extra messages (a reply longer than the dry run said, a notice to staff) would make
    # every later match in that chat wrong: watch a little longer, and refuse the run.
    await asyncio.sleep(GRACE)
    watcher.collect()
    expected = {chat: ends[chat][-1] if ends[chat] else 0 for chat in by_chat}
    got = {chat: len(a) for chat, a in watcher.arrivals.items()}
    wrong = {c: got.get(c, 0) for c in set(got) | set(expected) if got.get(c, 0) != expected.get(c)}
    if wrong:
        sample = ", ".join(
            f"chat {c}: {n} (expected {expected.get(c, 0)})" for c, n in list(wrong.items())[:5]
        )
        raise RuntimeError(
            f"the bot sent other messages than the dry run predicted in {len(wrong)} chats "
            f"({sample}); the latencies cannot be matched to the updates"
        )
    messages = sum(got.values())
    return last - start, latencies, messages, watcher.errors


# -- the bots ------------------------------------------------------------------------------


class Probe(Protocol):
    """What the bots in other processes tell `run_one` (--engine postgres)."""

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each of the bot's processes, by label."""
        ...

    def counters(self) -> dict[str, float]:
        """The database's counters so far: write transactions and WAL bytes."""
        ...

    async def details(self, result: RunResult) -> None:
        """After a run: fill in the replicas' roles, shares and table sizes."""
        ...


BotFactory = Callable[[BotApiEmulator], contextlib.AbstractAsyncContextManager[Probe | None]]


async def wait_until_polling(emulator: BotApiEmulator) -> None:
    """Wait for the bot's first getUpdates, so start-up is not measured."""
    await emulator.wait_for_call("getUpdates", 1, timeout=30)


class Endpoint(Protocol):
    """Where a bot finds the Bot API: the emulator, or its address given to a process."""

    @property
    def token(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    @property
    def base_file_url(self) -> str: ...


@dataclass(frozen=True)
class RemoteApi:
    """The emulator's address, as an echo bot in another process gets it."""

    token: str
    base_url: str
    base_file_url: str


@contextlib.asynccontextmanager
async def echo_bot(emulator: Endpoint) -> AsyncIterator[None]:
    """A bare python-telegram-bot echo bot, polling the emulator."""

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is not None and message.text is not None:
            await message.reply_text(message.text)

    app = (
        ApplicationBuilder()
        .token(emulator.token)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


#: (hits, misses) of the match cache of each of our runs, appended when the bot stops.
CACHE_STATS: list[tuple[int, int]] = []


@contextlib.asynccontextmanager
async def our_bot(
    emulator: BotApiEmulator,
    kb: KnowledgeBase,
    db_dir: Path,
    cache_size: int = MATCH_CACHE,
    **settings: Any,
) -> AsyncIterator[None]:
    """Our TelegramService, as the tests run it, on a fresh database and a fresh matcher."""
    db = Path(tempfile.mkdtemp(dir=db_dir)) / "citizen-desk.sqlite3"
    matcher = Matcher(kb, cache_size=cache_size)
    async with running_bot(emulator, matcher, db, **settings):
        yield
    info = matcher.cache_info()
    CACHE_STATS.append((info.hits, info.misses))


def children_cpu() -> float:
    """CPU seconds used so far by this process's living child processes (Linux /proc;
    our bot's send worker). 0 where /proc is missing."""
    return sum((stat_cpu(pid) for pid in children_of(os.getpid())), 0.0)


# -- bots in other processes (--engine postgres) --------------------------------------------


def stat_cpu(pid: int, reaped: bool = False) -> float:
    """CPU seconds of process `pid` (utime + stime; with `reaped`, also those of the
    children it has waited for); 0 once it is gone. Linux /proc."""
    try:
        return cpu_seconds(pid, reaped)
    except OSError:
        return 0.0


class Fleet:
    """Bot processes started for one run: `citizen-desk run` replicas on one PostgreSQL
    database (each with its send worker), or the echo bot; and the PostgreSQL server."""

    def __init__(
        self,
        procs: list[tuple[str, subprocess.Popen[bytes], Path]],
        server: Any = None,
        url: str = "",
    ):
        self.procs, self.server, self.url = procs, server, url

    def postmaster(self) -> int | None:
        if self.server is None:
            return None
        return int((Path(self.server.data) / "postmaster.pid").read_text().split()[0])

    def cpu(self) -> dict[str, float]:
        found: dict[str, float] = {}
        for label_, proc, _ in self.procs:
            found[label_] = stat_cpu(proc.pid)
            workers = children_of(proc.pid)
            if workers:
                found[f"{label_} send worker"] = sum(stat_cpu(p) for p in workers)
        postmaster = self.postmaster()
        if postmaster is not None:
            # Its backends come and go with connections: the ended ones are in cutime.
            found[POSTGRES] = stat_cpu(postmaster, reaped=True) + sum(
                stat_cpu(p) for p in children_of(postmaster)
            )
        return found

    def counters(self) -> dict[str, float]:
        if not self.url:
            return {}
        import psycopg

        # A transaction gets an id only when it writes, so the id counter counts commits
        # that wrote (this query takes one itself); the WAL position counts bytes written.
        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT txid_current(), pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')"
            ).fetchone()
        assert row is not None
        return {WRITES: float(row[0]), WAL: float(row[1])}

    async def details(self, result: RunResult) -> None:
        for label_, _, log_path in self.procs:
            text = log_path.read_text("utf-8", "replace") if log_path.exists() else ""
            duties = [d for d in ("polling", "sending") if f"now leads {d}" in text]
            result.roles[label_] = " + ".join(duties)
        if not self.url:
            return
        import psycopg

        async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
            cur = await conn.execute("SELECT replica, COUNT(*) FROM questions GROUP BY replica")
            result.shares = {
                f"replica {str(r).removeprefix('replica')}": n for r, n in await cur.fetchall()
            }
            for table_ in MEASURED_TABLES:
                # The benchmark's own `replica` column is left out of the question log's rows.
                own = " - pg_column_size(t.replica)" if table_ == "questions" else ""
                cur = await conn.execute(
                    f"SELECT COUNT(*), AVG(pg_column_size(t.*){own}), "
                    f"pg_table_size('{table_}'), pg_indexes_size('{table_}') FROM {table_} t"
                )
                row = await cur.fetchone()
                assert row is not None
                rows = int(row[0])
                result.tables[table_] = (
                    rows,
                    float(row[1] or 0),
                    int(row[2]) / rows if rows else math.nan,
                    int(row[3]) / rows if rows else math.nan,
                )

    async def stop(self) -> None:
        """SIGTERM every process (they finish what is in flight), then SIGKILL stragglers."""
        for _, proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for label_, proc, log_path in self.procs:
            try:
                code = await asyncio.to_thread(proc.wait, 30)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = await asyncio.to_thread(proc.wait)
            if code != 0:
                log.warning("%s exited with %s (log: %s)", label_, code, log_path)


POSTGRES = "PostgreSQL server"
WRITES, WAL = "write transactions", "WAL bytes"
#: The tables every update writes to: the stored update, the reply, the question log.
MEASURED_TABLES = ("updates", "outbox", "questions")
DATABASES = counter(1)


async def wait_for_logs(
    procs: Sequence[tuple[str, subprocess.Popen[bytes], Path]], text: str
) -> None:
    """Wait until every process has logged `text` (it is up); fail if one exits first."""
    deadline = time.monotonic() + 120
    for label_, proc, log_path in procs:
        while not (log_path.exists() and text in log_path.read_text("utf-8", "replace")):
            if proc.poll() is not None:
                tail = log_path.read_text("utf-8", "replace")[-2000:] if log_path.exists() else ""
                raise RuntimeError(f"{label_} exited with {proc.returncode}: {tail}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{label_} did not log {text!r} within 120 s")
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def our_replicas(
    emulator: BotApiEmulator, server: Any, replicas: int, log_dir: Path, flood: int
) -> AsyncIterator[Probe | None]:
    """`replicas` processes of `citizen-desk run` on one fresh PostgreSQL database, as a
    deployment runs them (tests/test_replica_processes.py starts them the same way)."""
    import psycopg

    run = next(DATABASES)
    url = utf8_database(server, f"load{run}")
    async with Store.opened(url):
        pass  # migrated once here, so that the replicas start as on an existing database
    with psycopg.connect(url, autocommit=True) as conn:
        # Which replica processed each update: libpq sets application_name from PGAPPNAME.
        conn.execute(
            "ALTER TABLE questions ADD COLUMN replica TEXT "
            "DEFAULT current_setting('application_name')"
        )
    procs = []
    for i in range(1, replicas + 1):
        env = bot_env(
            emulator,
            log_dir / "unused.sqlite3",
            CITIZEN_DESK_DB=url,
            CITIZEN_DESK_FLOOD_MESSAGES=str(flood),
            PGAPPNAME=f"replica{i}",
        )
        log_path = log_dir / f"run{run}-replica{i}.log"
        procs.append((f"replica {i}", spawn(env, log_path), log_path))
    fleet = Fleet(procs, server, url)
    try:
        await wait_for_logs(procs, "connected as")
        yield fleet
    finally:
        await fleet.stop()


@contextlib.asynccontextmanager
async def echo_process(emulator: BotApiEmulator, log_dir: Path) -> AsyncIterator[Probe | None]:
    """The echo bot in a process of its own, as our replicas are (`--serve-echo`)."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "TELEGRAM_API_FILE_URL": emulator.base_file_url,
        "PYTHONUNBUFFERED": "1",
    }
    log_path = log_dir / f"echo{next(DATABASES)}.log"
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve-echo"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log_path.open("ab"),
    )
    fleet = Fleet([("echo", proc, log_path)])
    try:
        await wait_for_logs(fleet.procs, ECHO_READY)
        yield fleet
    finally:
        await fleet.stop()


ECHO_READY = "echo bot polling"


async def serve_echo() -> int:
    """`--serve-echo`: run the echo bot against the Bot API in the environment until SIGTERM."""
    api = RemoteApi(
        os.environ["TELEGRAM_BOT_TOKEN"],
        os.environ["TELEGRAM_API_BASE_URL"],
        os.environ["TELEGRAM_API_FILE_URL"],
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with echo_bot(api):
        print(ECHO_READY, file=sys.stderr, flush=True)
        await stop.wait()
    return 0


def add_latency(emulator: BotApiEmulator, rtt: float) -> None:
    """Make every Bot API call take `rtt` longer: half before handling it, half after.

    Must be called before the emulator starts (its route binds `_handle_api` then).
    """
    handle = emulator._handle_api

    async def delayed(request: web.Request) -> web.Response:
        await asyncio.sleep(rtt / 2)
        response = await handle(request)
        await asyncio.sleep(rtt / 2)
        return response

    emulator._handle_api = delayed  # type: ignore[method-assign]


async def run_one(
    bot: str,
    scenario: str,
    start_bot: BotFactory,
    citizens: Sequence[Citizen],
    sizes: dict[int, list[int]],
    timeout: float,
    note: str = "",
    profile: bool = False,
    rtt: float = 0.0,
) -> RunResult:
    """Start a fresh emulator and bot, run one scenario, stop both."""
    # The previous runs' bots, emulators and matchers are garbage, some in reference
    # cycles: collected now, so that no run pays for an earlier one's garbage.
    gc.collect()
    emulator = BotApiEmulator()
    if rtt > 0:
        add_latency(emulator, rtt)
    load = load_average()
    async with emulator, start_bot(emulator) as probe:
        await wait_until_polling(emulator)
        await asyncio.sleep(0.2 if probe is None else 1.0)
        profiler = cProfile.Profile() if profile else None
        cpu0, loop0, kids0 = time.process_time(), time.thread_time(), children_cpu()
        procs0 = probe.cpu() if probe is not None else {}
        counted0 = probe.counters() if probe is not None else {}
        counted: dict[str, float] = {}
        used: list[float] = []
        procs: dict[str, float] = {}

        def done() -> None:
            if profiler is not None:
                profiler.disable()
            used[:] = [
                time.process_time() - cpu0,
                time.thread_time() - loop0,
                children_cpu() - kids0,
            ]
            if probe is not None:
                procs.update((k, v - procs0.get(k, 0.0)) for k, v in probe.cpu().items())
                counted.update((k, v - counted0[k]) for k, v in probe.counters().items())
                if WRITES in counted:
                    counted[WRITES] -= 1  # the snapshot's own

        if profiler is not None:
            profiler.enable()
        try:
            wall, latencies, messages, errors = await drive(
                emulator, citizens, sizes, scenario == CLOSED, timeout, done
            )
        finally:
            if profiler is not None:
                profiler.disable()
        cpu, loop_cpu, worker_cpu = used
        if emulator.internal_errors:
            log.warning("emulator internal errors: %s", emulator.internal_errors[:3])
        cached = len(CACHE_STATS)
        result = RunResult(
            bot, scenario, len(latencies), messages, wall, latencies, cpu, loop_cpu, errors, note
        )
        result.load = load
        if probe is not None:
            result.processes = procs
            result.counters = counted
            await probe.details(result)
            result.replicas = sum(1 for k in result.roles if k.startswith("replica"))
        else:
            result.worker_cpu = worker_cpu
    if len(CACHE_STATS) > cached:
        result.cache = CACHE_STATS[-1]
    result.profile = pstats.Stats(profiler) if profiler is not None else None
    result.rates = [result.rate]
    label = bot + (f" ({note})" if note else "")
    if result.processes:
        others = ", ".join(f"{k} {v:.2f}" for k, v in result.processes.items())
        used_cpu = f"CPU s: benchmark {cpu:.2f}, {others}; load {load}"
    else:
        used_cpu = f"CPU {cpu:6.2f} s + worker {worker_cpu:5.2f} s"
    print(
        f"  {label:<30} {scenario:<12} {result.updates:>6} updates in {wall:7.2f} s "
        f"= {result.rate:7.1f}/s, p50 {result.percentile(50):8.1f} ms, "
        f"p99 {result.percentile(99):8.1f} ms, {used_cpu}",
        flush=True,
    )
    return result


def median_run(runs: Sequence[RunResult]) -> RunResult:
    """The run with the median throughput (the lower one of the middle two), with every rate."""
    ordered = sorted(runs, key=lambda r: r.rate)
    chosen = ordered[(len(ordered) - 1) // 2]
    chosen.rates = [r.rate for r in runs]
    return chosen


# -- profile digest ------------------------------------------------------------------------

LAYERS = (
    ("our bot (bot/)", ("/work/main/bot/", "/bot/")),
    ("emulator (tests/emulator)", ("tests/emulator/",)),
    ("benchmark driver", ("benchmarks/telegram_load.py",)),
    ("python-telegram-bot", ("/telegram/",)),
    ("httpx / httpcore / h11", ("/httpx/", "/httpcore/", "/h11/", "/anyio/")),
    ("aiohttp / yarl / multidict", ("/aiohttp/", "/yarl/", "/multidict/")),
    ("aiosqlite / sqlite3 (loop side)", ("/aiosqlite/", "/sqlite3/")),
    ("asyncio", ("/asyncio/",)),
    ("json", ("/json/",)),
    ("copy / deepcopy", ("/copy.py",)),
)


IDLE = "idle: waiting in epoll (nothing runnable on the loop)"
EPOLL = "<method 'poll' of 'select.epoll' objects>"


def layer_of(filename: str, name: str = "") -> str:
    """Which part of the stack a profiled function belongs to."""
    for layer, needles in LAYERS:
        if any(n in filename for n in needles):
            return layer
    if filename == "~":
        return IDLE if name == EPOLL else "built-ins (C)"
    return "other Python"


#: Activities of our bot: (label, file ending, function), by cumulative time.
ACTIVITIES = (
    ("matching (`Matcher.decide_text`: cache misses)", "bot/matching/matcher.py", "decide_text"),
    ("processing updates (`process_batch`)", "bot/channels/telegram.py", "process_batch"),
    ("sending: calls via the send worker (`_deliver`)", "bot/channels/telegram.py", "_deliver"),
    ("sending: recording outcomes (`record`)", "bot/channels/telegram.py", "record"),
    ("intake (`_poll`: getUpdates, store)", "bot/channels/telegram.py", "_poll"),
    ("emulator answering requests (`_handle_api`)", "tests/emulator/bot_api.py", "_handle_api"),
)


def activities(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Cumulative seconds of our bot's main activities, matching split out of processing."""
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    raw = stats.stats  # type: ignore[attr-defined]
    found: dict[str, float] = {}
    for label_, path, name in ACTIVITIES:
        found[label_] = sum(v[3] for f, v in raw.items() if f[0].endswith(path) and f[2] == name)
    matching, processing = ACTIVITIES[0][0], ACTIVITIES[1][0]
    found[processing + ", without matching"] = found.pop(processing) - found[matching]
    found[IDLE] = sum(v[2] for f, v in raw.items() if f[0] == "~" and f[2] == EPOLL)
    return sorted(found.items(), key=lambda kv: -kv[1])


def short_name(func: tuple[str, int, str]) -> str:
    """`path:line name`, with the site-packages / repository prefix removed."""
    filename, line, name = func
    if filename == "~":
        return name
    for marker in ("site-packages/", str(ROOT) + "/", "/lib/python3"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{line} {name}"


def digest(
    stats: pstats.Stats,
) -> tuple[float, list[tuple[str, float]], list[tuple[str, int, float, float]]]:
    """Total own time, own time per layer, and the top functions by own time."""
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    layers: dict[str, float] = {}
    for func, (_, _, tt, _, _) in raw.items():
        layer = layer_of(func[0], func[2])
        layers[layer] = layers.get(layer, 0.0) + tt
    top = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:PROFILE_TOP]
    rows = [(short_name(f), v[1], v[2], v[3]) for f, v in top]
    return total, sorted(layers.items(), key=lambda kv: -kv[1]), rows


def ours_cumulative(stats: pstats.Stats, limit: int = 15) -> list[tuple[str, int, float, float]]:
    """Our bot's functions by cumulative time."""
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    ours = [
        (f, v)
        for f, v in raw.items()
        if layer_of(f[0]) == "our bot (bot/)" or "telegram_harness" in f[0]
    ]
    ours.sort(key=lambda kv: kv[1][3], reverse=True)
    return [(short_name(f), v[1], v[2], v[3]) for f, v in ours[:limit]]


# -- report --------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """CPU model, cores, Python and OS of this machine, and the date from `date`."""
    logical = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else logical
    return {
        "cpu": cpu_model(),
        "cores": f"{logical} logical ({usable} usable)",
        "python": python_version(),
        "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "date": shell_date(),
        "load": load_average(),
    }


def fmt(value: float, digits: int = 1) -> str:
    return "—" if math.isnan(value) else f"{value:,.{digits}f}"


def label(result: RunResult) -> str:
    return result.bot + (f" ({result.note})" if result.note else "")


def table(results: Sequence[RunResult]) -> list[str]:
    """Markdown table of the runs."""
    lines = [
        "| bot | scenario | updates | replies sent | wall s | updates/s | p50 ms | p99 ms "
        "| main process CPU s | its event-loop thread CPU s | send worker CPU s "
        "| match cache hits | updates/s of each repeat |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        each = ", ".join(fmt(x) for x in r.rates) if len(r.rates) > 1 else "—"
        hits = f"{r.cache[0] / max(1, sum(r.cache)):.0%}" if r.cache else "—"
        worker = fmt(r.worker_cpu, 2) if r.bot == "ours" else "—"
        lines.append(
            f"| {label(r)} | {r.scenario} | {r.updates:,} | {r.messages:,} | {fmt(r.wall, 2)} "
            f"| {fmt(r.rate)} | {fmt(r.percentile(50))} | {fmt(r.percentile(99))} "
            f"| {fmt(r.cpu, 2)} | {fmt(r.loop_cpu, 2)} | {worker} | {hits} | {each} |"
        )
    return lines


def ratios(results: Sequence[RunResult]) -> list[tuple[str, float]]:
    """ours / echo throughput, for every scenario (and note) that both bots ran: the median
    of the repeats' ratios (each repeat runs echo, then ours, so each ratio compares runs
    seconds apart; the machine's speed drifts more than that between repeats)."""
    return [(name, statistics.median(each)) for name, each in repeat_ratios(results)]


def repeat_ratios(results: Sequence[RunResult]) -> list[tuple[str, list[float]]]:
    """ours / echo throughput of each repeat, per scenario (and note) both bots ran."""
    found = []
    for r in results:
        if r.bot != "ours":
            continue
        echo = [
            e
            for e in results
            if e.bot == "echo"
            and (e.scenario, e.note) == (r.scenario, "" if r.replicas else r.note)
        ]
        if echo:
            name = r.scenario + (f", {r.note}" if r.note else "")
            pairs = zip(r.rates, echo[0].rates, strict=False) if len(r.rates) > 1 else []
            each = [ours / theirs for ours, theirs in pairs]
            found.append((name, each or [r.rate / echo[0].rate]))
    return found


def profile_lines(stats: pstats.Stats, echo_stats: pstats.Stats | None) -> list[str]:
    """Markdown for the profile of a burst of ours (and the echo bot's, for comparison)."""
    total, layers, top = digest(stats)
    echo_layers: dict[str, float] = {}
    echo_total = 0.0
    if echo_stats is not None:
        echo_total, echo_list, _ = digest(echo_stats)
        echo_layers = dict(echo_list)
    lines = [
        "Ours, by activity (cumulative time on the event-loop thread; the rest is the "
        "loop itself, python-telegram-bot's dispatch, the benchmark's driver):",
        "",
        "| activity | s | share |",
        "|---|---:|---:|",
        *(f"| {name} | {sec:.2f} | {sec / total:.0%} |" for name, sec in activities(stats)),
        "",
        "Own time by layer (event-loop thread only: what SQLite does in aiosqlite's threads "
        "is not in it, only the loop's side of each call):",
        "",
        "| layer | ours s | ours share | echo s | echo share |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, seconds in layers:
        echo_s = echo_layers.get(name, 0.0)
        echo_share = f"{echo_s / echo_total:.0%}" if echo_total else "—"
        lines.append(
            f"| {name} | {seconds:.2f} | {seconds / total:.0%} | {echo_s:.2f} | {echo_share} |"
        )
    lines.append(f"| **total** | {total:.2f} | 100% | {echo_total:.2f} | 100% |")
    lines += [
        "",
        f"Top {PROFILE_TOP} functions by own time (ours):",
        "",
        "| function | calls | own s | own share | cumulative s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, calls, own, cum in top:
        cell = name.replace("|", "\\|")
        lines.append(f"| `{cell}` | {calls:,} | {own:.3f} | {own / total:.0%} | {cum:.3f} |")
    lines += [
        "",
        "Our bot's functions by cumulative time (a coroutine counts once per resumption):",
        "",
        "| function | calls | own s | cumulative s |",
        "|---|---:|---:|---:|",
    ]
    for name, calls, own, cum in ours_cumulative(stats):
        lines.append(f"| `{name}` | {calls:,} | {own:.3f} | {cum:.3f} |")
    return lines


def section(
    outcome: Outcome, args: argparse.Namespace, info: dict[str, str], command: str, took: float
) -> str:
    """The body of the `## Telegram load` section."""
    results, sizes, pools, profiled = (
        outcome.results,
        outcome.sizes,
        outcome.pools,
        outcome.profiled,
    )
    updates = args.citizens * args.questions
    multi = sum(1 for counts in sizes.values() for c in counts if c > 1)
    usable = sum(len(q) for q in pools.questions.values())
    repeat = (
        f"CPU-bound runs (both bots, both scenarios) are repeated {args.repeat} times, "
        "alternating the bots; the table shows the run with the median throughput, and "
        "every repeat's rate."
        if args.repeat > 1
        else "Each configuration runs once."
    )
    lines = [
        "Figures from a real run of `benchmarks/telegram_load.py`; rerun it after changing "
        "the Telegram channel, the store or the dialogue. It rewrites only this section.",
        "",
        "### Machine and run",
        "",
        f"- Date: {info['date']}",
        f"- CPU: {info['cpu']}, {info['cores']}",
        f"- Python: {info['python']}",
        f"- OS: {info['os']}",
        f"- Command: `{command}` (took {took:.0f} s)",
        f"- 1-minute load average: {info['load']} before the run, {load_average()} after it "
        f"({info['cores'].split()[0]} cores; the benchmark keeps about one busy, so a higher "
        "figure means other processes competed for the CPU and slowed the runs down)",
        "",
        "### Set-up",
        "",
        f"- Workload: {args.citizens} citizens (distinct private chats), {args.questions} "
        f"questions each = {updates:,} updates, drawn (seed {args.seed}) from the `q` values "
        f"of `tests/eval/cases.yaml`, so the matcher does real work: the {usable} of "
        f"{pools.total} cases the matcher answers, clarifies or declines ({pools.left_out} "
        "routed to complaint, status, hand-over or greeting are left out: they start stateful "
        "flows). Each citizen speaks one language (`language_code` en or zh-hans). "
        + (
            f"{multi} of the questions get a reply cut into several messages."
            if multi
            else "Every question gets a one-message reply (ours: HTML, about 660 characters, "
            "with an inline keyboard; echo: the question's text)."
        ),
        "- Burst: all updates are injected at once (round-robin over the citizens) and the "
        "bot drains them. Closed loop: every citizen sends its first question at once and each "
        "next one as soon as the reply to the previous one has arrived.",
        "- Throughput = updates answered / wall time from the first `add_message` to the last "
        "reply. Latency = from `add_message` (the update becomes available to getUpdates) to "
        "the emulator's `finished` time of the reply's sendMessage, matched by chat and order.",
        "- The `BotApiEmulator` (`tests/emulator`) runs in the same process and event loop as "
        "the bot, on loopback, a fresh one per run: its CPU cost (more for ours: it parses "
        "our HTML and stores our keyboards) is in every figure.",
        "- Ours: `TelegramService` as `tests/telegram_harness.py` runs it — long polling, "
        "`poll_timeout=1`, `rate_limit=0`, a fresh SQLite file, the sample KB and a fresh "
        "matcher (empty match cache) per run, "
        f"`flood_messages={max(DEFAULT_FLOOD_MESSAGES, args.questions)}`, and, as by default, "
        "the outbox's Bot API calls made by its send worker process. Of this machine's CPUs "
        f"({info['cores']}) the echo bot uses one; ours uses a second for the send worker, "
        "whose CPU is counted separately (from `/proc`, while the run lasts). The workload "
        "repeats questions (1,000 drawn from "
        f"{usable}), so the match cache answers some of them; the runs with the cache off "
        "and with the send worker off show what each adds. Echo: a bare "
        "python-telegram-bot 22 application (`ApplicationBuilder().token(…).base_url(…)"
        ".base_file_url(…).build()`, a `MessageHandler` doing "
        "`await update.message.reply_text(update.message.text)`, "
        "`updater.start_polling(poll_interval=0, timeout=1)`).",
        f"- Telegram's own limit (about {TELEGRAM_LIMIT} messages/s per bot) is **off for "
        "both**: the emulator does not enforce it. One burst of ours with "
        f"`rate_limit={TELEGRAM_LIMIT}` (python-telegram-bot's `AIORateLimiter`) is shown for "
        "information"
        + (
            f"; so is a burst of both bots with {args.api_rtt_ms:g} ms added to every Bot API "
            "call (half before the emulator handles it, half after), as over a real network."
            if args.api_rtt_ms > 0
            else "."
        ),
        f"- {repeat} Garbage left by earlier runs is collected before each run.",
        "",
        "### Results",
        "",
        *table(results),
        "",
    ]
    for name, each in repeat_ratios(results):
        ratio = statistics.median(each)
        met = "✅ met" if ratio >= TARGET_RATIO else "❌ **missed**"
        spread = f"; each repeat: {', '.join(f'{x:.0%}' for x in each)}" if len(each) > 1 else ""
        lines.append(
            f"- {name}: ours / echo throughput = **{ratio:.0%}** "
            f"(target ≥ {TARGET_RATIO:.0%}: {met}{spread})"
        )
    cache_off = [r for r in results if r.note == "match cache off" and r.scenario == BURST]
    echo_burst = [r for r in results if r.bot == "echo" and r.scenario == BURST and not r.note]
    if cache_off and echo_burst:
        lines.append(
            f"- With the match cache off (as if no question repeated), ours drains a burst at "
            f"{cache_off[0].rate / echo_burst[0].rate:.0%} of the echo bot's median rate."
        )
    for r in results:
        if r.errors:
            lines.append(f"- {label(r)}, {r.scenario}: {r.errors} sendMessage calls refused.")
    ours_burst = [r for r in results if r.bot == "ours" and r.scenario == BURST and not r.note]
    if ours_burst:
        lines.append(
            f"- Ours drains a burst at {ours_burst[0].rate / TELEGRAM_LIMIT:.1f}× the rate "
            f"Telegram lets one bot send ({TELEGRAM_LIMIT} messages/s)."
        )
    if profiled is not None:
        ours_stats, echo_stats = profiled
        lines += [
            "",
            "### Where the time goes (burst)",
            "",
            "cProfile over one more burst of each bot (profiling slows Python code down: read "
            "the shares, not the absolute times). It sees the main process only: ours makes "
            "its sends' HTTP calls in the send worker.",
            "",
            *profile_lines(ours_stats, echo_stats),
        ]
    return "\n".join(lines).strip()


def ms(seconds: float, per: int) -> str:
    return fmt(1000 * seconds / per, 2) if per else "—"


def pg_table(results: Sequence[RunResult]) -> list[str]:
    """Markdown: throughput and latency of the echo bot and of each replica count."""
    found = dict(repeat_ratios(results))
    lines = [
        "| bot | scenario | updates | replies sent | wall s | updates/s | ours / echo "
        "| p50 ms | p99 ms | load at start | updates/s of each repeat |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        each = ", ".join(fmt(x) for x in r.rates) if len(r.rates) > 1 else "—"
        ratio = found.get(r.scenario + (f", {r.note}" if r.note else ""))
        share = f"{statistics.median(ratio):.0%}" if ratio and r.bot == "ours" else "—"
        lines.append(
            f"| {label(r)} | {r.scenario} | {r.updates:,} | {r.messages:,} | {fmt(r.wall, 2)} "
            f"| {fmt(r.rate)} | {share} | {fmt(r.percentile(50))} | {fmt(r.percentile(99))} "
            f"| {r.load} | {each} |"
        )
    return lines


def process_table(results: Sequence[RunResult]) -> list[str]:
    """Markdown: the CPU of every process of every run, per update of the run."""
    lines = [
        "| run | process | locks held | updates it processed | CPU s "
        "| CPU ms per update of the run |",
        "|---|---|---|---:|---:|---:|",
    ]
    for r in results:
        run = f"{label(r)}, {r.scenario}"
        lines.append(
            f"| {run} | benchmark (emulator + driver) | — | — | {fmt(r.cpu, 2)} "
            f"| {ms(r.cpu, r.updates)} |"
        )
        for name, cpu in r.processes.items():
            owner = name.removesuffix(" send worker")
            role = r.roles.get(name, "") or "none" if name in r.roles else "—"
            done = f"{r.shares.get(name, 0):,}" if name in r.roles and r.bot == "ours" else "—"
            lines.append(
                f"| {run} | {name} | {role if owner == name else '—'} | {done} "
                f"| {fmt(cpu, 2)} | {ms(cpu, r.updates)} |"
            )
    return lines


@dataclass(frozen=True)
class KindCosts:
    """Measured CPU ms per update of each kind of process, from one run of ours."""

    run: RunResult
    #: Replicas holding no lock: their CPU per update they processed.
    processing: float
    #: Each lock holder's CPU beyond its processing (at `processing` per update), per update.
    leaders: dict[str, float]
    #: The sending replica's send worker, per message sent.
    send_worker: float
    postgres: float
    #: Every bot process and PostgreSQL together, per update.
    total: float


def kind_costs(r: RunResult) -> KindCosts:
    """Split a run's CPU into processing, the lock holders' extra work, the send worker and
    PostgreSQL (each replica processes; the poller and the sender are duties of one)."""
    mains = {k: v for k, v in r.processes.items() if k in r.roles}
    plain = [k for k in mains if not r.roles[k] and r.shares.get(k, 0) > 0]
    if plain:
        processing = 1000 * sum(mains[k] for k in plain) / sum(r.shares[k] for k in plain)
    else:  # one replica holds every lock: its processing cannot be told apart
        processing = math.nan
    leaders = {}
    for k, cpu in mains.items():
        if r.roles[k]:
            if math.isnan(processing):
                duties, own = f"processing + {r.roles[k]}", 0.0
            else:
                duties, own = r.roles[k], processing * r.shares.get(k, 0) / 1000
            leaders[f"{k} ({duties})"] = 1000 * (cpu - own) / r.updates
    sender = next((k for k in mains if "sending" in r.roles[k]), None)
    worker = r.processes.get(f"{sender} send worker", math.nan) if sender else math.nan
    postgres = r.processes.get(POSTGRES, math.nan)
    return KindCosts(
        r,
        processing,
        leaders,
        1000 * worker / r.messages if r.messages else math.nan,
        1000 * postgres / r.updates,
        1000 * sum(r.processes.values()) / r.updates,
    )


def section_postgres(
    outcome: Outcome, args: argparse.Namespace, info: dict[str, str], command: str, took: float
) -> str:
    """The body of the PostgreSQL replicas' section."""
    results = outcome.results
    updates = args.citizens * args.questions
    ours_burst = [r for r in results if r.bot == "ours" and r.scenario == BURST]
    lines = [
        "Figures from a real run of `benchmarks/telegram_load.py --engine postgres`; it "
        "rewrites only this section. **The machine's 2 cores were shared with other "
        "helpers' test suites and benchmarks while it ran** (the load average of each run is "
        "in the tables): read every rate as a lower bound of what these processes do on 2 "
        "cores of their own, and every CPU time as an upper bound.",
        "",
        "### Machine and run",
        "",
        f"- Date: {info['date']}",
        f"- CPU: {info['cpu']}, {info['cores']}",
        f"- Python: {info['python']}",
        f"- OS: {info['os']}",
        f"- Command: `{command}` (took {took:.0f} s)",
        f"- 1-minute load average: {info['load']} before the run, {load_average()} after it. "
        "The load average counts this benchmark's own processes too (a run keeps 1.5–2 cores "
        "busy: bots, send workers, PostgreSQL, the emulator), so a figure near 2 during the "
        "runs is mostly the benchmark itself; much above it, other processes competed.",
        "",
        "### Set-up",
        "",
        f"- Workload: as in the SQLite runs above — {args.citizens} citizens × "
        f"{args.questions} questions = {updates:,} updates from the eval set (seed "
        f"{args.seed}), burst"
        + ("" if args.burst_only else " and closed loop")
        + "; throughput and latency measured the same way, by the same code.",
        "- Ours: 1, 2 or 3 `citizen-desk run` processes (each with its send worker process), "
        "started at once as a deployment starts them, on one fresh database of one throwaway "
        "PostgreSQL server (`tests/postgres_server.py`'s, its own directory and Unix socket, "
        "never a shared server; PostgreSQL's default durability: fsync, synchronous_commit "
        "and full-page writes on, shared_buffers 128 MB). One replica polls (advisory lock), "
        "one sends the outbox (another lock), every one processes stored updates "
        "(`FOR UPDATE SKIP LOCKED`, LISTEN/NOTIFY). The locks fall where the start-up race "
        "puts them: the tables say which replica held which. Environment as the replica "
        f"test's: `poll_timeout=1`, `rate_limit=0`, `flood_messages="
        f"{max(DEFAULT_FLOOD_MESSAGES, args.questions)}`, the sample KB.",
        "- Echo: the same bare python-telegram-bot echo bot as above, but in a process of its "
        "own (`--serve-echo`), so that neither bot shares the emulator's process.",
        "- The emulator and the driver run in the benchmark's process (its CPU is shown); "
        "everything competes for the same 2 cores: with 3 replicas that is 3 bots, 3 send "
        "workers, the PostgreSQL backends and the emulator.",
        "- CPU per process from `/proc` (utime + stime) between the first injection and the "
        "last reply; PostgreSQL's is the postmaster's with all its backends (ended ones "
        "through its cutime). Which replica processed an update: a column the benchmark adds "
        "to the question log, defaulting to the connection's `application_name` (each replica "
        "runs with its own `PGAPPNAME`).",
        "- Telegram's ~30 messages/s per bot token is off (the emulator does not enforce it).",
        f"- Each configuration runs {args.repeat} time(s), the bots alternating; the tables "
        "show the run with the median throughput (and every repeat's rate); ours / echo is "
        "the median of the repeats' ratios, each comparing runs seconds apart.",
        "",
        "### Results",
        "",
        *pg_table(results),
        "",
    ]
    for r in ours_burst:
        lines.append(
            f"- {label(r)}: {r.updates:,} updates answered, each once (the driver refuses a "
            "run with a missing or extra message); question log rows "
            f"{sum(r.shares.values()):,} (one per update); processed by "
            + ", ".join(f"{k}: {v:,}" for k, v in sorted(r.shares.items()))
            + "."
        )
    lines += ["", "### CPU per process", "", *process_table(results), ""]
    if ours_burst:
        lines += [
            "### CPU per update by kind of process",
            "",
            "Processing = the CPU of replicas that hold no lock, per update they processed. "
            "A lock holder's extra = its CPU minus its own processing at that rate, per update "
            "of the run: the poller (getUpdates, storing each batch) and/or the sender's "
            "bookkeeping (reading the outbox, recording outcomes); where one replica held "
            "both, they are one figure; with one replica, processing is in it too. The send "
            "worker makes the HTTP calls of the outbox. Write transactions: the growth of "
            "PostgreSQL's transaction id counter (only a writing transaction takes an id), "
            "WAL bytes: of the WAL position, both over the run.",
            "",
            "| run | load at start | processing ms/update | lock holders' extra ms/update "
            "| send worker ms/message | PostgreSQL ms/update | all bot processes + "
            "PostgreSQL ms/update | echo process ms/update | write transactions per update "
            "| WAL bytes per update |",
            "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        echo_ms = {
            e.scenario: 1000 * sum(e.processes.values()) / e.updates
            for e in results
            if e.bot == "echo"
        }
        for r in (r for r in results if r.bot == "ours"):
            k = kind_costs(r)
            extra = "; ".join(f"{n}: {fmt(v, 2)}" for n, v in k.leaders.items()) or "—"
            lines.append(
                f"| {label(r)}, {r.scenario} | {r.load} | {fmt(k.processing, 2)} | {extra} "
                f"| {fmt(k.send_worker, 2)} | {fmt(k.postgres, 2)} | {fmt(k.total, 2)} "
                f"| {fmt(echo_ms.get(r.scenario, math.nan), 2)} "
                f"| {fmt(r.counters.get(WRITES, math.nan) / r.updates, 2)} "
                f"| {fmt(r.counters.get(WAL, math.nan) / r.updates, 0)} |"
            )
        last = ours_burst[-1]
        if last.tables:
            lines += [
                "",
                f"### Rows each update leaves in PostgreSQL ({label(last)}, burst)",
                "",
                "| table | rows | live row bytes (`pg_column_size`, with its header) "
                "| table on disk ÷ rows | its indexes on disk ÷ rows |",
                "|---|---:|---:|---:|---:|",
            ]
            for table_, (rows, avg, heap, index) in last.tables.items():
                lines.append(
                    f"| `{table_}` | {rows:,} | {fmt(avg, 0)} | {fmt(heap, 0)} | {fmt(index, 0)} |"
                )
            lines += [
                "",
                "A processed update's payload and a sent message's payload are emptied "
                "(`payload = '{}'`), so the live rows are small; right after a burst the table "
                "on disk still holds each row's earlier versions (an UPDATE writes a new one; "
                "autovacuum frees the old for reuse) and the last page's free space, so the "
                "on-disk figures are upper bounds at this size. The question log's live row "
                "leaves out the benchmark's own `replica` column; its size on disk does not.",
            ]
    return "\n".join(lines).strip()


# -- main ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """Everything a benchmark run produced."""

    results: list[RunResult]
    sizes: dict[int, list[int]]
    pools: Pools
    profiled: tuple[pstats.Stats, pstats.Stats | None] | None = None


async def benchmark(args: argparse.Namespace, server: Any = None) -> Outcome:
    """Run every configuration; return the results (and the profiles, if any).

    With `--engine postgres`, on `server` (a `tests.postgres_server.PostgresServer`; by
    default a throwaway one with PostgreSQL's default durability, started and removed here).
    """
    kb = load_knowledge(sample_kb_path()).kb
    assert kb is not None
    matcher = Matcher(kb)
    pools = load_questions(matcher)
    citizens = make_citizens(args.citizens, args.questions, args.seed, pools)
    ours_sizes = await reply_sizes(citizens, matcher)
    echo_sizes = {c.chat_id: [1] * len(c.questions) for c in citizens}
    flood = max(DEFAULT_FLOOD_MESSAGES, args.questions)
    timeout = args.timeout
    messages = sum(map(sum, ours_sizes.values()))
    if args.engine == "postgres":
        return await benchmark_postgres(args, server, citizens, ours_sizes, echo_sizes, pools)
    with tempfile.TemporaryDirectory(prefix="telegram-load-") as tmp:
        db_dir = Path(tmp)

        def ours(**extra: Any) -> BotFactory:
            settings = {"flood_messages": flood, **extra}
            return lambda emu: our_bot(emu, kb, db_dir, **settings)

        bots: list[tuple[str, BotFactory, dict[int, list[int]]]] = [
            ("echo", echo_bot, echo_sizes),
            ("ours", ours(), ours_sizes),
        ]
        scenarios = [BURST] if args.burst_only else [BURST, CLOSED]
        runs: dict[tuple[str, str], list[RunResult]] = {}
        for i in range(args.repeat):
            if args.repeat > 1:
                print(f"repeat {i + 1} of {args.repeat}", flush=True)
            for scenario in scenarios:
                for name, factory, sizes in bots:
                    result = await run_one(name, scenario, factory, citizens, sizes, timeout)
                    runs.setdefault((name, scenario), []).append(result)
        results = [median_run(found) for found in runs.values()]
        # What the match cache and the send worker each add, for information.
        for note, factory in (
            ("match cache off", ours(cache_size=0)),
            ("send worker off", ours(send_worker=False)),
        ):
            tries = [
                await run_one("ours", BURST, factory, citizens, ours_sizes, timeout, note)
                for _ in range(args.repeat)
            ]
            results.append(median_run(tries))
        if args.rate_limited:
            slow = max(timeout, 10 * messages / TELEGRAM_LIMIT)
            results.append(
                await run_one(
                    "ours",
                    BURST,
                    ours(rate_limit=TELEGRAM_LIMIT),
                    citizens,
                    ours_sizes,
                    slow,
                    note=f"rate_limit={TELEGRAM_LIMIT}",
                )
            )
        if args.api_rtt_ms > 0:
            rtt = args.api_rtt_ms / 1000
            note = f"API RTT {args.api_rtt_ms:g} ms"
            slow = max(timeout, 10 * messages * rtt)
            for name, factory, sizes in bots:
                results.append(
                    await run_one(name, BURST, factory, citizens, sizes, slow, note, rtt=rtt)
                )
        outcome = Outcome(results, ours_sizes, pools)
        burst_ratio = next((r for s, r in ratios(results) if s == BURST), 1.0)
        if args.profile == "always" or (args.profile == "auto" and burst_ratio < TARGET_RATIO):
            print("profiling a burst of each bot with cProfile …", flush=True)
            profiled = [
                await run_one(name, BURST, factory, citizens, sizes, timeout, "profiled", True)
                for name, factory, sizes in reversed(bots)
            ]
            assert profiled[0].profile is not None
            outcome.profiled = (profiled[0].profile, profiled[1].profile)
    return outcome


async def benchmark_postgres(
    args: argparse.Namespace,
    server: Any,
    citizens: Sequence[Citizen],
    ours_sizes: dict[int, list[int]],
    echo_sizes: dict[int, list[int]],
    pools: Pools,
) -> Outcome:
    """The echo bot and 1, 2, 3… `citizen-desk run` replicas on one PostgreSQL server, each
    bot in processes of its own, each run on a fresh database and a fresh emulator."""
    flood = max(DEFAULT_FLOOD_MESSAGES, args.questions)
    own_server = server is None
    if own_server:
        server = await asyncio.to_thread(start_postgres, 100)
    try:
        with tempfile.TemporaryDirectory(prefix="telegram-load-") as tmp:
            logs = Path(tmp)

            def replicas(n: int) -> BotFactory:
                return lambda emu: our_replicas(emu, server, n, logs, flood)

            bots: list[tuple[str, str, BotFactory, dict[int, list[int]]]] = [
                ("echo", "", lambda emu: echo_process(emu, logs), echo_sizes),
                *(("ours", replica_note(n), replicas(n), ours_sizes) for n in args.replicas),
            ]
            scenarios = [BURST] if args.burst_only else [BURST, CLOSED]
            runs: dict[tuple[str, str, str], list[RunResult]] = {}
            for i in range(args.repeat):
                if args.repeat > 1:
                    print(f"repeat {i + 1} of {args.repeat}", flush=True)
                for scenario in scenarios:
                    for name, note, factory, sizes in bots:
                        result = await run_one(
                            name, scenario, factory, citizens, sizes, args.timeout, note
                        )
                        runs.setdefault((name, note, scenario), []).append(result)
            results = [median_run(found) for found in runs.values()]
    finally:
        if own_server:
            server.stop()
    return Outcome(results, ours_sizes, pools)


def replica_note(n: int) -> str:
    return f"{n} replica{'s' if n != 1 else ''}, PostgreSQL"


def replica_list(text: str) -> list[int]:
    """`--replicas 1,2,3` → [1, 2, 3]."""
    try:
        found = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not found or any(n < 1 for n in found):
        raise argparse.ArgumentTypeError("replica counts must be ≥ 1")
    return found


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--citizens", type=int, default=200, help="simulated citizens (chats)")
    parser.add_argument("--questions", type=int, default=5, help="questions per citizen")
    parser.add_argument("--seed", type=int, default=7, help="seed for picking the questions")
    parser.add_argument(
        "--repeat", type=int, default=1, help="repeat the unthrottled runs; report the median"
    )
    parser.add_argument("--burst-only", action="store_true", help="skip the closed loop")
    parser.add_argument(
        "--no-rate-limited",
        dest="rate_limited",
        action="store_false",
        help=f"skip the burst of ours with rate_limit={TELEGRAM_LIMIT}",
    )
    parser.add_argument(
        "--api-rtt-ms",
        type=float,
        default=0.0,
        help="also run a burst of both bots with this much added to every Bot API call",
    )
    parser.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="cProfile a burst of each bot (auto: when ours is below 70%% of echo)",
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="give up on a run after this many seconds"
    )
    parser.add_argument(
        "--engine",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="sqlite: our bot in this process on a SQLite file (the default); postgres: the "
        "echo bot and our `citizen-desk run` replicas in processes of their own, on one "
        "throwaway PostgreSQL server",
    )
    parser.add_argument(
        "--replicas",
        type=replica_list,
        default=[1, 2, 3],
        help="--engine postgres: the numbers of replicas to run, e.g. 1,2,3",
    )
    parser.add_argument("--serve-echo", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--out", default=str(DEFAULT_OUT), help="report whose section to rewrite ('-': none)"
    )
    args = parser.parse_args(argv)
    if args.citizens < 1 or args.questions < 1 or args.repeat < 1:
        parser.error("--citizens, --questions and --repeat must be ≥ 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.serve_echo:
        return asyncio.run(serve_echo())
    given = list(sys.argv[1:] if argv is None else argv)
    command = shlex.join(["/tmp/venv/bin/python", "benchmarks/telegram_load.py", *given])
    info = machine()
    began = time.monotonic()
    print(
        f"{args.citizens} citizens × {args.questions} questions = "
        f"{args.citizens * args.questions} updates per run",
        flush=True,
    )
    outcome = asyncio.run(benchmark(args))
    took = time.monotonic() - began

    print()
    print("\n".join((pg_table if args.engine == "postgres" else table)(outcome.results)))
    print()
    for name, ratio in ratios(outcome.results):
        met = "met" if ratio >= TARGET_RATIO else "MISSED"
        print(f"ours / echo throughput, {name}: {ratio:.0%} (target ≥ 70 %: {met})")
    if outcome.profiled is not None:
        print()
        print("\n".join(profile_lines(*outcome.profiled)))
    if args.out != "-":
        out = Path(args.out)
        if args.engine == "postgres":
            body, name = section_postgres(outcome, args, info, command, took), PG_SECTION
        else:
            body, name = section(outcome, args, info, command, took), SECTION
        write_section(out, body, name)  # reads the file again now, so others' edits are kept
        print(f"\nwrote the {name!r} section of {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
