"""The console refuses: wrong passwords, no or expired sessions, missing CSRF, wrong roles."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.knowledge.model import KnowledgeBase
from bot.tickets.model import Action, Role, Status
from bot.web import accounts
from bot.web.context import FAILS_PER_ACCOUNT, FAILS_PER_ADDRESS, SESSION_TTL
from bot.web.security import CSP
from tests.web_env import CITIZEN, PASSWORD, Console, console, form_values, login

PHONE = "13812345678"


@pytest.fixture
async def web(tmp_path: Path, sample_kb: KnowledgeBase) -> AsyncIterator[Console]:
    async with console(tmp_path / "db.sqlite3", sample_kb) as c:
        await c.account("clerk", Role.STAFF)
        await c.account("boss", Role.SUPERVISOR)
        yield c


# -- logging in ----------------------------------------------------------------------------


async def test_right_password_opens_a_session_with_a_strict_httponly_cookie(web: Console) -> None:
    async with web.client() as client:
        response = await login(client, "clerk")
        assert response.status_code == 303
        cookie = response.headers["set-cookie"]
        assert "cd_session=" in cookie and "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
        page = await client.get("/q/unassigned")
        assert page.status_code == 200
        assert "待派单" in page.text and "Clerk" in page.text
    stored = await web.scalar("SELECT token_hash FROM web_sessions")
    assert stored and stored not in cookie  # only a hash of the cookie is kept


async def test_wrong_password_is_refused_and_opens_no_session(web: Console) -> None:
    async with web.client() as client:
        response = await login(client, "clerk", "not the password")
        assert response.status_code == 401
        assert "账号或密码不正确" in response.text
        assert "cd_session" not in response.headers.get("set-cookie", "")
        assert (await client.get("/q/unassigned")).headers["location"] == "/login"
    assert await web.scalar("SELECT COUNT(*) FROM web_sessions") == 0


async def test_passwords_are_stored_as_argon2_hashes(web: Console) -> None:
    stored = await web.scalar("SELECT password_hash FROM web_accounts WHERE login = 'clerk'")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_importing_the_accounts_module_makes_no_hash() -> None:
    code = "import bot.web.accounts as a; print(a._dummy_hash.cache_info().currsize)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0"


@pytest.mark.parametrize("first", ["nobody", "clerk"])
async def test_the_first_login_checked_makes_the_unknown_logins_hash(
    web: Console, first: str
) -> None:
    accounts._dummy_hash.cache_clear()
    store = accounts.AccountStore(web.store)
    # known or not, the first check pays for the hash, so it tells nothing either
    assert await store.verify(first, "not the password") is None
    assert accounts._dummy_hash.cache_info().currsize == 1
    made = accounts._dummy_hash()
    assert made.startswith("$argon2id$")
    assert accounts._HASHER.check_needs_rehash(made) is False  # the parameters of real hashes
    assert await store.verify("nobody", "not the password") is None
    assert accounts._dummy_hash() == made  # made once per process


async def test_failed_logins_lock_the_account_even_for_the_right_password(web: Console) -> None:
    async with web.client() as client:
        for _ in range(FAILS_PER_ACCOUNT):
            assert (await login(client, "clerk", "guess")).status_code == 401
        locked = await login(client, "clerk")
        assert locked.status_code == 429 and "15" in locked.text
    async with web.client("10.0.0.2") as other:  # from another address, the account is locked
        assert (await login(other, "clerk")).status_code == 429
    web.clock.advance(minutes=16)
    async with web.client() as client:
        assert (await login(client, "clerk")).status_code == 303


async def test_failed_logins_lock_the_address_across_accounts(web: Console) -> None:
    async with web.client("10.9.9.9") as client:
        for i in range(FAILS_PER_ADDRESS):
            assert (await login(client, f"nobody{i}", "guess")).status_code == 401
        assert (await login(client, "boss")).status_code == 429
    async with web.client("10.0.0.3") as elsewhere:
        assert (await login(elsewhere, "boss")).status_code == 303


async def test_login_without_its_csrf_token_is_refused(web: Console) -> None:
    async with web.client() as client:
        response = await client.post("/login", data={"login": "clerk", "password": PASSWORD})
        assert response.status_code == 403
        assert "cd_session" not in response.headers.get("set-cookie", "")


# -- sessions ------------------------------------------------------------------------------


async def test_no_session_gets_the_login_page_or_401(web: Console) -> None:
    ticket = await web.file()
    async with web.client() as client:
        for path in ("/", "/q/all", f"/t/{ticket.number}"):
            response = await client.get(path)
            assert response.status_code == 303 and response.headers["location"] == "/login"
        refused = await client.post(f"/t/{ticket.number}/claim", data={"csrf": "x"})
        assert refused.status_code == 401
    assert (await web.ticket(ticket.number)).status is Status.RECEIVED


async def test_a_forged_cookie_is_no_session(web: Console) -> None:
    async with web.client() as client:
        client.cookies.set("cd_session", "forged-value")
        assert (await client.get("/q/all")).status_code == 303


async def test_an_expired_session_is_closed(web: Console) -> None:
    async with web.client() as client:
        await login(client, "clerk")
        assert (await client.get("/q/all")).status_code == 200
        web.clock.advance(seconds=SESSION_TTL + 1)
        response = await client.get("/q/all")
        assert response.status_code == 303 and response.headers["location"] == "/login"
    assert await web.scalar("SELECT COUNT(*) FROM web_sessions") == 0


async def test_logout_ends_the_session_on_the_server(web: Console) -> None:
    async with web.client() as client:
        await login(client, "clerk")
        page = await client.get("/q/all")
        from tests.web_env import csrf_of

        cookie = client.cookies.get("cd_session")
        assert (await client.post("/logout", data={"csrf": csrf_of(page.text)})).status_code == 303
    async with web.client() as replay:  # the old cookie, replayed, is dead
        replay.cookies.set("cd_session", cookie or "")
        assert (await replay.get("/q/all")).status_code == 303


# -- CSRF ----------------------------------------------------------------------------------


async def test_a_post_without_the_csrf_token_changes_nothing(web: Console) -> None:
    ticket = await web.file()
    async with web.client() as client:
        await login(client, "clerk")
        values = await form_values(client, ticket.number)
        missing = await client.post(
            f"/t/{ticket.number}/claim", data={"version": values["version"]}
        )
        assert missing.status_code == 403
        wrong = await client.post(
            f"/t/{ticket.number}/claim", data={"version": values["version"], "csrf": "nope"}
        )
        assert wrong.status_code == 403
        foreign = await client.post(
            f"/t/{ticket.number}/claim", data=values, headers={"origin": "http://evil.test"}
        )
        assert foreign.status_code == 403
    assert (await web.ticket(ticket.number)).status is Status.RECEIVED
    # and with the token, from our own page, it works
    async with web.client() as client:
        await login(client, "clerk")
        values = await form_values(client, ticket.number)
        assert (await client.post(f"/t/{ticket.number}/claim", data=values)).status_code == 303
    assert (await web.ticket(ticket.number)).assignee == "web:clerk"


# -- roles ---------------------------------------------------------------------------------


async def test_staff_cannot_extend_or_reveal(web: Console) -> None:
    ticket = await web.file("conduct", phone=PHONE, description="某村干部办事收好处费")
    assert ticket.is_report
    async with web.client() as client:
        await login(client, "clerk")
        values = await form_values(client, ticket.number)
        page = await client.get(f"/t/{ticket.number}")
        assert PHONE not in page.text and CITIZEN not in page.text
        assert "action-extend" not in page.text and "action-reveal" not in page.text
        extend = await client.post(
            f"/t/{ticket.number}/extend", data={**values, "days": "5", "text": "需要现场核查"}
        )
        assert extend.status_code == 403
        reveal = await client.post(f"/t/{ticket.number}/reveal", data=values)
        assert reveal.status_code == 403 and PHONE not in reveal.text
    after = await web.ticket(ticket.number)
    assert after.deadline == ticket.deadline and not after.extended
    events = [e.action for e in await web.desk.timeline(after, public_only=False)]
    assert Action.REVEAL not in events and Action.EXTEND not in events


async def reveals(web: Console, number: str) -> list[tuple[str, bool]]:
    """(actor, public) of the ticket's reveal lines."""
    ticket = await web.ticket(number)
    events = await web.desk.timeline(ticket, public_only=False)
    return [(e.actor, e.public) for e in events if e.action is Action.REVEAL]


async def test_a_supervisor_reveals_a_reporter_and_it_is_audited(web: Console) -> None:
    ticket = await web.file("conduct", phone=PHONE, description="某村干部办事收好处费")
    async with web.client() as client:
        await login(client, "boss")
        values = await form_values(client, ticket.number)
        page = await client.get(f"/t/{ticket.number}")
        assert PHONE not in page.text  # not until revealed
        revealed = await client.post(f"/t/{ticket.number}/reveal", data=values)
        assert revealed.status_code == 303 and PHONE not in revealed.text
        where = revealed.headers["location"]
        assert re.fullmatch(rf"/t/{ticket.number}\?reveal=\d+#contact", where)
        assert await reveals(web, ticket.number) == [("web:boss", False)]
        for _ in range(3):  # reloading shows it again and records nothing new
            shown = await client.get(where)
            assert shown.status_code == 200 and PHONE in shown.text and CITIZEN in shown.text
            assert shown.headers["cache-control"] == "no-store"
        assert await reveals(web, ticket.number) == [("web:boss", False)]
        assert PHONE not in (await client.get(f"/t/{ticket.number}")).text  # not kept open
        web.clock.advance(minutes=9)
        assert PHONE in (await client.get(where)).text
        web.clock.advance(minutes=2)  # 11 minutes after the reveal
        late = await client.get(where)
        assert late.status_code == 200 and PHONE not in late.text and CITIZEN not in late.text
        assert "10 分钟内有效" in late.text.split('id="notice"')[1]
        again = await client.post(
            f"/t/{ticket.number}/reveal", data=await form_values(client, ticket.number)
        )
        assert again.status_code == 303 and again.headers["location"] != where
        assert PHONE in (await client.get(again.headers["location"])).text
    assert await reveals(web, ticket.number) == [("web:boss", False), ("web:boss", False)]


async def test_a_reveal_link_shows_nobody_else_the_reporter(web: Console) -> None:
    await web.account("chief", Role.SUPERVISOR)
    ticket = await web.file("conduct", phone=PHONE, description="某村干部办事收好处费")
    other = await web.file("conduct", phone="13900001111", description="某站所乱收费")
    async with web.client() as boss:
        await login(boss, "boss")
        values = await form_values(boss, ticket.number)
        where = (await boss.post(f"/t/{ticket.number}/reveal", data=values)).headers["location"]
        event = where.split("reveal=")[1].split("#")[0]
        assert PHONE in (await boss.get(where)).text
        # the event id on another ticket, a made-up one, a bad one: nothing shown
        for path in (
            f"/t/{other.number}?reveal={event}",
            f"/t/{ticket.number}?reveal={int(event) + 1}",
            f"/t/{ticket.number}?reveal=1",
            f"/t/{ticket.number}?reveal=abc",
            f"/t/{ticket.number}?reveal=",
            f"/t/{ticket.number}?reveal=99999999999999999999999",
        ):
            page = await boss.get(path)
            assert page.status_code == 200, path
            assert PHONE not in page.text and "13900001111" not in page.text, path
            assert 'id="notice"' in page.text, path
    for who in ("chief", "clerk"):  # another supervisor, a clerk: the same link shows nothing
        async with web.client() as client:
            await login(client, who)
            page = await client.get(where)
            assert page.status_code == 200 and PHONE not in page.text and CITIZEN not in page.text
            assert 'id="notice"' in page.text
    async with web.client() as client:  # no session: the login page
        assert (await client.get(where)).headers["location"] == "/login"
    assert await reveals(web, ticket.number) == [("web:boss", False)]
    assert await reveals(web, other.number) == []


# -- URLs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/t/TS-2026-000001'%20OR%20'1'='1",
        "/t/TS-2099-999999",
        "/t/1",
        "/t/%2e%2e%2fetc%2fpasswd",
        "/t/TS-2026-0000019",
        "/q/everything",
    ],
)
async def test_a_crafted_ticket_number_or_queue_is_not_found(web: Console, path: str) -> None:
    await web.file()
    async with web.client() as client:
        await login(client, "clerk")
        response = await client.get(path)
        assert response.status_code == 404
        assert "没有找到" in response.text


async def test_a_crafted_action_is_not_found_and_changes_nothing(web: Console) -> None:
    ticket = await web.file()
    async with web.client() as client:
        await login(client, "clerk")
        values = await form_values(client, ticket.number)
        for path in (f"/t/{ticket.number}/delete", f"/t/{ticket.number}/rate"):
            assert (await client.post(path, data=values)).status_code == 404
    assert await web.scalar("SELECT COUNT(*) FROM ticket_events") == 1


async def test_a_citizen_never_reaches_the_console(web: Console) -> None:
    """A citizen has no console account: their channel id is no login, and nothing is open."""
    ticket = await web.file()
    async with web.client() as client:
        for name in (CITIZEN, CITIZEN.removeprefix("tg:"), ticket.citizen):
            assert (await login(client, name, PASSWORD)).status_code == 401
        assert (await client.get(f"/t/{ticket.number}")).status_code == 303
        assert (await client.get("/q/all/rows")).status_code == 303


# -- headers -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/static/console.css", "/q/all"])
async def test_security_headers_on_every_response(web: Console, path: str) -> None:
    async with web.client() as client:
        response = await client.get(path)
    assert response.headers["content-security-policy"] == CSP
    assert "unsafe-inline" not in CSP and "script-src 'self'" in CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_pages_have_no_inline_script(web: Console) -> None:
    ticket = await web.file()
    async with web.client() as client:
        await login(client, "boss")
        for path in ("/login", "/q/all", f"/t/{ticket.number}"):
            html = (await client.get(path)).text
            assert "<script>" not in html and " on" + "click=" not in html
            assert '<script src="/static/htmx.min.js"' in html
