"""Is a "did you mean" list about the message's topic at all? (issue 9.2, docs/matching.md)

A clarify list is shown only when at least one of its entries names, in its title or
keywords (any language), a content unit of the message. Otherwise the entries were
recalled by side words alone — 办结婚证 takes the entries that list 结婚证 among their
materials, "should I buy stocks" the one about buying farm machinery — and the citizen
gets the no-answer reply with a person and the complaint form instead of a nonsense list.

The index keeps each entry's title and keyword units as it is built (`Index.topic_units`).
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.matching.analyzer import Analysis
from bot.matching.index import Index


def on_topic(index: Index, analysis: Analysis, entry_ids: Iterable[str]) -> bool:
    """Whether one of the entries names a content unit of the message."""
    asked = {uid for unit in analysis.content if (uid := index.unit_id.get(unit)) is not None}
    if not asked:
        return False
    numbers = index.entry_number
    return any(asked.intersection(index.topic_units(numbers[e]).tolist()) for e in entry_ids)
