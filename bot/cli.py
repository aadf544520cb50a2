"""The `citizen-desk` command line: chat, ask, kb check, kb eval."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import json
import signal
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from bot import __version__, actions
from bot.errors import CitizenDeskError, KnowledgeError, UsageError
from bot.knowledge.loader import load_knowledge, load_or_raise
from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.store import backend
from bot.store.backend import DB_HELP, location

EXIT_OK = 0
EXIT_FAILED = 1


def _kb_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kb",
        type=Path,
        default=None,
        help=(
            "knowledge directory (default: CITIZEN_DESK_KB, else ./knowledge if it exists, "
            "else the installed sample)"
        ),
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="citizen-desk",
        description="Citizen Desk: a citizen-inquiry bot for a township service centre.",
    )
    parser.add_argument("--version", action="version", version=f"citizen-desk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    chat = sub.add_parser("chat", help="chat with the bot in the terminal")
    _kb_arg(chat)
    chat.add_argument("--db", type=location, default=None, help=DB_HELP)
    chat.add_argument("--lang", choices=("zh", "en"), default=None, help="reply language")

    ask = sub.add_parser("ask", help="route questions (arguments, or one per line on stdin)")
    _kb_arg(ask)
    ask.add_argument("--lang", choices=("zh", "en"), default=None, help="reply language")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("question", nargs="*", help="questions (default: read stdin)")

    run = sub.add_parser("run", help="run the Telegram bot (TELEGRAM_BOT_TOKEN)")
    _kb_arg(run)
    run.add_argument("--db", type=location, default=None, help=DB_HELP)
    run.add_argument("--webhook-url", default=None, help="serve a webhook at this HTTPS URL")
    run.add_argument("--listen", default=None, help="webhook host:port (default 0.0.0.0:8443)")
    run.add_argument("--webhook-secret", default=None, help="secret token for the webhook")
    run.add_argument(
        "--web", default=None, metavar="HOST:PORT", help="also serve the staff web console"
    )
    from bot.web.serve import add_parser as add_web_parser

    add_web_parser(sub)

    from bot.desk_cli import add_parsers

    add_parsers(sub)

    report = sub.add_parser("report", help="the centre's 政务公开 figures for a year or a month")
    report.add_argument("--year", type=int, required=True, help="calendar year (China time)")
    report.add_argument(
        "--month", type=int, choices=range(1, 13), metavar="M", default=None, help="month 1–12"
    )
    report.add_argument("--format", choices=("md", "csv", "html"), default="md")
    report.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    report.add_argument("--out", type=Path, default=None, help="output file (default: stdout)")
    report.add_argument("--db", type=location, default=None, help=DB_HELP)
    report.add_argument(
        "--disclosure",
        action="store_true",
        help="only the 政府信息公开 annual tables (sections 三 and 四, 国办公开办函〔2021〕30号)",
    )
    report.add_argument(
        "--carried-in",
        default=None,
        metavar="N,C,R,W,L,O[,TOTAL]",
        help=(
            "二 上年结转 as published in last year's report (its row 四), per column: "
            "自然人,商业企业,科研机构,社会公益组织,法律服务机构,其他[,总计]; "
            "checked against the requests still open on 1 January"
        ),
    )
    _kb_arg(report)

    kb = sub.add_parser("kb", help="knowledge-base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND")
    check = kb_sub.add_parser(
        "check",
        help="validate a knowledge base",
        description="Report every problem of a knowledge base (file, line, entry id).",
    )
    _kb_arg(check)
    check.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="report language (default zh)"
    )
    ev = kb_sub.add_parser("eval", help="evaluate matching on a cases file")
    ev.add_argument("cases", type=Path, help="a YAML file with `cases:`")
    _kb_arg(ev)
    ev.add_argument("--json", action="store_true", help="figures and failures as JSON")
    doctor = kb_sub.add_parser(
        "doctor", help="expected matching quality, measured on the KB's own alternates"
    )
    _kb_arg(doctor)
    doctor.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    doctor.add_argument("--json", action="store_true", help="figures and findings as JSON")
    gaps = kb_sub.add_parser("gaps", help="unanswered questions, grouped, with YAML snippets")
    _kb_arg(gaps)
    gaps.add_argument("--db", type=location, default=None, help=DB_HELP)
    gaps.add_argument(
        "--since",
        type=_date_arg,
        default=None,
        metavar="DATE",
        help="only questions asked on or after DATE (YYYY-MM-DD, UTC)",
    )
    gaps.add_argument(
        "--min-count",
        type=_count_arg,
        default=1,
        metavar="N",
        help="only groups of at least N questions (default 1)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(parser, args)
    except CitizenDeskError as exc:
        print(f"citizen-desk: {exc.text(_lang(args))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except (sqlite3.Error, OSError) as exc:
        # The database or a file cannot be used (a directory, no permission, a full disk).
        print(f"citizen-desk: {exc}", file=sys.stderr)
        return UsageError.exit_code
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error of ours.
        sys.stderr.close()
        return EXIT_OK


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "chat":
        return cmd_chat(args)
    if args.command == "ask":
        return cmd_ask(args)
    if args.command == "run":
        return cmd_run(args)
    if args.command == "web":
        from bot.web.serve import cmd_web

        return cmd_web(args)
    if args.command == "report":
        return cmd_report(args)
    if args.command in ("staff", "tickets", "disclosure", "db", "health"):
        from bot.desk_cli import run

        code = run(args)
        if code is not None:
            return code
    if args.command == "kb" and args.kb_command == "check":
        return cmd_kb_check(args)
    if args.command == "kb" and args.kb_command == "eval":
        return cmd_kb_eval(args)
    if args.command == "kb" and args.kb_command == "gaps":
        return cmd_kb_gaps(args)
    if args.command == "kb" and args.kb_command == "doctor":
        return cmd_kb_doctor(args)
    parser.print_help(sys.stderr)
    return UsageError.exit_code


def _kb_dir(args: argparse.Namespace, setting: Path | None = None, *, log: bool = False) -> Path:
    """The knowledge directory by the one rule (bot/kbdir.py), announced on stderr (or, for
    `run`, whose standard error is its log, logged)."""
    from bot.kbdir import announce, choose_kb_dir, log_choice

    if setting is None:
        from bot.config import load_settings

        setting = load_settings().kb_dir
    choice = choose_kb_dir(args.kb, setting)
    if log:
        log_choice(choice)
    else:
        announce(choice, _lang(args))
    return choice.path


def _lang(args: argparse.Namespace) -> str:
    lang = getattr(args, "lang", None)
    return lang if lang in ("zh", "en") else "zh"


def make_matcher(kb: KnowledgeBase) -> Matcher:
    """A matcher with the thresholds of the configuration file, if there is one."""
    from bot.config import load_settings

    return Matcher(kb, load_settings().matching)


def load_kb(args: argparse.Namespace) -> KnowledgeBase:
    """Load the KB named by --kb, printing warnings to stderr; raise on errors."""
    result = load_or_raise(_kb_dir(args))
    assert result.kb is not None
    return result.kb


def stdin_lines(stream: io.BufferedIOBase | None = None) -> Iterator[str]:
    """Lines of standard input; invalid UTF-8 is replaced and reported on stderr."""
    from bot.channels.terminal_input import decode_line

    source = stream if stream is not None else sys.stdin.buffer
    for number, raw in enumerate(source, start=1):
        yield decode_line(raw, number).rstrip("\r\n")


def cmd_chat(args: argparse.Namespace) -> int:
    """Run the terminal chat."""
    from bot.channels.terminal import USER, TerminalChat
    from bot.config import load_settings
    from bot.dialogue import Dialogue
    from bot.store import Store
    from bot.tickets.service import TicketDesk

    kb = load_kb(args)
    settings = load_settings(overrides={"db_path": args.db})
    interactive = sys.stdin.isatty()

    async def run() -> None:
        async with Store.opened(settings.db_path) as store:
            dialogue = Dialogue(Matcher(kb, settings.matching), store)
            # No staff group in the terminal chat (staff use `citizen-desk tickets`): a
            # warning about it would land in the middle of the citizen's conversation.
            desk = TicketDesk.from_settings(store, kb, settings, staff_group=False)
            dialogue.attach_desk(desk)
            if args.lang:
                await store.set_language(USER, args.lang)
            chat = TerminalChat(dialogue, sys.stdout, interactive=interactive, store=store)
            await chat.run(sys.stdin)

    asyncio.run(run())
    return EXIT_OK


def cmd_ask(args: argparse.Namespace) -> int:
    """Route questions and print the decision (JSON lines or readable replies)."""
    from bot.dialogue import Dialogue
    from bot.render import render_plain

    kb = load_kb(args)
    matcher = make_matcher(kb)
    dialogue = Dialogue(matcher)
    questions: Iterator[str] = iter(args.question) if args.question else stdin_lines()
    out: TextIO = sys.stdout
    for question in questions:
        match = matcher.match(question)
        if args.json:
            record = {
                "question": question,
                "route": match.route.value,
                "id": match.entry_id,
                "score": round(match.score, 4),
                "candidates": [
                    {"id": c.entry_id, "score": round(c.score, 4)} for c in match.candidates
                ],
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            continue
        from bot.text import detect_language

        lang = args.lang or detect_language(question)
        replies = asyncio.run(dialogue.reply_for(match, question, lang))
        for reply in replies:
            text = render_plain(reply.blocks)
            labels = [b.label for row in reply.buttons for b in row]
            if labels:
                text += "\n" + "\n".join(f"  {i}. {label}" for i, label in enumerate(labels, 1))
            out.write(text + "\n\n")
    out.flush()
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Run the Telegram bot until SIGTERM/SIGINT."""
    # Until the service installs its own handlers, SIGTERM during start-up exits cleanly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    from bot.channels.telegram import EXIT_NO_TOKEN, TelegramService
    from bot.config import load_settings
    from bot.dialogue import Dialogue
    from bot.logs import setup_logging

    settings = load_settings(
        overrides={
            "kb_dir": args.kb,
            "db_path": args.db,
            "webhook_url": args.webhook_url,
            "webhook_listen": args.listen,
            "webhook_secret": args.webhook_secret,
        }
    )
    setup_logging(settings.log_format, settings.log_level, [settings.token or ""])
    if not settings.token:
        print(
            "citizen-desk: TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in "
            "Telegram and set its token in TELEGRAM_BOT_TOKEN.\n"
            "To try Citizen Desk without Telegram, run: citizen-desk chat",
            file=sys.stderr,
        )
        return EXIT_NO_TOKEN
    from dataclasses import replace

    kb_dir = _kb_dir(args, settings.kb_dir, log=True)
    settings = replace(settings, kb_dir=kb_dir)
    result = load_or_raise(kb_dir)
    assert result.kb is not None
    service = TelegramService(settings, Dialogue(Matcher(result.kb, settings.matching)))
    if args.web:
        from bot.web.serve import parse_listen

        parse_listen(args.web)  # a bad address is refused before the bot starts
        return asyncio.run(_run_with_web(service, settings, args.web))
    return asyncio.run(service.run())


async def _run_with_web(service: object, settings: object, listen: str) -> int:
    """The bot and the console in one process, on the same database file."""
    from bot.channels.telegram import TelegramService
    from bot.config import Settings
    from bot.web.serve import serve

    assert isinstance(service, TelegramService) and isinstance(settings, Settings)
    assert settings.kb_dir is not None
    stop = asyncio.Event()
    web = asyncio.create_task(serve(settings, settings.kb_dir, listen, False, stop))
    try:
        return await service.run()
    finally:
        stop.set()
        await web


def cmd_kb_check(args: argparse.Namespace) -> int:
    """Validate a KB and print every problem."""
    from bot.config import load_settings
    from bot.kbdir import choose_kb_dir

    choice = choose_kb_dir(args.kb, load_settings().kb_dir)
    result = load_knowledge(choice.path)
    print(choice.describe(args.lang))
    print(result.report(args.lang))
    return EXIT_OK if result.kb is not None else EXIT_FAILED


def cmd_kb_eval(args: argparse.Namespace) -> int:
    """Evaluate matching on a cases file."""
    from bot.evaluation import evaluate, load_cases, unknown_ids

    cases = load_cases(args.cases)
    if not cases:
        raise UsageError(f"{args.cases}: no cases")
    matcher = make_matcher(load_kb(args))
    missing = unknown_ids(matcher, cases)
    if missing:
        raise KnowledgeError(f"cases expect ids the KB does not have: {', '.join(missing)}")
    report = evaluate(matcher, cases)
    if args.json:
        failures = [
            {
                "q": o.case.q,
                "kind": o.case.kind,
                "expect": o.case.expect,
                "want_route": o.case.route,
                "route": o.route,
                "id": o.entry_id,
                "choices": list(o.choices),
                "score": round(o.score, 4),
            }
            for o in report.failures()
        ]
        print(json.dumps({"figures": report.figures(), "failures": failures}, ensure_ascii=False))
    else:
        print(report.text())
    return EXIT_OK


def cmd_kb_doctor(args: argparse.Namespace) -> int:
    """Measure a KB on its own alternate questions and print its weak spots."""
    from bot.config import load_settings
    from bot.doctor import diagnose, render

    diagnosis = diagnose(load_kb(args), load_settings().matching)
    if args.json:
        print(json.dumps(diagnosis.figures(), ensure_ascii=False))
    else:
        sys.stdout.write(render(diagnosis, args.lang))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Write the 政务公开 figures of a year or a month as Markdown, CSV or HTML."""
    from bot.config import load_settings
    from bot.disclosure import annual as disclosure
    from bot.disclosure.table import ReconciliationError
    from bot.messages import t
    from bot.report import compute, render_csv, render_html, render_markdown
    from bot.store import Store
    from bot.workdays import WorkCalendar

    carried_in = None
    if args.carried_in is not None:
        if args.month and not args.disclosure:
            raise UsageError(localized=lambda lang: t("disclosure_carried_in_month", lang))
        carried_in = disclosure.parse_carried_in(args.carried_in)
    settings = load_settings(overrides={"db_path": args.db, "kb_dir": args.kb})
    if not backend.exists(settings.db_path):
        raise UsageError(f"{settings.db_path}: no such database (set --db or CITIZEN_DESK_DB)")
    result = load_or_raise(_kb_dir(args, settings.kb_dir))
    assert result.kb is not None
    kb = result.kb
    calendar = WorkCalendar(settings.extra_holidays, settings.extra_workdays)

    async def run() -> str:
        async with Store.opened(settings.db_path) as store:
            figures = await compute(store, kb, calendar, args.year, args.month, settings.matching)
            application, review = await disclosure.tables(store, args.year, carried_in)
        try:
            sections = disclosure.render(application, review, args.format, args.lang)
        except ReconciliationError as exc:
            if args.disclosure:
                raise UsageError(disclosure.not_reconciled(exc.reasons, args.lang)) from exc
            sections = disclosure.not_reconciled(exc.reasons, args.lang) + "\n"
        if args.disclosure:
            return sections
        if args.format == "csv":
            output = render_csv(figures)
        elif args.format == "html":
            output = render_html(figures, args.lang)
        else:
            output = render_markdown(figures, args.lang)
        # The yearly report carries the disclosure sections; a month's does not.
        return output if args.month else disclosure.append(output, sections, args.format)

    output = asyncio.run(run())
    if args.out is None:
        sys.stdout.write(output)
    else:
        args.out.write_text(output, encoding="utf-8")
        print(f"citizen-desk: report written to {args.out}", file=sys.stderr)
    return EXIT_OK


def _date_arg(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-11-20: {text!r}") from None


def _count_arg(text: str) -> int:
    count = actions.number(text, actions.ID_MAX, low=1)
    if count is None:
        raise argparse.ArgumentTypeError(f"not a whole number of at least 1: {text!r}")
    return count


def cmd_kb_gaps(args: argparse.Namespace) -> int:
    """Print the knowledge-gaps report: grouped unanswered questions and YAML snippets."""
    from bot.config import load_settings
    from bot.gaps import group, inquiry_drafts, render, unanswered
    from bot.store import Store

    settings = load_settings(overrides={"kb_dir": args.kb, "db_path": args.db})
    if not backend.exists(settings.db_path):
        raise UsageError(f"no database at {settings.db_path} (use --db or CITIZEN_DESK_DB)")
    result = load_or_raise(_kb_dir(args, settings.kb_dir))
    assert result.kb is not None
    matcher = Matcher(result.kb, settings.matching)

    async def report() -> str:
        async with Store.opened(settings.db_path) as store:
            questions = await unanswered(store, args.since)
            drafts = await inquiry_drafts(store, matcher)
        return render(group(questions, matcher, args.min_count), drafts)

    sys.stdout.write(asyncio.run(report()))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
