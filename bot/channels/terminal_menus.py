"""The numbered choices on a terminal screen, numbered so that no two menus share a number."""

from __future__ import annotations

from dataclasses import dataclass

from bot.replies import Button

#: The menu of the reply to what the person typed; a newer reply's menu replaces it.
REPLY = "reply"
#: A menu that arrived on its own (a ticket outcome to rate); it stays until it is used.
NOTICE = "notice"


@dataclass(frozen=True)
class Menu:
    """Buttons numbered from `start`."""

    source: str
    start: int
    buttons: tuple[Button, ...]

    @property
    def end(self) -> int:
        """The last number of the menu."""
        return self.start + len(self.buttons) - 1

    def overlaps(self, start: int, size: int) -> bool:
        """Whether numbers start … start+size-1 would clash with this menu's."""
        return start <= self.end and self.start < start + size


class Menus:
    """The menus still answerable by number.

    The reply menu (the last one with buttons) and every unused notice menu stay live
    together. A new menu takes the lowest numbers no live menu holds, so a ticket outcome
    arriving under the main menu is numbered after it: a typed 4 is the main menu's 4,
    never a rating the person did not see coming.
    """

    def __init__(self) -> None:
        self.live: list[Menu] = []

    def add(self, source: str, buttons: list[Button]) -> Menu:
        """Number `buttons` as a new menu from `source` (a new reply menu replaces the old)."""
        if source == REPLY:
            self.live = [m for m in self.live if m.source != REPLY]
        start = 1
        for other in sorted(self.live, key=lambda m: m.start):
            if other.overlaps(start, len(buttons)):
                start = other.end + 1
        menu = Menu(source, start, tuple(buttons))
        self.live.append(menu)
        return menu

    def pick(self, choice: int) -> Button | None:
        """The button numbered `choice`; a notice menu is used up once picked from."""
        for menu in self.live:
            if menu.start <= choice <= menu.end:
                if menu.source == NOTICE:
                    self.live.remove(menu)
                return menu.buttons[choice - menu.start]
        return None

    def highest(self) -> int:
        """The highest number in use (0 when there is no menu)."""
        return max((m.end for m in self.live), default=0)

    def ranges(self) -> str:
        """The numbers in use, e.g. `1–9` or `1–3, 5–9` (for "please choose …")."""
        spans: list[list[int]] = []
        for start, end in sorted((m.start, m.end) for m in self.live):
            if spans and start == spans[-1][1] + 1:
                spans[-1][1] = end
            else:
                spans.append([start, end])
        return ", ".join(f"{a}–{b}" if a != b else str(a) for a, b in spans)
