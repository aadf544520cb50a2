"""The outbox's Bot API calls, made in a second process.

Sending a message through python-telegram-bot and HTTPX costs about as much CPU as
everything else the bot does for a question (matching, the dialogue, the database). One
Python process runs on one core, so the calls go to a worker process of their own: the
main process keeps the outbox and records every outcome, exactly as before; the worker
only turns `(method, parameters)` into a Bot API call and answers with the result or the
error. It has no database and no state: if it dies, the calls in flight fail as network
errors (retried like any other) and the next call starts a new worker. The worker dies
with the main process (Linux: the kernel kills it; elsewhere: it stops at end of input).

Frames on the socket pair: a 4-byte big-endian length, then UTF-8 JSON. The first frame
to the worker is its configuration (the token goes here, not on its command line).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import datetime as dt
import itertools
import json
import logging
import math
import os
import signal
import socket
import struct
import sys
from dataclasses import dataclass
from typing import Any

import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import AIORateLimiter, ExtBot

from bot.channels.telegram_request import JsonHTTPXRequest

log = logging.getLogger(__name__)

_LENGTH = struct.Struct(">I")
#: Seconds the worker may take to start (import python-telegram-bot, build its clients).
READY_TIMEOUT = 60.0
#: HTTP connections per Bot API client in the worker.
SHARD_CONNECTIONS = 4
#: Errors a call may end with, rebuilt on the main process's side under the same type.
_ERRORS: dict[str, type[TelegramError]] = {
    cls.__name__: cls for cls in (BadRequest, Forbidden, NetworkError, TimedOut, TelegramError)
}


@dataclass(frozen=True)
class WorkerConfig:
    """What the worker needs to call the Bot API."""

    token: str
    base_url: str
    base_file_url: str
    connections: int
    rate_limit: float
    log_format: str = "text"
    log_level: str = "INFO"


class ApiWorker:
    """The main process's side: start the worker, call the Bot API through it."""

    def __init__(self, config: WorkerConfig):
        self.config = config
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._process: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    @property
    def pid(self) -> int | None:
        """The worker's process id, while it runs."""
        running = self._process is not None and self._process.returncode is None
        return self._process.pid if running and self._process else None

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """The Bot API's result, or the TelegramError it answered with."""
        writer = await self._ensure_started()
        call_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = future
        try:
            writer.write(_frame({"id": call_id, "method": method, "params": params}))
            await writer.drain()
            return await future
        finally:
            self._pending.pop(call_id, None)

    async def start(self) -> None:
        """Start the worker now (else the first call starts it)."""
        await self._ensure_started()

    async def _ensure_started(self) -> asyncio.StreamWriter:
        async with self._starting:
            if self._writer is not None and not self._writer.is_closing():
                return self._writer
            await self._close()
            ours, theirs = socket.socketpair()
            with ours, theirs:
                self._process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    __name__,
                    str(theirs.fileno()),
                    str(os.getpid()),
                    pass_fds=(theirs.fileno(),),
                    stdin=asyncio.subprocess.DEVNULL,
                )
                reader, writer = await asyncio.open_connection(sock=ours.dup())
            writer.write(_frame(vars(self.config)))
            try:
                await asyncio.wait_for(_read_frame(reader), timeout=READY_TIMEOUT)
            except (TimeoutError, asyncio.IncompleteReadError, ConnectionError) as exc:
                writer.close()
                raise NetworkError("the send worker did not start") from exc
            self._writer = writer
            self._reader_task = asyncio.create_task(self._read_answers(reader))
            log.info("send worker started (pid %s)", self._process.pid)
            return writer

    async def _read_answers(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                answer = await _read_frame(reader)
                future = self._pending.get(answer["id"])
                if future is None or future.done():
                    continue
                if answer["ok"]:
                    future.set_result(answer["result"])
                else:
                    future.set_exception(_rebuild(answer))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if self._writer is not None:
                self._writer.close()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(NetworkError("the send worker stopped"))

    async def stop(self) -> None:
        """Close the worker's input and wait for it to finish what is in flight."""
        await self._close()

    async def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()
        if self._reader_task is not None:
            await asyncio.gather(self._reader_task, return_exceptions=True)
        if self._process is not None and self._process.returncode is None:
            try:
                await asyncio.wait_for(self._process.wait(), timeout=15)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        self._writer = self._reader_task = self._process = None


def _frame(data: Any) -> bytes:
    body = json.dumps(data, ensure_ascii=False).encode()
    return _LENGTH.pack(len(body)) + body


async def _read_frame(reader: asyncio.StreamReader) -> Any:
    (size,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    return json.loads(await reader.readexactly(size))


def _rebuild(answer: dict[str, Any]) -> TelegramError:
    """The worker's error as the exception python-telegram-bot would have raised."""
    message = str(answer.get("message", ""))
    if answer.get("error") == "RetryAfter":
        return RetryAfter(int(answer.get("retry_after", 1)))
    if answer.get("error") == "ChatMigrated":
        return ChatMigrated(int(answer["new_chat_id"]))
    return _ERRORS.get(str(answer.get("error")), TelegramError)(message)


def _describe(exc: TelegramError) -> dict[str, Any]:
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
        return {"error": "RetryAfter", "retry_after": math.ceil(seconds)}
    if isinstance(exc, ChatMigrated):
        return {"error": "ChatMigrated", "new_chat_id": exc.new_chat_id}
    kind = next((name for name, cls in _ERRORS.items() if type(exc) is cls), None)
    if kind is None:
        kind = next(name for name, cls in _ERRORS.items() if isinstance(exc, cls))
    return {"error": kind, "message": exc.message}


# -- the worker process --------------------------------------------------------------------


async def _serve(sock: socket.socket) -> None:
    from bot.logs import setup_logging

    reader, writer = await asyncio.open_connection(sock=sock)
    config = WorkerConfig(**await _read_frame(reader))
    setup_logging(config.log_format, config.log_level, [config.token])
    limiter = AIORateLimiter(overall_max_rate=config.rate_limit) if config.rate_limit > 0 else None
    # Several clients with small pools: HTTPX's pool looks at every connection for every
    # queued request, which costs more than the request itself once dozens are in flight.
    # The rate limiter is shared, so the overall limit holds for all of them.
    # One TLS context for all (each client would load the CA certificates again), and one
    # getUpdates client (python-telegram-bot wants one; the worker never polls).
    tls = {"verify": httpx.create_ssl_context()}
    unused = JsonHTTPXRequest(connection_pool_size=1, httpx_kwargs=tls)
    requests = [
        JsonHTTPXRequest(connection_pool_size=SHARD_CONNECTIONS, httpx_kwargs=tls)
        for _ in range(max(1, math.ceil(config.connections / SHARD_CONNECTIONS)))
    ]
    # Not initialised (that would call getMe once per client): do_api_request needs only
    # the HTTP clients, which exist from the start and are closed below.
    bots = [
        ExtBot(
            config.token,
            base_url=config.base_url,
            base_file_url=config.base_file_url,
            request=request,
            get_updates_request=unused,
            rate_limiter=limiter,
        )
        for request in requests
    ]
    busy = [0] * len(bots)

    async def answer(call: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"id": call["id"]}
        shard = busy.index(min(busy))
        busy[shard] += 1
        try:
            result = await bots[shard].do_api_request(call["method"], api_kwargs=call["params"])
        except TelegramError as exc:
            reply.update(ok=False, **_describe(exc))
        except Exception as exc:  # a bug here must not look like a sent message
            log.exception("send worker: %s failed", call["method"])
            reply.update(ok=False, error="NetworkError", message=repr(exc))
        else:
            if isinstance(result, dict):  # only the message id is used
                result = {"message_id": result.get("message_id")}
            reply.update(ok=True, result=result)
        finally:
            busy[shard] -= 1
        writer.write(_frame(reply))

    calls: set[asyncio.Task[None]] = set()
    writer.write(_frame({"ready": True}))
    try:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                task = asyncio.create_task(answer(await _read_frame(reader)))
                calls.add(task)
                task.add_done_callback(calls.discard)
        await asyncio.gather(*calls, return_exceptions=True)  # finish what is in flight
    finally:
        for request in [*requests, unused]:
            await request.shutdown()
        writer.close()


def _die_with_parent(parent: int) -> None:
    """Linux: have the kernel kill this process when the main process dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # it died before that took effect
        os._exit(0)


def main(argv: list[str]) -> None:
    """`python -m bot.channels.telegram_worker FD PARENT_PID` (started by ApiWorker)."""
    fd, parent = int(argv[0]), int(argv[1])
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    asyncio.run(_serve(socket.socket(fileno=fd)))


if __name__ == "__main__":
    main(sys.argv[1:])
