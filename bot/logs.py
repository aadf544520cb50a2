"""Logging: one line per event, text or JSON, never a token or a phone number in clear."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable

#: Mainland mobile numbers (11 digits starting with 1[3-9], maybe +86 and separators);
#: kept: first 3, last 4.
PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?!\d)")
#: A resident ID card number (18 characters, the last a digit or X): kept first 3, last 2.
ID_RE = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{2})\d{14}(\d|[Xx])(?![0-9A-Za-z])")
#: A Telegram bot token anywhere (digits:secret), e.g. inside a request URL.
TOKEN_RE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


def mask_phone(text: str) -> str:
    """Mask mainland mobile numbers: 13812345678 → 138****5678."""
    return PHONE_RE.sub(r"\1****\2", text)


def mask_id_number(text: str) -> str:
    """Mask resident ID numbers (disclosure requests): 110101199003071234 → 110**************4."""
    return ID_RE.sub(lambda m: m.group(1) + "*" * 14 + m.group(2), text)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove tokens and secrets, and mask phone and ID numbers."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return mask_id_number(mask_phone(TOKEN_RE.sub("[token]", text)))


class RedactingFilter(logging.Filter):
    """Rewrites every record's message so no secret or phone number reaches a handler."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the formatted message (and the traceback text) in place."""
        message = redact(record.getMessage(), self.secrets)
        record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Format `record` as JSON."""
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            data["traceback"] = record.exc_text
        return json.dumps(data, ensure_ascii=False)


def setup_logging(fmt: str = "text", level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Configure the root logger once for the process."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter(secrets))
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL, and the token is part of it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
