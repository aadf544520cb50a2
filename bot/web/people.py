"""The names the console shows for the core's person keys (`web:<login>`, `tg:<id>`)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.web.context import WebContext


async def names(ctx: WebContext) -> dict[str, str]:
    """Each staff key with a name to show: a console account's name (or its login), a
    Telegram staff member's registered name. A key with no name is shown as it is."""
    known = {f"web:{a.login}": a.name or a.login for a in await ctx.accounts.all()}
    for member in await ctx.desk.tickets.staff():
        if member.name:
            known.setdefault(member.key, member.name)
    return known


def shown(key: str | None, known: Mapping[str, str]) -> str:
    """How a person key reads in a page or a file: their name, else the key; '-' for none."""
    if not key:
        return "-"
    return known.get(key, key)
