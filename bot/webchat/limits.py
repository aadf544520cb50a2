"""Rate limits at the public edge: per visitor and per address, over a sliding window."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

#: Messages a visitor may send per `WINDOW` seconds…
PER_VISITOR = 20
#: …and all visitors behind one address (a village office shares one).
PER_ADDRESS = 120
WINDOW = 60.0


@dataclass
class RateLimit:
    """At most `limit` events per `window` seconds for each subject."""

    limit: int
    window: float = WINDOW
    seen: dict[str, deque[float]] = field(default_factory=dict)

    def wait(self, subject: str, now: float) -> float:
        """Seconds until `subject` may act again; 0 means now (and counts this one)."""
        times = self.seen.setdefault(subject, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return times[0] + self.window - now
        times.append(now)
        self._forget(now)
        return 0.0

    def _forget(self, now: float) -> None:
        """Drop subjects idle for a window (memory stays bounded by recent activity)."""
        if len(self.seen) > 10_000:
            idle = [k for k, v in self.seen.items() if not v or v[-1] <= now - self.window]
            for key in idle:
                del self.seen[key]


@dataclass
class EdgeLimits:
    """The chat's two limits; a message must pass both."""

    visitor: RateLimit = field(default_factory=lambda: RateLimit(PER_VISITOR))
    address: RateLimit = field(default_factory=lambda: RateLimit(PER_ADDRESS))

    def wait(self, visitor: str, address: str, now: float) -> float:
        """Seconds to wait before this message is accepted (0: accepted)."""
        by_address = self.address.wait(address, now)
        if by_address:
            return by_address
        return self.visitor.wait(visitor, now)
