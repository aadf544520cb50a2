"""The admin's knowledge page: status, reload (good and broken edits), refusals, audit."""

from __future__ import annotations

import asyncio
import html
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from bot.config import load_settings
from bot.dialogue import Dialogue, Incoming
from bot.knowledge.loader import load_knowledge
from bot.matching.matcher import Matcher
from bot.notify import OutboxNotifier
from bot.reload import KnowledgeReloader
from bot.store import Store
from bot.tickets.model import Role
from bot.tickets.service import TicketDesk
from bot.web.accounts import Account, AccountStore
from bot.web.context import WebContext
from bot.web.serve import serve
from bot.workdays import WorkCalendar
from tests.conftest import write_kb
from tests.web_env import PASSWORD, Clock, Console, csrf_of, login

PASSPORT = """entries:
  - id: passport-apply
    title: {zh: 普通护照申领, en: Passport application}
    questions: {zh: [怎么办护照], en: [How do I get a passport?]}
    answer: {summary: {zh: 到县公安局出入境窗口申请。, en: Apply at the county exit-entry desk.}}
"""
DOGS = """entries:
  - id: dog-licence
    title: {zh: 犬只登记, en: Dog registration}
    questions: {zh: [养狗要办证吗], en: [Do I need a dog licence?]}
    answer: {summary: {zh: 到镇派出所办理犬只登记。, en: Register your dog at the police station.}}
"""
#: Nothing in the KB above comes close: the question is a gap.
LICENCE = "驾驶证到期了怎么换证"
#: An unclosed flow sequence: the YAML parser refuses the file.
BROKEN = "entries: [\n  - id: half-written\n"


@dataclass
class KbConsole:
    """A console whose KB lives in a real directory, with the reloader `web` gives it."""

    console: Console
    kb_dir: Path
    dialogue: Dialogue

    def client(self) -> httpx.AsyncClient:
        return self.console.client()

    async def say(self, text: str) -> str:
        replies = await self.dialogue.handle(Incoming("tg:77", text=text))
        return "\n".join(r.plain_text() for r in replies)

    async def audit(self) -> list[tuple[str, str, str, str]]:
        async with self.console.store.conn.execute(
            "SELECT actor, action, subject, detail FROM console_audit ORDER BY id"
        ) as cur:
            return [(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in await cur.fetchall()]


async def _no_notice(text: str) -> None:
    """The page shows the report; nothing is sent to a chat."""


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[KbConsole]:
    kb_dir = write_kb(tmp_path / "kb", {"passport.yaml": PASSPORT})
    result = load_knowledge(kb_dir)
    assert result.kb is not None
    clock = Clock()
    db = tmp_path / "db.sqlite3"
    settings = load_settings(environ={}, overrides={"db_path": db})
    async with Store.opened(db) as store:
        desk = TicketDesk(
            store, result.kb, WorkCalendar(), OutboxNotifier(store, -100), clock=clock.now
        )
        dialogue = Dialogue(Matcher(result.kb), store)
        lock = asyncio.Lock()  # as serve() gives them: the swap under the console's lock
        reloader = KnowledgeReloader(
            kb_dir, dialogue, _no_notice, loaded=result, desks=(desk,), swap_lock=lock
        )
        ctx = WebContext(store, desk, settings, now=clock.epoch, reloader=reloader, lock=lock)
        console = Console(store, desk, ctx, clock)
        await console.account("clerk", Role.STAFF)
        await console.account("boss", Role.SUPERVISOR)
        await console.account("root", Role.ADMIN)
        yield KbConsole(console, kb_dir, dialogue)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def reload(client: httpx.AsyncClient) -> httpx.Response:
    """Press "reload now" on the page, as a browser without JavaScript does."""
    page = await client.get("/admin/kb")
    assert page.status_code == 200, page.text
    return await client.post("/admin/kb/reload", data={"csrf": csrf_of(page.text)})


def field(page: str, name: str) -> str:
    """The text of the status field `id="kb-<name>"`."""
    start = page.index(f'id="kb-{name}">') + len(f'id="kb-{name}">')
    return html.unescape(page[start : page.index("<", start)])


async def test_an_admin_sees_the_kb_in_use(web: KbConsole) -> None:
    async with web.client() as client:
        await login(client, "root")
        queue = await client.get("/q/unassigned")
        assert 'href="/admin/kb"' in queue.text  # the nav link, for an admin
        page = await client.get("/admin/kb")
    assert page.status_code == 200
    assert field(page.text, "dir") == str(web.kb_dir.absolute())
    assert field(page.text, "entries") == "1" and field(page.text, "files") == "1"
    assert field(page.text, "loaded-at").startswith("20")
    assert "本进程启动以来尚未重新加载。" in page.text
    assert 'action="/admin/kb/reload"' in page.text


@pytest.mark.parametrize("name", ["clerk", "boss"])
async def test_staff_and_supervisors_are_refused(web: KbConsole, name: str) -> None:
    await web.say(LICENCE)
    async with web.client() as client:
        await login(client, name)
        queue = await client.get("/q/unassigned")
        assert queue.status_code == 200 and 'href="/admin/kb"' not in queue.text
        page = await client.get("/admin/kb")
        assert page.status_code == 403 and "您的角色无权执行此操作" in page.text
        gaps_page = await client.get("/admin/kb/gaps")
        assert gaps_page.status_code == 403 and LICENCE not in gaps_page.text
        write_kb(web.kb_dir, {"dogs.yaml": DOGS})
        pressed = await client.post("/admin/kb/reload", data={"csrf": csrf_of(queue.text)})
        assert pressed.status_code == 403
    assert web.dialogue.kb.get("dog-licence") is None  # nothing was reloaded
    assert await web.audit() == []


async def test_a_good_edit_is_reloaded_and_shown(web: KbConsole) -> None:
    write_kb(web.kb_dir, {"dogs.yaml": DOGS})
    async with web.client() as client:
        await login(client, "root")
        pressed = await reload(client)
        assert pressed.status_code == 303
        assert pressed.headers["location"] == "/admin/kb#last-reload"
        page = await client.get("/admin/kb")
    assert field(page.text, "entries") == "2" and field(page.text, "files") == "2"
    assert "成功" in field(page.text, "last-outcome")
    report = field(page.text, "last-report")
    assert report.startswith("知识库已重新加载：2 个条目\n新增 1 条：dog-licence")
    assert "到镇派出所办理犬只登记" in await web.say("养狗要办证吗")
    assert web.console.desk.kb.get("dog-licence") is not None  # the console's desk too


async def test_a_broken_edit_shows_the_error_and_the_old_kb_serves(web: KbConsole) -> None:
    write_kb(web.kb_dir, {"broken.yaml": BROKEN})
    async with web.client() as client:
        await login(client, "root")
        assert (await reload(client)).status_code == 303
        page = await client.get("/admin/kb")
        assert page.status_code == 200  # the server is still up
    assert "失败，仍在使用原来的知识库" in field(page.text, "last-outcome")
    report = field(page.text, "last-report")
    assert report.startswith("知识库重新加载失败，仍在使用原来的知识库。\n")
    assert "broken.yaml" in report and "错误" in report
    assert field(page.text, "entries") == "1" and field(page.text, "files") == "1"
    assert "到县公安局出入境窗口申请" in await web.say("怎么办护照")


async def test_the_report_is_in_the_viewers_language(web: KbConsole) -> None:
    write_kb(web.kb_dir, {"dogs.yaml": DOGS})
    async with web.client() as client:
        await login(client, "root")
        page = await client.get("/admin/kb")
        await client.post(
            "/lang", data={"csrf": csrf_of(page.text), "lang": "en", "back": "/admin/kb"}
        )
        await reload(client)
        page = await client.get("/admin/kb")
    assert "Reload now" in page.text and "good" in field(page.text, "last-outcome")
    assert field(page.text, "last-report").startswith("knowledge reloaded: 2 entries\nadded 1")


async def test_a_reload_without_the_csrf_token_is_refused(web: KbConsole) -> None:
    write_kb(web.kb_dir, {"dogs.yaml": DOGS})
    async with web.client() as client:
        await login(client, "root")
        bare = await client.post("/admin/kb/reload")
        forged = await client.post("/admin/kb/reload", data={"csrf": "not-the-token"})
        page = await client.get("/admin/kb")
        crossed = await client.post(
            "/admin/kb/reload",
            data={"csrf": csrf_of(page.text)},
            headers={"origin": "http://evil.example"},
        )
    assert bare.status_code == forged.status_code == crossed.status_code == 403
    assert web.dialogue.kb.get("dog-licence") is None
    assert await web.audit() == []


async def test_each_reload_leaves_an_audit_line(web: KbConsole) -> None:
    write_kb(web.kb_dir, {"dogs.yaml": DOGS})
    async with web.client() as client:
        await login(client, "root")
        await reload(client)
        write_kb(web.kb_dir, {"broken.yaml": BROKEN})
        await reload(client)
        page = await client.get("/admin/kb")
    target = str(web.kb_dir.absolute())
    (good, bad) = await web.audit()
    assert good[:3] == ("root", "kb_reload", target)
    assert good[3].startswith("knowledge reloaded: 2 entries")
    assert bad[:3] == ("root", "kb_reload", target)
    assert bad[3].startswith("knowledge reload failed") and "broken.yaml" in bad[3]
    log = page.text[page.text.index('id="kb-history"') :]
    assert log.count("<td>root</td>") == 2  # the page's reload log, newest first
    assert log.index("失败，仍在使用原来的知识库") < log.index("成功")


async def test_the_served_console_reloads_its_own_kb(tmp_path: Path) -> None:
    """`citizen-desk web`'s serve() gives the page its reloader; a broken edit keeps it up."""
    kb_dir = write_kb(tmp_path / "kb", {"passport.yaml": PASSPORT})
    db = tmp_path / "db.sqlite3"
    async with Store.opened(db) as store, store.transaction():
        await AccountStore(store).save(Account("root", Role.ADMIN, None, "Root"), PASSWORD)
    settings = load_settings(environ={}, overrides={"db_path": db, "kb_dir": kb_dir})
    port = free_port()
    stop = asyncio.Event()
    server = asyncio.create_task(serve(settings, kb_dir, f"127.0.0.1:{port}", False, stop))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(200):
                try:
                    await login(client, "root")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            write_kb(kb_dir, {"dogs.yaml": DOGS})
            await reload(client)
            write_kb(kb_dir, {"broken.yaml": BROKEN})
            assert (await reload(client)).status_code == 303
            page = await client.get("/admin/kb")
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)
    assert page.status_code == 200 and field(page.text, "entries") == "2"
    assert "broken.yaml" in field(page.text, "last-report")


def pre(page: str, name: str) -> str:
    """The text of `<pre id="<name>">`."""
    start = page.index(f'<pre class="text" id="{name}">') + len(f'<pre class="text" id="{name}">')
    return html.unescape(page[start : page.index("</pre>", start)])


def kb_gaps_cli(kb_dir: Path, db: Path) -> str:
    """What `citizen-desk kb gaps` prints for this KB and database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_DESK_")}
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "kb", "gaps", "--kb", str(kb_dir), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )
    return run.stdout


async def test_the_gaps_page_shows_a_real_question_and_its_yaml(web: KbConsole) -> None:
    assert "没有找到可靠的答案" in await web.say(LICENCE)  # no match: logged as a gap
    async with web.client() as client:
        await login(client, "root")
        kb_page = await client.get("/admin/kb")
        assert 'href="/admin/kb/gaps"' in kb_page.text
        page = await client.get("/admin/kb/gaps")
    assert page.status_code == 200
    report = pre(page.text, "gaps-report")
    assert report.startswith("知识库缺口：1 组，共 1 个问题") and LICENCE in report
    db = web.console.ctx.settings.db_path
    assert isinstance(db, Path)
    assert report == kb_gaps_cli(web.kb_dir, db)  # the same text as the command line
    snippet = html.unescape(page.text.split('class="yaml">')[1].split("</textarea>")[0])
    (draft,) = yaml.safe_load(snippet)
    assert draft["questions"] == {"zh": [LICENCE]} and draft["answer"] == {
        "summary": {"zh": "TODO"}
    }


async def test_the_gaps_page_filters_and_refuses_a_bad_filter(web: KbConsole) -> None:
    await web.say(LICENCE)
    async with web.client() as client:
        await login(client, "root")
        await client.post(
            "/lang", data={"csrf": csrf_of((await client.get("/admin/kb")).text), "lang": "en"}
        )
        later = await client.get("/admin/kb/gaps", params={"since": "2999-01-01"})
        twice = await client.get("/admin/kb/gaps", params={"min": "2"})
        bad = await client.get("/admin/kb/gaps", params={"since": "yesterday"})
        zero = await client.get("/admin/kb/gaps", params={"min": "0"})
    assert pre(later.text, "gaps-report") == "No knowledge gaps found.\n"
    assert pre(twice.text, "gaps-report") == "No knowledge gaps found.\n"
    assert bad.status_code == zero.status_code == 400
    assert "The date must be YYYY-MM-DD" in bad.text and 'id="gaps-report"' not in bad.text


def synthetic_kb(path: Path, entries: int) -> None:
    """A YAML file of `entries` made-up entries: a KB whose matcher takes seconds to build."""
    import random

    chars = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
    pick = random.Random(1)
    lines = ["entries:"]
    for i in range(entries):
        qs = ["".join(pick.choice(chars) for _ in range(pick.randint(6, 14))) for _ in range(4)]
        lines += [
            f"  - id: synth-{i:04d}",
            f"    title: {{zh: {qs[0]}}}",
            f"    questions: {{zh: [{', '.join(qs)}]}}",
            f"    answer: {{summary: {{zh: {qs[1]}。}}}}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def test_a_reload_does_not_hold_up_other_console_pages(tmp_path: Path) -> None:
    """The new KB is built without the console's lock: a clerk's queue page is answered
    while an admin's reload is still building (before, it waited for the whole reload:
    1.4–1.8 s of a 1.5–1.9 s reload with this KB)."""
    kb_dir = write_kb(tmp_path / "kb", {"passport.yaml": PASSPORT})
    synthetic_kb(kb_dir / "synth.yaml", 3000)
    db = tmp_path / "db.sqlite3"
    async with Store.opened(db) as store, store.transaction():
        await AccountStore(store).save(Account("root", Role.ADMIN, None, "Root"), PASSWORD)
        await AccountStore(store).save(Account("clerk", Role.STAFF, None, "Clerk"), PASSWORD)
    settings = load_settings(environ={}, overrides={"db_path": db, "kb_dir": kb_dir})
    port = free_port()
    stop = asyncio.Event()
    server = asyncio.create_task(serve(settings, kb_dir, f"127.0.0.1:{port}", False, stop))
    base = f"http://127.0.0.1:{port}"
    try:
        async with (
            httpx.AsyncClient(base_url=base, timeout=60) as admin,
            httpx.AsyncClient(base_url=base, timeout=60) as clerk,
        ):
            for _ in range(600):
                try:
                    await login(admin, "root")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            await login(clerk, "clerk")
            write_kb(kb_dir, {"dogs.yaml": DOGS})
            page = await admin.get("/admin/kb")
            pressed = asyncio.create_task(
                admin.post("/admin/kb/reload", data={"csrf": csrf_of(page.text)})
            )
            await asyncio.sleep(0.05)  # the reload is loading and building
            queue = await clerk.get("/q/unassigned")
            assert queue.status_code == 200
            assert not pressed.done(), "the queue page waited for the reload"
            assert (await pressed).status_code == 303
            after = await admin.get("/admin/kb")
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)
    assert field(after.text, "entries") == "3002"  # swapped in, the console's desk with it
