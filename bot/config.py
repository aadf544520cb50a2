"""Settings: read once from the environment (and an optional TOML file) into one object."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bot.actions import number
from bot.errors import ConfigError
from bot.matching.settings import MatchSettings
from bot.store.backend import location

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"

#: Environment variable → settings field.
ENVIRONMENT: dict[str, str] = {
    "TELEGRAM_BOT_TOKEN": "token",
    "TELEGRAM_API_BASE_URL": "api_base_url",
    "CITIZEN_DESK_KB": "kb_dir",
    "CITIZEN_DESK_DB": "db_path",
    "CITIZEN_DESK_WEBHOOK_URL": "webhook_url",
    "CITIZEN_DESK_WEBHOOK_LISTEN": "webhook_listen",
    "CITIZEN_DESK_WEBHOOK_SECRET": "webhook_secret",
    "CITIZEN_DESK_FLOOD_MESSAGES": "flood_messages",
    "CITIZEN_DESK_FLOOD_WINDOW": "flood_window",
    "CITIZEN_DESK_RATE_LIMIT": "rate_limit",
    "CITIZEN_DESK_POLL_TIMEOUT": "poll_timeout",
    "CITIZEN_DESK_LOG_FORMAT": "log_format",
    "CITIZEN_DESK_LOG_LEVEL": "log_level",
    "CITIZEN_DESK_STAFF_CHAT": "staff_chat",
    "CITIZEN_DESK_ADMINS": "admins",
    "CITIZEN_DESK_SCAN_INTERVAL": "scan_interval",
    "CITIZEN_DESK_RETENTION_YEARS": "retention_years",
    "CITIZEN_DESK_TRANSPORT_RETENTION_DAYS": "transport_retention_days",
    "CITIZEN_DESK_CHAT_INTERVAL": "chat_interval",
    "CITIZEN_DESK_SEND_WORKER": "send_worker",
    "CITIZEN_DESK_WEB_ORIGINS": "web_origins",
    "CITIZEN_DESK_WEBCHAT_FILES": "webchat_files",
}


@dataclass(frozen=True)
class Settings:
    """Every setting with its default, validated once."""

    #: The bot token from @BotFather (required by `citizen-desk run`).
    token: str | None = None
    #: Bot API base URL; the file URL follows it (same host, `/file/bot`).
    api_base_url: str = DEFAULT_API_BASE_URL
    #: Knowledge directory; None means the shipped sample.
    kb_dir: Path | None = None
    #: The database: an SQLite file, or a `postgresql://` URL (kept as text).
    db_path: Path | str = Path("citizen-desk.sqlite3")
    #: Public HTTPS URL for webhook mode; None means long polling.
    webhook_url: str | None = None
    #: host:port the webhook server listens on.
    webhook_listen: str = "0.0.0.0:8443"
    #: Secret that Telegram sends with every webhook request (generated when unset).
    webhook_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    #: Flood control: more than this many messages from one person…
    flood_messages: int = 8
    #: …written within this many seconds (their own times): the rest wait their turn.
    flood_window: float = 10.0
    #: Outgoing messages per second for the whole bot (Telegram allows about 30); 0: off.
    rate_limit: float = 30.0
    #: Seconds between two messages to the same chat (Telegram asks for about 1).
    chat_interval: float = 1.0
    #: Make the outbox's Bot API calls in a second process (a second CPU core); off: in
    #: the main process.
    send_worker: bool = True
    #: Long-polling timeout in seconds.
    poll_timeout: int = 30
    #: `text` or `json` log lines.
    log_format: str = "text"
    log_level: str = "INFO"
    #: The staff group chat id where new tickets are posted.
    staff_chat: int | None = None
    #: Telegram user ids of admins (comma-separated in the environment).
    admins: tuple[int, ...] = ()
    #: Seconds between deadline scans (reminders, overdue, unrated answers).
    scan_interval: float = 60.0
    #: Personal data in tickets closed longer than this is anonymised.
    retention_years: int = 3
    #: Processed updates, delivered outbox messages and processed web chat messages
    #: (emptied when done) are deleted this many days after they were written; it is
    #: also how far back a reopened web chat page shows, and how long a retried web chat
    #: POST is recognised.
    transport_retention_days: int = 30
    #: Official days off and worked weekends not yet in the holiday library (TOML lists).
    extra_holidays: tuple[dt.date, ...] = ()
    extra_workdays: tuple[dt.date, ...] = ()
    #: Sites (scheme://host[:port], comma-separated) that may embed the citizens' chat.
    web_origins: tuple[str, ...] = ()
    #: Where the web chat keeps visitors' files (outside any web root); None: the
    #: directory `webchat-files` beside the SQLite database file.
    webchat_files: Path | None = None
    #: Matching thresholds (the `[matching]` table of the TOML file).
    matching: MatchSettings = field(default_factory=MatchSettings)

    @property
    def api_file_url(self) -> str:
        """The file download URL that matches `api_base_url`."""
        base = self.api_base_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"

    @property
    def listen_host_port(self) -> tuple[str, int]:
        """`webhook_listen` split into host and port."""
        host, _, port = self.webhook_listen.rpartition(":")
        return host or "0.0.0.0", int(port)


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build the settings: defaults, then the TOML file, then the environment, then overrides.

    The file is named by `CITIZEN_DESK_CONFIG`; its keys are the field names
    (docs/configuration.md).
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_file = env.get("CITIZEN_DESK_CONFIG")
    if config_file:
        values.update(_read_file(Path(config_file)))
    for name, attr in ENVIRONMENT.items():
        if env.get(name, "") != "":
            values[attr] = env[name]
    if overrides:
        values.update({k: v for k, v in overrides.items() if v is not None})
    return _validate(values)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"config file {path}: unknown settings {', '.join(unknown)}")
    return dict(data)


def _validate(values: dict[str, Any]) -> Settings:
    settings = Settings()
    converted: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name not in values:
            continue
        raw = values[f.name]
        try:
            converted[f.name] = _convert(f.name, raw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"setting {f.name}: {raw!r} is not valid ({exc})") from exc
    settings = replace(settings, **converted)
    if settings.log_format not in ("text", "json"):
        raise ConfigError("setting log_format must be text or json")
    if settings.flood_messages < 1 or settings.flood_window <= 0:
        raise ConfigError("flood_messages must be ≥ 1 and flood_window > 0")
    if settings.rate_limit < 0:
        raise ConfigError("rate_limit must be ≥ 0")
    if settings.retention_years < 1:
        raise ConfigError("retention_years must be ≥ 1")
    if settings.transport_retention_days < 1:
        raise ConfigError("transport_retention_days must be ≥ 1")
    if settings.scan_interval <= 0 or settings.poll_timeout < 1 or settings.chat_interval < 0:
        raise ConfigError("scan_interval must be > 0, poll_timeout ≥ 1, chat_interval ≥ 0")
    if settings.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError("log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
    clash = sorted(set(settings.extra_holidays) & set(settings.extra_workdays))
    if clash:
        dates = ", ".join(d.isoformat() for d in clash)
        raise ConfigError(f"dates both in extra_holidays and extra_workdays: {dates}")
    if not settings.api_base_url.startswith(("http://", "https://")):
        raise ConfigError("TELEGRAM_API_BASE_URL must start with http:// or https://")
    url = settings.webhook_url
    # Telegram only calls HTTPS webhooks; a local Bot API server may call http on loopback.
    if url and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ConfigError("the webhook URL must be https://")
    settings.listen_host_port  # noqa: B018 — validates host:port early
    return settings


def _convert(name: str, raw: Any) -> Any:
    if name == "matching":
        if isinstance(raw, MatchSettings):
            return raw
        if not isinstance(raw, dict):
            raise ValueError("[matching] must be a table")
        known = {f.name: f.type for f in fields(MatchSettings)}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ValueError(f"unknown matching settings {', '.join(unknown)}")
        defaults = MatchSettings()
        values = {k: type(getattr(defaults, k))(v) for k, v in raw.items()}
        return replace(defaults, **values)
    if name == "db_path":
        return raw if isinstance(raw, Path) else location(str(raw))
    if name in ("kb_dir", "webchat_files"):
        return Path(str(raw)).expanduser()
    if name in (
        "flood_messages",
        "poll_timeout",
        "staff_chat",
        "retention_years",
        "transport_retention_days",
    ):
        return int(raw)
    if name in ("flood_window", "rate_limit", "scan_interval", "chat_interval"):
        return float(raw)
    if name == "send_worker":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise ValueError("use true or false")
        return text in ("1", "true", "yes", "on")
    if name == "admins":
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        return tuple(int(str(i).strip()) for i in items if str(i).strip())
    if name in ("extra_holidays", "extra_workdays"):
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        return tuple(
            i if isinstance(i, dt.date) else dt.date.fromisoformat(str(i).strip()) for i in items
        )
    if name == "web_origins":
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        return tuple(_origin(str(i)) for i in items if str(i).strip())
    if name == "webhook_listen":
        _host, sep, port = str(raw).rpartition(":")
        if not sep or number(port, 65535, low=1) is None:
            raise ValueError("use host:port, the port 1–65535")
        return str(raw)
    return str(raw)


def _origin(text: str) -> str:
    """A web origin as browsers send it: scheme://host[:port], nothing after."""
    origin = text.strip().rstrip("/")
    scheme, sep, host = origin.partition("://")
    if scheme not in ("http", "https") or not sep or not host or any(c in host for c in "/ ;'*"):
        raise ValueError(f"{text!r} is not an origin like https://www.example.gov.cn")
    return origin
