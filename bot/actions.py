"""The one strict parser for numbers in button actions and typed input.

Button data (`r:<ticket>:<stars>`, `b:<category>:<page>`, `f:<entry>:y:<question>`,
`t:<action>:<ticket>`) comes back from the client and can be forged, and typed numbers
come from a keyboard. `str.isdigit()` accepts ² and ①, which `int()` refuses; `int()`
also turns any number of digits into a value SQLite cannot store, and refuses more than
4,300 digits. Every such number goes through `number`, which takes ASCII digits only,
looks at no more digits than the bound has, and returns None for anything else: the
caller answers it as an expired menu.
"""

from __future__ import annotations

#: The largest value of an SQLite INTEGER (a row id, a ticket or question id).
ID_MAX = 2**63 - 1
_ASCII_DIGITS = frozenset("0123456789")


def number(text: str, high: int, low: int = 0) -> int | None:
    """`text` as a whole number in [low, high]: ASCII digits only, else None."""
    if not text or len(text) > len(str(high)) or not _ASCII_DIGITS.issuperset(text):
        return None
    value = int(text)  # at most as many digits as `high`: never unbounded
    return value if low <= value <= high else None


def identifier(text: str) -> int | None:
    """A database id (ticket, question) from button data: 1 … ID_MAX, else None."""
    return number(text, ID_MAX, low=1)


#: Telegram's user and chat ids fit in 52 bits (groups and channels are negative).
TELEGRAM_ID_MAX = 2**52


def telegram_id(key: str) -> int | None:
    """The chat id in a user key `tg:<id>` (a group's is negative), else None."""
    if not key.startswith("tg:"):
        return None
    digits = key[3:]
    sign = -1 if digits.startswith("-") else 1
    value = number(digits[1:] if sign < 0 else digits, TELEGRAM_ID_MAX, low=1)
    return None if value is None else sign * value
