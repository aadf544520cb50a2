"""SQL for disclosure requests and the section-四 review counts (tables of migration 8)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from bot.disclosure.answers import Applicant
from bot.disclosure.clock import Consultation, RequestClock
from bot.disclosure.table import RequestRecord
from bot.store import Store


@dataclass(frozen=True)
class DisclosureRequest:
    """The disclosure fields of a ticket (the rest is the ticket itself)."""

    ticket_id: int
    applicant: Applicant
    name: str | None
    id_number: str | None
    contact: str | None
    purpose: str | None
    delivery_form: str
    delivery_way: str
    clock: RequestClock
    notice_reminded: bool = False
    answer: str | None = None
    reason: str | None = None
    detail: str | None = None
    result_row: str | None = None
    concluded: dt.date | None = None


def clock_json(clock: RequestClock) -> str:
    """The clock as stored."""
    return json.dumps(
        {
            "received": iso(clock.received),
            "correction_requested": iso(clock.correction_requested),
            "correction_by": iso(clock.correction_by),
            "corrected": iso(clock.corrected),
            "extension_days": clock.extension_days,
            "consultations": [[iso(c.start), iso(c.end)] for c in clock.consultations],
        }
    )


def iso(day: dt.date | None) -> str | None:
    """A date as stored."""
    return day.isoformat() if day else None


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def clock_from_json(text: str) -> RequestClock:
    """The stored clock."""
    d = json.loads(text)
    received = _date(d["received"])
    assert received is not None
    consultations = []
    for start, end in d["consultations"]:
        begun = _date(start)
        assert begun is not None
        consultations.append(Consultation(begun, _date(end)))
    return RequestClock(
        received=received,
        correction_requested=_date(d["correction_requested"]),
        correction_by=_date(d["correction_by"]),
        corrected=_date(d["corrected"]),
        extension_days=int(d["extension_days"]),
        consultations=tuple(consultations),
    )


_COLUMNS = (
    "ticket_id, applicant, name, id_number, contact, purpose, delivery_form, delivery_way, "
    "clock, notice_reminded, answer, reason, detail, result_row, concluded"
)


def _request(row: Any) -> DisclosureRequest:
    return DisclosureRequest(
        ticket_id=int(row[0]),
        applicant=Applicant(row[1]),
        name=row[2],
        id_number=row[3],
        contact=row[4],
        purpose=row[5],
        delivery_form=str(row[6]),
        delivery_way=str(row[7]),
        clock=clock_from_json(row[8]),
        notice_reminded=bool(row[9]),
        answer=row[10],
        reason=row[11],
        detail=row[12],
        result_row=row[13],
        concluded=_date(row[14]),
    )


class DisclosureStore:
    """Disclosure SQL; shares the `Store`'s connection and transactions."""

    def __init__(self, store: Store):
        self.conn = store.conn

    async def insert(self, request: DisclosureRequest) -> None:
        """Store the disclosure fields of a newly filed ticket."""
        await self.conn.execute(
            f"INSERT INTO disclosure_requests ({_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL, NULL, NULL, NULL)",
            (
                request.ticket_id,
                request.applicant.value,
                request.name,
                request.id_number,
                request.contact,
                request.purpose,
                request.delivery_form,
                request.delivery_way,
                clock_json(request.clock),
            ),
        )

    async def get(self, ticket_id: int) -> DisclosureRequest | None:
        """The disclosure fields of a ticket."""
        cur = await self.conn.execute(
            f"SELECT {_COLUMNS} FROM disclosure_requests WHERE ticket_id = ?", (ticket_id,)
        )
        row = await cur.fetchone()
        return _request(row) if row else None

    async def update(self, ticket_id: int, **values: Any) -> None:
        """Change columns (`clock` given as a `RequestClock`)."""
        if isinstance(values.get("clock"), RequestClock):
            values["clock"] = clock_json(values["clock"])
        sets = ", ".join(f"{name} = ?" for name in values)
        await self.conn.execute(
            f"UPDATE disclosure_requests SET {sets} WHERE ticket_id = ?",
            (*values.values(), ticket_id),
        )

    async def open_ids(self) -> list[int]:
        """Tickets of disclosure requests not yet concluded."""
        cur = await self.conn.execute(
            "SELECT ticket_id FROM disclosure_requests WHERE concluded IS NULL ORDER BY ticket_id"
        )
        return [int(r[0]) for r in await cur.fetchall()]

    async def records(self, up_to_year: int) -> list[RequestRecord]:
        """What the annual table needs of every request received up to `up_to_year`."""
        cur = await self.conn.execute(
            "SELECT applicant, clock, concluded, result_row FROM disclosure_requests"
        )
        out = []
        for row in await cur.fetchall():
            clock = clock_from_json(row[1])
            if clock.received.year <= up_to_year:
                out.append(RequestRecord(Applicant(row[0]), clock.received, _date(row[2]), row[3]))
        return out

    async def add_review(
        self, year: int, kind: str, result: str, count: int, note: str | None, actor: str, at: str
    ) -> None:
        """Record section-四 counts (decided outside the desk)."""
        await self.conn.execute(
            "INSERT INTO disclosure_reviews (year, kind, result, count, note, actor, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (year, kind, result, count, note, actor, at),
        )

    async def reviews(self, year: int) -> list[tuple[str, str, int]]:
        """Section-四 entries of a year."""
        cur = await self.conn.execute(
            "SELECT kind, result, count FROM disclosure_reviews WHERE year = ? ORDER BY id", (year,)
        )
        return [(str(r[0]), str(r[1]), int(r[2])) for r in await cur.fetchall()]

    async def review_entries(self, year: int) -> list[tuple[str, str, int, str, str, str]]:
        """Section-四 entries of a year as entered: kind, result, count, note, actor, at."""
        cur = await self.conn.execute(
            "SELECT kind, result, count, note, actor, at FROM disclosure_reviews "
            "WHERE year = ? ORDER BY id",
            (year,),
        )
        return [
            (str(r[0]), str(r[1]), int(r[2]), str(r[3] or ""), str(r[4]), str(r[5]))
            for r in await cur.fetchall()
        ]

    async def export(self, user: str) -> list[dict[str, Any]]:
        """A person's own disclosure requests, in full (for /mydata)."""
        cur = await self.conn.execute(
            "SELECT t.number, d.applicant, d.name, d.id_number, d.contact, d.purpose, "
            "d.delivery_form, d.delivery_way, d.answer, d.reason, d.detail, d.concluded "
            "FROM disclosure_requests d JOIN tickets t ON t.id = d.ticket_id "
            "WHERE t.citizen = ? ORDER BY t.id",
            (user,),
        )
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in await cur.fetchall()]

    async def forget(self, user: str) -> int:
        """Blank a person's identifying fields; the counts for the annual table stay."""
        cur = await self.conn.execute(
            "UPDATE disclosure_requests SET name = NULL, id_number = NULL, contact = NULL, "
            "purpose = NULL WHERE ticket_id IN (SELECT id FROM tickets WHERE citizen = ?)",
            (user,),
        )
        return cur.rowcount

    async def forget_anonymised(self) -> int:
        """Blank the identifying fields of requests whose ticket was anonymised (retention)."""
        cur = await self.conn.execute(
            "UPDATE disclosure_requests SET name = NULL, id_number = NULL, contact = NULL, "
            "purpose = NULL WHERE name IS NOT NULL AND ticket_id IN "
            "(SELECT id FROM tickets WHERE anonymised = 1)"
        )
        return cur.rowcount
