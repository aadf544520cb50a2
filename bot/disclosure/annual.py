"""The annual report's disclosure sections (三 and 四) for a year, in every output format."""

from __future__ import annotations

from bot.disclosure.store import DisclosureStore
from bot.disclosure.table import (
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
from bot.messages import t
from bot.store import Store

RENDERERS = {"md": render_markdown, "csv": render_csv, "html": render_html}


async def tables(store: Store, year: int) -> tuple[ApplicationTable, ReviewTable]:
    """Section 三 from the requests on record, section 四 from the entered counts."""
    requests = DisclosureStore(store)
    return (
        compute(await requests.records(year), year),
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
