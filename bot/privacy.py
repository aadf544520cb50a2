"""Personal data (个人信息保护法): a person's export, erasure on request, and retention."""

from __future__ import annotations

import datetime as dt
import json

from bot.disclosure.store import DisclosureStore
from bot.store import PrivacyStore, Store

#: What replaces erased text; the figures (counts, dates, ratings) stay true.
ERASED = "[已删除 erased]"
#: Default retention of personal data in closed tickets.
RETENTION_YEARS = 3


async def export(store: Store, user: str) -> bytes:
    """Everything stored about `user`, as a JSON document."""
    data: dict[str, object] = dict(await PrivacyStore(store).export(user))
    data["disclosure_requests"] = await DisclosureStore(store).export(user)
    document = {"user": user, "exported_at": dt.datetime.now(dt.UTC).isoformat(), **data}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


async def forget(store: Store, user: str) -> dict[str, int]:
    """Erase `user`'s personal data; their tickets stay, anonymised."""
    # First, while the tickets still name the person.
    requests = await DisclosureStore(store).forget(user)
    counts = await PrivacyStore(store).forget(user, ERASED)
    counts["disclosure_requests"] = requests
    return counts


async def apply_retention(store: Store, now: dt.datetime, years: int = RETENTION_YEARS) -> int:
    """Anonymise tickets closed more than `years` years before `now`; return how many."""
    cutoff = now - dt.timedelta(days=365 * years + years // 4)
    expired = await PrivacyStore(store).expire(cutoff.isoformat(), ERASED)
    await DisclosureStore(store).forget_anonymised()
    return expired
