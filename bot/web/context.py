"""What every console page needs: the store, the desk, the knowledge base and the settings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.config import Settings
from bot.knowledge.model import KnowledgeBase
from bot.reload import KnowledgeReloader
from bot.store import Store
from bot.tickets.service import TicketDesk
from bot.web.accounts import AccountStore

#: A session ends after this long without a request (a working day).
SESSION_TTL = 8 * 3600.0
#: Failed logins allowed in `FAIL_WINDOW` seconds, per account and per address.
FAILS_PER_ACCOUNT = 5
FAILS_PER_ADDRESS = 20
FAIL_WINDOW = 15 * 60.0
#: Tickets an export reads per query (the memory an export holds; the lock is held for one).
EXPORT_PAGE = 500


@dataclass
class WebContext:
    """One per console process; `lock` serialises use of the console's connection."""

    store: Store
    desk: TicketDesk
    settings: Settings
    secure_cookies: bool = False
    session_ttl: float = SESSION_TTL
    export_page: int = EXPORT_PAGE
    now: Callable[[], float] = time.time
    #: Reloads the KB this process serves (the admin's knowledge page); None: cannot.
    reloader: KnowledgeReloader | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base the desk uses."""
        return self.desk.kb

    @property
    def accounts(self) -> AccountStore:
        """Console accounts and sessions."""
        return AccountStore(self.store)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[None]:
        """One transaction: a change, its audit line and its notifications commit together."""
        async with self.store.transaction():
            yield
