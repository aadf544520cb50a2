"""Triage cost per message (docs/triage.md, docs/performance.md).

Times `Triager.triage` over the triage case file, the sample KB's eval questions and a
300-character message without any signal (the longest the matcher reads), one core.

    python benchmarks/triage.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import yaml

from bot.knowledge.loader import load_knowledge, sample_kb_path
from bot.triage import Triager

EVAL = Path(__file__).resolve().parent.parent / "tests" / "eval"
REPEATS = 20


def per_message_us(triager: Triager, messages: list[str]) -> tuple[float, float]:
    """(median, p99) microseconds per message over REPEATS rounds."""
    times = []
    for _ in range(REPEATS):
        for message in messages:
            start = time.perf_counter()
            triager.triage(message)
            times.append((time.perf_counter() - start) * 1e6)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]


def main() -> None:
    kb = load_knowledge(sample_kb_path()).kb
    assert kb is not None
    triager = Triager(kb)
    cases = yaml.safe_load((EVAL / "triage.yaml").read_text("utf-8"))
    triage_set = [c["text"] for c in (*cases["emergencies"], *cases["channels"])]
    triage_set += cases["near_misses"]
    questions = [c["q"] for c in yaml.safe_load((EVAL / "cases.yaml").read_text("utf-8"))["cases"]]
    long = ["我家在青石镇东村，想问一下办事的流程和需要带的材料，" * 12]
    print("| messages | count | median µs | p99 µs |")
    print("|---|---:|---:|---:|")
    for name, messages in (
        ("triage case file", triage_set),
        ("sample eval questions", questions),
        ("300 characters, no signal", long),
    ):
        median, p99 = per_message_us(triager, messages)
        print(f"| {name} | {len(messages)} | {median:.0f} | {p99:.0f} |")


if __name__ == "__main__":
    main()
