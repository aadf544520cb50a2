"""Issue 10, points 6–9: no citizen is left at a dead end (transcripts on a real database)."""

from __future__ import annotations

import io

from bot.channels.terminal import TerminalChat
from bot.dialogue import Incoming
from bot.messages import t
from bot.tickets.model import Status
from tests.test_tickets import CITIZEN, OTHER, STAFF, Env, actions_of, calendar, clock, env, text_of

__all__ = ["calendar", "clock", "env"]  # the fixtures, shared with test_tickets


async def answered_ticket(env: Env) -> int:
    ticket = await env.file()
    await env.do("resolve", STAFF, ticket.number, "已安排清理")
    return ticket.id


async def test_a_question_after_a_rating_is_answered_not_swallowed(env: Env) -> None:
    ticket_id = await answered_ticket(env)
    assert await env.go(CITIZEN, f"r:{ticket_id}:5") == []
    said = await env.say(CITIZEN, "残疾证怎么办")
    assert "残疾" in said and t("ticket_comment_thanks", "zh") not in said
    assert await env.desk.tickets.ratings(ticket_id) == [(1, 5, None)]
    # A real comment after the next rating is still recorded as one.
    other_id = await answered_ticket(env)
    await env.go(CITIZEN, f"r:{other_id}:5")
    assert t("ticket_comment_thanks", "zh") in await env.say(CITIZEN, "这次处理得很及时")


async def test_skip_after_a_rating_does_not_claim_a_comment(env: Env) -> None:
    ticket_id = await answered_ticket(env)
    await env.go(CITIZEN, f"r:{ticket_id}:4")
    assert await env.say(CITIZEN, "/skip") == t("ticket_comment_skipped", "zh")
    assert await env.desk.tickets.ratings(ticket_id) == [(1, 4, None)]


async def form_at_time_step(env: Env) -> None:
    await env.go(
        CITIZEN, "/complain", "fm:cat:environment", "村口的垃圾堆了一个星期没有人清理", "东村村口"
    )


async def test_typed_skip_label_skips_instead_of_being_stored(env: Env) -> None:
    await form_at_time_step(env)
    draft = await env.desk.tickets.get_draft(CITIZEN)
    assert draft is not None and draft.step == "time"
    await env.go(CITIZEN, "跳过")
    draft = await env.desk.tickets.get_draft(CITIZEN)
    assert draft is not None and draft.step != "time"
    assert draft.data.get("time") is None


async def test_skip_at_the_confirmation_step_says_it_cannot_be_skipped(env: Env) -> None:
    await form_at_time_step(env)
    await env.go(CITIZEN, "fm:skip", "fm:skip", "fm:skip")
    draft = await env.desk.tickets.get_draft(CITIZEN)
    assert draft is not None and draft.step == "confirm"
    replies = await env.go(CITIZEN, "/skip")
    said = text_of(replies)
    assert t("form_cannot_skip", "zh") in said and t("expired", "zh") not in said
    assert "fm:confirm:" + str(draft.data["id"]) in " ".join(actions_of(replies))


async def test_rating_someone_elses_ticket_shows_no_internal_id(env: Env) -> None:
    ticket_id = await answered_ticket(env)
    said = await env.say(OTHER, f"r:{ticket_id}:1")
    assert said == t("rating_not_yours", "zh") and str(ticket_id) not in said


async def test_progress_questions_go_to_status(env: Env) -> None:
    ticket = await env.file()
    for question in ("查一下进度", "进度", "我想查下进度", "俺反映的那个桥的事办得咋样了"):
        said = await env.say(CITIZEN, question)
        assert ticket.number in said, question


async def test_thumbs_down_and_none_of_these_lead_to_a_person_or_a_complaint(env: Env) -> None:
    for replies in (
        await env.send(Incoming(CITIZEN, action="f:dibao:n")),
        await env.go(CITIZEN, "都不是"),
        await env.send(Incoming(CITIZEN, action="n")),
    ):
        assert {"m:human", "m:complain"} <= set(actions_of(replies)), text_of(replies)


async def test_a_bare_number_is_not_logged_as_a_question(env: Env) -> None:
    before = await env.scalar("SELECT COUNT(*) FROM questions")
    for typed in ("7", "0"):
        said = await env.say(CITIZEN, typed)
        assert said.startswith(t("bare_number", "zh"))
    assert await env.scalar("SELECT COUNT(*) FROM questions") == before


async def test_terminal_out_of_range_choice_asks_again(env: Env) -> None:
    out = io.StringIO()
    chat = TerminalChat(env.dialogue, out=out, store=env.store, user=CITIZEN)
    await chat.handle_line("/start")
    count = len(chat.choices)
    await chat.handle_line("7")
    await chat.handle_line("0")
    assert out.getvalue().count(t("choose_number", "zh", numbers=f"1–{count}")) == 2
    assert await env.scalar("SELECT COUNT(*) FROM questions") == 0


async def test_help_lists_every_command(env: Env) -> None:
    said = await env.say(CITIZEN, "/help")
    for command in ("/status", "/complain", "/mydata", "/forget", "/cancel", "/skip", "/human"):
        assert command in said


async def test_status_shows_no_time_limit_on_a_closed_ticket(env: Env) -> None:
    ticket = await env.file()
    due = ticket.deadline.isoformat()
    assert due in await env.say(CITIZEN, "/status")  # open: the time limit is shown
    await env.do("resolve", STAFF, ticket.number, "已安排清理")
    await env.go(CITIZEN, f"r:{ticket.id}:5", "/skip")
    assert (await env.ticket(ticket.number)).status is Status.CLOSED
    assert due not in await env.say(CITIZEN, "/status")
    assert due not in await env.say(CITIZEN, f"/status {ticket.number}")
