"""The time stamps stored in the database."""

from __future__ import annotations

import datetime as dt


def now_iso() -> str:
    """The current UTC time as ISO 8601 text."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
