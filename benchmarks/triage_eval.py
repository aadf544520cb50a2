"""Triage figures on a case file (docs/triage.md): how many emergencies are stopped.

    python benchmarks/triage_eval.py [tests/eval/triage_dev.yaml ...] [--misses] [--by-call]

For each file: present emergencies stopped (the emergency reply), shown the numbers
(stopped or in doubt), stopped with the right first number and every listed service;
channel matters routed to their channel; near misses stopped and in doubt. `--misses`
lists the cases that were not handled right (never use it on the blind set,
tests/eval/blind/triage/cases.yaml: it is for measuring, not tuning); `--by-call` adds,
per expected first service, how many emergencies were shown the numbers and how many
were stopped with the right first number.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from bot.knowledge.loader import load_knowledge, sample_kb_path
from bot.triage import Triager
from bot.triage_eval import measure

EVAL = Path(__file__).resolve().parent.parent / "tests" / "eval"


def main(argv: list[str]) -> None:
    show = "--misses" in argv
    by_call = "--by-call" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")] or [
        EVAL / "triage.yaml",
        EVAL / "triage_dev.yaml",
    ]
    kb = load_knowledge(sample_kb_path()).kb
    assert kb is not None
    triager = Triager(kb)
    print(
        "| file | stopped | numbers shown | right number | channels"
        " | near misses stopped | in doubt |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for path in paths:
        fig = measure(triager, yaml.safe_load(path.read_text("utf-8")))
        e, n = fig.emergencies, fig.near_misses
        print(
            f"| {path.name} | {fig.stopped}/{e} | {fig.shown}/{e} | {fig.right_number}/{e}"
            f" | {fig.channels_right}/{fig.channels} | {fig.near_stopped}/{n}"
            f" | {fig.near_doubt}/{n} |"
        )
        if by_call:
            calls = sorted(fig.by_call.items())
            print("    shown: " + ", ".join(f"{k} {v[1]}/{v[0]}" for k, v in calls))
            print("    right number: " + ", ".join(f"{k} {v[2]}/{v[0]}" for k, v in calls))
        if show:
            for line in fig.misses:
                print("   ", line)


if __name__ == "__main__":
    main(sys.argv[1:])
