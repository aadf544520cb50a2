"""Triage figures on a case file (the shape of tests/eval/triage.yaml, docs/triage.md).

Used by `benchmarks/triage_eval.py` and the tests: present emergencies stopped (the
emergency reply), shown the numbers (stopped or in doubt), stopped with the right first
number and every listed service; channel matters routed to their channel; near misses
stopped and in doubt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.triage import Outcome, Triager


@dataclass
class Figures:
    """Counts for one case file."""

    emergencies: int = 0
    stopped: int = 0
    shown: int = 0
    right_number: int = 0
    channels: int = 0
    channels_right: int = 0
    near_misses: int = 0
    near_stopped: int = 0
    near_doubt: int = 0
    #: Per expected first service (`call`): emergencies, those shown the numbers, and
    #: those stopped with the right first number.
    by_call: dict[str, list[int]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)


def measure(triager: Triager, cases: dict[str, Any]) -> Figures:
    """Triage every case of a case file.

    Three shapes are read: tests/eval/triage.yaml's (a channel's `rule`, near misses as
    plain strings), tests/eval/blind/triage's (a channel's `channel`, near misses as
    `{text, call: none}`) and tests/eval/triage_dev4.yaml's (sections `emergency`,
    `channel`, `near_miss`; an emergency's `want` is a number, 110/119/120/122, and a
    channel's `want` a channel, `labour` being the packaged `arbitration`).
    """
    cases = _common_shape(triager, cases)
    fig = Figures()
    for case in cases.get("emergencies", []):
        fig.emergencies += 1
        found = triager.triage(case["text"])
        stopped = found is not None and found.outcome is Outcome.EMERGENCY
        fig.stopped += stopped
        shown = found is not None and found.outcome is not Outcome.CHANNEL
        fig.shown += shown
        per = fig.by_call.setdefault(str(case.get("call", "?")), [0, 0, 0])
        per[0] += 1
        per[1] += shown
        expected = {*case.get("also", ()), *([case["call"]] if "call" in case else [])}
        right = (
            stopped
            and found is not None
            and ("call" not in case or found.services[0] == case["call"])
            and expected <= set(found.services)
        )
        fig.right_number += right
        per[2] += right
        if not right:
            fig.misses.append(f"emergency {case['text']!r} → {found}")
    for case in cases.get("channels", []):
        fig.channels += 1
        found = triager.triage(case["text"])
        rule = case.get("rule", case.get("channel"))
        ok = found is not None and found.outcome is Outcome.CHANNEL and found.rule == rule
        fig.channels_right += ok
        if not ok:
            fig.misses.append(f"channel {case['text']!r} ({rule}) → {found}")
    for near in cases.get("near_misses", []):
        text = near["text"] if isinstance(near, dict) else near
        fig.near_misses += 1
        found = triager.triage(text)
        if found is not None and found.outcome is Outcome.EMERGENCY:
            fig.near_stopped += 1
            fig.misses.append(f"near miss stopped {text!r} → {found}")
        elif found is not None and found.outcome is Outcome.DOUBT:
            fig.near_doubt += 1
    return fig


#: Channels of tests/eval/triage_dev4.yaml by their packaged rule (labour disputes go to
#: labour arbitration, the `arbitration` channel of bot/defaults/complaints.yaml).
CHANNEL_ALIASES = {"labour": "arbitration"}


def _common_shape(triager: Triager, cases: dict[str, Any]) -> dict[str, Any]:
    """A case file in the shape of tests/eval/triage.yaml (dev4's `want` translated)."""
    if not any(k in cases for k in ("emergency", "channel", "near_miss")):
        return cases
    service = {number: name for name, number in triager.rules.numbers.items()}
    return {
        "emergencies": [
            {"text": c["text"], "call": service[str(c["want"])]} for c in cases.get("emergency", [])
        ],
        "channels": [
            {"text": c["text"], "rule": CHANNEL_ALIASES.get(c["want"], c["want"])}
            for c in cases.get("channel", [])
        ],
        "near_misses": [c["text"] for c in cases.get("near_miss", [])],
    }
