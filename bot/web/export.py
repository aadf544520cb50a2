"""The CSV export of a filtered queue: UTF-8 with a BOM (so Excel reads Chinese), a 举报
reporter never named, phone numbers masked unless the role may see them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping

from bot.logs import mask_phone
from bot.messages import t
from bot.tickets.model import Ticket
from bot.tickets.render import category_name, department_name, status_label
from bot.tickets.service import TicketDesk
from bot.web.people import shown
from bot.web.rows import days_left
from bot.web.views import china_time

#: Excel reads a UTF-8 file as the local code page (GBK in China) unless it starts so.
BOM = "\ufeff"
#: A cell starting with one of these is a formula to a spreadsheet: citizens write the text.
#: The full-width forms are included: a Chinese spreadsheet may fold them to ASCII.
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

HEADER = (
    "web_number",
    "web_kind",
    "label_category",
    "label_status",
    "label_department",
    "web_assignee",
    "web_csv_received",
    "label_deadline",
    "web_csv_days_left",
    "label_location",
    "label_description",
    "label_contact",
)


def cell(text: str) -> str:
    """Free text made safe to open: never taken for a formula, even after leading blanks
    (a spreadsheet may trim them)."""
    return "'" + text if text.lstrip(" \u3000").startswith(_FORMULA) else text


def contact(ticket: Ticket, phones: bool, lang: str) -> str:
    """Who filed it: never a 举报 reporter (revealing is one ticket at a time, audited)."""
    if ticket.anonymous:
        return t("identity_anonymous", lang)
    if ticket.is_report:
        return t("web_csv_reporter_withheld", lang)
    phone = ticket.phone or "-"
    return f"{ticket.citizen} {phone if phones else mask_phone(phone)}"


def line(
    desk: TicketDesk, ticket: Ticket, phones: bool, lang: str, names: Mapping[str, str] = {}
) -> list[str]:
    """One ticket's cells, the assignee by name where `names` knows one; phone numbers in a
    report's text are masked for every role."""
    clear = phones and not ticket.is_report

    def text(value: str | None) -> str:
        value = (value or "").replace("\r", " ").replace("\n", " ")
        return cell(value if clear else mask_phone(value))

    left = days_left(desk, ticket)
    return [
        ticket.number,
        t(f"kind_{ticket.kind}", lang),
        category_name(desk.kb, ticket, lang),
        status_label(ticket, lang),
        department_name(desk.kb, ticket.department, lang),
        cell(shown(ticket.assignee, names) if ticket.assignee else ""),
        china_time(ticket.created_at),
        ticket.deadline.isoformat(),
        "" if left is None else str(left),
        text(ticket.location),
        text(ticket.description),
        cell(contact(ticket, phones, lang)),
    ]


def _encoded(rows: Iterable[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)  # CRLF line ends and quoting, as Excel writes them
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def head(lang: str) -> bytes:
    """The file's start: the byte order mark and the header in `lang`."""
    return BOM.encode("utf-8") + _encoded([[t(key, lang) for key in HEADER]])


def body(
    desk: TicketDesk,
    tickets: Iterable[Ticket],
    phones: bool,
    lang: str,
    names: Mapping[str, str] = {},
) -> bytes:
    """A line per ticket (the export streams a page of tickets at a time)."""
    return _encoded(line(desk, ticket, phones, lang, names) for ticket in tickets)


def filename(queue: str, today: dt.date) -> str:
    """The download's name: ASCII, so every browser keeps it."""
    return f"tickets-{queue}-{today.isoformat()}.csv"
