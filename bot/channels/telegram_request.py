"""python-telegram-bot's HTTPX transport, posting JSON bodies instead of forms.

The Bot API takes parameters as a form or as a JSON body. python-telegram-bot sends a
form, which percent-encodes every byte of the text in Python (`urllib.parse.quote`): for
a Chinese answer of a few hundred characters that is the largest single cost of a send.
A JSON body is one `json.dumps` in C. Requests that upload files stay multipart.
"""

from __future__ import annotations

import json
import os
import warnings

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
