"""Personal data (个人信息保护法): a person's export, erasure on request, and retention."""

from __future__ import annotations

import datetime as dt
import json

from bot.store import PrivacyStore, Store

#: What replaces erased text; the figures (counts, dates, ratings) stay true.
ERASED = "[已删除 erased]"
#: Default retention of personal data in closed tickets.
RETENTION_YEARS = 3


async def export(store: Store, user: str) -> bytes:
    """Everything stored about `user`, as a JSON document."""
    data = await PrivacyStore(store).export(user)
    document = {"user": user, "exported_at": dt.datetime.now(dt.UTC).isoformat(), **data}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


async def forget(store: Store, user: str) -> dict[str, int]:
    """Erase `user`'s personal data; their tickets stay, anonymised."""
    return await PrivacyStore(store).forget(user, ERASED)


async def apply_retention(store: Store, now: dt.datetime, years: int = RETENTION_YEARS) -> int:
    """Anonymise tickets closed more than `years` years before `now`; return how many."""
    cutoff = now - dt.timedelta(days=365 * years + years // 4)
    return await PrivacyStore(store).expire(cutoff.isoformat(), ERASED)
