"""All SQL of Citizen Desk, one module per concern; the engine-specific part is `backend`.

Statements run in autocommit mode, except inside `async with store.transaction():`, which
groups the effects of one update (state changes, outgoing messages, the update marked
done) into one commit. One `Store` (one connection) serves one task at a time: the
update processor and the outbox sender each open their own.

Modules: `backend` (the seam: connecting, running a query), `migrations` (the schema),
`core` (a connection's life), `questions`, `updates` (updates, outbox, menus),
`tickets`, `deadlines` (the scan's actions taken once), `staff`, `privacy`, `gaps`,
`reports`.
"""

from __future__ import annotations

from bot.store.clock import now_iso
from bot.store.gaps import GapStore
from bot.store.migrations import MIGRATIONS
from bot.store.privacy import PrivacyStore
from bot.store.questions import QuestionsMixin
from bot.store.reports import ReportStore
from bot.store.tickets import DRAFT_TTL, OPEN_STATUSES, TICKET_COLUMNS, TicketStore
from bot.store.updates import OutboxItem, OutboxMixin, UpdatesMixin


class Store(QuestionsMixin, UpdatesMixin, OutboxMixin):
    """The project's database; open with `Store.open(path)`."""


__all__ = [
    "DRAFT_TTL",
    "MIGRATIONS",
    "OPEN_STATUSES",
    "TICKET_COLUMNS",
    "GapStore",
    "OutboxItem",
    "PrivacyStore",
    "ReportStore",
    "Store",
    "TicketStore",
    "now_iso",
]
