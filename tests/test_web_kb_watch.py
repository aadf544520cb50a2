"""`citizen-desk web` watches the KB files as `run` does: an edit is answered from within a
few seconds, a broken edit is reported (log, admin page) and the old KB keeps answering."""

from __future__ import annotations

import asyncio
import html
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.store import Store
from bot.tickets.model import Role
from bot.web.accounts import Account, AccountStore
from tests.conftest import REPO, write_kb
from tests.test_web_admin_kb import BROKEN, DOGS, PASSPORT, field
from tests.test_webchat_crash import Visitor, free_port, until
from tests.web_env import PASSWORD, login

DOG_ANSWER = "到镇派出所办理犬只登记"
PASSPORT_ANSWER = "到县公安局出入境窗口申请"
#: An edit must be answered from within this long (the watcher's debounce is 0.5 s).
WITHIN = 10.0


class WebProcess:
    """`citizen-desk web` as a process on a loopback port, its log in a file."""

    def __init__(self, tmp: Path, kb_dir: Path):
        self.port = free_port()
        self.db = tmp / "db.sqlite3"
        self.log = tmp / "web.log"
        self.kb_dir = kb_dir
        self.cwd = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_DESK_")}
        env.update(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
        command = [sys.executable, "-m", "bot.cli", "web", "--listen", f"127.0.0.1:{self.port}"]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [*command, "--db", str(self.db), "--kb", str(self.kb_dir)],
                env=env,
                cwd=self.cwd,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        # Listening, and the KB watcher registered (an edit from now on is never missed).
        await until(lambda: self.alive() and "for knowledge edits" in self.text(), 60, "start")

    def alive(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.text()[-3000:]
        return True

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(30)


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[WebProcess]:
    kb_dir = write_kb(tmp_path / "kb", {"passport.yaml": PASSPORT})
    server = WebProcess(tmp_path, kb_dir)
    async with Store.opened(server.db) as store, store.transaction():
        await AccountStore(store).save(Account("root", Role.ADMIN, None, "Root"), PASSWORD)
    await server.start()
    try:
        yield server
    finally:
        server.stop()


async def ask(visitor: Visitor, question: str) -> str:
    """Send `question` from the chat page and wait for its answer."""
    await visitor.send({"text": question}, "")
    replies = await visitor.answered(len(visitor.expected))
    return str(replies[len(visitor.expected) - 1]["text"])


async def test_an_edit_is_answered_and_a_broken_one_is_reported(web: WebProcess) -> None:
    async with httpx.AsyncClient(base_url=web.base, timeout=30) as client:
        visitor = Visitor(1, client)
        await visitor.join()
        listening = asyncio.create_task(visitor.listen())
        try:
            assert PASSPORT_ANSWER in await ask(visitor, "怎么办护照")
            assert DOG_ANSWER not in await ask(visitor, "养狗要办证吗")
            # The admin saves a new file; the chat answers from it within seconds.
            edited = time.monotonic()
            write_kb(web.kb_dir, {"dogs.yaml": DOGS})
            while DOG_ANSWER not in await ask(visitor, "养狗要办证吗"):
                assert time.monotonic() - edited < WITHIN, web.text()[-3000:]
                await asyncio.sleep(0.3)
            # A half-written file: refused, reported, and the KB before it keeps answering.
            write_kb(web.kb_dir, {"broken.yaml": BROKEN})
            await until(lambda: "knowledge reload failed" in web.text(), WITHIN, "the report")
            assert DOG_ANSWER in await ask(visitor, "养狗要办证吗")
            assert PASSPORT_ANSWER in await ask(visitor, "怎么办护照")
        finally:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)
    log = web.text()
    (failed,) = [line for line in log.splitlines() if "knowledge reload failed" in line]
    assert "broken.yaml" in failed and "WARNING" in failed
    assert "knowledge reloaded: 2 entries; added 1: dog-licence" in log
    async with httpx.AsyncClient(base_url=web.base, timeout=30) as admin:
        await login(admin, "root")
        page = await admin.get("/admin/kb")
    assert page.status_code == 200
    assert field(page.text, "entries") == "2"  # the console's desk follows the KB served
    assert "失败，仍在使用原来的知识库" in field(page.text, "last-outcome")
    assert "broken.yaml" in html.unescape(field(page.text, "last-report"))
