"""The day a request (or its 补正 correction) counts as received, by how it came (Art. 31).

《政府信息公开条例》 Art. 31: handed in at the office, the day it is handed in; by post,
the day the office signs for it; by ordinary letter that needs no signature, the office
confirms with the applicant on the day it arrives and the day of confirmation counts; by
an internet channel or fax, the day both sides confirm. An oral request (Art. 29) is
written up by staff on the spot, so it counts as handed in.

The desk's reading for its own chat (an internet channel): the receipt message confirms
on the office's side at once, but the office only confirms on a working day, so a request
filed on a day off counts as received on the next working day (docs/disclosure.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.workdays import WorkCalendar


class Delivery(StrEnum):
    """How a request or a correction reached the office."""

    IN_PERSON = "in_person"  # 当面提交, an oral request written up by staff included
    POST = "post"  # 邮寄, signed for (挂号信, EMS …)
    LETTER = "letter"  # 平常信函: no signature, confirmed with the applicant
    ONLINE = "online"  # 互联网渠道 or fax: both sides confirm
    CHAT = "chat"  # this desk's chat (an internet channel)


#: The date each way of delivery needs, as the CLI option names it.
NEEDED = {
    Delivery.IN_PERSON: "submitted",
    Delivery.POST: "signed_for",
    Delivery.LETTER: "confirmed",
    Delivery.ONLINE: "confirmed",
    Delivery.CHAT: "submitted",
}


class ReceiptError(ValueError):
    """A receipt date the rules do not allow; `key` names the message."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Arrival:
    """The dates known about one delivery; `received_on` picks the one that counts."""

    via: Delivery
    submitted: dt.date | None = None  # handed in, or sent in the chat
    signed_for: dt.date | None = None  # the office signed for the post
    confirmed: dt.date | None = None  # the office confirmed with the applicant

    def date_given(self) -> dt.date | None:
        """The date this way of delivery counts from, if it was given."""
        value: dt.date | None = getattr(self, NEEDED[self.via])
        return value


def received_on(arrival: Arrival, cal: WorkCalendar, today: dt.date) -> dt.date:
    """The day of receipt under Art. 31; refuses a missing or future date."""
    day = arrival.date_given()
    if day is None:
        raise ReceiptError(f"disclosure_receipt_needs_{NEEDED[arrival.via]}")
    if day > today:
        raise ReceiptError("disclosure_receipt_future")
    if arrival.via is Delivery.CHAT and not cal.is_working_day(day):
        return cal.next_working_day(day)
    return day


__all__ = ["NEEDED", "Arrival", "Delivery", "ReceiptError", "received_on"]
