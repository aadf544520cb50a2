"""`citizen-desk disclosure …`: staff actions on disclosure requests, through the same desk."""

from __future__ import annotations

import argparse
import datetime as dt

from bot.disclosure import written
from bot.disclosure.answers import WITHHELD_REASONS, Answer, Applicant
from bot.disclosure.desk import DELIVERY_FORMS, DELIVERY_WAYS, DisclosureDesk, DisclosureForm
from bot.disclosure.fees import fee
from bot.disclosure.receipt import Delivery
from bot.disclosure.table import REVIEW_KINDS, REVIEW_RESULTS
from bot.disclosure.views import detail, listing
from bot.errors import UsageError
from bot.messages import t
from bot.tickets.model import StaffMember
from bot.tickets.render import status_label
from bot.tickets.service import TicketDesk, TicketError
from bot.tickets.staff import normalize_number


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Register `disclosure` and its subcommands."""
    top = sub.add_parser("disclosure", help="政府信息公开 requests (依申请公开)", parents=[common])
    d_sub = top.add_subparsers(dest="disclosure_command", metavar="DISCLOSURE_COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = d_sub.add_parser(name, help=help_text, parents=[common])
        for action in parser._actions:
            if action.dest in ("db", "kb", "actor"):
                action.default = argparse.SUPPRESS
        return parser

    command("list", "open requests with their statutory dates (personal data masked)")
    record = command("record", "an oral or paper request written up by staff (Arts. 29, 31)")
    record.add_argument("--applicant", choices=[a.value for a in Applicant], required=True)
    record.add_argument("--name", required=True)
    record.add_argument("--id", dest="id_number", required=True, help="ID or registration no.")
    record.add_argument("--contact", required=True)
    record.add_argument("--form", choices=DELIVERY_FORMS, required=True, help="delivery form")
    record.add_argument("--way", choices=DELIVERY_WAYS, required=True, help="delivery way")
    record.add_argument("--purpose", default=None)
    record.add_argument(
        "--via",
        choices=[d.value for d in Delivery if d is not Delivery.CHAT],
        default=Delivery.IN_PERSON.value,
        help="how it came: in_person (oral included, the default), post, letter, online",
    )
    record.add_argument(
        "--on",
        type=dt.date.fromisoformat,
        default=None,
        help="the day that counts under Art. 31 (handed in / signed for / confirmed); today",
    )
    record.add_argument("--chat", default=None, help="the applicant's chat account (tg:ID)")
    record.add_argument("description", nargs="+")
    fee = command("fee", "信息处理费 per 国办函〔2020〕109号 (charged only beyond the free amount)")
    scale = fee.add_mutually_exclusive_group(required=True)
    scale.add_argument("--nth", type=int, help="the applicant's Nth request this calendar month")
    scale.add_argument("--pages", type=int, help="pages supplied for this request")
    show = command("show", "one request with the applicant's details")
    show.add_argument("number")
    correct = command("correct", "the one-time 补正 notice (Art. 30)")
    correct.add_argument("number")
    correct.add_argument("what", nargs="+")
    correct.add_argument("--days", type=int, default=None, help="working days to correct")
    corrected = command("corrected", "record a correction received outside the chat")
    corrected.add_argument("number")
    corrected.add_argument("text", nargs="+")
    extend = command("extend", "the one extension, up to 20 working days (supervisor, Art. 33)")
    extend.add_argument("number")
    extend.add_argument("days", type=int)
    extend.add_argument("reason", nargs="+")
    consult = command("consult", "start a third-party consultation (Art. 32)")
    consult.add_argument("number")
    consult.add_argument("party", nargs="+")
    consult_end = command("consult-end", "end the third-party consultation")
    consult_end.add_argument("number")
    consult_end.add_argument("note", nargs="*")
    answer = command("answer", "answer with an answer type (Arts. 36, 37, 39)")
    answer.add_argument("number")
    answer.add_argument("type", choices=[a.value for a in Answer])
    answer.add_argument("detail", nargs="*", help="where / which office / the information")
    answer.add_argument("--reason", choices=WITHHELD_REASONS, default=None)
    review = command("review", "section 四: reconsideration and lawsuit counts")
    r_sub = review.add_subparsers(dest="review_command", metavar="REVIEW_COMMAND")
    add = r_sub.add_parser("add", help="add counts decided outside the desk", parents=[common])
    for action in add._actions:
        if action.dest in ("db", "kb", "actor"):
            action.default = argparse.SUPPRESS
    add.add_argument("--year", type=int, required=True)
    add.add_argument("kind", choices=REVIEW_KINDS)
    add.add_argument("result", choices=REVIEW_RESULTS)
    add.add_argument("count", type=int)
    add.add_argument("note", nargs="*")


async def run(desk: TicketDesk, actor: StaffMember, args: argparse.Namespace) -> str:
    """One `disclosure` subcommand inside the caller's transaction."""
    disclosure = DisclosureDesk(desk)
    command = args.disclosure_command
    if command == "list":
        return await listing(disclosure)
    if command == "review":
        if args.review_command != "add":
            raise TicketError("disclosure_bad_review")
        await disclosure.add_review(
            actor, args.year, args.kind, args.result, args.count, " ".join(args.note)
        )
        return f"{args.year} {args.kind} {args.result} +{args.count}"
    if command == "fee":
        return _fee(args.nth, args.pages)
    if command == "record":
        return await _record(disclosure, actor, args)
    number = normalize_number(args.number)
    if command == "show":
        return await detail(disclosure, number)
    operations = {
        "correct": lambda: disclosure.request_correction(
            actor, number, " ".join(args.what), args.days
        ),
        "corrected": lambda: disclosure.record_correction(actor.key, number, " ".join(args.text)),
        "extend": lambda: disclosure.extend(actor, number, args.days, " ".join(args.reason)),
        "consult": lambda: disclosure.start_consultation(actor, number, " ".join(args.party)),
        "consult-end": lambda: disclosure.end_consultation(actor, number, " ".join(args.note)),
        "answer": lambda: disclosure.answer(
            actor, number, Answer(args.type), " ".join(args.detail), args.reason
        ),
    }
    if command not in operations:
        raise UsageError("disclosure: choose list, record, show, correct, extend, answer, …")
    ticket = await operations[command]()
    return f"{ticket.number}: {status_label(ticket, 'en')}, due {ticket.deadline.isoformat()}"


def _fee(nth: int | None, pages: int | None) -> str:
    """The fee by one scale; the free amount says so."""
    try:
        yuan, scale = fee(nth or 1, pages)
    except ValueError as exc:
        raise UsageError(f"fee: {exc}") from exc
    if not yuan:
        return "free (within the free amount)"
    return f"{yuan} yuan (by {scale}, 国办函〔2020〕109号)"


#: The option of each field of the form, for the refusals.
_OPTIONS = {
    "name": "--name",
    "id_number": "--id",
    "contact": "--contact",
    "description": "description",
    "delivery_form": "--form",
    "delivery_way": "--way",
    "via": "--via",
    "chat": "--chat",
}


async def _record(disclosure: DisclosureDesk, actor: StaffMember, args: argparse.Namespace) -> str:
    """File a request staff wrote up; it counts from the day given (default today)."""
    form = DisclosureForm(
        Applicant(args.applicant),
        args.name,
        args.id_number,
        args.contact,
        " ".join(args.description),
        args.form,
        args.way,
        args.purpose,
    )
    try:
        ticket = await written.record(disclosure, actor, form, args.via, args.on, args.chat)
    except written.RecordError as exc:
        refusals = "; ".join(f"{_OPTIONS[f]}: {t(k, 'en')}" for f, k in exc.problems.items())
        raise UsageError(f"record: {refusals}") from exc
    request = await disclosure.request_of(ticket)
    assert request is not None
    received = request.clock.received.isoformat()
    return f"{ticket.number}: received {received}, due {ticket.deadline.isoformat()}"
