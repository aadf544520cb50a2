"""Background tasks that outlive their failures: logged, then started again with backoff."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from bot.logs import redact

log = logging.getLogger(__name__)

#: The first wait before a restart, doubled after each failure up to MAX_DELAY.
FIRST_DELAY = 1.0
MAX_DELAY = 60.0
#: A task that ran this long before failing starts again after FIRST_DELAY.
HEALTHY_AFTER = 60.0


async def supervised(
    name: str,
    start: Callable[[], Awaitable[None]],
    first_delay: float = FIRST_DELAY,
    max_delay: float = MAX_DELAY,
) -> None:
    """Run `start()` until cancelled: when it raises (or returns), log it and start it
    again after a wait that doubles while it keeps failing. The desk keeps answering: a
    failed outbox watcher or file sweep is not a reason to stop the chat and the console."""
    delay = first_delay
    while True:
        began = time.monotonic()
        try:
            await start()
            problem = "ended"
        except Exception as exc:  # anything but cancellation: logged, then started again
            # The message is redacted here too (the handler's filter does it in production).
            problem = f"failed ({type(exc).__name__}: {redact(str(exc))})"
            log.error("%s %s; restarting in %.0f s", name, problem, delay, exc_info=True)
        else:
            log.error("%s %s unexpectedly; restarting in %.0f s", name, problem, delay)
        if time.monotonic() - began >= HEALTHY_AFTER:
            delay = first_delay
        await asyncio.sleep(delay)
        log.info("%s restarted", name)
        delay = min(delay * 2, max_delay)
