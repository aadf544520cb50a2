"""Bulk assign and transfer on a queue's ticked tickets, over HTTP on a real database."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.knowledge.model import KnowledgeBase
from bot.tickets.model import Action, Role, Status, Ticket
from bot.web.routes_bulk import BULK_MAX
from tests.web_env import Console, console, csrf_of, form_values, login


@pytest.fixture
async def web(tmp_path: Path, sample_kb: KnowledgeBase) -> AsyncIterator[Console]:
    async with console(tmp_path / "db.sqlite3", sample_kb) as c:
        await c.account("clerk", Role.STAFF)
        await c.account("clerk2", Role.STAFF, "construction")
        await c.account("boss", Role.SUPERVISOR)
        yield c


async def bulk(
    client: httpx.AsyncClient, action: str, target: str, ids: list[str], csrf: bool = True
) -> httpx.Response:
    """Tick `ids` on the unassigned queue and send its bulk form."""
    page = await client.get("/q/unassigned")
    assert page.status_code == 200
    data: dict[str, str | list[str]] = {"action": action, "target": target, "ticket": ids}
    data["version"] = version_of(page.text)  # as the browser sends it
    if csrf:
        data["csrf"] = csrf_of(page.text.split('id="bulk"', 1)[1])
    return await client.post("/q/unassigned/bulk", data=data)


def version_of(page: str) -> str:
    """The change the queue page had seen, which its bulk form sends."""
    return page.split('name="version" value="', 1)[1].split('"', 1)[0]


async def actions_of(web: Console, ticket: Ticket, action: Action) -> int:
    """Audit lines of `action` on `ticket`."""
    events = await web.desk.timeline(ticket, public_only=False)
    return sum(e.action is action for e in events)


async def test_the_queue_has_a_checkbox_per_row_and_a_plain_bulk_form(web: Console) -> None:
    tickets = [await web.file() for _ in range(2)]
    async with web.client() as client:
        await login(client, "clerk")
        page = (await client.get("/q/unassigned")).text
    assert '<form method="post" action="/q/unassigned/bulk" class="bulk" id="bulk">' in page
    for ticket in tickets:
        assert f'name="ticket" value="{ticket.id}" form="bulk"' in page
    assert '<option value="clerk2">Clerk2</option>' in page
    assert '<option value="construction">' in page


async def test_bulk_assign_of_three_gives_three_audit_lines_and_notices(web: Console) -> None:
    tickets = [await web.file() for _ in range(3)]
    async with web.client() as client:
        await login(client, "boss")
        result = await bulk(client, "assign", "clerk2", [str(x.id) for x in tickets])
    assert result.status_code == 200, result.text
    assert "已完成 3 件，未办理 0 件。" in result.text
    for ticket in tickets:
        after = await web.ticket(ticket.number)
        assert after.assignee == "web:clerk2" and after.department == "construction"
        assert after.status is Status.ASSIGNED
        assert await actions_of(web, after, Action.ASSIGN) == 1
    actors = await web.scalar(
        "SELECT COUNT(*) FROM ticket_events WHERE action = 'assign' AND actor = 'web:boss'"
    )
    assert actors == 3


async def test_a_closed_ticket_is_refused_and_the_others_are_done(web: Console) -> None:
    first, closed, last = [await web.file() for _ in range(3)]
    async with web.store.transaction():
        boss = await web.ctx.accounts.get("boss")
        assert boss is not None
        await web.desk.reject(boss.member, closed.number, "不属于本中心受理范围")
    async with web.client() as client:
        await login(client, "boss")
        result = await bulk(
            client, "transfer", "agriculture", [str(first.id), str(closed.id), str(last.id)]
        )
    assert result.status_code == 200, result.text
    assert "已完成 2 件，未办理 1 件。" in result.text
    assert f"工单 {closed.number} 已结束" in result.text
    assert first.number not in result.text and last.number not in result.text
    for ticket in (first, last):
        after = await web.ticket(ticket.number)
        assert (
            after.department == "agriculture" and await actions_of(web, after, Action.TRANSFER) == 1
        )
    after = await web.ticket(closed.number)
    assert after.status is Status.REJECTED and await actions_of(web, after, Action.TRANSFER) == 0


async def test_the_result_is_in_english_for_an_english_session(web: Console) -> None:
    ticket = await web.file()
    async with web.client() as client:
        await login(client, "boss")
        home = await client.get("/q/unassigned")
        await client.post("/lang", data={"csrf": csrf_of(home.text), "lang": "en", "back": "/"})
        result = await bulk(client, "assign", "clerk2", [str(ticket.id), "999999"])
    assert "1 done, 1 refused." in result.text
    assert "Not a ticket id this console gave; ignored." in result.text


async def test_a_bulk_post_without_its_csrf_token_changes_nothing(web: Console) -> None:
    tickets = [await web.file() for _ in range(2)]
    async with web.client() as client:
        await login(client, "boss")
        refused = await bulk(client, "assign", "clerk2", [str(x.id) for x in tickets], csrf=False)
        forged = await client.post(
            "/q/unassigned/bulk",
            data={
                "csrf": "nope",
                "action": "assign",
                "target": "clerk2",
                "ticket": [str(tickets[0].id)],
            },
        )
    assert refused.status_code == 403 and forged.status_code == 403
    for ticket in tickets:
        after = await web.ticket(ticket.number)
        assert after.assignee is None and await actions_of(web, after, Action.ASSIGN) == 0


@pytest.mark.parametrize("forged", ["²", "1" * 30, "-1", "0", "1e3", " 1", "①"])
async def test_a_forged_id_is_a_polite_refusal_and_the_real_ones_are_done(
    web: Console, forged: str
) -> None:
    ticket = await web.file()
    async with web.client() as client:
        await login(client, "boss")
        result = await bulk(client, "assign", "clerk2", [forged, str(ticket.id)])
    assert result.status_code == 200, result.text
    assert "已完成 1 件，未办理 1 件。" in result.text
    assert "无法识别的工单编号，已忽略。" in result.text
    assert html.escape(forged[:30]) in result.text
    assert (await web.ticket(ticket.number)).assignee == "web:clerk2"


async def test_a_staff_member_cannot_move_a_colleagues_ticket_alone_or_in_bulk(
    web: Console,
) -> None:
    held, free = await web.file(), await web.file()
    async with web.client() as colleague:
        await login(colleague, "clerk2")
        claimed = await colleague.post(
            f"/t/{held.number}/claim", data=await form_values(colleague, held.number)
        )
        assert claimed.status_code == 303
    async with web.client() as client:
        await login(client, "clerk")
        result = await bulk(client, "transfer", "agriculture", [str(held.id), str(free.id)])
        values = await form_values(client, held.number)
        single = await client.post(
            f"/t/{held.number}/transfer", data={**values, "dept": "agriculture"}
        )
    assert result.status_code == 200, result.text
    assert "已完成 1 件，未办理 1 件。" in result.text
    assert f"工单 {held.number} 已由 Clerk2 办理" in result.text  # by name, not key
    assert single.status_code == 403 and "改派同事的工单需由主管操作" in single.text
    after = await web.ticket(held.number)
    assert after.assignee == "web:clerk2" and await actions_of(web, after, Action.TRANSFER) == 0
    assert (await web.ticket(free.number)).department == "agriculture"
    async with web.client() as client:
        await login(client, "boss")
        result = await bulk(client, "transfer", "agriculture", [str(held.id)])
    assert "已完成 1 件，未办理 0 件。" in result.text
    assert (await web.ticket(held.number)).department == "agriculture"


async def test_more_than_the_cap_is_refused_whole_with_a_clear_message(web: Console) -> None:
    ticket = await web.file()
    ids = [str(ticket.id), *(str(n) for n in range(100000, 100000 + BULK_MAX))]
    async with web.client() as client:
        await login(client, "boss")
        result = await bulk(client, "assign", "clerk2", ids)
        exactly = await bulk(client, "assign", "clerk2", ids[:BULK_MAX])
    assert result.status_code == 400
    assert f"一次最多处理 {BULK_MAX} 件工单（本次勾选了 {BULK_MAX + 1} 件）" in result.text
    assert exactly.status_code == 200 and "已完成 1 件" in exactly.text


@pytest.mark.parametrize(
    ("action", "target", "ids", "message"),
    [
        ("delete", "clerk2", ["1"], "未知的批量操作。"),
        ("assign", "nobody", ["1"], "所选的工作人员或部门不存在"),
        ("transfer", "nosuchdept", ["1"], "所选的工作人员或部门不存在"),
        ("assign", "clerk2", [], "请先勾选至少一件工单。"),
    ],
)
async def test_a_bad_action_target_or_empty_selection_changes_nothing(
    web: Console, action: str, target: str, ids: list[str], message: str
) -> None:
    ticket = await web.file()
    async with web.client() as client:
        await login(client, "boss")
        result = await bulk(client, action, target, [str(ticket.id)] if ids else [])
    assert result.status_code == 400 and message in result.text
    assert await actions_of(web, await web.ticket(ticket.number), Action.ASSIGN) == 0


async def test_a_ticket_changed_after_the_list_was_shown_is_left_alone(web: Console) -> None:
    """The single action's "changed meanwhile", kept in bulk: a colleague claimed one of the
    ticked tickets after the page was drawn, so the supervisor's bulk move skips it."""
    changed, untouched = await web.file(), await web.file()
    async with web.client() as client:
        await login(client, "boss")
        page = (await client.get("/q/unassigned")).text
        async with web.client() as colleague:
            await login(colleague, "clerk2")
            claimed = await colleague.post(
                f"/t/{changed.number}/claim", data=await form_values(colleague, changed.number)
            )
            assert claimed.status_code == 303
        data = {
            "csrf": csrf_of(page.split('id="bulk"', 1)[1]),
            "version": version_of(page),
            "action": "transfer",
            "target": "agriculture",
            "ticket": [str(changed.id), str(untouched.id)],
        }
        result = await client.post("/q/unassigned/bulk", data=data)
        again = await bulk(client, "transfer", "agriculture", [str(changed.id)])
    assert result.status_code == 200, result.text
    assert "已完成 1 件，未办理 1 件。" in result.text
    assert f"<b>{changed.number}</b>: 您打开列表后，该工单已被他人修改" in result.text
    assert (await web.ticket(untouched.number)).department == "agriculture"
    # A list drawn after the change moves it (a supervisor may move a colleague's ticket).
    assert "已完成 1 件，未办理 0 件。" in again.text
    assert (await web.ticket(changed.number)).department == "agriculture"


async def test_a_refresh_of_the_rows_keeps_the_ticks(web: Console) -> None:
    ticked, other = await web.file(), await web.file()
    async with web.client() as client:
        await login(client, "clerk")
        page = (await client.get("/q/unassigned")).text
        assert 'hx-include="[name=ticket]:checked"' in page  # the poll sends the ticks
        assert '<noscript><a href="/q/unassigned" class="refresh">刷新列表</a></noscript>' in page
        await web.file(description="新来的：桥面有坑")
        rows = await client.get("/q/unassigned/rows", params={"since": "0", "ticket": ticked.id})
    assert rows.status_code == 200
    assert f'value="{ticked.id}" form="bulk" aria-label="{ticked.number}" checked>' in rows.text
    assert f'value="{other.id}" form="bulk" aria-label="{other.number}">' in rows.text
    assert f'name="version" value="{version_of(rows.text)}"' in rows.text
    assert int(version_of(rows.text)) > int(version_of(page))  # the form's version moves too
