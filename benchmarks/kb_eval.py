"""KB eval figures on every eval set, one Markdown row each (docs/matching.md).

    python benchmarks/kb_eval.py [--dev] [--blind]

Without an option both groups are measured: the development sets (the sample KB's
`tests/eval/cases.yaml`, the two held-out KBs under `tests/eval/heldout/` and the third
round's `tests/eval/dev3/*`, all used in tuning) and the blind sets (`tests/eval/blind/*`,
written by a helper who never saw the matcher). Only figures are printed, never a case:
the blind sets are for measuring, not tuning (`citizen-desk kb eval` shows failures,
on the dev sets).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.evaluation import evaluate, load_cases
from bot.knowledge.loader import load_knowledge, sample_kb_path
from bot.matching.matcher import Matcher

EVAL = Path(__file__).resolve().parent.parent / "tests" / "eval"

DEV = {
    "project (sample KB)": (sample_kb_path(), EVAL / "cases.yaml"),
    "held-out zh sub-district": (
        EVAL / "heldout" / "zh-subdistrict" / "kb",
        EVAL / "heldout" / "zh-subdistrict" / "cases.yaml",
    ),
    "held-out en town council": (
        EVAL / "heldout" / "en-council" / "kb",
        EVAL / "heldout" / "en-council" / "cases.yaml",
    ),
    **{
        f"dev3 {name}": (EVAL / "dev3" / name / "kb", EVAL / "dev3" / name / "cases.yaml")
        for name in ("zh-town", "en-shire")
        if (EVAL / "dev3" / name / "cases.yaml").exists()
    },
}
#: The figures of a table row: right, helpful, wrong, out-of-scope rejected and none.
CELLS = (
    "answer_accuracy",
    "helpful_rate",
    "wrong_answer_rate",
    "out_of_scope_rejection",
    "out_of_scope_none",
)
BLIND = {
    f"blind {name}": (EVAL / "blind" / name / "kb", EVAL / "blind" / name / "cases.yaml")
    for name in ("zh-county", "zh-rural", "en-county")
}


def row(name: str, kb_dir: Path, cases_path: Path) -> str:
    """One table row: right, helpful, wrong, out-of-scope rejected and none, routing."""
    kb = load_knowledge(kb_dir).kb
    assert kb is not None, kb_dir
    fig = evaluate(Matcher(kb), load_cases(cases_path)).figures()
    return f"| {name} | " + percents(fig, (*CELLS, "routing_accuracy")) + " |"


def percents(fig: dict[str, float], cells: tuple[str, ...] = CELLS) -> str:
    """The figures named by `cells` as table cells: `92.3 % | 98.1 % | …`."""
    return " | ".join(f"{100 * fig[c]:.1f} %" for c in cells)


def main(argv: list[str]) -> None:
    sets: dict[str, tuple[Path, Path]] = {}
    if "--blind" not in argv or "--dev" in argv:
        sets |= DEV
    if "--dev" not in argv or "--blind" in argv:
        sets |= BLIND
    print("| set | right | helpful | wrong | oos rejected | oos none | routing |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, (kb_dir, cases_path) in sets.items():
        print(row(name, kb_dir, cases_path))


if __name__ == "__main__":
    main(sys.argv[1:])
