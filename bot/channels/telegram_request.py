"""python-telegram-bot's HTTPX transport, posting JSON bodies instead of forms.

The Bot API takes parameters as a form or as a JSON body. python-telegram-bot sends a
form, which percent-encodes every byte of the text in Python (`urllib.parse.quote`): for
a Chinese answer of a few hundred characters that is the largest single cost of a send.
A JSON body is one `json.dumps` in C. Requests that upload files stay multipart.

Error answers that are not the Bot API's JSON (a proxy's HTML page) are turned into a short
description here, so python-telegram-bot neither logs the whole page as an ERROR with a
traceback nor puts it into the exception's text.
"""

from __future__ import annotations

import json
import logging
import os
import re
import warnings
from http import HTTPStatus

import httpx
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest, RequestData

# Process-wide python-telegram-bot settings, for every process that calls the Bot API.
# Opt in to python-telegram-bot's future: durations as timedelta (read when accessed).
os.environ.setdefault("PTB_TIMEDELTA", "true")
# getUpdates and the outbox's sends go through `do_api_request` on purpose: raw JSON in,
# only the message id out.
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.(getUpdates|sendMessage|editMessageText)'"
)


#: Of an HTML error page, the title is enough to say what happened.
_TITLE_RE = re.compile(rb"<title[^>]*>([^<]{1,200})</title>", re.IGNORECASE)


class _HandledByCaller(logging.Filter):
    """Drops python-telegram-bot's ERROR for a 429 its rate limiter passes on.

    The rate limiter runs with no retries of its own (`max_retries=0`): the outbox waits
    `retry_after` and resends, and every caller logs the 429 on one line itself. The
    limiter's own record is an ERROR with a traceback for every 429.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but that one."""
        return not str(record.msg).startswith("Rate limit hit after maximum of")


_limiter_log = logging.getLogger("telegram.ext.AIORateLimiter")
if not any(isinstance(f, _HandledByCaller) for f in _limiter_log.filters):
    _limiter_log.addFilter(_HandledByCaller())


def error_body(code: int, payload: bytes) -> bytes:
    """An error answer as the Bot API's JSON: kept if it is JSON, else a short description
    of the body (its HTML title) instead of the whole body."""
    try:
        json.loads(payload)
        return payload
    except ValueError:
        pass
    try:
        phrase = f"{HTTPStatus(code).phrase} ({code})"
    except ValueError:
        phrase = f"HTTP {code}"
    title = _TITLE_RE.search(payload)
    what = f"page {title.group(1).decode('utf-8', 'replace').strip()!r}" if title else "body"
    description = f"{phrase}: not the Bot API's answer but a {len(payload)}-byte {what}"
    return json.dumps({"ok": False, "error_code": code, "description": description}).encode()


class JsonHTTPXRequest(HTTPXRequest):
    """`HTTPXRequest` that sends parameters as `application/json`."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = HTTPXRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        code, payload = await self._exchange(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if 200 <= code <= 299:
            return code, payload
        return code, error_body(code, payload)

    async def _exchange(
        self,
        url: str,
        method: str,
        request_data: RequestData | None,
        read_timeout: ODVInput[float],
        write_timeout: ODVInput[float],
        connect_timeout: ODVInput[float],
        pool_timeout: ODVInput[float],
    ) -> tuple[int, bytes]:
        """One HTTP exchange: JSON body, or multipart for uploads."""
        if request_data is None or request_data.contains_files:
            return await super().do_request(
                url,
                method,
                request_data,
                read_timeout,
                write_timeout,
                connect_timeout,
                pool_timeout,
            )
        default = self._client.timeout
        timeout = httpx.Timeout(
            connect=_value(connect_timeout, default.connect),
            read=_value(read_timeout, default.read),
            write=_value(write_timeout, default.write),
            pool=_value(pool_timeout, default.pool),
        )
        body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
        headers = {"User-Agent": self.USER_AGENT, "Content-Type": "application/json"}
        # The same error mapping as HTTPXRequest.do_request.
        try:
            res = await self._client.request(
                method=method, url=url, headers=headers, timeout=timeout, content=body
            )
        except httpx.TimeoutException as err:
            if isinstance(err, httpx.PoolTimeout):
                raise TimedOut(
                    "Pool timeout: all connections are busy; the request was not sent"
                ) from err
            raise TimedOut from err
        except httpx.HTTPError as err:
            raise NetworkError(f"httpx.{err.__class__.__name__}: {err}") from err
        return res.status_code, res.content


def _value(given: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(given, DefaultValue) else given
