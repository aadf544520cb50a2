"""Console export benchmark: the CSV export of a queue at 100,000 tickets, time and memory.

Run from the repository root:

    python benchmarks/console_export.py [--volume 100000]

A fresh SQLite database is filled by `benchmarks/tickets.py`'s bulk loader, a staff
account gets a session, and each export URL is sent straight to the real Starlette app (no
HTTP client, so no client buffers the file): the body is counted and dropped as it comes.
For each export: server time to the first and to the last byte, the longest gap between
two body chunks (one page read and encoded; the console's lock is held only for the read),
the file's size and lines, and the peak of Python's allocations during the export
(tracemalloc, in a second run, so that its cost is not in the times). The same export read
as one page (`export_page` = the volume) shows what streaming saves.

Prints a Markdown section for docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Took, command_line, machine, shell_date
from benchmarks.tickets import bulk_load, open_desk
from bot.config import load_settings
from bot.knowledge.loader import load_knowledge, sample_kb_path
from bot.tickets.model import Role
from bot.web.accounts import Account, AccountStore
from bot.web.app import create_app
from bot.web.auth import COOKIE
from bot.web.context import EXPORT_PAGE, SESSION_TTL, WebContext

URLS = [
    ("all", "/q/all/export.csv"),
    ("all, search 垃圾", "/q/all/export.csv?q=%E5%9E%83%E5%9C%BE"),
    ("all, status = closed", "/q/all/export.csv?status=closed"),
    ("unassigned", "/q/unassigned/export.csv"),
]


async def fetch(app: Any, url: str, token: str) -> dict[str, float]:
    """One export through the ASGI app; its times, size and lines."""
    parts = urlsplit(url)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(b"host", b"console.test"), (b"cookie", f"{COOKIE}={token}".encode())],
        "client": ("10.0.0.1", 50000),
        "server": ("console.test", 80),
    }
    out = {"bytes": 0.0, "lines": 0.0, "first_ms": 0.0, "gap_ms": 0.0, "status": 0.0}
    start = last = time.perf_counter()

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)  # the client never disconnects
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal last
        now = time.perf_counter()
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            if body and not out["bytes"]:
                out["first_ms"] = (now - start) * 1000
            elif body:
                out["gap_ms"] = max(out["gap_ms"], (now - last) * 1000)
            out["bytes"] += len(body)
            out["lines"] += body.count(b"\r\n")
        last = now

    await app(scope, receive, send)
    out["total_ms"] = (time.perf_counter() - start) * 1000
    return out


async def peak(app: Any, url: str, token: str) -> int:
    """The peak of Python's allocations during one export, in bytes."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    await fetch(app, url, token)
    top = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return top - base


async def run(volume: int, seed: int) -> dict[str, Any]:
    """Load, then export each URL streamed and as one page."""
    kb = load_knowledge(sample_kb_path()).kb
    if kb is None:
        raise SystemExit("the sample KB does not load")
    out: dict[str, Any] = {"rows": []}
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        db = Path(tmp) / "console.sqlite3"
        store, desk = await open_desk(db, kb)
        try:
            print(f"loading {volume:,} tickets …", file=sys.stderr)
            out["insert_s"] = await bulk_load(store, desk, volume, random.Random(seed))
            async with store.transaction():
                await AccountStore(store).save(Account("clerk", Role.STAFF), "benchmark pw")
                token = await AccountStore(store).open_session(
                    "clerk", "zh", time.time(), SESSION_TTL
                )
            settings = load_settings(environ={}, overrides={"db_path": db})
            for page in (EXPORT_PAGE, volume):
                ctx = WebContext(store, desk, settings, export_page=page)
                app = create_app(ctx)
                for what, url in URLS:
                    await fetch(app, url, token)  # warm-up
                    figures = await fetch(app, url, token)
                    if figures["status"] != 200:
                        raise SystemExit(f"{url}: HTTP {figures['status']:.0f}")
                    figures["peak"] = await peak(app, url, token)
                    out["rows"].append((page, what, url, figures))
        finally:
            await store.close()
    return out


def render(out: dict[str, Any], meta: dict[str, str], volume: int) -> str:
    """The Markdown body of the `## Console export` section."""
    mib = 1024 * 1024
    lines = [
        f"- Machine: {meta['machine']}",
        f"- Date: {meta['date']}",
        f"- Command: `{meta['command']}` (took {meta['elapsed']})",
        f"- Load average (1 min) at start / end: {meta['load']}",
        "",
        f"### Exports at {volume:,} tickets (server time, one run after a warm-up)",
        "",
        "| tickets per read | export | URL | lines | MiB | first byte ms | total ms "
        "| longest gap ms | peak Python MiB |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for page, what, url, f in out["rows"]:
        lines.append(
            f"| {page:,} | {what} | `{url}` | {f['lines'] - 1:,.0f} | {f['bytes'] / mib:.1f} "
            f"| {f['first_ms']:.1f} | {f['total_ms']:,.0f} | {f['gap_ms']:.1f} "
            f"| {f['peak'] / mib:.1f} |"
        )
    lines += ["", f"Data: {volume:,} tickets bulk-inserted in {out['insert_s']:.1f} s."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--volume", type=int, default=100_000, help="tickets in the database")
    p.add_argument("--seed", type=int, default=12345)
    args = p.parse_args(argv)
    command = command_line("benchmarks/console_export.py", argv)
    meta = {"machine": machine(), "date": shell_date(), "command": command}
    took = Took()
    out = asyncio.run(run(args.volume, args.seed))
    meta["elapsed"] = f"{took.seconds():.0f} s"
    meta["load"] = f"{took.loads()} on {os.cpu_count()} CPUs"
    print(render(out, meta, args.volume))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
