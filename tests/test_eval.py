"""The project's evaluation sets, run with the targets as thresholds."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluation import evaluate, load_cases
from bot.knowledge.loader import load_knowledge
from bot.matching.matcher import Matcher
from tests.conftest import EVAL_DIR


def test_eval_set_is_big_and_varied_enough() -> None:
    cases = load_cases(EVAL_DIR / "cases.yaml")
    in_scope = [c for c in cases if c.kind == "in-scope"]
    assert len(cases) >= 300
    assert sum(1 for c in cases if c.lang == "en") >= 60
    assert sum(1 for c in cases if c.kind == "out-of-scope") >= 45
    assert sum(1 for c in cases if c.kind == "routing") >= 30
    assert len({c.expect for c in in_scope}) == 32


def test_project_eval_meets_targets(matcher: Matcher) -> None:
    report = evaluate(matcher, load_cases(EVAL_DIR / "cases.yaml"))
    f = report.figures()
    summary = report.text()
    assert f["answer_accuracy"] >= 0.90, summary
    assert f["helpful_rate"] >= 0.97, summary
    assert f["wrong_answer_rate"] <= 0.02, summary
    assert f["out_of_scope_rejection"] >= 0.95, summary
    assert f["routing_accuracy"] >= 0.95, summary


@pytest.mark.parametrize("name", ["zh-subdistrict", "en-council"])
def test_held_out_kbs_stay_safe(name: str) -> None:
    """KBs and questions written apart from the matcher: no confident wrong answers.

    These sets were not used to write the sample KB; their floors guard generality
    (the figures are in docs/matching.md).
    """
    base = EVAL_DIR / "heldout" / name
    kb = load_knowledge(base / "kb").kb
    assert kb is not None
    f = evaluate(Matcher(kb), load_cases(base / "cases.yaml")).figures()
    assert f["wrong_answer_rate"] <= 0.02
    assert f["out_of_scope_rejection"] >= 0.90
    assert f["answer_accuracy"] >= 0.65
    assert f["helpful_rate"] >= 0.85
    assert f["routing_accuracy"] >= 0.85


def test_eval_rejects_a_malformed_cases_file(tmp_path: Path) -> None:
    from bot.errors import UsageError

    bad = tmp_path / "cases.yaml"
    bad.write_text("cases:\n  - {q: 低保, route: nowhere}\n", encoding="utf-8")
    with pytest.raises(UsageError, match="unknown route"):
        load_cases(bad)
