"""Serving the console: `citizen-desk web`, and beside the bot in `run --web`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Generator
from pathlib import Path

import uvicorn

from bot.actions import number
from bot.channels.pacing import Pacer
from bot.config import Settings, load_settings
from bot.dialogue import Dialogue
from bot.errors import UsageError
from bot.kbdir import choose_kb_dir, log_choice
from bot.knowledge.loader import load_or_raise
from bot.matching.matcher import Matcher
from bot.reload import KnowledgeReloader
from bot.store import Store
from bot.store.backend import DB_HELP, location
from bot.supervise import supervised
from bot.tickets.service import TicketDesk
from bot.transport import purge_forever
from bot.web.app import create_app
from bot.web.context import WebContext
from bot.webchat.files import MAX_UPLOAD_BYTES
from bot.webchat.processor import ChatProcessor
from bot.webchat.routes import ChatContext, ChatRoutes

log = logging.getLogger(__name__)
DEFAULT_LISTEN = "127.0.0.1:8080"


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT` → (host, port)."""
    host, _, port = text.rpartition(":")
    port_number = number(port, 65535, low=1)  # ASCII digits only: "²" is refused, not a crash
    if not host or port_number is None:
        raise UsageError(f"--listen/--web wants HOST:PORT, not {text!r}")
    return host.strip("[]"), port_number


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `web`."""
    web = sub.add_parser("web", help="serve the staff web console")
    web.add_argument("--listen", default=DEFAULT_LISTEN, help=f"HOST:PORT ({DEFAULT_LISTEN})")
    web.add_argument("--db", type=location, default=None, help=DB_HELP)
    web.add_argument("--kb", type=Path, default=None, help="knowledge directory")
    web.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark the session cookie Secure (behind an HTTPS reverse proxy)",
    )


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the caller owns start and stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def _shown_on_page(report: str) -> None:
    """A reload's report goes to the admin's knowledge page (and the log), not to a chat."""


async def serve(
    settings: Settings, kb_dir: Path, listen: str, secure: bool, stop: asyncio.Event | None = None
) -> None:
    """Serve the console and the citizens' chat (/chat), each on its own connection to the
    database, until `stop` (or cancelled)."""
    host, port = parse_listen(listen)
    result = load_or_raise(kb_dir)
    assert result.kb is not None
    # The chat's connection runs its many small statements on the loop's thread.
    async with (
        Store.opened(settings.db_path) as store,
        Store.opened(settings.db_path, inline=True) as chat,
    ):
        desk = TicketDesk.from_settings(store, result.kb, settings)
        dialogue = Dialogue(Matcher(result.kb, settings.matching), chat)
        dialogue.attach_desk(TicketDesk.from_settings(chat, result.kb, settings), MAX_UPLOAD_BYTES)
        dialogue.warm()
        processor = ChatProcessor(
            chat, dialogue, Pacer.from_settings(settings, dialogue.is_emergency)
        )
        chat_context = ChatContext(
            processor,
            secure_cookies=secure,
            origins=settings.web_origins,
            files=settings.webchat_files,
        )
        routes = ChatRoutes(chat_context)
        # The reload's report is shown on the admin's page and logged, never sent: with
        # several replicas (or beside `run`, whose own watcher tells the Telegram admins
        # through the sending lock) no admin is told twice.
        lock = asyncio.Lock()  # the console's connection (WebContext.lock)
        reloader = KnowledgeReloader(
            kb_dir,
            dialogue,
            _shown_on_page,
            settings.matching,
            loaded=result,
            desks=(desk,),
            swap_lock=lock,
        )
        ctx = WebContext(store, desk, settings, secure_cookies=secure, reloader=reloader, lock=lock)
        app = create_app(ctx, extra=routes.routes())
        stopping = asyncio.Event()  # the watcher's own: set when serving ends
        # Each restarted after a failure (logged): the desk keeps answering.
        processing = asyncio.create_task(supervised("web chat processing", processor.run))
        sweeping = asyncio.create_task(
            supervised("web chat file sweep", routes.files.sweep_forever)
        )
        watching = asyncio.create_task(supervised("outbox watcher", processor.watch_outbox))
        # Hourly, as the file sweep: finished transport rows past their days are deleted, a
        # chunk per transaction, on the chat's connection between its own transactions.
        purging = asyncio.create_task(
            supervised(
                "transport retention",
                lambda: purge_forever(chat, settings.transport_retention_days, processor.lock),
            )
        )
        # The KB files, as `run` watches them: an edit is reloaded, a broken one reported.
        kb_watch = asyncio.create_task(
            supervised("knowledge file watcher", lambda: reloader.watch(stopping))
        )
        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, proxy_headers=True, access_log=False
        )
        server = _Server(config)
        log.info("web console on http://%s:%d/, citizens' chat at /chat", host, port)
        if settings.web_origins and not secure:
            log.warning(
                "CITIZEN_DESK_WEB_ORIGINS is set: the chat's cookie is SameSite=None; Secure, "
                "which browsers keep only over HTTPS (or on localhost): serve it behind HTTPS"
            )
        try:
            if stop is None:
                await server.serve()
                return
            task = asyncio.create_task(server.serve())
            await stop.wait()
            server.should_exit = True
            await task
        finally:
            stopping.set()
            for worker in (processing, sweeping, watching, purging, kb_watch):
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker


def cmd_web(args: argparse.Namespace) -> int:
    """`citizen-desk web`: the console alone, until Ctrl-C."""
    from bot.logs import setup_logging

    settings = load_settings(overrides={"db_path": args.db, "kb_dir": args.kb})
    setup_logging(settings.log_format, settings.log_level, [settings.token or ""])
    choice = choose_kb_dir(args.kb, settings.kb_dir)
    log_choice(choice)
    kb_dir = choice.path
    stop = asyncio.Event()

    async def main() -> None:
        import signal

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, kb_dir, args.listen, args.secure_cookies, stop)

    asyncio.run(main())
    return 0
