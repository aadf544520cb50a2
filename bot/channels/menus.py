"""Who may press a menu's buttons, for any channel.

A channel records each menu it delivers with its owner (the `menus` table, keyed by the
channel's chat and message ids). A press on a menu the bot does not know, or on someone
else's menu, is refused ("this menu has expired"); staff-group menus may be pressed by
anyone there, and the core checks that they are staff.

The user sees a menu before the bot has the answer to its send (the message id), and
before that answer is recorded: a press then is on a menu still in the outbox, found by
its chat, its owner and its buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.notify import STAFF_OWNER
from bot.store import Store

#: A menu as a channel names it: (chat id, message id).
MenuKey = tuple[int, int]


@dataclass
class MenuBook:
    """The owners of the menus sent, including those sent but not yet recorded."""

    #: Menus sent but not yet recorded in `menus`: a press can come before the sender has
    #: recorded the send.
    fresh: dict[MenuKey, str] = field(default_factory=dict)

    async def owner(self, store: Store, menu: MenuKey) -> str | None:
        """Whose menu this is, if the bot sent it with buttons."""
        owner = await store.menu_owner(*menu)
        return owner if owner is not None else self.fresh.get(menu)

    async def may_press(
        self, store: Store, menu: MenuKey, user: str, buttons: Sequence[str] = ()
    ) -> bool:
        """Whether `user` may press the buttons of `menu`, whose keyboard as the press
        shows it has `buttons` (callback data, in order)."""
        owners = (user, STAFF_OWNER)
        owner = await self.owner(store, menu)
        if owner is not None:
            return owner in owners
        if buttons and list(buttons) in await store.menus_in_flight(menu[0], owners):
            return True
        # Recorded between the two looks (by another replica's sender, on PostgreSQL)?
        return await store.menu_owner(*menu) in owners

    def sent(self, menu: MenuKey, owner: str) -> None:
        """Note a menu delivered but not yet recorded."""
        self.fresh[menu] = owner

    def recorded(self, menu: MenuKey) -> None:
        """The menu's send is recorded in the database: forget the note."""
        self.fresh.pop(menu, None)
