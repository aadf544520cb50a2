"""The console's queues and ticket page, over HTTP on a real database."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.knowledge.model import KnowledgeBase
from bot.tickets.model import Action, Role, StaffMember, Status
from tests.web_env import CITIZEN, Console, console, form_values, login

CHAT = int(CITIZEN.removeprefix("tg:"))


@pytest.fixture
async def web(tmp_path: Path, sample_kb: KnowledgeBase) -> AsyncIterator[Console]:
    async with console(tmp_path / "db.sqlite3", sample_kb) as c:
        await c.account("clerk", Role.STAFF)
        await c.account("clerk2", Role.STAFF)
        await c.account("boss", Role.SUPERVISOR)
        yield c


def texts(payloads: list[str]) -> str:
    return "\n".join(json.loads(p).get("text", "") for p in payloads)


async def test_queues_show_counts_and_rows(web: Console) -> None:
    first = await web.file()
    second = await web.file("roads", description="路灯坏了三天", location="南街")
    async with web.client() as client:
        await login(client, "clerk")
        page = await client.get("/q/unassigned")
        assert first.number in page.text and second.number in page.text
        assert 'id="queue-unassigned"' in page.text
        assert "剩 " in page.text  # working days left
        values = await form_values(client, first.number)
        await client.post(f"/t/{first.number}/claim", data=values)
        mine = await client.get("/q/mine")
        assert first.number in mine.text and second.number not in mine.text
        unassigned = await client.get("/q/unassigned")
        assert first.number not in unassigned.text and second.number in unassigned.text


async def test_search_and_filters_narrow_the_list(web: Console) -> None:
    lamp = await web.file("roads", description="路灯坏了三天", location="南街")
    rubbish = await web.file()
    async with web.client() as client:
        await login(client, "clerk")
        found = await client.get("/q/all", params={"q": "路灯"})
        assert lamp.number in found.text and rubbish.number not in found.text
        by_place = await client.get("/q/all", params={"q": "东风村"})
        assert rubbish.number in by_place.text and lamp.number not in by_place.text
        by_number = await client.get("/q/all", params={"q": lamp.number})
        assert lamp.number in by_number.text and rubbish.number not in by_number.text
        typed = lamp.number.lower().replace("-", "", 1)  # ts2026-000001, as typed
        by_typed = await client.get("/q/all", params={"q": typed})
        assert lamp.number in by_typed.text and rubbish.number not in by_typed.text
        wildcard = await client.get("/q/all", params={"q": "%"})
        assert lamp.number not in wildcard.text  # LIKE wildcards are literal
        by_category = await client.get("/q/all", params={"category": "roads"})
        assert lamp.number in by_category.text and rubbish.number not in by_category.text
        by_date = await client.get("/q/all", params={"since": "2026-03-03"})
        assert lamp.number not in by_date.text


async def test_an_overdue_ticket_is_red_in_the_overdue_queue(web: Console) -> None:
    ticket = await web.file()
    web.clock.advance(days=30)
    async with web.client() as client:
        await login(client, "clerk")
        page = await client.get("/q/overdue")
        assert ticket.number in page.text
        assert 'class="overdue"' in page.text and "超期" in page.text


async def test_the_rows_reload_only_when_something_changed(web: Console) -> None:
    await web.file()
    async with web.client() as client:
        await login(client, "clerk")
        page = await client.get("/q/unassigned")
        marker = page.text.split("/q/unassigned/rows?since=")[1].split('"')[0]
        unchanged = await client.get(f"/q/unassigned/rows?since={marker}")
        assert unchanged.status_code == 204
        newer = await web.file(description="新来的工单：桥面有坑")
        changed = await client.get(f"/q/unassigned/rows?since={marker}")
        assert changed.status_code == 200 and newer.number in changed.text


def counts_of(html: str) -> dict[str, int]:
    """Each tab's count in a page or a poll's answer."""
    found = re.findall(r'id="queue-(\w+)">[^<]*<span class="count">(\d+)</span>', html)
    return {queue: int(n) for queue, n in found}


async def test_the_poll_refreshes_the_tab_counts_when_something_changed(web: Console) -> None:
    await web.file()
    async with web.client() as client:
        await login(client, "clerk")
        page = await client.get("/q/mine")
        before = counts_of(page.text)
        assert before["unassigned"] == 1 and before["all"] == 1 and before["mine"] == 0
        assert 'id="queues"' in page.text and "hx-swap-oob" not in page.text
        marker = page.text.split("/q/mine/rows?since=")[1].split('"')[0]
        assert (await client.get(f"/q/mine/rows?since={marker}")).status_code == 204
        await web.file(description="新来的工单：桥面有坑")
        polled = await client.get(f"/q/mine/rows?since={marker}")
        assert polled.status_code == 200
        # the rows first (the swap's target), then the tab bar swapped out of band
        assert polled.text.index('<tbody id="rows"') < polled.text.index('<nav class="queues"')
        assert '<nav class="queues" id="queues" hx-swap-oob="true">' in polled.text
        after = counts_of(polled.text)
        assert after == {**before, "unassigned": 2, "all": 2}
        assert 'class="current" id="queue-mine"' in polled.text  # still this tab
        # the poll's new marker: nothing changed since, no rows and no counts
        marker = polled.text.split("/q/mine/rows?since=")[1].split('"')[0]
        again = await client.get(f"/q/mine/rows?since={marker}")
        assert again.status_code == 204 and again.text == ""


async def test_claim_reply_resolve_reach_the_citizen_through_the_outbox(web: Console) -> None:
    ticket = await web.file()
    async with web.client() as client:
        await login(client, "clerk")
        for action, data in (
            ("claim", {}),
            ("reply", {"text": "已安排环卫人员今天下午清理"}),
            ("note", {"text": "内部：联系了村委会"}),
            ("resolve", {"text": "垃圾已清运，已增设垃圾桶"}),
        ):
            values = await form_values(client, ticket.number)
            response = await client.post(f"/t/{ticket.number}/{action}", data={**values, **data})
            assert response.status_code == 303, (action, response.text)
        page = await client.get(f"/t/{ticket.number}")
        assert "内部：联系了村委会" in page.text and 'class="internal"' in page.text
    after = await web.ticket(ticket.number)
    assert after.status is Status.ANSWERED and after.outcome == "垃圾已清运，已增设垃圾桶"
    sent = texts(await web.outbox_texts(CHAT))
    assert "已安排环卫人员今天下午清理" in sent and "垃圾已清运" in sent
    assert "联系了村委会" not in sent
    events = await web.desk.timeline(after, public_only=False)
    assert [e.action for e in events] == [
        Action.FILE,
        Action.CLAIM,
        Action.REPLY,
        Action.NOTE,
        Action.RESOLVE,
    ]
    assert {e.actor for e in events[1:]} == {"web:clerk"}


async def test_an_empty_reply_is_shown_in_place_and_changes_nothing(web: Console) -> None:
    ticket = await web.file()
    async with web.client() as client:
        await login(client, "clerk")
        values = await form_values(client, ticket.number)
        response = await client.post(f"/t/{ticket.number}/reply", data={**values, "text": "  "})
        assert response.status_code == 400
        form = response.text.split('id="action-reply"')[1].split("</form>")[0]
        assert "请填写此项" in form
    assert await web.scalar("SELECT COUNT(*) FROM ticket_events") == 1


async def test_two_clerks_at_once_the_second_is_told_and_keeps_the_text(web: Console) -> None:
    ticket = await web.file()
    async with web.client() as one, web.client("10.0.0.2") as two:
        await login(one, "clerk")
        await login(two, "clerk2")
        seen_by_one = await form_values(one, ticket.number)
        seen_by_two = await form_values(two, ticket.number)
        assert (await one.post(f"/t/{ticket.number}/claim", data=seen_by_one)).status_code == 303
        late = await two.post(
            f"/t/{ticket.number}/reply", data={**seen_by_two, "text": "我来回复：已经处理"}
        )
        assert late.status_code == 409
        assert "已被他人修改" in late.text and "我来回复：已经处理" in late.text
        # submitted again from the fresh page, it goes through
        fresh = await form_values(two, ticket.number)
        again = await two.post(
            f"/t/{ticket.number}/reply", data={**fresh, "text": "我来回复：已经处理"}
        )
        assert again.status_code == 303
    assert (await web.ticket(ticket.number)).status is Status.IN_PROGRESS


async def test_a_supervisor_extends_with_a_reason_and_the_citizen_is_told(web: Console) -> None:
    ticket = await web.file()
    async with web.client() as client:
        await login(client, "boss")
        values = await form_values(client, ticket.number)
        bad = await client.post(
            f"/t/{ticket.number}/extend", data={**values, "days": "500", "text": "核查"}
        )
        assert bad.status_code == 400
        ok = await client.post(
            f"/t/{ticket.number}/extend", data={**values, "days": "5", "text": "需要现场核查"}
        )
        assert ok.status_code == 303
    after = await web.ticket(ticket.number)
    assert after.extended and after.deadline > ticket.deadline
    assert "需要现场核查" in texts(await web.outbox_texts(CHAT))


async def test_transfer_reject_and_merge_go_through_the_desk(web: Console) -> None:
    first = await web.file()
    duplicate = await web.file(description="村口垃圾还是没人清理")
    wrong = await web.file(description="我想问问房价会不会涨")
    async with web.client() as client:
        await login(client, "clerk")
        values = await form_values(client, first.number)
        transfer = await client.post(
            f"/t/{first.number}/transfer", data={**values, "dept": "nosuchdept"}
        )
        assert transfer.status_code == 400
        values = await form_values(client, duplicate.number)
        merged = await client.post(
            f"/t/{duplicate.number}/merge", data={**values, "into": first.number}
        )
        assert merged.status_code == 303
        values = await form_values(client, wrong.number)
        rejected = await client.post(
            f"/t/{wrong.number}/reject", data={**values, "text": "不属于本中心受理范围"}
        )
        assert rejected.status_code == 303
    assert (await web.ticket(duplicate.number)).status is Status.MERGED
    assert (await web.ticket(wrong.number)).status is Status.REJECTED
    assert (await web.ticket(first.number)).department == first.department


async def test_english_pages(web: Console) -> None:
    async with web.client() as client:
        page = await client.get("/login?lang=en")
        assert "Staff login" in page.text


async def test_the_timeline_names_each_step_in_china_time(web: Console) -> None:
    ticket = await web.file()
    async with web.client() as client:
        await login(client, "clerk")
        await client.post(
            f"/t/{ticket.number}/claim", data=await form_values(client, ticket.number)
        )
        page = await client.get(f"/t/{ticket.number}")
        assert "2026-03-02 10:00" in page.text  # filed at 02:00 UTC
        assert "<b>受理</b>" in page.text and "<b>认领</b>" in page.text
        assert "<b>file</b>" not in page.text


async def test_people_are_shown_by_name_not_by_key(web: Console) -> None:
    """A console account reads as its name, a Telegram staff member as the name they were
    registered with; a key nobody named is shown as it is."""
    boss = StaffMember(0, Role.SUPERVISOR, login="boss")
    async with web.store.transaction():
        await web.desk.tickets.add_staff(StaffMember(777, Role.STAFF, None, "李明"))
    claimed = await web.file()
    telegram = await web.file("roads", description="路灯坏了三天", location="南街")
    stranger = await web.file("roads", description="井盖丢了", location="北街")
    async with web.store.transaction():
        await web.desk.assign(boss, telegram.number, None, "tg:777")
        await web.desk.assign(boss, stranger.number, None, "tg:888")
    async with web.client() as client:
        await login(client, "clerk")
        await client.post(
            f"/t/{claimed.number}/claim", data=await form_values(client, claimed.number)
        )
        rows = (await client.get("/q/all/rows")).text
        ticket = (await client.get(f"/t/{claimed.number}")).text
        export = (await client.get("/q/all/export.csv")).content.decode("utf-8-sig")
    cells = {line.split(",")[0]: line for line in export.splitlines()[1:]}
    for shown in (rows, cells[claimed.number]):
        assert "Clerk" in shown and "web:clerk" not in shown
    assert "李明" in rows and "李明" in cells[telegram.number] and "tg:777" not in rows
    assert "tg:888" in rows and "tg:888" in cells[stranger.number]
    assert '<span class="actor">Clerk</span>' in ticket and "web:clerk" not in ticket
