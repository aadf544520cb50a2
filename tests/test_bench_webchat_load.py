"""The web chat load benchmark (benchmarks/webchat_load.py) at a tiny size, so that it cannot
rot: both real servers start, every question is answered once, the figures add up."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.common import write_last_run
from benchmarks.webchat_load import SECTION, benchmark, report

VISITORS, QUESTIONS = 3, 2


async def test_three_visitors_two_questions_each_are_answered_once(tmp_path: Path) -> None:
    args = argparse.Namespace(
        visitors=VISITORS, questions=QUESTIONS, seed=12, repeat=1, profile=False, profile_out=None
    )
    results, _ = await benchmark(args)
    assert [r.server for r in results] == ["echo", "ours"]
    for result in results:
        assert result.checks == [], result.checks  # each visitor got exactly its replies
        assert result.questions == VISITORS * QUESTIONS
        assert len(result.latencies) == VISITORS * QUESTIONS
        assert 0 < result.percentile(50) <= result.percentile(99)
        assert result.rate > 0 and result.cpu >= 0

    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n## Web chat load\n\nKept.\n\n### Last run\n\nold\n\n## Next\n")
    info = {"date": "today", "cpu": "cpu", "python": "py", "uptime": "load"}
    lines = report(results, args, info, 1.0)
    assert any("ours / echo throughput" in line for line in lines)
    write_last_run(doc, SECTION, lines)
    text = doc.read_text()
    assert "Kept." in text and "old" not in text and text.endswith("## Next\n")
    assert "| ours | 6 |" in text
