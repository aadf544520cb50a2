"""Reload memory benchmark: RSS over repeated knowledge reloads of the unchanged sample KB.

Run from the repository root:

    .venv/bin/python benchmarks/reload_memory.py [--reloads 50]

A `Dialogue` over a matcher of a temporary copy of `knowledge/`, and the real
`KnowledgeReloader` reloading it N times (each reload loads, checks and indexes in a
thread, then swaps the matcher in). After each reload: RSS (Linux `/proc/self/statm`),
whether the previous matcher is already freed (a weakref, no `gc.collect()`), and the
time. Prints the Markdown for the `## Reload memory` section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import ctypes.util
import datetime as dt
import os
import platform
import shutil
import tempfile
import time
import weakref
from pathlib import Path

from bot.dialogue import Dialogue
from bot.knowledge.loader import load_knowledge, sample_kb_path
from bot.matching.matcher import Matcher
from bot.reload import KnowledgeReloader

_TRIM = getattr(ctypes.CDLL(ctypes.util.find_library("c")), "malloc_trim", None)


def rss_mb(trim: bool = False) -> float:
    """This process's resident set size in MiB; `trim`: after glibc's `malloc_trim(0)`
    returned free memory to the OS (what is left is memory in use)."""
    if trim and _TRIM is not None:
        _TRIM(0)
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


async def _notice(text: str) -> None:
    """Admin notices go nowhere here."""


async def measure(reloads: int) -> tuple[list[float], list[float], int, float]:
    """RSS after each reload (as it is, and trimmed), how many old matchers were freed
    at once, seconds taken."""
    with tempfile.TemporaryDirectory() as tmp:
        kb_dir = Path(tmp) / "kb"
        shutil.copytree(sample_kb_path(), kb_dir)
        kb = load_knowledge(kb_dir).kb
        assert kb is not None
        dialogue = Dialogue(Matcher(kb))
        reloader = KnowledgeReloader(kb_dir, dialogue, _notice)
        figures: list[float] = []
        trimmed: list[float] = []
        freed = 0
        started = time.perf_counter()
        for _ in range(reloads):
            old = weakref.ref(dialogue.matcher)
            await reloader.reload()
            dialogue.matcher.match("低保怎么申请")
            freed += old() is None
            figures.append(rss_mb())
            trimmed.append(rss_mb(trim=True))
        return figures, trimmed, freed, time.perf_counter() - started


def main() -> None:
    """Measure and print the Markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reloads", type=int, default=50, help="how many reloads (50)")
    args = parser.parse_args()
    before = rss_mb()
    figures, trimmed, freed, seconds = asyncio.run(measure(args.reloads))
    print("## Reload memory\n")
    print(f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    system = f"{platform.system()} {platform.release()}"
    print(f"- Machine: {os.cpu_count()} CPUs ({platform.machine()}), CPython")
    print(f"  {platform.python_version()}, {system}")
    print(f"- Command: `benchmarks/reload_memory.py --reloads {args.reloads}` ({seconds:.1f} s)")
    print(f"- RSS before the first reload: {before:.1f} MiB")
    print(f"- Old matcher freed at once (weakref dead, no gc.collect()): {freed} of {args.reloads}")
    for label, values in (("RSS", figures), ("RSS after malloc_trim(0)", trimmed)):
        warm, peak = max(values[:5]), max(values[5:] or values)
        print(
            f"- {label}: highest in reloads 1–5 {warm:.1f} MiB, in reloads 6–{args.reloads} "
            f"{peak:.1f} MiB ({peak - warm:+.1f}), last {values[-1]:.1f} MiB; per reload: "
            + " ".join(f"{r:.0f}" for r in values)
        )


if __name__ == "__main__":
    main()
