"""Recognise the non-answer routes (complaint, status, human, greeting) from data phrases."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum

from bot.text import normalize

TICKET_RE = re.compile(r"(?<![a-z0-9])ts[-_ ]?([0-9]{4})[-_ ]?([0-9]{1,6})(?![0-9])", re.IGNORECASE)


class Route(StrEnum):
    """Where a citizen's message goes."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    NONE = "none"
    COMPLAINT = "complaint"
    STATUS = "status"
    HUMAN = "human"
    GREETING = "greeting"


#: Order of precedence when several phrase routes match.
PHRASE_ORDER = (Route.STATUS, Route.COMPLAINT, Route.HUMAN, Route.GREETING)


def find_ticket_number(text: str) -> str | None:
    """Return the ticket number in `text` as TS-YYYY-NNNNNN, if there is one."""
    match = TICKET_RE.search(normalize(text))
    if match is None:
        return None
    return f"TS-{match.group(1)}-{int(match.group(2)):06d}"


def _pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    parts = []
    for phrase in sorted({normalize(p) for p in phrases if p.strip()}, key=len, reverse=True):
        body = ".{0,12}?".join(re.escape(piece) for piece in phrase.split("*"))
        if phrase[:1].isascii() and phrase[:1].isalnum():
            body = r"(?<![a-z0-9])" + body
        if phrase[-1:].isascii() and phrase[-1:].isalnum():
            body = body + r"(?![a-z0-9])"
        parts.append(body)
    return re.compile("|".join(parts)) if parts else None


class RouteMatcher:
    """Matches normalised messages against the route phrases of a knowledge base."""

    def __init__(
        self,
        phrases: Mapping[str, Mapping[str, tuple[str, ...]]],
        exceptions: Mapping[str, Mapping[str, tuple[str, ...]]],
    ):
        self._phrases: dict[Route, re.Pattern[str]] = {}
        self._unless: dict[Route, re.Pattern[str]] = {}
        for route in PHRASE_ORDER:
            pattern = _pattern(p for ps in phrases.get(route.value, {}).values() for p in ps)
            if pattern is not None:
                self._phrases[route] = pattern
            unless = _pattern(p for ps in exceptions.get(route.value, {}).values() for p in ps)
            if unless is not None:
                self._unless[route] = unless

    def matches(self, norm: str) -> list[Route]:
        """Return the phrase routes whose phrases `norm` contains, in precedence order."""
        found = []
        for route in PHRASE_ORDER:
            pattern = self._phrases.get(route)
            if pattern is None or not pattern.search(norm):
                continue
            unless = self._unless.get(route)
            if unless is not None and unless.search(norm):
                continue
            found.append(route)
        return found

    def strip(self, route: Route, norm: str) -> str:
        """Return `norm` with the phrases of `route` removed."""
        pattern = self._phrases.get(route)
        return pattern.sub(" ", norm) if pattern is not None else norm
