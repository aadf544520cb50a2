"""Flood control for any channel: paced by when a person wrote, emergencies first.

The channel gives each message its own key (Telegram's update id, the web chat's client
id), the time the person wrote it and its text; `Pacer` says whether to answer it now,
hold it until a time, or drop it, and which notice (if any) to send first. An emergency
that flood control would hold is answered at once, once per person per window.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from bot.config import Settings
from bot.flood import FloodGuard, Verdict
from bot.messages import t
from bot.replies import Paragraph, Reply


@dataclass
class Pacer:
    """A channel's flood control (`FloodGuard`) with the emergency exception."""

    flood: FloodGuard
    #: Whether a text is an emergency (the dialogue's triage).
    is_emergency: Callable[[str], bool]
    #: The emergency answered past flood control, per person: (message key, when).
    urgent: dict[str, tuple[Hashable, float]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, is_emergency: Callable[[str], bool]) -> Pacer:
        """The flood control every channel uses: `flood_messages` per `flood_window`."""
        return cls(FloodGuard(settings.flood_messages, settings.flood_window), is_emergency)

    def admit(self, user: str, key: Hashable, text: str, sent_at: float, now: float) -> Verdict:
        """The verdict on a message `user` wrote at `sent_at` (judged at `now`)."""
        verdict = self.flood.admit(user, key, sent_at, now)
        if (verdict.dropped or verdict.held(now)) and self._urgent(user, key, text, now):
            return Verdict(now)  # an emergency is never held back by flood control
        return verdict

    def follow(self, user: str, key: Hashable, now: float) -> float:
        """When a button press may be handled: after the person's held messages."""
        return self.flood.follow(user, key, now)

    def judged(self, key: Hashable) -> bool:
        """Whether `key` was judged before (held and now due, or redone)."""
        return self.flood.judged(key)

    def _urgent(self, user: str, key: Hashable, text: str, now: float) -> bool:
        """Whether a message flood control would hold is an emergency to answer at once.

        One per person per flood window (a redone batch gets the same answer): 着火了 typed
        ten times in panic is answered at once, a script repeating it is still held.
        """
        last = self.urgent.get(user)
        if last is not None and last[0] == key:
            return True
        if last is not None and now - last[1] < self.flood.window:
            return False
        if not self.is_emergency(text):
            return False
        self.urgent[user] = (key, now)
        return True


def notice(kind: str, lang: str) -> Reply:
    """A one-paragraph notice from the catalogue (flood notices, "menu expired" …)."""
    return Reply((Paragraph(t(kind, lang)),))
