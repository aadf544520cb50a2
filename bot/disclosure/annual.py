"""The annual report's disclosure sections (三 and 四) for a year, in every output format."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.disclosure.answers import Applicant
from bot.disclosure.store import DisclosureStore
from bot.disclosure.table import (
    COLUMNS,
    ApplicationTable,
    Layout,
    ReviewTable,
    application_layout,
    compute,
    render_csv,
    render_html,
    render_markdown,
    review_layout,
    review_table,
)
from bot.errors import UsageError
from bot.messages import t
from bot.store import Store

RENDERERS = {"md": render_markdown, "csv": render_csv, "html": render_html}


#: Separators between the figures: commas (also full-width), spaces and the `|` of a
#: Markdown row, so last year's 四 row can be pasted as printed.
_SEPARATORS = re.compile(r"[,，|\s]+")


def parse_carried_in(text: str) -> dict[Applicant, int]:
    """Last year's published 四 row, per column in the table's order, as 二 of this year.

    Six whole numbers (自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他), or
    seven with the 总计 last, which must be their sum. Raises `UsageError` otherwise.
    """
    parts = [p for p in _SEPARATORS.split(text.strip()) if p]
    if len(parts) not in (len(COLUMNS), len(COLUMNS) + 1) or not all(
        p.isascii() and p.isdigit() for p in parts
    ):
        raise UsageError(localized=lambda lang: t("disclosure_bad_carried_in", lang, given=text))
    figures = [int(p) for p in parts]
    counts = dict(zip(COLUMNS, figures, strict=False))
    if len(figures) > len(COLUMNS) and figures[-1] != sum(counts.values()):
        total, added = figures[-1], sum(counts.values())
        raise UsageError(
            localized=lambda lang: t("disclosure_carried_in_total", lang, total=total, added=added)
        )
    return counts


async def tables(
    store: Store, year: int, carried_in: Mapping[Applicant, int] | None = None
) -> tuple[ApplicationTable, ReviewTable]:
    """Section 三 from the requests on record (二 checked against `carried_in`, last year's
    published 四, when given), section 四 from the entered counts."""
    requests = DisclosureStore(store)
    return (
        compute(await requests.records(year), year, carried_in),
        review_table(year, await requests.reviews(year)),
    )


def layouts(application: ApplicationTable, review: ReviewTable, lang: str) -> list[Layout]:
    """Both sections' layouts; raises `ReconciliationError` if section 三 does not add up."""
    application.check()
    return [application_layout(application, lang), review_layout(review, lang)]


def render(application: ApplicationTable, review: ReviewTable, fmt: str, lang: str) -> str:
    """Sections 三 and 四 in `fmt` (md, csv, html), after the reconciliation check."""
    renderer = RENDERERS[fmt]
    return "\n".join(renderer(layout) for layout in layouts(application, review, lang))


def not_reconciled(reasons: list[str], lang: str) -> str:
    """The refusal, saying why."""
    return t("disclosure_not_reconciled", lang, reasons="; ".join(reasons))


def append(report: str, sections: str, fmt: str) -> str:
    """The yearly report with the disclosure sections at its end (HTML: inside the body)."""
    if fmt == "html" and "</body>" in report:
        head, _, tail = report.rpartition("</body>")
        return f'{head}<div class="part">{sections}</div></body>{tail}'
    return report.rstrip("\n") + "\n\n" + sections
