"""信息处理费 (国办函〔2020〕109号): free within a reasonable amount, progressive beyond it."""

from __future__ import annotations

import pytest

from bot.disclosure.fees import fee, fee_by_count, fee_by_pages


def test_by_count_free_to_ten_then_progressive_bands() -> None:
    assert [fee_by_count(n) for n in (1, 10)] == [0, 0]
    assert [fee_by_count(n) for n in (11, 30)] == [100, 100]
    assert [fee_by_count(n) for n in (31, 40, 41, 50, 51)] == [200, 200, 300, 300, 400]
    # A month of 45 requests, counted by hand: 20×100 + 10×200 + 5×300.
    assert sum(fee_by_count(n) for n in range(1, 46)) == 2000 + 2000 + 1500
    with pytest.raises(ValueError):
        fee_by_count(0)


def test_by_pages_each_band_at_its_own_rate() -> None:
    assert [fee_by_pages(p) for p in (0, 30)] == [0, 0]
    assert fee_by_pages(31) == 10
    assert fee_by_pages(100) == 70 * 10
    assert fee_by_pages(150) == 70 * 10 + 50 * 20
    assert fee_by_pages(250) == 70 * 10 + 100 * 20 + 50 * 40
    with pytest.raises(ValueError):
        fee_by_pages(-1)


def test_one_scale_per_request() -> None:
    assert fee(12, None) == (100, "count")
    assert fee(12, 20) == (0, "pages")  # by volume: 20 pages are free even on the 12th
    assert fee(1, 31) == (10, "pages")
