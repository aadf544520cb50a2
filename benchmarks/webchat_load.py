"""Web chat load benchmark: `citizen-desk web` against a bare Starlette echo, over real HTTP.

Run from the repository root:

    .venv/bin/python benchmarks/webchat_load.py [--visitors 200] [--questions 5]

What it does:

1. Picks the workload: V visitors, each with Q questions drawn (seeded) from the `q` values
   of `tests/eval/cases.yaml` that the matcher answers, clarifies or declines (complaint,
   status, hand-over and greeting cases start stateful flows and are left out). A visitor
   speaks one language (?lang=en or zh, as the page sends it).
2. Starts each server as its own process on a loopback port with the same uvicorn settings
   (`proxy_headers=True`, `access_log=False`, `log_config=None`, default loop and HTTP
   implementation): ours is `python -m bot.cli web` on a fresh SQLite file and the sample
   KB; the echo is `ECHO` below (this file with `--serve-echo`), which stores nothing and
   sends each message's text back as an event on the visitor's stream.
3. Every visitor, with a cookie jar of its own and an address of its own (X-Forwarded-For,
   as behind the portal's proxy), opens the page (its key in the cookie, the CSRF token
   from the page), opens its event stream and waits for it, then — all visitors at once —
   sends its questions one after another, each when the reply to the previous one has
   arrived (closed loop). A question is timed from its POST to the last of its reply
   events on the stream (how many a question gets is worked out beforehand by the same
   dialogue core on a memory store).
4. Reports answered questions/s (first POST → last reply), p50/p99 reply latency, the
   server process's CPU seconds (from /proc) and the client's, and the ratio ours / echo
   (target ≥ 70 %); with `--profile` a py-spy flame summary of our server during one more
   run. With `--write` it rewrites the `### Last run` part of `## Web chat load` in
   docs/performance.md (nothing else).

Afterwards it checks that every question was answered once: each visitor got exactly the
events it expected, and (ours) the inbox holds V×Q rows, all done.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shlex  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import AsyncIterator, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import aiohttp  # noqa: E402
import yaml  # noqa: E402

from benchmarks.common import (  # noqa: E402
    PERFORMANCE,
    cpu_model,
    cpu_seconds,
    free_port,
    python_version,
    shell_date,
    uptime,
    wait_listening,
    write_last_run,
)

CASES = ROOT / "tests" / "eval" / "cases.yaml"
DEFAULT_OUT = PERFORMANCE
SECTION = "## Web chat load"
TARGET_RATIO = 0.70
LINE = re.compile(r":\d+\)$")
CSRF_RE = re.compile(r'name="chat-csrf" content="([0-9a-f]+)"')
#: After the last reply, how long to watch for events nobody asked for.
GRACE = 0.5
#: How long a run may take before it is called stuck.
RUN_TIMEOUT = 600.0
#: uvicorn as `citizen-desk web` runs it (bot/web/serve.py).
UVICORN = {"log_config": None, "proxy_headers": True, "access_log": False}


# -- workload ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visitor:
    """One simulated visitor: its language, its questions and their reply counts."""

    number: int
    lang: str
    questions: tuple[str, ...]
    #: Reply events our server sends for each question (the echo sends one).
    replies: tuple[int, ...]


async def make_visitors(count: int, questions: int, seed: int) -> list[Visitor]:
    """`count` visitors with `questions` questions each, from the eval set (seeded)."""
    from bot.config import load_settings
    from bot.dialogue import Dialogue, Incoming, MemoryPreferences
    from bot.knowledge.loader import load_knowledge, sample_kb_path
    from bot.matching.matcher import Matcher
    from bot.matching.routes import Route

    kb = load_knowledge(sample_kb_path()).kb
    assert kb is not None
    matcher = Matcher(kb, load_settings(environ={}).matching)
    pools: dict[str, list[str]] = {"zh": [], "en": []}
    for case in yaml.safe_load(CASES.read_text("utf-8"))["cases"]:
        text = str(case["q"])
        if matcher.match(text).route in (Route.ANSWER, Route.CLARIFY, Route.NONE):
            pools["en" if case.get("lang") == "en" else "zh"].append(text)
    english_share = len(pools["en"]) / (len(pools["en"]) + len(pools["zh"]))
    rng = random.Random(seed)
    dialogue = Dialogue(matcher, MemoryPreferences())
    sizes: dict[tuple[str, str], int] = {}
    visitors = []
    for n in range(count):
        lang = "en" if rng.random() < english_share else "zh"
        asked = tuple(rng.choice(pools[lang]) for _ in range(questions))
        for text in asked:
            if (text, lang) not in sizes:
                got = await dialogue.handle(Incoming("chat:x", text=text, lang_hint=lang))
                sizes[text, lang] = len(got)
        visitors.append(Visitor(n, lang, asked, tuple(sizes[q, lang] for q in asked)))
    return visitors


# -- the echo ------------------------------------------------------------------------------


def echo_app() -> Any:
    """A bare Starlette app doing the chat's HTTP work and nothing else: a page that sets a
    cookie and carries a CSRF token, POST /chat/send (JSON, token checked, kept in memory
    only), GET /chat/events (SSE with ids, Last-Event-ID resumed) that echoes each text."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    class Box:
        def __init__(self) -> None:
            self.events: list[str] = []
            self.arrived = asyncio.Event()

    boxes: dict[str, Box] = {}

    async def page(request: Request) -> Response:
        key = request.cookies.get("cd_chat") or secrets.token_urlsafe(32)
        boxes.setdefault(key, Box())
        token = secrets.token_hex(16)
        request.app.state.tokens[key] = token
        html = f'<html><head><meta name="chat-csrf" content="{token}"></head></html>'
        response = HTMLResponse(html)
        response.set_cookie("cd_chat", key, path="/chat", httponly=True, samesite="lax")
        return response

    async def send(request: Request) -> Response:
        key = request.cookies.get("cd_chat", "")
        if key not in boxes or request.headers.get("x-csrf-token") != request.app.state.tokens[key]:
            return JSONResponse({"ok": False}, 403)
        body = json.loads(await request.body())
        box = boxes[key]
        box.events.append(json.dumps({"text": body["text"]}, ensure_ascii=False))
        box.arrived.set()
        box.arrived = asyncio.Event()
        return JSONResponse({"ok": True, "duplicate": False})

    async def events(request: Request) -> Response:
        box = boxes.get(request.cookies.get("cd_chat", ""))
        if box is None:
            return JSONResponse({"ok": False}, 403)
        after = int(request.headers.get("last-event-id") or 0)

        async def stream() -> AsyncIterator[str]:
            nonlocal after
            yield "retry: 2000\n\n"
            while True:
                arrived = box.arrived
                while after < len(box.events):
                    after += 1
                    yield f"id: {after}\nevent: message\ndata: {box.events[after - 1]}\n\n"
                await arrived.wait()

        headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    app = Starlette(
        routes=[
            Route("/chat", page, methods=["GET"]),
            Route("/chat/send", send, methods=["POST"]),
            Route("/chat/events", events, methods=["GET"]),
        ]
    )
    app.state.tokens = {}
    return app


def serve_echo(listen: str) -> None:
    """`--serve-echo HOST:PORT`: the echo under uvicorn, configured as our server is."""
    import uvicorn

    host, _, port = listen.rpartition(":")
    uvicorn.run(echo_app(), host=host, port=int(port), **UVICORN)  # type: ignore[arg-type]


# -- servers -------------------------------------------------------------------------------


class Server:
    """One server process on a loopback port."""

    def __init__(self, name: str, tmp: Path):
        self.name = name
        self.port = free_port()
        self.tmp = tmp
        # A fresh database for every run (repeats and the profiled run too).
        self.db = tmp / f"{name}-{self.port}.sqlite3"
        self.log = tmp / f"{name}-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        listen = f"127.0.0.1:{self.port}"
        if self.name == "echo":
            return [sys.executable, str(Path(__file__).resolve()), "--serve-echo", listen]
        from bot.knowledge.loader import sample_kb_path

        return [
            *(sys.executable, "-m", "bot.cli", "web", "--listen", listen),
            *("--db", str(self.db), "--kb", str(sample_kb_path())),
        ]

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_DESK_")}
        env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", CITIZEN_DESK_LOG_LEVEL="WARNING")
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(), env=env, cwd=self.tmp, stdout=subprocess.DEVNULL, stderr=log
            )
        await wait_listening(self.proc, self.port, self.log, self.name, timeout=60)

    def cpu(self) -> float:
        assert self.proc is not None
        return cpu_seconds(self.proc.pid)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                await asyncio.to_thread(self.proc.wait, 20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                await asyncio.to_thread(self.proc.wait)


# -- driving -------------------------------------------------------------------------------


@dataclass
class Page:
    """A visitor's page: its session, its stream, the events it got."""

    visitor: Visitor
    session: aiohttp.ClientSession
    base: str
    csrf: str = ""
    got: list[tuple[int, str]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    latencies: list[float] = field(default_factory=list)
    reconnects: int = 0

    async def join(self) -> None:
        """Open the page: the key comes in a cookie, the CSRF token in a meta tag."""
        async with self.session.get(f"{self.base}/chat?lang={self.visitor.lang}") as page:
            text = await page.text()
            assert page.status == 200, text
        found = CSRF_RE.search(text)
        assert found, text[:500]
        self.csrf = found[1]

    async def listen(self) -> None:
        """The page's EventSource: read events, reconnect with Last-Event-ID at once."""
        while True:
            headers = {"last-event-id": str(self.got[-1][0])} if self.got else {}
            try:
                async with self.session.get(f"{self.base}/chat/events", headers=headers) as stream:
                    assert stream.status == 200, await stream.text()
                    fields: dict[str, str] = {}
                    async for raw in stream.content:
                        line = raw.decode().rstrip("\r\n")
                        if line:
                            name, _, value = line.partition(": ")
                            fields[name] = value
                            continue
                        self.ready.set()
                        if "id" in fields:
                            self.got.append((int(fields["id"]), fields["data"]))
                            self.arrived.set()
                            self.arrived = asyncio.Event()
                        fields = {}
            except aiohttp.ClientError:
                pass
            self.reconnects += 1

    async def ask(self, number: int, text: str, wanted: int) -> None:
        """POST one question; wait until `wanted` events in all have arrived."""
        body = {"id": f"v{self.visitor.number:04d}-q{number:03d}", "text": text}
        headers = {"x-csrf-token": self.csrf, "content-type": "application/json"}
        began = time.perf_counter()
        while True:
            async with self.session.post(
                f"{self.base}/chat/send?lang={self.visitor.lang}",
                data=json.dumps(body, ensure_ascii=False),
                headers=headers,
            ) as sent:
                if sent.status == 429:
                    await asyncio.sleep(float(sent.headers["retry-after"]))
                    continue
                assert sent.status == 200, await sent.text()
                break
        while len(self.got) < wanted:
            await self.arrived.wait()
        self.latencies.append(time.perf_counter() - began)

    async def converse(self, echo: bool) -> float:
        """Every question in turn, each when the previous one's replies have come."""
        wanted = 0
        for n, text in enumerate(self.visitor.questions):
            wanted += 1 if echo else self.visitor.replies[n]
            await self.ask(n, text, wanted)
        return time.perf_counter()


@dataclass
class Result:
    """One run of one server."""

    server: str
    questions: int
    wall: float
    latencies: list[float]
    cpu: float
    client_cpu: float
    reconnects: int
    checks: list[str]

    @property
    def rate(self) -> float:
        return self.questions / self.wall if self.wall else 0.0

    def percentile(self, p: float) -> float:
        """The p-th percentile latency in ms (nearest rank)."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000


async def run_one(
    name: str, visitors: Sequence[Visitor], tmp: Path, profile: Path | None = None
) -> Result:
    """Start a fresh server, drive every visitor through it, check, stop it."""
    server = Server(name, tmp)
    await server.start()
    spy: subprocess.Popen[bytes] | None = None
    pages: list[Page] = []
    listening: list[asyncio.Task[None]] = []
    try:
        for visitor in visitors:
            session = aiohttp.ClientSession(
                cookie_jar=aiohttp.CookieJar(unsafe=True),  # a cookie from 127.0.0.1
                headers={
                    "origin": server.base,
                    "x-forwarded-for": f"10.{visitor.number // 250}.{visitor.number % 250}.1",
                },
                timeout=aiohttp.ClientTimeout(total=None, sock_read=60),
                connector=aiohttp.TCPConnector(limit=4),
            )
            pages.append(Page(visitor, session, server.base))
        for chunk in range(0, len(pages), 20):
            await asyncio.gather(*(p.join() for p in pages[chunk : chunk + 20]))
        listening = [asyncio.create_task(p.listen()) for p in pages]
        await asyncio.wait_for(asyncio.gather(*(p.ready.wait() for p in pages)), 60)
        if profile is not None:
            assert server.proc is not None
            spy = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("py-spy")),
                    *("record", "--pid", str(server.proc.pid), "--format", "raw"),
                    *("--output", str(profile), "--rate", "200", "--nonblocking"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            await asyncio.sleep(1.0)
        cpu0, client0 = server.cpu(), time.process_time()
        began = time.perf_counter()
        ends = await asyncio.wait_for(
            asyncio.gather(*(p.converse(name == "echo") for p in pages)), RUN_TIMEOUT
        )
        wall = max(ends) - began
        cpu, client_cpu = server.cpu() - cpu0, time.process_time() - client0
        if spy is not None:
            spy.send_signal(2)
            await asyncio.to_thread(spy.wait, 30)
        await asyncio.sleep(GRACE)
        checks = answered_once(name, pages, server)
    finally:
        for task in listening:
            task.cancel()
        await asyncio.gather(*listening, return_exceptions=True)
        for page in pages:
            await page.session.close()
        await server.stop()
    latencies = [x for p in pages for x in p.latencies]
    reconnects = sum(p.reconnects for p in pages)
    return Result(name, len(latencies), wall, latencies, cpu, client_cpu, reconnects, checks)


def answered_once(name: str, pages: Sequence[Page], server: Server) -> list[str]:
    """What is wrong with the answers (nothing: []): each visitor got exactly the events it
    asked for, in order; ours stored every message once and processed it."""
    wrong = []
    for page in pages:
        wanted = len(page.visitor.questions) if name == "echo" else sum(page.visitor.replies)
        ids = [i for i, _ in page.got]
        if len(ids) != wanted or ids != sorted(set(ids)):
            wrong.append(f"visitor {page.visitor.number}: {len(ids)} events, {wanted} expected")
        if name == "echo":
            texts = [json.loads(data)["text"] for _, data in page.got]
            if texts != list(page.visitor.questions):
                wrong.append(f"visitor {page.visitor.number}: echoes out of order")
    if name == "ours":
        with sqlite3.connect(server.db) as conn:
            states = dict(conn.execute("SELECT state, COUNT(*) FROM webchat_inbox GROUP BY state"))
            logged = conn.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
        asked = sum(len(p.visitor.questions) for p in pages)
        if states != {"done": asked}:
            wrong.append(f"inbox states {states}, {asked} messages sent")
        if logged != asked:
            wrong.append(f"{logged} questions logged, {asked} asked")
    return wrong


# -- profile -------------------------------------------------------------------------------


def profile_summary(raw: Path, top: int = 25) -> list[str]:
    """py-spy's collapsed stacks → the functions of ours (and others) by inclusive share."""
    if not raw.exists():
        return ["(py-spy wrote no profile: ptrace refused?)"]
    inclusive: dict[str, int] = {}
    leaf: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        # One row per function, not per line: "f (bot/x.py:12)" → "f (bot/x.py)".
        frames = [LINE.sub(")", f.strip()) for f in stack.split(";") if f.strip()]
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        if frames:
            leaf[frames[-1]] = leaf.get(frames[-1], 0) + count
    if not total:
        return ["(empty profile)"]

    def rows(data: dict[str, int]) -> list[str]:
        best = sorted(data.items(), key=lambda kv: kv[1], reverse=True)[:top]
        return [f"| `{f.replace('|', '/')}` | {c / total:.0%} |" for f, c in best]

    return [
        f"{total:,} samples of the server's busy threads (py-spy leaves idle waits out).",
        "",
        "Inclusive (the function or what it called):",
        "",
        "| frame | share |",
        "|---|---:|",
        *rows({k: v for k, v in inclusive.items() if "(bot/" in k}),
        "",
        "Where the samples were (innermost frame):",
        "",
        "| frame | share |",
        "|---|---:|",
        *rows(leaf),
    ]


# -- report --------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    return {
        "cpu": f"{cpu_model()}, {os.cpu_count()} logical",
        "python": python_version(),
        "date": shell_date("-u"),
        "uptime": uptime(),
    }


def table(results: Sequence[Result]) -> list[str]:
    lines = [
        "| server | questions | wall s | answered/s | p50 ms | p99 ms | server CPU s "
        "| server CPU ms per question | client CPU s | stream reconnects |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        per = r.cpu / r.questions * 1000 if r.questions else float("nan")
        lines.append(
            f"| {r.server} | {r.questions:,} | {r.wall:.2f} | {r.rate:,.1f} "
            f"| {r.percentile(50):,.1f} | {r.percentile(99):,.1f} | {r.cpu:.2f} | {per:.2f} "
            f"| {r.client_cpu:.2f} | {r.reconnects} |"
        )
    return lines


def report(
    results: Sequence[Result], args: argparse.Namespace, info: dict[str, str], took: float
) -> list[str]:
    ours = [r for r in results if r.server == "ours"]
    echo = [r for r in results if r.server == "echo"]
    ratios = [o.rate / e.rate for o, e in zip(ours, echo, strict=False) if e.rate]
    command = " ".join(shlex.quote(a) for a in sys.argv)
    lines = [
        f"- Date: {info['date']}; CPU: {info['cpu']}; {info['python']}",
        f"- Command: `{command}` (took {took:.0f} s)",
        f"- `uptime` before: {info['uptime']}",
        f"- `uptime` after: {uptime()}",
        f"- Workload: {args.visitors} visitors × {args.questions} questions (seed {args.seed}), "
        "closed loop, each server a fresh process; runs alternate echo, ours.",
        "",
        *table(results),
        "",
    ]
    for n, ratio in enumerate(ratios):
        met = "met" if ratio >= TARGET_RATIO else "**missed**"
        lines.append(
            f"- Repeat {n + 1}: ours / echo throughput = **{ratio:.0%}** "
            f"(target ≥ {TARGET_RATIO:.0%}: {met})"
        )
    for r in results:
        for wrong in r.checks:
            lines.append(f"- {r.server}: NOT ANSWERED ONCE: {wrong}")
    return lines


# -- main ----------------------------------------------------------------------------------


async def benchmark(args: argparse.Namespace) -> tuple[list[Result], list[str]]:
    visitors = await make_visitors(args.visitors, args.questions, args.seed)
    results: list[Result] = []
    profile_lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="webchat-load-") as tmp:
        for _ in range(args.repeat):
            for name in ("echo", "ours"):
                result = await run_one(name, visitors, Path(tmp))
                results.append(result)
                print(*table([result])[-1:], flush=True)
        if args.profile:
            raw = Path(tmp) / "ours.spy"
            await run_one("ours", visitors, Path(tmp), profile=raw)
            profile_lines = profile_summary(raw)
            if args.profile_out:
                Path(args.profile_out).write_text(raw.read_text() if raw.exists() else "")
    return results, profile_lines


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=1, help="echo+ours pairs to run")
    parser.add_argument("--profile", action="store_true", help="py-spy one more run of ours")
    parser.add_argument("--profile-out", default=None, help="keep py-spy's collapsed stacks")
    parser.add_argument("--write", action="store_true", help=f"update {DEFAULT_OUT.name}")
    parser.add_argument("--serve-echo", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.serve_echo:
        serve_echo(args.serve_echo)
        return 0
    info = machine()
    began = time.monotonic()
    results, profile_lines = asyncio.run(benchmark(args))
    lines = report(results, args, info, time.monotonic() - began)
    if profile_lines:
        lines += ["", "Profile of ours (py-spy):", "", *profile_lines]
    print("\n".join(lines))
    if args.write:
        write_last_run(DEFAULT_OUT, SECTION, lines)
    return 1 if any(r.checks for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
