"""The blind evaluation sets (tests/eval/blind/): written by a helper who never saw the
matcher, measured by hand (figures in docs/matching.md), never tuned to.

These tests only check that the sets stay well-formed and as big as documented; they
set no accuracy floor, so that nobody is tempted to tune the matcher to them.
"""

from __future__ import annotations

import pytest
import yaml

from bot.evaluation import load_cases
from bot.knowledge.loader import load_knowledge
from tests.conftest import EVAL_DIR

BLIND = EVAL_DIR / "blind"


@pytest.mark.parametrize("name", ["zh-county", "zh-rural", "en-county"])
def test_blind_kb_loads_and_cases_name_its_entries(name: str) -> None:
    loaded = load_knowledge(BLIND / name / "kb")
    assert loaded.kb is not None
    assert not [p for p in loaded.problems if p.severity == "error"]
    ids = {entry.id for entry in loaded.kb.entries}
    cases = load_cases(BLIND / name / "cases.yaml")
    in_scope = [c for c in cases if c.kind == "in-scope"]
    assert len(in_scope) >= 100
    assert sum(1 for c in cases if c.kind == "out-of-scope") >= 30
    assert sum(1 for c in cases if c.kind == "routing") >= 10
    assert {c.expect for c in in_scope} <= ids
    assert len(ids) >= 25


def test_blind_triage_set_is_as_documented() -> None:
    doc = yaml.safe_load((BLIND / "triage" / "cases.yaml").read_text("utf-8"))
    calls = {c["call"] for c in doc["emergencies"]}
    assert calls == {"police", "fire", "medical", "traffic"}
    assert len(doc["emergencies"]) >= 75
    assert {c["channel"] for c in doc["channels"]} == {"court", "arbitration", "review", "petition"}
    assert len(doc["near_misses"]) >= 50
    assert all(c["call"] == "none" for c in doc["near_misses"])
