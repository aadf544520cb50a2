"""`citizen-desk staff|tickets|db …`: the desk's command line, on the same core and audit log."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bot.config import Settings, load_settings
from bot.errors import KnowledgeError, UsageError
from bot.kbdir import choose_kb_dir
from bot.knowledge.loader import load_or_raise
from bot.messages import t
from bot.store import Store, TicketStore, backend
from bot.store.backend import DB_HELP, location
from bot.store.copying import TargetNotEmpty, copy_database
from bot.tickets.model import Role, StaffMember
from bot.tickets.render import staff_detail, status_label
from bot.tickets.service import TicketDesk, TicketError
from bot.tickets.staff import normalize_number

DESK_ACTOR = StaffMember(0, Role.SUPERVISOR, None, "desk")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `staff`, `tickets` and `db`."""
    staff = sub.add_parser("staff", help="register staff and supervisors")
    staff_sub = staff.add_subparsers(dest="staff_command", metavar="STAFF_COMMAND")
    add = staff_sub.add_parser(
        "add", help="add or update a staff member (a Telegram id) or a console login"
    )
    add.add_argument(
        "user_id", help="Telegram user id, or a console login name (asks for its password)"
    )
    add.add_argument("--role", choices=("staff", "supervisor", "admin"), default="staff")
    add.add_argument(
        "--telegram", type=int, default=None, help="console login: the same person's Telegram id"
    )
    add.add_argument("--dept", default=None, help="department id")
    add.add_argument("--name", default=None)
    remove = staff_sub.add_parser("remove", help="remove a staff member")
    remove.add_argument("user_id", type=int)
    staff_sub.add_parser("list", help="list staff")
    passwd = staff_sub.add_parser(
        "passwd", help="set a console login's password (prompt, or one line on stdin)"
    )
    passwd.add_argument("login")
    for p in (add, remove, staff, passwd):
        p.add_argument("--db", type=location, default=None, help=DB_HELP)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=location, default=None, help=DB_HELP)
    common.add_argument("--kb", type=Path, default=None, help="knowledge directory")
    common.add_argument(
        "--as", dest="actor", type=int, default=None, help="act as this staff user id"
    )
    tickets = sub.add_parser("tickets", help="work on tickets from the desk", parents=[common])
    t_sub = tickets.add_subparsers(dest="tickets_command", metavar="TICKETS_COMMAND")

    def ticket_command(name: str, help_text: str | None = None) -> argparse.ArgumentParser:
        # The options may also come after the subcommand; given before, they are kept.
        parser = t_sub.add_parser(name, help=help_text, parents=[common])
        for action in parser._actions:
            if action.dest in ("db", "kb", "actor"):
                action.default = argparse.SUPPRESS
        return parser

    listing = ticket_command("list", "list tickets")
    listing.add_argument("--status", default="open", help="open (default), all, or a status")
    listing.add_argument("--limit", type=int, default=50)
    show = ticket_command("show", "a ticket with its timeline")
    show.add_argument("number")
    for name in ("claim", "reveal", "kb"):
        p = ticket_command(name)
        p.add_argument("number")
    for name in ("reply", "resolve", "reject", "note"):
        p = ticket_command(name)
        p.add_argument("number")
        p.add_argument("text", nargs="+")
    for name in ("transfer", "assign"):
        p = ticket_command(name)
        p.add_argument("number")
        p.add_argument("dept")
    merge = ticket_command("merge", "merge a duplicate into another ticket")
    merge.add_argument("number")
    merge.add_argument("into")
    extend = ticket_command("extend", "extend the deadline (supervisor)")
    extend.add_argument("number")
    extend.add_argument("days", type=int)
    extend.add_argument("reason", nargs="+")
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
        elif args.staff_command == "add" and not args.user_id.lstrip("-").isdigit():
            from bot.web import accounts_cli

            print(
                await accounts_cli.add(
                    store, args.user_id, args.role, args.dept, args.name, args.telegram
                )
            )
        elif args.staff_command == "add":
            if args.role == "admin":
                raise UsageError("admin is a console role: give a login name, not a Telegram id")
            member = StaffMember(int(args.user_id), Role(args.role), args.dept, args.name)
            await tickets.add_staff(member)
            print(f"added {member.user_id} as {member.role.value}")
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
        raise UsageError("disclosure: choose list, show, correct, corrected, extend, answer, …")
    if args.command == "tickets" and command is None:
        raise UsageError("tickets: choose list, show, claim, reply, resolve, reject, …")
    async with Store.opened(settings.db_path, create=False) as store:
        desk = TicketDesk.from_settings(store, kb, settings)
        actor = DESK_ACTOR
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
        if args.status == "open":
            found = await desk.tickets.open_tickets(args.limit)
        elif args.status == "all":
            found = await desk.tickets.query("TRUE", (), args.limit, "id DESC")
        else:
            found = await desk.tickets.query("status = ?", (args.status,), args.limit, "id DESC")
        return (
            "\n".join(
                f"{x.number}\t{x.category}\t{status_label(x, 'en')}\t{x.deadline.isoformat()}\t"
                f"{x.assignee or '-'}"
                for x in found
            )
            or "no tickets"
        )
    if command == "scan":
        counts = await desk.scan()
        return ", ".join(f"{k}: {v}" for k, v in counts.items())
    number = normalize_number(args.number)
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
        "merge": lambda: desk.merge(actor, number, normalize_number(args.into)),
        "extend": lambda: desk.extend(actor, number, args.days, " ".join(args.reason)),
        "kb": lambda: desk.mark_for_kb(actor, number),
    }
    ticket = await operations[command]()
    return f"{ticket.number}: {status_label(ticket, 'en')}"


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
