"""The durable intake loop every channel shares: stored items, processed in batches.

A channel stores what arrives (Telegram's updates, the web chat's messages) before it
confirms it, and says how to take the pending ones and how to process a batch (`Intake`).
This loop waits for news or a timeout, takes what is pending, and processes each batch
in one transaction with its done marks (a crash rolls the whole batch back; none is half
done). A handler's failure (`HandlerFailed`, a bug) rolls the batch back, and it is redone
one item per transaction: only the item that fails is marked failed, with an apology. A
database error rolls back too, and is waited out (doubling up to `MAX_BACKOFF`): the
items stay pending, to be processed, never given up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import AbstractAsyncContextManager
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)

#: Items processed per transaction.
BATCH = 10
#: The longest wait before processing is tried again after a database error.
MAX_BACKOFF = 30.0

Item = TypeVar("Item")


class HandlerFailed(Exception):
    """A handler failed on an item (a bug): its batch is rolled back and redone, one item
    per transaction, and the failing item is marked failed."""


class Intake(Protocol[Item]):
    """What a channel gives the loop."""

    async def take(self) -> list[Item]:
        """The pending items that are due, oldest first."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[object]:
        """A transaction on the channel's store (and whatever lock guards it)."""
        ...

    async def process_batch(self, batch: list[Item]) -> int:
        """Process `batch` in the caller's transaction, marking each item done (or held);
        return how many were handled. Raise `HandlerFailed` when a handler fails."""
        ...

    async def fail(self, item: Item) -> None:
        """Mark an item failed and apologise to its sender (in the caller's transaction)."""
        ...

    async def committed(self, batch: list[Item]) -> None:
        """After a batch's transaction: wake whoever delivers its replies."""
        ...

    async def pause(self, poll: float) -> float:
        """How long to wait for news after a round (at most `poll` unless it says more)."""
        ...


class IntakeLoop(Generic[Item]):
    """Processes a channel's stored items as they come (`run`) or once (`drain`)."""

    def __init__(
        self,
        intake: Intake[Item],
        wake: asyncio.Event,
        stopping: asyncio.Event | None = None,
        batch: int = BATCH,
        max_backoff: float = MAX_BACKOFF,
    ):
        self.intake = intake
        #: Set when an item is stored: the loop looks at once.
        self.wake = wake
        #: Set to stop: what is due is processed first. None: run until cancelled.
        self.stopping = stopping or asyncio.Event()
        self.batch = batch
        self.max_backoff = max_backoff

    async def drain(self) -> int:
        """Process every item that is due; return how many were handled. A database error
        propagates, the items of the batch left pending."""
        count = 0
        while True:
            items = await self.intake.take()
            if not items:
                return count
            handled = 0
            for start in range(0, len(items), self.batch):
                handled += await self.process(items[start : start + self.batch])
            count += handled
            if not handled:
                return count  # none could be handled now (held, or another replica's)

    async def process(self, batch: list[Item]) -> int:
        """Process `batch` in one transaction; after a handler's failure, one by one."""
        try:
            async with self.intake.transaction():
                handled = await self.intake.process_batch(batch)
        except HandlerFailed:
            if len(batch) > 1:
                return sum([await self.process([item]) for item in batch])
            async with self.intake.transaction():
                await self.intake.fail(batch[0])
            handled = 1
        await self.intake.committed(batch)
        return handled

    async def run(self, poll: float = 1.0, retry: float = 1.0) -> None:
        """Process items as they are stored (and any left from before a restart) until
        stopping; after a database error, wait (`retry` seconds, doubling) and try again."""
        delay = retry
        while True:
            self.wake.clear()  # before looking: an item stored from now on ends the wait
            try:
                await self.drain()
                timeout = await self.intake.pause(poll)
            except Exception:  # the database, not an item (that is HandlerFailed)
                log.exception("processing failed; retrying in %.1f s", delay)
                await self._wait(delay, wake=False)
                delay = min(delay * 2, self.max_backoff)
                continue
            delay = retry
            if self.stopping.is_set():
                return
            await self._wait(timeout)

    async def _wait(self, seconds: float, wake: bool = True) -> None:
        """Wait `seconds`, or less: until stopping (or news, with `wake`)."""
        events = [self.stopping, self.wake] if wake else [self.stopping]
        tasks = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(tasks, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
