"""Section 三 and 四 of the annual report: a seeded year checked against hand counts."""

from __future__ import annotations

from datetime import date

import pytest

from bot.disclosure.answers import RESULT_ROWS, Answer, Applicant, result_row
from bot.disclosure.table import (
    ReconciliationError,
    RequestRecord,
    application_layout,
    compute,
    render_csv,
    render_html,
    render_markdown,
    review_layout,
    review_table,
)

N, C, L = Applicant.NATURAL, Applicant.COMMERCIAL, Applicant.LEGAL

SEEDED = [
    # finished in 2025: not in the 2026 table at all
    RequestRecord(N, date(2025, 3, 1), date(2025, 3, 20), "public"),
    # carried over from 2025 (二), finished in 2026
    RequestRecord(N, date(2025, 12, 20), date(2026, 1, 15), "partial"),
    RequestRecord(C, date(2025, 12, 28), date(2026, 1, 20), "withheld.third_party"),
    # carried over from 2025 and still open at the end of 2026 (二 and 四)
    RequestRecord(L, date(2025, 12, 30), None, None),
    # new in 2026 (一), finished in 2026
    RequestRecord(N, date(2026, 2, 10), date(2026, 3, 1), "public"),
    RequestRecord(N, date(2026, 3, 2), date(2026, 3, 5), "public"),
    RequestRecord(N, date(2026, 4, 1), date(2026, 4, 30), "unavailable.not_held"),
    RequestRecord(N, date(2026, 5, 1), date(2026, 6, 1), "other.no_correction"),
    RequestRecord(C, date(2026, 6, 1), date(2026, 6, 10), "refused.petition"),
    RequestRecord(L, date(2026, 7, 1), date(2026, 7, 8), "withheld.secret"),
    # new in 2026, finished in 2027: counts as 四 in 2026
    RequestRecord(C, date(2026, 12, 20), date(2027, 1, 10), "public"),
    # received in 2027: outside the year
    RequestRecord(N, date(2027, 1, 5), None, None),
]


def test_seeded_year_matches_hand_counts_and_reconciles() -> None:
    table = compute(SEEDED, 2026)
    assert table.new == {N: 4, C: 2, L: 1, **_rest(N, C, L)}
    assert table.carried_in == {N: 1, C: 1, L: 1, **_rest(N, C, L)}
    assert table.results["public"][N] == 2
    assert table.results["partial"][N] == 1
    assert table.results["withheld.third_party"][C] == 1
    assert table.results["withheld.secret"][L] == 1
    assert table.group("withheld") == {N: 0, C: 1, L: 1, **_rest(N, C, L)}
    assert table.results["unavailable.not_held"][N] == 1
    assert table.results["other.no_correction"][N] == 1
    assert table.results["refused.petition"][C] == 1
    assert table.results_total() == {N: 5, C: 2, L: 1, **_rest(N, C, L)}
    assert table.carried_out == {N: 0, C: 1, L: 1, **_rest(N, C, L)}
    # 一 + 二 = 三 + 四: 7 + 3 = 8 + 2
    assert table.total(table.new) + table.total(table.carried_in) == 10
    assert table.total(table.results_total()) + table.total(table.carried_out) == 10
    table.check()


def _rest(*used: Applicant) -> dict[Applicant, int]:
    return {a: 0 for a in Applicant if a not in used}


def test_last_years_published_carry_over_must_match() -> None:
    table = compute(SEEDED, 2026, carried_in={N: 1, C: 1, L: 2})
    with pytest.raises(ReconciliationError) as failed:
        table.check()
    text = str(failed.value)
    assert "上年结转" in text and "法律服务机构" in text  # says which column and why


def test_a_concluded_request_without_a_row_does_not_reconcile() -> None:
    table = compute([RequestRecord(N, date(2026, 1, 5), date(2026, 1, 9), None)], 2026)
    with pytest.raises(ReconciliationError) as failed:
        table.check()
    assert "without a result row" in failed.value.reasons[0]
    assert any("自然人" in r for r in failed.value.reasons)


def test_answers_map_to_rows() -> None:
    assert result_row(Answer.ALREADY_PUBLIC) == "public"
    assert result_row(Answer.NOT_OURS) == "unavailable.not_held"
    assert result_row(Answer.WITHHELD, "process") == "withheld.process"
    assert result_row(Answer.REPEAT) == "refused.repeat"
    with pytest.raises(ValueError):
        result_row(Answer.WITHHELD, None)
    assert len([r for r in RESULT_ROWS if r.group == "withheld"]) == 8
    assert len([r for r in RESULT_ROWS if r.group == "unavailable"]) == 3
    assert len([r for r in RESULT_ROWS if r.group == "refused"]) == 5
    assert len([r for r in RESULT_ROWS if r.group == "other"]) == 3


def test_every_format_comes_from_the_same_layout() -> None:
    layout = application_layout(compute(SEEDED, 2026))
    labels = [row[0] for row in layout.rows]
    assert labels[0].startswith("一、本年新收")
    assert labels[1].startswith("二、上年结转")
    assert labels[2] == "三、本年度办理结果"
    assert labels[-2] == "（七）总计" and labels[-1].startswith("四、结转下年度")
    assert len(layout.rows) == 3 + 2 + 4 + 8 + 3 + 5 + 3 + 2
    md, csv_text, page = render_markdown(layout), render_csv(layout), render_html(layout)
    for row in layout.rows:
        line = "| " + " | ".join(row) + " |"
        assert line in md
        assert ",".join(row) in csv_text
    assert '<th colspan="5">法人或其他组织</th>' in page
    assert (
        "<th>（七）总计</th>"
        + "".join(f'<td class="n">{v}</td>' for v in ("5", "2", "0", "0", "1", "0", "8"))
        in page
    )


def test_review_section() -> None:
    table = review_table(
        2026,
        [("review", "upheld", 2), ("review", "pending", 1), ("lawsuit_direct", "corrected", 1)],
    )
    assert table.total("review") == 3
    layout = review_layout(table)
    assert layout.rows[0] == ("行政复议", "2", "0", "0", "1", "3")
    assert layout.rows[1] == ("行政诉讼（未经复议直接起诉）", "0", "1", "0", "0", "1")
