"""The annual report's sections 三 and 四 (国办公开办函〔2021〕30号), computed and rendered.

Section 三 counts requests by applicant column; its rows must reconcile:
一 (本年新收) + 二 (上年结转) = 三 (办理结果总计) + 四 (结转下年度), column by column.
One layout (`Layout`) feeds every output format, so Markdown, CSV and HTML cannot differ.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.disclosure.answers import GROUPS, RESULT_ROWS, ROW_KEYS, Applicant

COLUMNS: tuple[Applicant, ...] = tuple(Applicant)
#: Column headings: 自然人, the five 法人或其他组织 types, 总计.
COLUMN_ZH = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
COLUMN_EN = (
    "Natural persons",
    "Businesses",
    "Research bodies",
    "Public-interest bodies",
    "Legal services",
    "Other",
    "Total",
)


class ReconciliationError(ValueError):
    """The counts do not reconcile; `reasons` says where and why."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class RequestRecord:
    """What the table needs of one request: who, when received, when and how concluded."""

    applicant: Applicant
    received: dt.date
    concluded: dt.date | None = None
    row: str | None = None


Counts = dict[Applicant, int]


def _zero() -> Counts:
    return dict.fromkeys(COLUMNS, 0)


@dataclass(frozen=True)
class ApplicationTable:
    """Section 三's figures for one year, per applicant column."""

    year: int
    new: Counts
    carried_in: Counts
    results: dict[str, Counts]
    carried_out: Counts
    problems: tuple[str, ...] = field(default=())

    def total(self, counts: Mapping[Applicant, int]) -> int:
        """The 总计 column of a row."""
        return sum(counts.values())

    def group(self, group: str) -> Counts:
        """A group's subtotal (不予公开 …)."""
        out = _zero()
        for r in RESULT_ROWS:
            if r.group == group:
                for c in COLUMNS:
                    out[c] += self.results[r.key][c]
        return out

    def results_total(self) -> Counts:
        """三（七）总计."""
        out = _zero()
        for counts in self.results.values():
            for c in COLUMNS:
                out[c] += counts[c]
        return out

    def reconciliation(self) -> list[str]:
        """Where 一 + 二 ≠ 三 + 四, column by column, plus any data problems (empty: fine)."""
        reasons = list(self.problems)
        done = self.results_total()
        for c, name in zip(COLUMNS, COLUMN_ZH, strict=False):
            left = self.new[c] + self.carried_in[c]
            right = done[c] + self.carried_out[c]
            if left != right:
                reasons.append(
                    f"{name}: 一 {self.new[c]} + 二 {self.carried_in[c]} = {left} ≠ "
                    f"三 {done[c]} + 四 {self.carried_out[c]} = {right}"
                )
        return reasons

    def check(self) -> None:
        """Raise `ReconciliationError` unless the table reconciles."""
        reasons = self.reconciliation()
        if reasons:
            raise ReconciliationError(reasons)


def compute(
    records: Iterable[RequestRecord],
    year: int,
    carried_in: Mapping[Applicant, int] | None = None,
) -> ApplicationTable:
    """Count `year`'s table; `carried_in` replaces 二 with last year's published 四."""
    new, prior, carried_out = _zero(), _zero(), _zero()
    results = {key: _zero() for key in (r.key for r in RESULT_ROWS)}
    problems: list[str] = []
    for rec in records:
        if rec.received.year > year:
            continue
        if rec.concluded is not None and rec.concluded < rec.received:
            problems.append(f"concluded {rec.concluded} before received {rec.received}")
            continue
        if rec.concluded is not None and rec.concluded.year < year:
            continue  # finished in an earlier year
        if rec.received.year == year:
            new[rec.applicant] += 1
        else:
            prior[rec.applicant] += 1
        if rec.concluded is None or rec.concluded.year > year:
            carried_out[rec.applicant] += 1
        elif rec.row in ROW_KEYS:
            results[rec.row][rec.applicant] += 1
        else:
            problems.append(f"request concluded {rec.concluded} without a result row ({rec.row})")
    if carried_in is not None:
        given = {c: int(carried_in.get(c, 0)) for c in COLUMNS}
        problems.extend(
            f"上年结转 {name}: last year's report {given[c]} ≠ "
            f"requests still open on {year}-01-01 {prior[c]}"
            for c, name in zip(COLUMNS, COLUMN_ZH, strict=False)
            if given[c] != prior[c]
        )
        prior = given
    return ApplicationTable(year, new, prior, results, carried_out, tuple(problems))


# -- section 四: administrative reconsideration and lawsuits ------------------------------

REVIEW_KINDS = ("review", "lawsuit_direct", "lawsuit_after_review")
REVIEW_RESULTS = ("upheld", "corrected", "other", "pending")
REVIEW_KIND_ZH = ("行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）")
REVIEW_RESULT_ZH = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")


@dataclass(frozen=True)
class ReviewTable:
    """Section 四's counts: kind → result → number (entered by staff)."""

    year: int
    counts: dict[str, dict[str, int]]

    def total(self, kind: str) -> int:
        """The 总计 of one kind."""
        return sum(self.counts[kind].values())


def review_table(year: int, entries: Iterable[tuple[str, str, int]]) -> ReviewTable:
    """Sum (kind, result, count) entries into section 四."""
    counts = {k: dict.fromkeys(REVIEW_RESULTS, 0) for k in REVIEW_KINDS}
    for kind, result, n in entries:
        counts[kind][result] += n
    return ReviewTable(year, counts)


# -- one layout for every format ----------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """A rendered table: a title, header rows (cells), body rows (label + cells)."""

    title: str
    header: tuple[tuple[str, ...], ...]
    rows: tuple[tuple[str, ...], ...]


def _cells(counts: Mapping[Applicant, int]) -> tuple[str, ...]:
    values = [counts[c] for c in COLUMNS]
    return (*(str(v) for v in values), str(sum(values)))


def application_layout(table: ApplicationTable, lang: str = "zh") -> Layout:
    """Section 三 in the official row order, with group headings and subtotals."""
    cols = COLUMN_ZH if lang == "zh" else COLUMN_EN
    zh = lang == "zh"
    rows: list[tuple[str, ...]] = [
        (
            "一、本年新收政府信息公开申请数量" if zh else "I. New requests this year",
            *_cells(table.new),
        ),
        (
            "二、上年结转政府信息公开申请数量" if zh else "II. Carried over from last year",
            *_cells(table.carried_in),
        ),
        ("三、本年度办理结果" if zh else "III. Results this year", *([""] * 7)),
    ]
    by_group: dict[str, list[str]] = {}
    for r in RESULT_ROWS:
        by_group.setdefault(r.group, []).append(r.key)
    labels = {r.key: (r.zh if zh else r.en) for r in RESULT_ROWS}
    for key in ("public", "partial"):
        rows.append((labels[key], *_cells(table.results[key])))
    for group, gzh, gen in GROUPS:
        rows.append((gzh if zh else gen, *_cells(table.group(group))))
        rows.extend((labels[key], *_cells(table.results[key])) for key in by_group[group])
    rows.append(("（七）总计" if zh else "(7) Total", *_cells(table.results_total())))
    rows.append(
        (
            "四、结转下年度继续办理" if zh else "IV. Carried over to next year",
            *_cells(table.carried_out),
        )
    )
    title = (
        f"三、收到和处理政府信息公开申请情况（{table.year}年）"
        if zh
        else f"3. Requests for government information received and handled ({table.year})"
    )
    org = "法人或其他组织" if zh else "Legal persons or other organisations"
    header = (("", cols[0], org, "", "", "", "", cols[6]), ("", "", *cols[1:6], ""))
    return Layout(title, header, tuple(rows))


def review_layout(table: ReviewTable, lang: str = "zh") -> Layout:
    """Section 四: one row per kind, the five result columns."""
    zh = lang == "zh"
    results = REVIEW_RESULT_ZH if zh else ("Upheld", "Corrected", "Other", "Pending", "Total")
    kinds = (
        REVIEW_KIND_ZH
        if zh
        else (
            "Administrative reconsideration",
            "Lawsuit without reconsideration",
            "Lawsuit after reconsideration",
        )
    )
    rows = tuple(
        (name, *(str(table.counts[k][r]) for r in REVIEW_RESULTS), str(table.total(k)))
        for k, name in zip(REVIEW_KINDS, kinds, strict=True)
    )
    title = (
        f"四、政府信息公开行政复议、行政诉讼情况（{table.year}年）"
        if zh
        else f"4. Administrative reconsideration and lawsuits ({table.year})"
    )
    return Layout(title, (("", *results),), rows)


def render_markdown(layout: Layout) -> str:
    """A Markdown table (the two-row header joined into one)."""
    if len(layout.header) == 2:
        top, sub = layout.header
        head = tuple(s or t for t, s in zip(top, sub, strict=True))
    else:
        head = layout.header[0]
    lines = [
        f"### {layout.title}",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in layout.rows]
    return "\n".join(lines) + "\n"


def render_csv(layout: Layout) -> str:
    """CSV: the header rows then the body rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([layout.title])
    writer.writerows(layout.header)
    writer.writerows(layout.rows)
    return out.getvalue()


def render_html(layout: Layout) -> str:
    """An HTML table; the organisation heading spans its five columns."""
    esc = html.escape
    parts = [f"<h3>{esc(layout.title)}</h3>", '<table class="disclosure">']
    if len(layout.header) == 2:
        top, sub = layout.header
        parts.append(
            f'<tr><th rowspan="2"></th><th rowspan="2">{esc(top[1])}</th>'
            f'<th colspan="5">{esc(top[2])}</th><th rowspan="2">{esc(top[7])}</th></tr>'
        )
        parts.append("<tr>" + "".join(f"<th>{esc(c)}</th>" for c in sub[2:7]) + "</tr>")
    else:
        parts.append("<tr>" + "".join(f"<th>{esc(c)}</th>" for c in layout.header[0]) + "</tr>")
    for row in layout.rows:
        cells = "".join(f'<td class="n">{esc(c)}</td>' for c in row[1:])
        parts.append(f"<tr><th>{esc(row[0])}</th>{cells}</tr>")
    parts.append("</table>")
    return "\n".join(parts) + "\n"
