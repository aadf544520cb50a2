"""信息处理费 under 国办函〔2020〕109号: charged only beyond a reasonable amount (Art. 42).

《政府信息公开条例》 Art. 42 makes answering free, except that a fee may be charged when a
request's amount or frequency clearly exceeds a reasonable range. The measures of
国办函〔2020〕109号 set two progressive scales, and an office picks one of them for a
request, never both (its Art. 3):

- by count (Art. 4), any answer type: the same applicant's 1st–10th request in a
  calendar month is free; the 11th–30th cost 100 yuan each; from the 31st, every band of
  ten costs 100 yuan more per request (31st–40th 200, 41st–50th 300, …);
- by volume (Art. 5), for paper copies, e-mail or copied data: pages 1–30 free, 31–100
  10 yuan a page, 101–200 20 yuan, from 201 40 yuan.
"""

from __future__ import annotations

#: (last page of the band, yuan per page); the last band is open-ended.
PAGE_BANDS: tuple[tuple[int | None, int], ...] = ((30, 0), (100, 10), (200, 20), (None, 40))
FREE_PER_MONTH = 10
FLAT_UNTIL = 30
PER_REQUEST = 100


def fee_by_count(nth_in_month: int) -> int:
    """Yuan for the applicant's `nth_in_month` request of a calendar month (1-based)."""
    if nth_in_month < 1:
        raise ValueError("requests are counted from 1")
    if nth_in_month <= FREE_PER_MONTH:
        return 0
    if nth_in_month <= FLAT_UNTIL:
        return PER_REQUEST
    band = (nth_in_month - FLAT_UNTIL - 1) // 10 + 1  # 31–40 → 1, 41–50 → 2, …
    return PER_REQUEST * (band + 1)


def fee_by_pages(pages: int) -> int:
    """Yuan for `pages` pages supplied for one request, each band at its own rate."""
    if pages < 0:
        raise ValueError("pages cannot be negative")
    total, start = 0, 0
    for end, rate in PAGE_BANDS:
        top = pages if end is None else min(pages, end)
        if top > start:
            total += (top - start) * rate
        if end is None or pages <= end:
            break
        start = end
    return total


def fee(nth_in_month: int, pages: int | None) -> tuple[int, str]:
    """The fee for one request and the scale it was taken from (`count` or `pages`).

    Only one scale per request (Art. 3): by volume when pages are given, else by count.
    """
    if pages is not None:
        return fee_by_pages(pages), "pages"
    return fee_by_count(nth_in_month), "count"
