"""Settings from environment and file; log redaction."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import DEFAULT_API_BASE_URL, load_settings
from bot.errors import ConfigError
from bot.logs import RedactingFilter, mask_phone, redact


def test_defaults() -> None:
    s = load_settings(environ={})
    assert s.token is None
    assert s.api_base_url == DEFAULT_API_BASE_URL
    assert s.api_file_url == "https://api.telegram.org/file/bot"
    assert s.db_path == Path("citizen-desk.sqlite3")
    assert s.matching.answer == 0.45


def test_environment_and_file_url_follow_the_base_url() -> None:
    s = load_settings(
        environ={
            "TELEGRAM_BOT_TOKEN": "1:abc",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "CITIZEN_DESK_DB": "/tmp/x.sqlite3",
            "CITIZEN_DESK_FLOOD_MESSAGES": "3",
        }
    )
    assert s.token == "1:abc"
    assert s.api_file_url == "http://127.0.0.1:8081/file/bot"
    assert s.db_path == Path("/tmp/x.sqlite3")
    assert s.flood_messages == 3
    assert s.send_worker is True  # the default
    assert load_settings(environ={"CITIZEN_DESK_SEND_WORKER": "off"}).send_worker is False


def test_toml_file_with_matching_table(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('log_format = "json"\n[matching]\nanswer = 0.6\nmax_choices = 2\n')
    s = load_settings(environ={"CITIZEN_DESK_CONFIG": str(path), "CITIZEN_DESK_LOG_FORMAT": "text"})
    assert s.log_format == "text"  # the environment wins over the file
    assert s.matching.answer == 0.6 and s.matching.max_choices == 2


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"CITIZEN_DESK_FLOOD_MESSAGES": "many"}, "flood_messages"),
        ({"CITIZEN_DESK_LOG_FORMAT": "xml"}, "log_format"),
        ({"TELEGRAM_API_BASE_URL": "ftp://x"}, "http"),
        ({"CITIZEN_DESK_WEBHOOK_LISTEN": "nope"}, "webhook_listen"),
        ({"CITIZEN_DESK_WEBHOOK_LISTEN": "0.0.0.0:²"}, "webhook_listen"),
        ({"CITIZEN_DESK_WEBHOOK_LISTEN": "0.0.0.0:99999"}, "webhook_listen"),
        ({"CITIZEN_DESK_WEBHOOK_URL": "http://example.org/hook"}, "https"),
        ({"CITIZEN_DESK_CONFIG": "/no/such/file.toml"}, "does not exist"),
        ({"CITIZEN_DESK_SEND_WORKER": "maybe"}, "send_worker"),
    ],
)
def test_bad_settings_are_clear_errors(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=environ)


def test_unknown_keys_in_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("colour = 1\n")
    with pytest.raises(ConfigError, match="colour"):
        load_settings(environ={"CITIZEN_DESK_CONFIG": str(path)})


def test_phone_numbers_and_tokens_are_redacted() -> None:
    assert mask_phone("电话13812345678，座机0376-6210000") == "电话138****5678，座机0376-6210000"
    line = "POST http://x/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage"
    assert "AAHdq" not in redact(line)


def test_redacting_filter_rewrites_records() -> None:
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "user %s phone %s", ("a", "13912345678"), None
    )
    RedactingFilter(["s3cret"]).filter(record)
    assert record.getMessage() == "user a phone 139****5678"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"CITIZEN_DESK_LOG_LEVEL": "verbose"}, "log_level"),
        ({"CITIZEN_DESK_RETENTION_YEARS": "0"}, "retention_years"),
        ({"CITIZEN_DESK_SCAN_INTERVAL": "0"}, "scan_interval"),
    ],
)
def test_out_of_range_settings(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=environ)


def test_a_date_cannot_be_both_holiday_and_workday(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("extra_holidays = [2027-01-01]\nextra_workdays = [2027-01-01]\n")
    with pytest.raises(ConfigError, match="2027-01-01"):
        load_settings(environ={"CITIZEN_DESK_CONFIG": str(path)})
