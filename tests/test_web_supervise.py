"""`citizen-desk web`'s background tasks outlive a failure: logged, restarted, working."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.store import Store
from bot.web.serve import serve
from tests.conftest import write_kb
from tests.test_web_admin_kb import PASSPORT, free_port
from tests.test_webchat_crash import until


def failures(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "bot.supervise" and r.levelno == logging.ERROR and name in r.getMessage()
    ]


def rename(db: Path, old: str, new: str) -> None:
    """Another process's schema change, for real, on the server's database file."""
    with sqlite3.connect(db, timeout=30) as conn:
        conn.execute(f"ALTER TABLE {old} RENAME TO {new}")


async def test_the_outbox_watcher_is_restarted_after_a_database_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    kb_dir = write_kb(tmp_path / "kb", {"passport.yaml": PASSPORT})
    db = tmp_path / "db.sqlite3"
    async with Store.opened(db):
        pass
    settings = load_settings(environ={}, overrides={"db_path": db, "kb_dir": kb_dir})
    stop = asyncio.Event()
    server = asyncio.create_task(serve(settings, kb_dir, f"127.0.0.1:{free_port()}", False, stop))
    try:
        await asyncio.sleep(1.5)  # serving, the watcher has read the outbox once
        # The outbox is gone for a moment: the watcher's query fails.
        rename(db, "outbox", "outbox_away")
        await until(lambda: bool(failures(caplog, "outbox watcher")), 15, "the failure logged")
        rename(db, "outbox_away", "outbox")
        await until(
            lambda: any("outbox watcher restarted" in r.getMessage() for r in caplog.records),
            15,
            "the restart",
        )
        # It runs again: a second failure is seen (and logged) too, so it was restarted.
        await asyncio.sleep(1.5)
        assert len(failures(caplog, "outbox watcher")) == 1  # the table is back: no failure
        rename(db, "outbox", "outbox_gone")
        await until(lambda: len(failures(caplog, "outbox watcher")) == 2, 15, "a second failure")
        rename(db, "outbox_gone", "outbox")
        assert not server.done()  # the console and the chat are still served
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)
    (first, _) = failures(caplog, "outbox watcher")
    assert "OperationalError" in first.getMessage() and "restarting in 1 s" in first.getMessage()
    assert "restarting in 2 s" in failures(caplog, "outbox watcher")[1].getMessage()
