"""The disclosure desk's two console forms that have no ticket yet.

- /disclosure/new: a request written up or entered by staff (Art. 29), through
  `bot.disclosure.written.record`, the function of `citizen-desk disclosure record`; the
  timeline names the console login that wrote it up. Staff and up.
- /admin/disclosure/reviews: section 四's counts of reconsideration and lawsuits, decided
  outside the desk, through `DisclosureDesk.add_review` (as `citizen-desk disclosure review
  add`) and audited in `console_audit`. Supervisors and admins, who answer for the
  published figures.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import actions
from bot.disclosure import written
from bot.disclosure.answers import Applicant
from bot.disclosure.desk import (
    DELIVERY_FORMS,
    DELIVERY_WAYS,
    REVIEW_COUNT_MAX,
    REVIEW_YEAR_HIGH,
    REVIEW_YEAR_LOW,
    DisclosureDesk,
    DisclosureForm,
)
from bot.disclosure.render import applicant_label
from bot.disclosure.store import DisclosureStore
from bot.disclosure.table import (
    REVIEW_KINDS,
    REVIEW_RESULTS,
    render_html,
    review_layout,
    review_table,
)
from bot.messages import t
from bot.store.audit import ConsoleAudit
from bot.tickets.model import Role
from bot.tickets.service import TicketError
from bot.web.accounts import Session
from bot.web.auth import context, guarded
from bot.web.disclosure import TEXT_MAX
from bot.web.views import render

log = logging.getLogger(__name__)

RECORD = "/disclosure/new"
REVIEWS = "/admin/disclosure/reviews"
#: The form's one-time token: a second submission of the same form files nothing new.
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
TEXT_FIELDS = ("name", "id_number", "contact", "description", "purpose", "chat")


@dataclass
class Entered:
    """What was typed, kept on a refusal, and the problems by field."""

    values: dict[str, str]
    problems: dict[str, str] = field(default_factory=dict)


def _field(form: FormData, name: str) -> str:
    return str(form.get(name, "")).strip()


def _choices(lang: str) -> dict[str, Any]:
    """The select options of the record form, labelled in `lang`."""
    return {
        "applicants": [(a.value, applicant_label(a, lang)) for a in Applicant],
        "forms": [(f, t(f"disclosure_form_form_{f}", lang)) for f in DELIVERY_FORMS],
        "ways": [(w, t(f"disclosure_way_{w}", lang)) for w in DELIVERY_WAYS],
        "vias": [(v, t(f"disclosure_via_{v}", lang)) for v in written.VIAS],
    }


def _record_page(
    request: Request, session: Session, entered: Entered, status: int = 200
) -> Response:
    lang = session.lang
    problems = {k: t(v, lang) for k, v in entered.problems.items()}
    return render(
        request,
        "disclosure_new.html",
        lang,
        status,
        session=session,
        entered=entered.values,
        problems=problems,
        text_max=TEXT_MAX,
        **_choices(lang),
    )


async def _new(request: Request, session: Session, form: FormData) -> Response:
    """The empty form, dated today, with a fresh one-time token."""
    today = context(request).desk.today().isoformat()
    values = {"via": "in_person", "on": today, "token": secrets.token_hex(16)}
    return _record_page(request, session, Entered(values))


def _read(form: FormData) -> tuple[Entered, DisclosureForm, dt.date | None]:
    """The typed values with the problems of length, applicant type and date; the form."""
    names = (*TEXT_FIELDS, "applicant", "delivery_form", "delivery_way", "via", "on", "token")
    entered = Entered({name: _field(form, name) for name in names})
    values, problems = entered.values, entered.problems
    for name in TEXT_FIELDS:
        if len(values[name]) > TEXT_MAX:
            problems[name] = "web_field_too_long"
    if values["applicant"] not in {a.value for a in Applicant}:
        problems["applicant"] = "disclosure_pick_one"
    on = None
    if values["on"]:
        try:
            on = dt.date.fromisoformat(values["on"])
        except ValueError:
            problems["on"] = "web_record_bad_date"
    if not _TOKEN.match(values["token"]):
        values["token"] = secrets.token_hex(16)
    # With the applicant type refused, the rest is still checked (and nothing filed).
    applicant = Applicant.NATURAL if "applicant" in problems else Applicant(values["applicant"])
    disclosure_form = DisclosureForm(
        applicant,
        values["name"],
        values["id_number"],
        values["contact"],
        values["description"],
        values["delivery_form"],
        values["delivery_way"],
        values["purpose"] or None,
    )
    return entered, disclosure_form, on


async def _record(request: Request, session: Session, form: FormData) -> Response:
    """File the request and go to its page; a refusal shows the form again, as typed."""
    ctx = context(request)
    entered, disclosure_form, on = _read(form)
    values = entered.values
    # The shared checks, so every problem shows at once (`record` checks them again).
    found = written.problems(disclosure_form, values["via"], values["chat"] or None)
    entered.problems = {**found, **entered.problems}
    if entered.problems:
        return _record_page(request, session, entered, 400)
    try:
        async with ctx.write():
            ticket = await written.record(
                DisclosureDesk(ctx.desk),
                session.account.member,
                disclosure_form,
                values["via"],
                on,
                values["chat"] or None,
                source_key=f"web:{values['token']}",
            )
    except TicketError as exc:
        where = "on" if exc.key.startswith("disclosure_receipt") else "form"
        entered.problems = {where: exc.key}
        return _record_page(request, session, entered, 400)
    log.info("disclosure request %s recorded by %s", ticket.number, session.account.login)
    return RedirectResponse(f"/t/{ticket.number}", status_code=303)


# -- section 四 ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewEntry:
    """One entered line, labelled."""

    kind: str
    result: str
    count: int
    note: str
    actor: str
    at: str


def _review_labels(lang: str) -> dict[str, Any]:
    return {
        "kinds": [(k, t(f"disclosure_review_kind_{k}", lang)) for k in REVIEW_KINDS],
        "results": [(r, t(f"disclosure_review_result_{r}", lang)) for r in REVIEW_RESULTS],
    }


async def _reviews_page(
    request: Request,
    session: Session,
    year: int,
    status: int = 200,
    error: str | None = None,
    entered: dict[str, str] | None = None,
    done: str | None = None,
) -> Response:
    ctx = context(request)
    lang = session.lang
    rows = await DisclosureStore(ctx.store).review_entries(year)
    table = review_table(year, [(k, r, n) for k, r, n, *_ in rows])
    labels = _review_labels(lang)
    kind_of, result_of = dict(labels["kinds"]), dict(labels["results"])
    entries = [
        ReviewEntry(kind_of[k], result_of[r], n, note, a, at) for k, r, n, note, a, at in rows
    ]
    command = f"citizen-desk disclosure review add --year {year} KIND RESULT COUNT"
    return render(
        request,
        "disclosure_reviews.html",
        lang,
        status,
        session=session,
        year=year,
        table=render_html(review_layout(table, lang)),
        entries=entries,
        error=error,
        done=done,
        entered=entered or {"year": str(year)},
        low=REVIEW_YEAR_LOW,
        high=REVIEW_YEAR_HIGH,
        count_max=REVIEW_COUNT_MAX,
        command=command,
        **labels,
    )


def _year(text: str) -> int | None:
    return actions.number(text, REVIEW_YEAR_HIGH, low=REVIEW_YEAR_LOW)


async def _reviews(request: Request, session: Session, form: FormData) -> Response:
    """The year's section 四 (this year when none is asked), its entries and the form."""
    lang = session.lang
    this_year = context(request).desk.today().year
    asked = request.query_params.get("year", "").strip()
    year = _year(asked) if asked else this_year
    if year is None:
        error = t("disclosure_bad_review_year", lang, low=REVIEW_YEAR_LOW, high=REVIEW_YEAR_HIGH)
        return await _reviews_page(request, session, this_year, 400, error)
    return await _reviews_page(request, session, year, done=_done(request, year, lang))


def _done(request: Request, year: int, lang: str) -> str | None:
    """The confirmation of the entry just added (`done=kind.result.count`, checked)."""
    kind, _, rest = request.query_params.get("done", "").partition(".")
    result, _, count_text = rest.partition(".")
    count = actions.number(count_text, REVIEW_COUNT_MAX, low=1)
    if kind not in REVIEW_KINDS or result not in REVIEW_RESULTS or count is None:
        return None
    labels = _review_labels(lang)
    kind_label, result_label = dict(labels["kinds"])[kind], dict(labels["results"])[result]
    return t("web_reviews_done", lang, year=year, kind=kind_label, result=result_label, count=count)


async def _add_review(request: Request, session: Session, form: FormData) -> Response:
    """One entry through the desk, audited with it; a refusal keeps what was typed."""
    ctx = context(request)
    lang = session.lang
    entered = {k: _field(form, k) for k in ("year", "kind", "result", "count", "note")}
    year = _year(entered["year"])
    count = actions.number(entered["count"], REVIEW_COUNT_MAX, low=1)
    shown = year or ctx.desk.today().year
    error: str | None = None
    if year is None:
        error = t("disclosure_bad_review_year", lang, low=REVIEW_YEAR_LOW, high=REVIEW_YEAR_HIGH)
    elif entered["kind"] not in REVIEW_KINDS or entered["result"] not in REVIEW_RESULTS:
        error = t("disclosure_pick_one", lang)
    elif count is None:
        error = t("disclosure_bad_review_count", lang, high=REVIEW_COUNT_MAX)
    elif len(entered["note"]) > TEXT_MAX:
        error = t("web_field_too_long", lang)
    if error is not None or year is None or count is None:
        return await _reviews_page(request, session, shown, 400, error, entered)
    kind, result = entered["kind"], entered["result"]
    try:
        async with ctx.write():
            member = session.account.member
            await DisclosureDesk(ctx.desk).add_review(
                member, year, kind, result, count, entered["note"]
            )
            await ConsoleAudit(ctx.store.conn).record(
                session.account.login,
                "disclosure_review_add",
                str(year),
                f"{kind} {result} +{count}",
            )
    except TicketError as exc:
        error = t(exc.key, lang, **exc.values)
        return await _reviews_page(request, session, shown, 400, error, entered)
    log.info("section 四 %s %s %s +%s by %s", year, kind, result, count, session.account.login)
    done = f"year={year}&done={kind}.{result}.{count}"
    return RedirectResponse(f"{REVIEWS}?{done}", status_code=303)


ROUTES = [
    Route(RECORD, guarded(_new), methods=["GET"]),
    Route(RECORD, guarded(_record), methods=["POST"]),
    Route(REVIEWS, guarded(_reviews, Role.SUPERVISOR), methods=["GET"]),
    Route(REVIEWS, guarded(_add_review, Role.SUPERVISOR), methods=["POST"]),
]
