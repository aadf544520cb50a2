"""The figures page: the yearly or monthly 政务公开 report, as `citizen-desk report` makes it.

Supervisors and admins read it (督办 and the published figures are theirs); staff are
refused. The numbers and their markup come from `bot.report` (and, for a year, the
disclosure sections from `bot.disclosure.annual`), exactly as the command line's HTML
report; only the charts differ in form: images instead of inline SVG, because the
console's CSP refuses inline styles.
"""

from __future__ import annotations

import asyncio
import functools
import html
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from bot import actions, report
from bot.disclosure import annual as disclosure
from bot.disclosure.table import ReconciliationError
from bot.messages import t
from bot.tickets.model import Role
from bot.web.accounts import Session
from bot.web.auth import context, guarded
from bot.web.views import render

#: The years the form accepts.
YEAR_LOW, YEAR_HIGH = 2000, 2100
#: matplotlib's settings are process-wide: one chart drawing at a time.
_DRAWING = threading.Lock()


@dataclass(frozen=True)
class Period:
    """A year, or one month of it."""

    year: int
    month: int | None

    def command(self) -> str:
        """The command line that prints the same report."""
        month = f" --month {self.month}" if self.month else ""
        return f"citizen-desk report --year {self.year}{month} --format html"


def period_of(request: Request, default_year: int) -> Period | None:
    """The period asked for in the query (the current year when none), or None if invalid."""
    year_text = request.query_params.get("year", "").strip()
    month_text = request.query_params.get("month", "").strip()
    year = actions.number(year_text, YEAR_HIGH, low=YEAR_LOW) if year_text else default_year
    month = actions.number(month_text, 12, low=1) if month_text else None
    if year is None or (month_text and month is None):
        return None
    return Period(year, month)


@functools.lru_cache(maxsize=16)
def _charts(figures: report.Figures, lang: str) -> tuple[str, str, str]:
    """The charts of these figures (about a second to draw; the same figures are drawn once)."""
    with _DRAWING:
        return report.chart_images(figures, lang)


async def _disclosure_html(request: Request, year: int, lang: str) -> str:
    """The yearly report's sections 三 and 四, or why they cannot be given (as the CLI does)."""
    application, review = await disclosure.tables(context(request).store, year)
    try:
        return disclosure.render(application, review, "html", lang)
    except ReconciliationError as exc:
        refusal = html.escape(disclosure.not_reconciled(exc.reasons, lang))
        return f'<p class="error">{refusal}</p>'


async def _figures(request: Request, session: Session, form: FormData) -> Response:
    """The report of the chosen period; the charts are drawn after the database is let go."""
    ctx = context(request)
    lang = session.lang
    period = period_of(request, ctx.desk.today().year)
    values: dict[str, Any] = {
        "session": session,
        "months": range(1, 13),
        "low": YEAR_LOW,
        "high": YEAR_HIGH,
    }
    if period is None:
        error = t("web_figures_bad_period", lang, low=YEAR_LOW, high=YEAR_HIGH)
        shown = Period(ctx.desk.today().year, None)
        return render(request, "figures.html", lang, 400, period=shown, error=error, **values)
    figures = await report.compute(
        ctx.store, ctx.kb, ctx.desk.calendar, period.year, period.month, ctx.settings.matching
    )
    sections = "" if period.month else await _disclosure_html(request, period.year, lang)

    async def body() -> AsyncIterator[bytes]:
        # Runs after the endpoint returned, so the console's lock is free while drawing.
        charts = await asyncio.to_thread(_charts, figures, lang)
        content = report.html_body(figures, lang, charts)
        if sections:
            content += f'\n<div class="part">{sections}</div>'
        page = render(request, "figures.html", lang, period=period, report=content, **values)
        yield bytes(page.body)

    return StreamingResponse(body(), media_type="text/html; charset=utf-8")


ROUTES = [Route("/admin/figures", guarded(_figures, Role.SUPERVISOR), methods=["GET"])]
