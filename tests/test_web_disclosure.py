"""A disclosure request in the web console: its clock, and every staff action over HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.disclosure.answers import Applicant
from bot.disclosure.desk import DisclosureDesk, DisclosureForm
from bot.disclosure.store import DisclosureRequest
from bot.knowledge.model import KnowledgeBase
from bot.tickets.model import Action, Role, Status, Ticket
from tests.web_env import CITIZEN, Console, console, form_values, login

CHAT = int(CITIZEN.removeprefix("tg:"))
ID_NUMBER = "110101199003071234"


@pytest.fixture
async def web(tmp_path: Path, sample_kb: KnowledgeBase) -> AsyncIterator[Console]:
    async with console(tmp_path / "db.sqlite3", sample_kb) as c:
        await c.account("clerk", Role.STAFF)
        await c.account("boss", Role.SUPERVISOR)
        yield c


async def filed(web: Console) -> Ticket:
    """A request sent in the chat on Monday 2026-03-02 (the console's clock)."""
    form = DisclosureForm(
        Applicant.NATURAL,
        "李四",
        ID_NUMBER,
        "lisi@example.org",
        "本镇2025年财政预算",
        "paper",
        "post",
    )
    async with web.store.transaction():
        return await DisclosureDesk(web.desk).file(CITIZEN, form)


async def request_of(web: Console, number: str) -> tuple[Ticket, DisclosureRequest]:
    ticket = await web.ticket(number)
    request = await DisclosureDesk(web.desk).request_of(ticket)
    assert request is not None
    return ticket, request


async def sent(web: Console) -> str:
    return "\n".join(json.loads(p).get("text", "") for p in await web.outbox_texts(CHAT))


def dates(page: str) -> dict[str, str]:
    """The statutory dates block: label → value."""
    block = page.split('id="disclosure-dates"')[1].split("</dl>")[0]
    return dict(re.findall(r"<dt>([^<]+)</dt><dd[^>]*>([^<]+)</dd>", block))


def form_of(page: str, action: str) -> str:
    return page.split(f'id="action-{action}"')[1].split("</form>")[0]


async def act(client: httpx.AsyncClient, number: str, action: str, **data: str) -> httpx.Response:
    values = await form_values(client, number)
    return await client.post(f"/t/{number}/{action}", data={**values, **data})


async def test_the_page_shows_the_clock_and_only_the_disclosure_actions(web: Console) -> None:
    ticket = await filed(web)
    async with web.client() as client:
        await login(client, "clerk")
        page = (await client.get(f"/t/{ticket.number}")).text
    shown = dates(page)
    assert shown["收到申请日（第三十一条）"] == "2026-03-02"
    assert shown["补正告知最后一日（第三十条）"] == "2026-03-11"  # 7 working days
    assert shown["答复期限（第三十三条）"] == "2026-03-30"  # 20 working days
    assert "lisi@example.org" in page and ID_NUMBER not in page and "110*************34" in page
    for offered in ("d-correct", "d-consult", "d-answer"):
        assert f'id="action-{offered}"' in page
    # The ticket actions a request does not take are not offered; a staff member has no
    # extension form.
    for absent in ("resolve", "reject", "merge", "extend", "d-extend", "d-corrected"):
        assert f'id="action-{absent}"' not in page
    assert "邮寄" in form_of(page, "d-answer")  # the delivery way the applicant chose


async def test_correction_consultation_extension_and_answer_through_the_desk(
    web: Console,
) -> None:
    ticket = await filed(web)
    number = ticket.number
    async with web.client() as clerk, web.client("10.0.0.2") as boss:
        await login(clerk, "clerk")
        await login(boss, "boss")

        # 补正 (Art. 30): what to correct is required, shown in place; nothing changes.
        empty = await act(clerk, number, "d-correct", text=" ", days="5")
        assert empty.status_code == 400 and "请填写此项" in form_of(empty.text, "d-correct")
        bad_days = await act(clerk, number, "d-correct", text="请写明年份", days="0")
        assert bad_days.status_code == 400
        assert "1到60" in form_of(bad_days.text, "d-correct")
        assert "请写明年份" in form_of(bad_days.text, "d-correct")  # the text is kept
        assert (await web.ticket(number)).status is Status.RECEIVED
        asked = await act(clerk, number, "d-correct", text="请写明预算科目", days="5")
        assert asked.status_code == 303, asked.text
        ticket, request = await request_of(web, number)
        assert ticket.status is Status.CORRECTION
        assert str(request.clock.correction_by) == "2026-03-09"  # 5 working days
        assert f"申请 {number} 需要补正" in await sent(web) and "请写明预算科目" in await sent(web)
        page = (await clerk.get(f"/t/{number}")).text
        assert dates(page)["补正期限"] == "2026-03-09"
        assert dates(page)["答复期限（第三十三条）"].startswith("暂停计算")
        assert 'id="action-d-correct"' not in page  # one notice only

        # The correction arrives on paper the next day: the 20 days start again.
        web.clock.advance(days=1)
        await login(clerk, "clerk")  # a session ends after a working day
        await login(boss, "boss")
        corrected = await act(clerk, number, "d-corrected", text="一般公共预算支出")
        assert corrected.status_code == 303, corrected.text
        ticket, request = await request_of(web, number)
        assert ticket.status is Status.CORRECTED and str(ticket.deadline) == "2026-03-31"
        assert "已收到申请" in await sent(web) and "2026-03-31" in await sent(web)

        # Third-party consultation (Art. 32): the clock stops; the answer waits for its end.
        consulted = await act(clerk, number, "d-consult", text="某建筑公司（涉及商业秘密）")
        assert consulted.status_code == 303
        assert "征求第三方意见" in await sent(web)
        page = (await clerk.get(f"/t/{number}")).text
        assert dates(page)["第三方答复期限"] == "2026-03-24"  # 15 working days
        assert 'id="action-d-answer"' not in page and 'id="action-d-consult-end"' in page
        early = await act(clerk, number, "d-answer", answer="disclosed")
        assert early.status_code == 400 and "仍在征求第三方意见" in early.text
        ended = await act(clerk, number, "d-consult-end", text="第三方不同意公开")
        assert ended.status_code == 303

        # Extension (Art. 33): a staff member is refused on the server, a supervisor's is told.
        before = await sent(web)
        refused = await act(clerk, number, "d-extend", days="10", text="需要汇总")
        assert refused.status_code == 403 and "只有督办负责人" in refused.text
        _, request = await request_of(web, number)
        assert request.clock.extension_days == 0 and await sent(web) == before
        too_long = await act(boss, number, "d-extend", days="25", text="需要汇总")
        assert too_long.status_code == 400 and "最长20个工作日" in form_of(
            too_long.text, "d-extend"
        )
        extended = await act(boss, number, "d-extend", days="10", text="需要汇总多个部门的数据")
        assert extended.status_code == 303, extended.text
        ticket, request = await request_of(web, number)
        assert request.clock.extension_days == 10 and ticket.extended
        assert str(ticket.deadline) == "2026-04-15"  # 03-31 + 10 working days (清明 04-06)
        assert "需要汇总多个部门的数据" in await sent(web)

        # The answer: not disclosed needs one of the eight reasons.
        no_reason = await act(clerk, number, "d-answer", answer="withheld", text="涉及商业秘密")
        assert no_reason.status_code == 400
        kept = form_of(no_reason.text, "d-answer")
        assert "不予公开须选择理由" in kept and '<option value="withheld" selected>' in kept
        answered = await act(
            clerk, number, "d-answer", answer="withheld", reason="third_party", text="涉及商业秘密"
        )
        assert answered.status_code == 303, answered.text
        ticket, request = await request_of(web, number)
        assert ticket.status is Status.CLOSED
        assert (request.answer, request.result_row) == ("withheld", "withheld.third_party")
        decision = (await sent(web)).split(f"申请 {number} 的答复：\n")[1]
        assert "第三方合法权益" in decision and "行政复议" in decision  # Art. 51
        page = (await clerk.get(f"/t/{number}")).text
        assert "不予公开 → 4.保护第三方合法权益" in page
        assert 'id="action-d-answer"' not in page and 'id="action-d-consult"' not in page

    events = await web.desk.timeline(ticket, public_only=False)
    assert [e.action for e in events] == [
        Action.FILE,
        Action.REQUEST_CORRECTION,
        Action.CORRECT,
        Action.CONSULT,
        Action.CONSULT_END,
        Action.EXTEND,
        Action.ANSWER,
    ]
    assert {e.actor for e in events[1:]} == {"web:clerk", "web:boss"}


async def test_a_post_without_the_csrf_token_changes_nothing(web: Console) -> None:
    ticket = await filed(web)
    async with web.client() as client:
        await login(client, "clerk")
        values = await form_values(client, ticket.number)
        forged = await client.post(
            f"/t/{ticket.number}/d-correct",
            data={"version": values["version"], "text": "请写明预算科目"},
        )
        assert forged.status_code == 403
    assert (await web.ticket(ticket.number)).status is Status.RECEIVED
    assert "请写明预算科目" not in await sent(web)


async def test_the_general_answer_is_refused_and_english_pages(web: Console) -> None:
    ticket = await filed(web)
    async with web.client() as client:
        await login(client, "clerk")
        resolved = await act(client, ticket.number, "resolve", text="已答复")
        assert resolved.status_code == 400 and "政府信息公开申请" in resolved.text
    assert (await web.ticket(ticket.number)).status is Status.RECEIVED
    async with web.client() as client:
        client.cookies.set("cd_lang", "en")  # the session's language is chosen at login
        await login(client, "clerk")
        english = (await client.get(f"/t/{ticket.number}")).text
    assert dates(english)["Answer due (Art. 33)"] == "2026-03-30"
    assert "Ask for a correction" in english and "Natural person" in english
