"""Flood control by the pace a person writes at, judged by each message's own time.

A backlog is not a flood: messages written at a human pace while the bot was down come
in as a burst, but their own times (Telegram's `message.date`; another channel gives its
own) are still spread out, so they are all answered. Past the limit a message is not lost:
it is held and answered once the window allows, in order; only a flood too long to hold
(more than `MAX_HELD_WINDOWS` windows ahead) is dropped, and the person is told, once per
flood, of either. The guard knows nothing of channels: it gets a key per message, its
time and the current time.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import dataclass, field

#: A message held longer than this many windows is dropped (a script, not a person).
MAX_HELD_WINDOWS = 3
#: Verdicts remembered by message key: a message judged again (its batch was rolled back
#: and redone, or it was held and is now due) gets the same verdict, and is counted once.
REMEMBERED = 4096
#: Above this many people, those who went quiet are forgotten.
PEOPLE = 10_000


@dataclass(frozen=True)
class Verdict:
    """What to do with one message."""

    #: When to answer it (the current clock's time); not later than now: at once.
    due: float
    #: The message key of the notice to send now ("flood_held", "flood_dropped"), if any.
    notice: str | None = None
    #: Past what can be held: not answered.
    dropped: bool = False

    def held(self, now: float) -> bool:
        """The message waits until `due`."""
        return not self.dropped and self.due > now


@dataclass
class _Person:
    """One person's recent messages, each placed at the time it counts for."""

    slots: deque[float] = field(default_factory=deque)
    #: When the last held message is due (answers keep the order the person wrote in).
    last_due: float = 0.0
    #: Notices given in this flood.
    told: set[str] = field(default_factory=set)


class FloodGuard:
    """At most `limit` messages per person count within any `window` seconds of their
    own time; the rest wait for room (held) or, too far ahead, are dropped."""

    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self.max_delay = MAX_HELD_WINDOWS * window
        self._people: dict[str, _Person] = {}
        self._verdicts: OrderedDict[Hashable, Verdict] = OrderedDict()

    def admit(self, user: str, key: Hashable, sent_at: float, now: float) -> Verdict:
        """The verdict on message `key` from `user`, written at `sent_at` (its own time)
        and judged at `now` (both in seconds; `now` on the clock `due` is read against)."""
        known = self._verdicts.get(key)
        if known is not None:
            if not known.held(now) and not known.dropped:
                return Verdict(now)  # a held message now due: answered, no notice again
            return known  # judged again after a rollback: the same, notice included
        verdict = self._judge(user, sent_at, now)
        self._verdicts[key] = verdict
        if len(self._verdicts) > REMEMBERED:
            self._verdicts.popitem(last=False)
        return verdict

    def judged(self, key: Hashable) -> bool:
        """Whether `key` was judged before (held and now due, or redone after a rollback)."""
        return key in self._verdicts

    def follow(self, user: str, key: Hashable, now: float) -> float:
        """When something from `user` that is not counted (a button press) may be handled:
        after the messages they wrote before it and that are held."""
        known = self._verdicts.get(key)
        if known is None:
            person = self._people.get(user)
            known = Verdict(max(now, person.last_due) if person else now)
            self._verdicts[key] = known
        return known.due

    def _judge(self, user: str, sent_at: float, now: float) -> Verdict:
        person = self._people.get(user)
        if person is None:
            self._forget_quiet(sent_at, now)
            person = self._people[user] = _Person()
        slots = person.slots
        slot = max(sent_at, slots[-1]) if slots else sent_at
        if len(slots) >= self.limit:
            # Room comes when the `limit`-th latest message leaves the window.
            slot = max(slot, slots[-self.limit] + self.window)
        delay = slot - sent_at
        if delay > self.max_delay:
            return Verdict(now, self._notice(person, "flood_dropped"), dropped=True)
        while slots and slots[0] <= slot - self.window:  # later slots only come after
            slots.popleft()
        slots.append(slot)
        due = max(now + delay, person.last_due)
        if due <= now:
            person.told.clear()  # calm again: a later flood is told again
            return Verdict(now)
        person.last_due = due
        return Verdict(due, self._notice(person, "flood_held"))

    @staticmethod
    def _notice(person: _Person, kind: str) -> str | None:
        if kind in person.told:
            return None
        person.told.add(kind)
        return kind

    def _forget_quiet(self, sent_at: float, now: float) -> None:
        """Keep memory bounded: forget people with nothing in the window or held."""
        if len(self._people) < PEOPLE:
            return
        quiet = [
            user
            for user, p in self._people.items()
            if p.last_due <= now and (not p.slots or p.slots[-1] <= sent_at - self.window)
        ]
        for user in quiet:
            del self._people[user]
