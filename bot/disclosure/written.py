"""A request written up or entered by staff (Art. 29): the checks and the filing that
`citizen-desk disclosure record` and the console's form share.

The checks are the citizen's form's (bot/disclosure/intake.py): every field but the
purpose is required, the description has at least `MIN_DESCRIPTION` characters, and a
complaint, report or 信访 is not a request (Art. 39). Staff also say how it came and, for
the way "in chat", the applicant's chat account.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.disclosure.desk import (
    DELIVERY_FORMS,
    DELIVERY_WAYS,
    DESK_APPLICANT,
    DisclosureDesk,
    DisclosureForm,
)
from bot.disclosure.intake import MIN_DESCRIPTION, is_complaint, wants_disclosure
from bot.disclosure.receipt import NEEDED, Arrival, Delivery
from bot.tickets.model import StaffMember, Ticket
from bot.tickets.service import TicketError

#: The applicant's chat account, when the answer is to go to the chat.
CHAT_KEY = re.compile(r"^tg:-?[0-9]{1,16}$")
#: The ways a request written up by staff may have come (the chat files its own).
VIAS = tuple(d.value for d in Delivery if d is not Delivery.CHAT)


class RecordError(TicketError):
    """The form will not do: `problems` maps each field to its catalogue key, in form order."""

    def __init__(self, problems: dict[str, str]):
        field, key = next(iter(problems.items()))
        super().__init__(key, field=field)
        self.problems = problems


def problems(form: DisclosureForm, via: str, chat: str | None) -> dict[str, str]:
    """What is wrong with the form, field → catalogue key (empty: nothing)."""
    found: dict[str, str] = {}
    for field in ("name", "id_number", "contact"):
        if not getattr(form, field).strip():
            found[field] = "disclosure_required"
    description = form.description.strip()
    if not description:
        found["description"] = "disclosure_required"
    elif len(description) < MIN_DESCRIPTION:
        found["description"] = "disclosure_too_short"
    elif is_complaint(description) and not wants_disclosure(description):
        found["description"] = "disclosure_staff_petition"
    if form.delivery_form not in DELIVERY_FORMS:
        found["delivery_form"] = "disclosure_pick_one"
    if form.delivery_way not in DELIVERY_WAYS:
        found["delivery_way"] = "disclosure_pick_one"
    if via not in VIAS:
        found["via"] = "disclosure_pick_one"
    if chat and not CHAT_KEY.match(chat):
        found["chat"] = "disclosure_bad_chat"
    elif form.delivery_way == "chat" and not chat:
        found["chat"] = "disclosure_needs_chat"
    return found


async def record(
    disclosure: DisclosureDesk,
    actor: StaffMember,
    form: DisclosureForm,
    via: str,
    on: dt.date | None = None,
    chat: str | None = None,
    source_key: str | None = None,
) -> Ticket:
    """File the request; it counts from `on` (default today) by the way it came (Art. 31).

    Raises `RecordError` for a bad form and `TicketError` (`disclosure_receipt_…`) for a
    date Art. 31 does not allow; `source_key` makes a repeated submission return the first.
    """
    found = problems(form, via, chat)
    if found:
        raise RecordError(found)
    way = Delivery(via)
    arrival = Arrival(way, **{NEEDED[way]: on or disclosure.today()})
    return await disclosure.file(
        chat or DESK_APPLICANT, form, arrival=arrival, recorded_by=actor, source_key=source_key
    )
