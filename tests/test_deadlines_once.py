"""Two deadline scans acting at once (two replicas, or the desk CLI beside the bot) take
each action once: reminder, 督办, unrated closing, disclosure abandonment and 补正-notice
reminder are conditional UPDATEs whose row count decides who audits and notifies."""
# ruff: noqa: F811  (the fixtures of tests/test_tickets.py are imported by name)

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from bot.disclosure.desk import DisclosureDesk
from bot.tickets.model import Ticket
from tests.test_disclosure_desk import FORM
from tests.test_tickets import (  # noqa: F401  (fixtures)
    CITIZEN,
    STAFF,
    Clock,
    Env,
    calendar,
    claimed_ticket,
    clock,
    d,
    env,
)

#: action → the audit line it writes.
AUDIT = {
    "remind": "remind",
    "escalate": "escalate",
    "close_unrated": "close",
    "abandon": "abandon",
    "remind_notice": "remind",
}


@pytest.fixture
async def other(env: Env) -> AsyncIterator[Env]:
    """A second replica: its own connection to the same database, same clock."""
    second = Env(env.path, env.kb, env.matcher, env.calendar, env.clock)
    await second.open()
    yield second
    await second.store.close()


async def due(env: Env, clock: Clock, action: str) -> Ticket:
    """A ticket on which `action` is due today."""
    if action in ("remind", "escalate"):
        ticket = await claimed_ticket(env, clock)  # deadline Mon 2026-03-09
        clock.on(d("2026-03-06" if action == "remind" else "2026-03-10"))
        return ticket
    if action == "close_unrated":
        ticket = await env.file()
        clock.on(d("2026-03-06"))
        await env.do("resolve", STAFF, ticket.number, "已清理完毕")
        clock.on(d("2026-03-12"))
        return ticket
    async with env.store.transaction():
        ticket = await DisclosureDesk(env.desk).file(CITIZEN, FORM)  # Mon 2026-03-02
        if action == "abandon":
            await DisclosureDesk(env.desk).request_correction(STAFF, ticket.number, "年份", 5)
    clock.on(d("2026-03-10"))  # past the correction day / the day before the notice day
    return ticket


async def act(env: Env, action: str, ticket: Ticket) -> bool:
    """One replica's scan taking `action` on the ticket it read, in its own transaction."""
    async with env.store.transaction():
        if action == "remind_notice":
            return await DisclosureDesk(env.desk).remind_notice(ticket, d("2026-03-11"))
        if action == "abandon":
            return await DisclosureDesk(env.desk).abandon(ticket)
        taken: bool = await getattr(env.desk, action)(ticket)
        return taken


@pytest.mark.parametrize("action", list(AUDIT))
async def test_two_scans_at_once_act_once(env: Env, other: Env, clock: Clock, action: str) -> None:
    ticket = await due(env, clock, action)
    mark = await env.outbox_mark()
    # Both replicas have read the ticket as due before either acts.
    read = [await env.ticket(ticket.number), await other.ticket(ticket.number)]
    taken = await asyncio.gather(act(env, action, read[0]), act(other, action, read[1]))
    assert sorted(taken) == [False, True]
    events = [e.action.value for e in await env.desk.timeline(ticket, public_only=False)]
    assert events.count(AUDIT[action]) == 1, events
    sent = Counter((m.chat_id, m.text) for m in await env.outbox(mark))
    assert all(n == 1 for n in sent.values()), sent  # no notice twice
    if action != "close_unrated":  # the only deadline action that notifies no one
        assert sent
    # And a later scan by either finds nothing left to do.
    for replica in (env, other):
        assert not any((await replica.scan()).values())
