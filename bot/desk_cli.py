"""`citizen-desk staff|tickets|db …`: the desk's command line, on the same core and audit log."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bot.actions import identifier
from bot.config import Settings, load_settings
from bot.errors import KnowledgeError, UsageError
from bot.kbdir import choose_kb_dir
from bot.knowledge.loader import load_or_raise
from bot.messages import t
from bot.store import Store, TicketStore, backend
from bot.store.backend import DB_HELP, location
from bot.store.copying import TargetNotEmpty, copy_database
from bot.tickets.model import Role, StaffMember, Status, Ticket
from bot.tickets.render import staff_detail, status_label
from bot.tickets.service import TicketDesk, TicketError
from bot.tickets.staff import parse_number

#: What `tickets list --status` takes besides a status.
LIST_SCOPES = ("open", "all")
#: A mainland mobile number, perhaps with +86 (after spaces and dashes are dropped).
PHONE_RE = re.compile(r"^(\+?86)?1[3-9][0-9]{9}$")


def desk_actor(supervisor: bool) -> StaffMember:
    """The command line's own actor: staff powers, supervisor ones only when asked for."""
    try:
        operator = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        operator = str(os.getuid())
    role = Role.SUPERVISOR if supervisor else Role.STAFF
    return StaffMember(0, role, None, "desk", operator=operator)


def looks_like_phone(text: str) -> bool:
    """A phone number typed where a Telegram id or a name belongs."""
    return bool(PHONE_RE.match(re.sub(r"[\s-]", "", text)))


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `staff`, `tickets` and `db`."""
    db_option = argparse.ArgumentParser(add_help=False)
    db_option.add_argument("--db", type=location, default=None, help=DB_HELP)
    staff = sub.add_parser("staff", help="register staff and supervisors", parents=[db_option])
    staff_sub = staff.add_subparsers(dest="staff_command", metavar="STAFF_COMMAND")

    def staff_command(name: str, help_text: str) -> argparse.ArgumentParser:
        # --db may also come after the subcommand; given before, it is kept.
        parser = staff_sub.add_parser(
            name, help=help_text, description=help_text, parents=[db_option]
        )
        parser._actions[-1].default = argparse.SUPPRESS
        return parser

    add = staff_command("add", "add or update a staff member (a Telegram id) or a console login")
    add.add_argument(
        "user_id",
        help="the person's numeric Telegram user id (not a phone number), "
        "or a console login name (asks for its password)",
    )
    add.add_argument(
        "--role",
        choices=("staff", "supervisor", "admin"),
        default="staff",
        help=(
            "staff answers tickets; supervisor may also extend and reveal; "
            "admin is a console login (default: staff)"
        ),
    )
    add.add_argument(
        "--telegram", type=int, default=None, help="console login: the same person's Telegram id"
    )
    add.add_argument("--dept", default=None, help="department id, as in complaints.yaml")
    add.add_argument("--name", default=None, help="the person's name, shown masked in lists")
    remove = staff_command("remove", "remove a staff member")
    remove.add_argument("user_id", type=int, help="the staff member's Telegram user id")
    staff_command("list", "list staff (names masked)")
    passwd = staff_command(
        "passwd", "set a console login's password (prompt, or one line on stdin)"
    )
    passwd.add_argument("login", help="the console login name")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=location, default=None, help=DB_HELP)
    common.add_argument("--kb", type=Path, default=None, help="knowledge directory")
    common.add_argument(
        "--as",
        dest="actor",
        type=int,
        default=None,
        help="act as this registered staff member (Telegram user id); default: the desk, "
        "with staff powers, recorded in the audit log as desk:<your system user>",
    )
    common.add_argument(
        "--supervisor",
        action="store_true",
        default=False,
        help="act as the desk with supervisor powers (reveal, extend); audited",
    )
    tickets = sub.add_parser("tickets", help="work on tickets from the desk", parents=[common])
    t_sub = tickets.add_subparsers(dest="tickets_command", metavar="TICKETS_COMMAND")

    def ticket_command(name: str, help_text: str | None = None) -> argparse.ArgumentParser:
        # The options may also come after the subcommand; given before, they are kept.
        parser = t_sub.add_parser(name, help=help_text, description=help_text, parents=[common])
        for action in parser._actions:
            if action.dest in ("db", "kb", "actor", "supervisor"):
                action.default = argparse.SUPPRESS
        return parser

    number_help = "ticket number: TS-2026-000001, or this year's 000001 or 1"
    listing = ticket_command("list", "list tickets, newest first")
    listing.add_argument(
        "--status",
        default="open",
        help=f"open (default), all, or one status: {', '.join(s.value for s in Status)}",
    )
    listing.add_argument("--limit", type=int, default=50, help="at most this many (50)")
    show = ticket_command("show", "a ticket with its timeline (the contact masked)")
    show.add_argument("number", help=number_help)
    single = {
        "claim": "take a ticket yourself",
        "reveal": "show a report's contact (supervisor, --supervisor or --as; audited)",
        "kb": "turn an answered inquiry into a draft knowledge entry",
    }
    for name, help_text in single.items():
        ticket_command(name, help_text).add_argument("number", help=number_help)
    with_text = {
        "reply": ("send the citizen a reply", "the reply, sent to the citizen"),
        "resolve": ("give the outcome and ask for a rating", "the outcome, sent to the citizen"),
        "reject": ("refuse a ticket", "the reason and the right channel, sent to the citizen"),
        "note": ("add an internal note", "the note, never shown to the citizen"),
    }
    for name, (help_text, text_help) in with_text.items():
        p = ticket_command(name, help_text)
        p.add_argument("number", help=number_help)
        p.add_argument("text", nargs="+", help=text_help)
    moves = {
        "assign": "give a ticket to a department (first dispatch, or within it)",
        "transfer": "send a ticket on to another department (it was wrongly dispatched)",
    }
    for name, help_text in moves.items():
        p = ticket_command(name, help_text)
        p.add_argument("number", help=number_help)
        p.add_argument("dept", help="department id, as in complaints.yaml (e.g. construction)")
    merge = ticket_command("merge", "merge a duplicate into another ticket")
    merge.add_argument("number", help="the duplicate's ticket number")
    merge.add_argument("into", help="the ticket it duplicates")
    extend = ticket_command("extend", "extend the deadline once (supervisor)")
    extend.add_argument("number", help=number_help)
    extend.add_argument("days", type=int, help="working days to add")
    extend.add_argument("reason", nargs="+", help="why, kept in the audit log")
    ticket_command("scan", "run the deadline scan now (reminders, overdue, unrated)")

    from bot.disclosure.cli import add_parser as add_disclosure

    add_disclosure(sub, common)

    health = sub.add_parser(
        "health", help="check database, knowledge and outbox (exit 0 if healthy)"
    )
    health.add_argument("--db", type=location, default=None, help=DB_HELP)
    health.add_argument(
        "--max-backlog", type=int, default=1000, help="unhealthy above this outbox backlog"
    )

    db = sub.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="db_command", metavar="DB_COMMAND")
    migrate = db_sub.add_parser("migrate", help="apply pending migrations")
    backup = db_sub.add_parser("backup", help="online backup with SQLite's backup API")
    backup.add_argument("path", type=Path)
    for p in (migrate, backup):
        p.add_argument("--db", type=location, default=None, help=DB_HELP)
    copy = db_sub.add_parser(
        "copy", help="copy every table into an empty database (SQLite to PostgreSQL)"
    )
    copy.add_argument("--from", dest="source", type=location, required=True, help="source")
    copy.add_argument("--to", dest="target", type=location, required=True, help="empty target")


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(overrides={"db_path": getattr(args, "db", None)})


def run(args: argparse.Namespace) -> int | None:
    """Dispatch `staff`, `tickets` and `db`; None when the command is not one of them."""
    handlers: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
        "staff": _staff,
        "tickets": _tickets,
        "disclosure": _tickets,
        "db": _db,
        "health": _health,
    }
    handler = handlers.get(args.command)
    if handler is None:
        return None
    return asyncio.run(handler(args))


async def _staff(args: argparse.Namespace) -> int:
    settings = _settings(args)
    async with Store.opened(settings.db_path) as store:
        tickets = TicketStore(store)
        if args.staff_command == "passwd":
            from bot.web import accounts_cli

            print(await accounts_cli.passwd(store, args.login))
        elif args.staff_command == "add" and (
            looks_like_phone(args.user_id) or looks_like_phone(args.name or "")
        ):
            text = args.user_id if looks_like_phone(args.user_id) else args.name
            raise UsageError(t("desk_phone_not_id", "en", text=text))
        elif args.staff_command == "add" and args.user_id.lstrip("-").isdigit():
            user_id = identifier(args.user_id)  # refuses ², ①, -5, 0 and 20 digits
            if user_id is None:
                raise UsageError(t("desk_bad_user_id", "en", text=args.user_id))
            if args.role == "admin":
                raise UsageError("admin is a console role: give a login name, not a Telegram id")
            member = StaffMember(user_id, Role(args.role), args.dept, args.name)
            await tickets.add_staff(member)
            print(f"added {member.user_id} as {member.role.value}")
        elif args.staff_command == "add":
            from bot.web import accounts_cli

            print(
                await accounts_cli.add(
                    store, args.user_id, args.role, args.dept, args.name, args.telegram
                )
            )
        elif args.staff_command == "remove":
            if not await tickets.remove_staff(args.user_id):
                print(f"citizen-desk: no staff member {args.user_id}", file=sys.stderr)
                return 1
            print(f"removed {args.user_id}")
        else:
            for m in await tickets.staff():
                name = _mask_name(m.name)
                print(f"{m.user_id}\t{m.role.value}\t{m.dept or '-'}\t{name}")
    return 0


def _mask_name(name: str | None) -> str:
    """Names are masked in lists: 张三丰 → 张**."""
    if not name:
        return "-"
    return name[0] + "*" * (len(name) - 1)


async def _tickets(args: argparse.Namespace) -> int:
    settings = _settings(args)
    kb = load_or_raise(choose_kb_dir(getattr(args, "kb", None), settings.kb_dir).path).kb
    assert kb is not None
    command = getattr(args, "tickets_command", None)
    if args.command == "disclosure" and getattr(args, "disclosure_command", None) is None:
        raise UsageError("disclosure: choose list, record, show, correct, extend, answer, …")
    if args.command == "tickets" and command is None:
        raise UsageError("tickets: choose list, show, claim, reply, resolve, reject, …")
    async with Store.opened(settings.db_path, create=False) as store:
        desk = TicketDesk.from_settings(store, kb, settings)
        actor = desk_actor(getattr(args, "supervisor", False))
        actor_id = getattr(args, "actor", None)
        if actor_id is not None:
            member = await desk.tickets.staff_member(f"tg:{actor_id}")
            if member is None:
                raise UsageError(f"{actor_id} is not registered staff (citizen-desk staff add)")
            actor = member
        try:
            async with store.transaction():
                if args.command == "disclosure":
                    from bot.disclosure.cli import run as run_disclosure

                    print(await run_disclosure(desk, actor, args))
                else:
                    print(await _ticket_command(desk, actor, args))
        except TicketError as exc:
            print(f"citizen-desk: {t(exc.key, 'en', **exc.values)}", file=sys.stderr)
            return 1
    return 0


async def _ticket_command(desk: TicketDesk, actor: StaffMember, args: argparse.Namespace) -> str:
    command = args.tickets_command
    if command == "list":
        return _listing(await _list(desk, args.status, args.limit))
    if command == "scan":
        counts = await desk.scan()
        return ", ".join(f"{k}: {v}" for k, v in counts.items())
    year = desk.today().year
    number = _number(args.number, year)
    text = " ".join(getattr(args, "text", []) or [])
    if command == "show":
        ticket = await desk._find(number)
        undelivered = await desk.tickets.undeliverable(ticket.id)
        return staff_detail(desk.kb, ticket, await desk.timeline(ticket, False), False, undelivered)
    if command == "reveal":
        ticket = await desk.reveal(actor, number)
        undelivered = await desk.tickets.undeliverable(ticket.id)
        return staff_detail(desk.kb, ticket, await desk.timeline(ticket, False), True, undelivered)
    operations = {
        "claim": lambda: desk.claim(actor, number),
        "reply": lambda: desk.reply(actor, number, text),
        "resolve": lambda: desk.resolve(actor, number, text),
        "reject": lambda: desk.reject(actor, number, text),
        "note": lambda: desk.note(actor, number, text),
        "transfer": lambda: desk.transfer(actor, number, args.dept),
        "assign": lambda: desk.assign(actor, number, args.dept, None),
        "merge": lambda: desk.merge(actor, number, _number(args.into, year)),
        "extend": lambda: desk.extend(actor, number, args.days, " ".join(args.reason)),
        "kb": lambda: desk.mark_for_kb(actor, number),
    }
    ticket = await operations[command]()
    return f"{ticket.number}: {status_label(ticket, 'en')}"


async def _list(desk: TicketDesk, status: str, limit: int) -> list[Ticket]:
    """The tickets `tickets list --status` asks for; an unknown status is refused."""
    if status == "open":
        return await desk.tickets.open_tickets(limit)
    if status == "all":
        return await desk.tickets.query("TRUE", (), limit, "id DESC")
    if status not in {s.value for s in Status}:
        choices = ", ".join((*LIST_SCOPES, *(s.value for s in Status)))
        raise UsageError(t("desk_bad_status", "en", status=status, choices=choices))
    return await desk.tickets.query("status = ?", (status,), limit, "id DESC")


def _listing(found: list[Ticket]) -> str:
    """A header and one aligned row per ticket."""
    if not found:
        return t("desk_no_tickets", "en")
    rows = [t("desk_list_header", "en").split("\t")]
    rows += [
        [
            x.number,
            status_label(x, "en"),
            x.deadline.isoformat(),
            x.department or "-",
            x.assignee or "-",
            x.category,
        ]
        for x in found
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
        for row in rows
    )


def _number(text: str, year: int) -> str:
    """A typed ticket number in full, or a clear refusal."""
    number = parse_number(text, year)
    if number is None:
        raise UsageError(t("desk_bad_number", "en", text=text, year=year))
    return number


async def _health(args: argparse.Namespace) -> int:
    """The container's health check: database reachable, KB loadable, outbox not stuck."""
    import json

    from bot.knowledge.loader import load_knowledge

    settings = _settings(args)
    status: dict[str, object] = {}
    healthy = True
    kb_dir = choose_kb_dir(None, settings.kb_dir).path
    status["kb_dir"] = str(kb_dir)
    try:
        result = load_knowledge(kb_dir)
        status["kb_entries"] = result.entries
        healthy &= result.kb is not None
    except (KnowledgeError, OSError) as exc:
        status["kb_error"] = str(exc)
        healthy = False
    try:
        async with Store.opened(settings.db_path, create=False) as store:
            backlog = await store.outbox_backlog()
        status["database"] = "ok"
        status["outbox_backlog"] = backlog
        healthy &= backlog <= args.max_backlog
    except (sqlite3.Error, OSError) as exc:
        status["database"] = f"error: {exc}"  # includes a database that is not there
        healthy = False
    status["healthy"] = healthy
    print(json.dumps(status, ensure_ascii=False))
    return 0 if healthy else 1


async def _db(args: argparse.Namespace) -> int:
    if args.db_command == "copy":
        return await _db_copy(args.source, args.target)
    settings = _settings(args)
    async with Store.opened(settings.db_path) as store:
        if args.db_command == "backup":
            if not args.path.parent.is_dir():
                raise UsageError(f"{args.path.parent} is not a directory")
            await store.backup(args.path)
            print(f"backed up {settings.db_path} to {args.path}")
        else:
            version = await store.migrate()
            print(f"{backend.describe(settings.db_path)}: schema version {version}")
    return 0


async def _db_copy(source: Path | str, target: Path | str) -> int:
    if not backend.exists(source):
        raise UsageError(f"no database at {backend.describe(source)}")
    try:
        copied = await copy_database(source, target)
    except TargetNotEmpty as exc:
        raise UsageError(
            f"{backend.describe(target)}: {exc}; copy only into a new, empty database"
        ) from exc
    width = max((len(c.table) for c in copied), default=5)
    for c in copied:
        print(f"{c.table:<{width}}  {c.rows:>9}  ok")
    total = sum(c.rows for c in copied)
    print(
        f"copied {total} rows in {len(copied)} tables from {backend.describe(source)} "
        f"to {backend.describe(target)}; row counts match"
    )
    return 0
