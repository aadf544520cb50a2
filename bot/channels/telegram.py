"""The Telegram channel: durable intake (polling or webhook), processing, outbox delivery.

No accepted update is lost or processed twice: each update is stored in SQLite before it
is confirmed to the Bot API (before the next getUpdates offset passes it, or before the
webhook answers 200), processed from there, and marked done in the same transaction as
its effects — including the replies, which go to an outbox that a sender delivers with
retries. See docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import logging
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram import (
    BotCommand,
    BotCommandScopeDefault,
    InputFile,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.constants import ChatType, MessageEntityType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.admin import AdminCommands
from bot.channels.menus import MenuBook
from bot.channels.pacing import Pacer, notice
from bot.channels.telegram_format import reply_payloads
from bot.channels.telegram_request import JsonHTTPXRequest
from bot.channels.telegram_worker import ApiWorker, WorkerConfig
from bot.commands import available, describe
from bot.config import Settings
from bot.dialogue import Dialogue, Incoming
from bot.gaps import short_report
from bot.intake import HandlerFailed, IntakeLoop
from bot.knowledge.loader import sample_kb_path
from bot.messages import LANGUAGES, t
from bot.notify import OutboxNotifier
from bot.privacy import apply_retention
from bot.reload import KnowledgeReloader, past_review
from bot.replies import Paragraph, Reply
from bot.report import month_summary
from bot.store import OutboxItem, Store, TicketStore, replicas
from bot.store.replicas import Leadership
from bot.tickets.model import Attachment
from bot.tickets.service import TicketDesk
from bot.transport import purge_logged

log = logging.getLogger(__name__)


def menu_commands(lang: str) -> list[BotCommand]:
    """The citizen commands for Telegram's menu (the ones /help lists)."""
    return [BotCommand(c, describe(c, lang)) for c in available(with_desk=True)]


EXIT_OK, EXIT_NO_TOKEN, EXIT_TOKEN_REJECTED = 0, 2, 3
#: The update types the bot asks Telegram for.
ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY)
#: Messages in flight at once, each to another chat (each chat's messages stay in order).
SEND_CONCURRENCY = 32
#: How long the sender waits for news (a send finishing, a new message) at most.
SEND_POLL = 1.0
MAX_BACKOFF = 60.0
#: HTTP connections to the Bot API besides getUpdates' own: one per chat sent to at once,
#: and a few for button answers and files. (python-telegram-bot's default is 256; every
#: request checks each idle connection, so an oversized pool costs CPU on every call.)
CONNECTIONS = SEND_CONCURRENCY + 8


class TokenRejected(Exception):
    """The Bot API rejected the token."""


def update_chat(data: dict[str, Any]) -> int | None:
    """The chat of a raw update (a message's, or a pressed button's message's), if any."""
    for kind in ("message", "edited_message", "callback_query"):
        part = data.get(kind)
        if isinstance(part, dict):
            message = part.get("message", part) if kind == "callback_query" else part
            chat = message.get("chat") if isinstance(message, dict) else None
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
    return None


def user_key(user_id: int) -> str:
    """The core's key for a Telegram user."""
    return f"tg:{user_id}"


@dataclass
class Runtime:
    """What the handlers need; kept in `application.bot_data["runtime"]`."""

    dialogue: Dialogue
    store: Store
    pacer: Pacer
    #: Updates of the batch being processed that flood control holds: id → when due.
    held: dict[int, float] = field(default_factory=dict)
    bot_id: int = 0
    bot_username: str = ""
    failed: bool = False
    wake_sender: asyncio.Event = field(default_factory=asyncio.Event)
    #: Who may press which menu (the `menus` table and those not yet recorded).
    menus: MenuBook = field(default_factory=MenuBook)
    #: The same for staff-chat messages about a ticket: (chat, message id) → ticket id.
    fresh_tickets: dict[tuple[int, int], int] = field(default_factory=dict)

    async def deliver(
        self,
        chat_id: int,
        replies: list[Reply],
        owner: str,
        edit_message_id: int | None = None,
    ) -> None:
        """Queue replies in the outbox (in the processing transaction)."""
        for reply in replies:
            for payload in reply_payloads(reply):
                if edit_message_id is not None:
                    payload["message_id"] = edit_message_id
                    await self.store.enqueue(chat_id, "edit", payload, owner)
                    edit_message_id = None
                else:
                    await self.store.enqueue(chat_id, "send", payload, owner)


def _runtime(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    runtime = context.bot_data["runtime"]
    assert isinstance(runtime, Runtime)
    return runtime


def _addressed_text(message: Message, runtime: Runtime) -> str | None:
    """The text meant for the bot; None in a group when the bot is not addressed."""
    text = message.text or message.caption or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    reply_to = message.reply_to_message
    if reply_to is not None and reply_to.from_user and reply_to.from_user.id == runtime.bot_id:
        return text
    mention = f"@{runtime.bot_username}".lower()
    for entity, value in message.parse_entities([MessageEntityType.MENTION]).items():
        if value.lower() == mention:
            start, end = entity.offset, entity.offset + entity.length
            return (text[:start] + text[end:]).strip()
    if text.startswith("/") and text.split()[0].lower().endswith(mention):
        return text
    return None


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a message: text through the core, anything else with a polite request."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    runtime = _runtime(context)
    text = _addressed_text(message, runtime)
    if text is None:
        return
    key = user_key(user.id)
    # Paced by when the person wrote, not when the bot got to it (a backlog is no flood).
    now = time.time()
    verdict = runtime.pacer.admit(key, update.update_id, text, message.date.timestamp(), now)
    if verdict.notice is not None:
        lang = await runtime.dialogue.language(Incoming(key, lang_hint=user.language_code))
        await runtime.deliver(message.chat_id, [notice(verdict.notice, lang)], key)
    if verdict.dropped:
        return
    if verdict.held(now):
        runtime.held[update.update_id] = verdict.due  # stays stored, answered when due
        return
    incoming = Incoming(
        key,
        text=text,
        lang_hint=user.language_code,
        is_text=bool(text),
        attachments=_attachments(message),
        location=_location(message),
        reply_to_ticket=await _replied_ticket(message, runtime),
        private=message.chat.type == ChatType.PRIVATE,
    )
    replies = await runtime.dialogue.handle(incoming)
    await runtime.deliver(message.chat_id, replies, key)


def _attachments(message: Message) -> tuple[Attachment, ...]:
    """The photo (largest size) or document of a message, by Telegram file id."""
    if message.photo:
        photo = message.photo[-1]
        return (Attachment("photo", photo.file_id, photo.file_size or 0),)
    if message.document:
        doc = message.document
        return (Attachment("document", doc.file_id, doc.file_size or 0, doc.file_name),)
    return ()


def _location(message: Message) -> str | None:
    if message.location is None:
        return None
    return f"{message.location.latitude:.5f},{message.location.longitude:.5f}"


async def _replied_ticket(message: Message, runtime: Runtime) -> int | None:
    """The ticket of the bot message this one replies to (staff answering a ticket)."""
    reply_to = message.reply_to_message
    if reply_to is None or reply_to.from_user is None or reply_to.from_user.id != runtime.bot_id:
        return None
    key = (message.chat.id, reply_to.message_id)
    found = await TicketStore(runtime.store).ticket_of_message(*key)
    return found if found is not None else runtime.fresh_tickets.get(key)


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle a button press; a stale or someone else's menu changes nothing."""
    query = update.callback_query
    if query is None:
        return
    runtime = _runtime(context)
    key = user_key(query.from_user.id)
    # Button presses are not counted by flood control (only menus the bot sent are
    # accepted), but wait for the messages the person wrote before and that are held.
    now = time.time()
    first_time = not runtime.pacer.judged(update.update_id)
    due = runtime.pacer.follow(key, update.update_id, now)
    if first_time:
        # Stop the button's spinner without waiting: a network call has no place inside
        # the processing transaction. (Once: not again when held or redone.)
        context.application.create_task(_answer(query.answer()), update=update)
    if due > now:
        runtime.held[update.update_id] = due
        return
    message = query.message
    lang_hint = query.from_user.language_code
    if message is None or not query.data:
        return
    menu = (message.chat.id, message.message_id)
    if not await runtime.menus.may_press(runtime.store, menu, key, _buttons(message)):
        lang = await runtime.dialogue.language(Incoming(key, lang_hint=lang_hint))
        await runtime.deliver(message.chat.id, [notice("expired", lang)], key)
        return
    private = message.chat.type == ChatType.PRIVATE
    replies = await runtime.dialogue.handle(
        Incoming(key, action=query.data, lang_hint=lang_hint, private=private)
    )
    # Paging through a category edits the menu in place; everything else is a new message,
    # and so is the "expired" answer to a forged page (it has no buttons), which would
    # otherwise overwrite the menu it was pressed under.
    paging = query.data.startswith("b:") and query.data.count(":") == 2
    edit = message.message_id if paging and len(replies) == 1 and replies[0].buttons else None
    await runtime.deliver(message.chat.id, replies, key, edit_message_id=edit)


def _buttons(message: MaybeInaccessibleMessage) -> list[str]:
    """The callback data of a message's inline keyboard, row by row."""
    markup = message.reply_markup if isinstance(message, Message) else None
    if markup is None:
        return []
    data = (b.callback_data for row in markup.inline_keyboard for b in row)
    return [d for d in data if isinstance(d, str)]


async def _answer(call: Awaitable[Any]) -> None:
    try:
        await call
    except TelegramError as exc:
        log.warning("answerCallbackQuery failed: %s", exc)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a handler's failure with its traceback; the update is marked failed."""
    log.error("error while handling an update", exc_info=context.error)
    runtime = context.bot_data.get("runtime")
    if isinstance(runtime, Runtime):
        runtime.failed = True


def build_application(settings: Settings) -> Application[Any, Any, Any, Any, Any, Any]:
    """The python-telegram-bot application: our own intake, so no Updater."""
    assert settings.token is not None
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_url)
        .updater(None)
        .request(JsonHTTPXRequest(connection_pool_size=CONNECTIONS))
        .get_updates_request(
            JsonHTTPXRequest(connection_pool_size=1, read_timeout=settings.poll_timeout + 10)
        )
    )
    if settings.rate_limit > 0:
        limiter: Any = AIORateLimiter(overall_max_rate=settings.rate_limit)
        builder = builder.rate_limiter(limiter)
    application = builder.build()
    application.add_handler(CallbackQueryHandler(on_callback))
    # New messages only: an edited message is not a new question (nor the next form step).
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, on_message)
    )
    application.add_error_handler(on_error)
    return application


class TelegramService:
    """Runs the bot until SIGTERM/SIGINT: intake, processing and delivery tasks."""

    def __init__(self, settings: Settings, dialogue: Dialogue):
        self.settings = settings
        self.dialogue = dialogue
        self.application = build_application(settings)
        self.stopping = asyncio.Event()
        self.new_updates = asyncio.Event()
        self.stores: list[Store] = []
        #: Texts for the admins (reload reports, weekly review), delivered by their own task.
        self.notices: asyncio.Queue[str] = asyncio.Queue()
        #: Serialises this process's writers (processor, sender) in FIFO order, so neither
        #: waits in SQLite's busy loop behind the other.
        self.db_lock = asyncio.Lock()
        #: The process that makes the outbox's Bot API calls, if any (see `send_worker`).
        self.send_worker: ApiWorker | None = None
        #: How the outbox calls the Bot API: here, or through the send worker.
        self.call_api: Callable[[str, dict[str, Any]], Awaitable[Any]] = self._call_here
        #: With several replicas on PostgreSQL: who polls, and who sends and scans.
        self.polling_lead = Leadership(settings.db_path, replicas.POLLING_LOCK, "polling")
        self.duties_lead = Leadership(settings.db_path, replicas.DUTIES_LOCK, "sending")

    @property
    def bot(self) -> Any:
        """The python-telegram-bot Bot (ExtBot)."""
        return self.application.bot

    async def run(self, install_signals: bool = True) -> int:
        """Run until stopped (SIGTERM/SIGINT or `stopping`); return the exit code."""
        if install_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stopping.set)
        try:
            if not await self._connect():
                return EXIT_OK
        except TokenRejected:
            log.error("the Bot API rejected the token: check TELEGRAM_BOT_TOKEN (from @BotFather)")
            return EXIT_TOKEN_REJECTED
        try:
            await self._serve()
        finally:
            await self.application.shutdown()
            for store in self.stores:
                await store.close()
        log.info("stopped")
        return EXIT_OK

    async def _connect(self) -> bool:
        """Initialise against the Bot API, retrying while it is unreachable."""
        delay = 1.0
        while not self.stopping.is_set():
            try:
                await self.application.initialize()
                return True
            except InvalidToken as exc:
                raise TokenRejected from exc
            except (NetworkError, TimedOut) as exc:
                log.warning("Bot API unreachable (%s); retrying in %.0f s", exc, delay)
            await self._sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)
        return False

    async def _retry(self, what: str, call: Callable[[], Awaitable[Any]]) -> None:
        """A start-up call that must succeed: retried with backoff while the API is down."""
        delay = 1.0
        while True:
            try:
                await call()
                return
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                log.info("429 from the Bot API for %s: retrying in %.0f s", what, wait)
            except (NetworkError, TimedOut) as exc:
                log.warning("%s failed (%s); retrying in %.0f s", what, exc, delay)
                wait = delay
                delay = min(delay * 2, MAX_BACKOFF)
            if self.stopping.is_set():
                return
            await self._sleep(wait)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake up at once when stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)

    async def _open_store(self) -> Store:
        store = await Store.open(self.settings.db_path)
        self.stores.append(store)
        return store

    async def _serve(self) -> None:
        processing = await self._open_store()
        sending = await self._open_store()
        intake = await self._open_store()
        me = self.bot.bot
        runtime = Runtime(
            dialogue=self.dialogue,
            store=processing,
            pacer=Pacer.from_settings(self.settings, self.dialogue.is_emergency),
            bot_id=me.id,
            bot_username=me.username or "",
        )
        self.application.bot_data["runtime"] = runtime
        self.dialogue.preferences = processing
        self.desk = TicketDesk.from_settings(processing, self.dialogue.kb, self.settings)
        self.dialogue.attach_desk(self.desk)
        self.processing = processing
        self.runtime = runtime
        self.reloader = KnowledgeReloader(
            self.settings.kb_dir or sample_kb_path(),
            self.dialogue,
            self.notices.put,
            self.settings.matching,
            # Every replica reloads on an edit; the one that sends tells the admins.
            announces=self.duties_lead.held,
        )
        self.admin = AdminCommands(
            frozenset(f"tg:{a}" for a in self.settings.admins),
            self.reloader,
            self._is_supervisor,
            gaps=lambda: short_report(processing, self.dialogue.matcher),
            stats=lambda: month_summary(processing, self.dialogue.kb, self.desk.calendar),
        )
        self.dialogue.admin = self.admin
        await self.application.start()
        job_queue = self.application.job_queue
        if job_queue is not None:
            interval = self.settings.scan_interval
            job_queue.run_repeating(self._scan_job, interval=interval, first=min(interval, 5.0))
            job_queue.run_repeating(self._review_job, interval=7 * 86400, first=60)
            job_queue.run_repeating(self._retention_job, interval=86400, first=30)
        await self._retry("setMyCommands", self._register_commands)
        log.info("connected as @%s", runtime.bot_username)
        worker = self.send_worker = await self._start_send_worker()
        webhook_runner: web.AppRunner | None = None
        intake_task: asyncio.Task[Any]
        if self.settings.webhook_url:
            webhook_runner = await self._start_webhook(intake)
            intake_task = asyncio.create_task(self.stopping.wait())
        else:
            await self._retry("deleteWebhook", self.bot.delete_webhook)
            intake_task = asyncio.create_task(self._poll_when_leading(intake))
        listener = asyncio.create_task(
            replicas.listen(
                self.settings.db_path,
                {
                    replicas.UPDATES_CHANNEL: self.new_updates,
                    replicas.OUTBOX_CHANNEL: runtime.wake_sender,
                },
                self.stopping,
            )
        )
        processor = asyncio.create_task(self._process(processing, runtime))
        sender = asyncio.create_task(self._send_loop(sending, runtime))
        notices = asyncio.create_task(self._deliver_notices())
        watcher = asyncio.create_task(self.reloader.watch(self.stopping))
        await self.stopping.wait()
        notices.cancel()
        await asyncio.gather(watcher, notices, return_exceptions=True)
        log.info("stopping: no new updates; finishing those in flight")
        intake_task.cancel()
        if webhook_runner is not None:
            await webhook_runner.cleanup()
        await asyncio.gather(intake_task, return_exceptions=True)
        await processor
        runtime.wake_sender.set()
        await sender
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        for lead in (self.polling_lead, self.duties_lead):
            await lead.release()
        if worker is not None:
            await worker.stop()
        await self.application.stop()

    async def _start_send_worker(self) -> ApiWorker | None:
        """Route the outbox's Bot API calls through the worker process, if configured."""
        if not self.settings.send_worker:
            return None
        settings = self.settings
        assert settings.token is not None
        worker = ApiWorker(
            WorkerConfig(
                token=settings.token,
                base_url=settings.api_base_url,
                base_file_url=settings.api_file_url,
                connections=CONNECTIONS,
                rate_limit=settings.rate_limit,
                log_format=settings.log_format,
                log_level=settings.log_level,
            )
        )
        try:
            await worker.start()
        except NetworkError as exc:  # the first send tries again
            log.warning("the send worker did not start (%s)", exc)
        self.call_api = worker.call
        return worker

    async def _call_here(self, method: str, params: dict[str, Any]) -> Any:
        """A Bot API call of the outbox, made in this process."""
        return await self.bot.do_api_request(method, api_kwargs=params)

    async def _register_commands(self) -> None:
        """Telegram's command menu: the same commands /help lists, in zh and en."""
        for lang in LANGUAGES:
            await self.bot.set_my_commands(
                menu_commands(lang), BotCommandScopeDefault(), language_code=lang
            )
        await self.bot.set_my_commands(menu_commands("zh"), BotCommandScopeDefault())

    async def _is_supervisor(self, user: str) -> bool:
        member = await self.desk.tickets.staff_member(user)
        return member is not None and member.is_supervisor

    async def _deliver_notices(self) -> None:
        """Send admin notices through the outbox (never inside another transaction)."""
        notifier = OutboxNotifier(self.processing, self.settings.staff_chat)
        while True:
            text = await self.notices.get()
            if not self.settings.admins:
                continue
            async with self.db_lock, self.processing.transaction():
                for admin in self.settings.admins:
                    await notifier.notify(f"tg:{admin}", Reply((Paragraph(text),)))
            self.runtime.wake_sender.set()

    async def _review_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Weekly: entries past their review date, to the admins, from the replica that
        sends (every replica runs the job: the others would send the admins a copy each)."""
        if not await self.duties_lead.held():
            return
        if past_review(self.dialogue.kb, dt.date.today()):
            await self.notices.put(self.admin.review_text(dt.date.today()))

    async def _retention_job(self, context: ContextTypes.DEFAULT_TYPE | None) -> None:
        """Daily: anonymise personal data in tickets closed longer than the retention period;
        then (the replica that sends) delete finished transport rows older than
        `transport_retention_days`, a chunk per transaction (bot/transport.py)."""
        async with self.db_lock, self.processing.transaction():
            count = await apply_retention(
                self.processing, dt.datetime.now(dt.UTC), self.settings.retention_years
            )
        if count:
            log.info("retention: anonymised %d tickets", count)
        if await self.duties_lead.held():
            await purge_logged(
                self.processing, self.settings.transport_retention_days, self.db_lock
            )

    async def _scan_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """JobQueue: the deadline scan reads the database, so a restart misses nothing."""
        await self.scan()

    async def scan(self) -> dict[str, int]:
        """Run the deadline scan in one transaction and wake the sender (only the replica
        that sends: two scans at once would both find the same reminder due)."""
        if not await self.duties_lead.held():
            return {}
        async with self.db_lock, self.processing.transaction():
            counts = await self.desk.scan()
        if any(counts.values()):
            log.info("deadline scan: %s", counts)
        self.runtime.wake_sender.set()
        return counts

    # -- intake ---------------------------------------------------------------------------

    async def _poll_when_leading(self, store: Store) -> None:
        """Long polling by one replica at a time: the holder of the polling lock."""
        while await self.polling_lead.wait(self.stopping):
            await self._poll(store)

    async def _poll(self, store: Store) -> None:
        """Long polling: store each batch durably, then let the next call confirm it."""
        last = await store.last_update_id()
        offset = last + 1 if last is not None else None
        delay = 1.0
        while not self.stopping.is_set() and await self.polling_lead.held():
            try:
                # The raw JSON is stored as it came: parsed once, when processed.
                updates = await self.bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": offset,
                        "timeout": self.settings.poll_timeout,
                        "allowed_updates": list(ALLOWED_UPDATES),
                    },
                    read_timeout=self.settings.poll_timeout + 10,
                )
            except TimedOut:
                continue
            except Conflict as exc:
                log.error("getUpdates conflict (%s); is another instance running?", exc)
                await self._sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            except (TelegramError, RetryAfter) as exc:
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
                await self._sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            delay = 1.0
            if not updates:
                continue
            batch = [
                (int(u["update_id"]), json.dumps(u, ensure_ascii=False), update_chat(u))
                for u in updates
            ]
            async with self.db_lock:
                await store.save_updates(batch)
            offset = batch[-1][0] + 1
            self.new_updates.set()

    async def _start_webhook(self, store: Store) -> web.AppRunner:
        """Serve the webhook: check the secret, store the update, then answer 200."""
        secret = self.settings.webhook_secret
        url = self.settings.webhook_url
        assert url is not None
        path = "/" + url.split("://", 1)[1].partition("/")[2]

        async def receive(request: web.Request) -> web.Response:
            if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
                log.warning("webhook request with a wrong or missing secret refused")
                return web.Response(status=403, text="forbidden")
            try:
                data = await request.json()
                update_id = int(data["update_id"])
            except (ValueError, KeyError, TypeError):
                return web.Response(status=400, text="bad update")
            async with self.db_lock:
                await store.save_updates(
                    [(update_id, json.dumps(data, ensure_ascii=False), update_chat(data))]
                )
            self.new_updates.set()
            return web.Response(text="ok")

        async def health(request: web.Request) -> web.Response:
            backlog = await store.outbox_backlog()
            body = {
                "database": "ok",
                "kb_entries": len(self.dialogue.kb.entries),
                "outbox": backlog,
            }
            return web.json_response(body)

        app = web.Application()
        app.router.add_post(path, receive)
        app.router.add_get("/healthz", health)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        host, port = self.settings.listen_host_port
        await web.TCPSite(runner, host, port).start()
        await self._retry(
            "setWebhook",
            lambda: self.bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            ),
        )
        log.info("webhook listening on %s:%s%s", host, port, path)
        return runner

    # -- processing -----------------------------------------------------------------------

    async def _process(self, store: Store, runtime: Runtime) -> None:
        """Process stored updates in order, until stopping (bot/intake.py's loop)."""
        loop = IntakeLoop(
            _Updates(self, store, runtime), self.new_updates, self.stopping, max_backoff=MAX_BACKOFF
        )
        await loop.run(poll=1.0)

    async def _apologise(self, runtime: Runtime, payload: str) -> None:
        """Tell the sender of an update that failed that something went wrong."""
        try:
            data = json.loads(payload)
            message = data.get("message") or data.get("callback_query", {}).get("message")
            sender = (data.get("message") or data.get("callback_query"))["from"]
            chat_id, user = int(message["chat"]["id"]), user_key(int(sender["id"]))
            lang_hint = sender.get("language_code")
        except (ValueError, KeyError, TypeError, AttributeError):
            return  # nobody to answer
        lang = await runtime.dialogue.language(Incoming(user, lang_hint=lang_hint))
        await runtime.deliver(chat_id, [Reply((Paragraph(t("internal_error", lang)),))], user)

    # -- delivery -------------------------------------------------------------------------

    async def _send_loop(self, store: Store, runtime: Runtime) -> None:
        """Deliver the outbox: each chat's messages in order, several chats at a time.

        Up to `SEND_CONCURRENCY` messages are in flight, at most one per chat; a chat's
        next message starts only once the previous one's outcome is recorded. New sends
        start while finished ones wait for the database, so a long processing transaction
        does not stall delivery. A crash can leave in doubt only the messages in flight:
        they are sent again, never lost.
        """
        while await self.duties_lead.wait(self.stopping):
            sender = _Sender(self, store, runtime)
            delay = 1.0
            while True:
                try:
                    await sender.run()
                    break
                except Exception:
                    log.exception("delivering the outbox failed; retrying in %.0f s", delay)
                    await self._sleep(delay)
                    delay = min(delay * 2, MAX_BACKOFF)
            if not sender.lost_lead:
                return
            # The sending lock's connection was lost while this process lived on: another
            # replica may hold the lock now, so send nothing more until it is ours again.
            log.warning("no longer the sending replica; waiting for the lead again")

    async def record(self, store: Store, outcomes: list[Delivered]) -> None:
        """Record sends' outcomes in one transaction."""
        async with self.db_lock, store.transaction():
            await store.outbox_delivered(
                [(o.item.id, o.message_id) for o in outcomes if o.step is None]
            )
            await store.remember_menus(
                [
                    (o.item.chat_id, o.message_id, o.item.owner)
                    for o in outcomes
                    if o.step is None and o.has_menu and o.item.owner
                ]
            )
            tickets = TicketStore(store)
            for o in outcomes:
                if o.step is not None:
                    await o.step(store)
                elif o.item.ticket_id is not None and o.message_id is not None:
                    await tickets.remember_ticket_message(
                        o.item.chat_id, o.message_id, o.item.ticket_id
                    )

    async def _deliver(self, item: OutboxItem) -> Delivered:
        """Call the Bot API; say how it went."""
        payload = item.payload
        markup = _markup(payload.get("buttons"))
        keyboard = {"inline_keyboard": markup} if markup else None
        try:
            if "document" in payload:
                sent_doc = await self.bot.send_document(
                    item.chat_id,
                    document=InputFile(
                        base64.b64decode(payload["data"]), filename=payload["document"]
                    ),
                )
                message_id = sent_doc.message_id
            else:
                # Raw calls: only the message id of the answer is needed, so the reply is
                # not turned into a python-telegram-bot Message (a third of sending's cost).
                params: dict[str, Any] = {
                    "chat_id": item.chat_id,
                    "text": payload["text"],
                    "parse_mode": ParseMode.HTML.value,
                }
                if keyboard is not None:
                    params["reply_markup"] = keyboard
                if item.kind == "edit":
                    params["message_id"] = payload["message_id"]
                    result = await self.call_api("editMessageText", params)
                    message_id = int(payload["message_id"])
                else:
                    params["link_preview_options"] = {"is_disabled": True}
                    result = await self.call_api("sendMessage", params)
                    message_id = int(result["message_id"])
        except RetryAfter as exc:
            delay = _seconds(exc.retry_after)
            log.info("429 from the Bot API: waiting %.0f s before resending", delay)
            return Delivered(
                item, step=lambda st: st.outbox_retry(item.id, delay, f"retry after {delay}")
            )
        except Forbidden as exc:
            log.warning("chat %s blocked the bot: message %s undeliverable", item.chat_id, item.id)
            error = str(exc)
            return Delivered(
                item, step=lambda st: st.outbox_failed(item.id, "undeliverable", error)
            )
        except BadRequest as exc:
            error = str(exc)
            if "not modified" in error.lower():
                return Delivered(item, payload.get("message_id"))
            log.error("message %s refused by the Bot API: %s", item.id, error)
            return Delivered(item, step=lambda st: st.outbox_failed(item.id, "failed", error))
        except ChatMigrated as exc:
            new_chat = int(exc.new_chat_id)
            log.warning("chat %s became %s: update CITIZEN_DESK_STAFF_CHAT", item.chat_id, new_chat)
            return Delivered(item, step=lambda st: st.outbox_move(item.id, new_chat))
        except (TimedOut, NetworkError) as exc:
            delay = min(2.0 ** min(item.attempts, 6), MAX_BACKOFF)
            error = str(exc)
            log.warning("sending message %s failed (%s); retry in %.0f s", item.id, error, delay)
            return Delivered(item, step=lambda st: st.outbox_retry(item.id, delay, error))
        except TelegramError as exc:
            error = str(exc)
            log.error("message %s refused by the Bot API: %s", item.id, error)
            return Delivered(item, step=lambda st: st.outbox_failed(item.id, "failed", error))
        return Delivered(item, message_id, has_menu=bool(markup))


class _Updates:
    """Stored updates as the shared intake loop takes them (bot/intake.py): claimed against
    other replicas, read by python-telegram-bot, answered by the handlers above.

    A batch's effects and done marks commit together; a handler's failure redoes the batch
    one update per transaction, where only the failing update is marked failed. (Handlers
    fail only on bugs, so batches do without a savepoint per update: two database calls
    each. Flood control judges a redone update as the first time.) Updates that flood
    control holds stay pending until they are due.
    """

    def __init__(self, service: TelegramService, store: Store, runtime: Runtime):
        self.service = service
        self.store = store
        self.runtime = runtime
        #: Updates taken in this round, and how many of them this replica claimed.
        self.taken = 0
        self.claimed = 0
        #: Updates the last transaction processed (none: no replies to wake anyone for).
        self.processed = 0

    async def take(self) -> list[tuple[int, str]]:
        """The stored updates that are due, oldest first."""
        batch = await self.store.pending_updates()
        self.taken, self.claimed = len(batch), 0
        return batch

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """A transaction on the processing connection, this process's writer lock held."""
        async with self.service.db_lock, self.store.transaction():
            yield

    async def process_batch(self, batch: list[tuple[int, str]]) -> int:
        """Process stored updates in the caller's transaction; return how many were ours."""
        runtime = self.runtime
        runtime.held.clear()
        # Another replica may have taken some meanwhile: process only ours.
        claimed = await self.store.claim_updates([u for u, _ in batch])
        batch = [(u, payload) for u, payload in batch if u in claimed]
        self.claimed += len(batch)
        self.processed = len(batch)
        for update_id, payload in batch:
            try:
                update = Update.de_json(json.loads(payload), self.service.bot)
            except Exception as exc:
                if len(batch) == 1:  # logged once: when it is marked failed
                    log.exception("update %s cannot be read: marked failed", update_id)
                raise HandlerFailed from exc
            runtime.failed = False
            await self.service.application.process_update(update)
            if runtime.failed:  # on_error logged it
                raise HandlerFailed
        held = runtime.held
        await self.store.mark_updates_done([u for u, _ in batch if u not in held])
        if held:
            await self.store.hold_updates(list(held.items()))
        return len(batch)

    async def fail(self, item: tuple[int, str]) -> None:
        """Mark an update failed and tell its sender something went wrong."""
        update_id, payload = item
        if not await self.store.claim_updates([update_id]):
            return  # another replica has it now
        self.processed = 1
        await self.store.mark_updates_done([update_id], "failed")
        await self.service._apologise(self.runtime, payload)

    async def committed(self, batch: list[tuple[int, str]]) -> None:
        """Wake the sender (and the replica that sends) for the replies."""
        self.runtime.wake_sender.set()
        if self.processed:
            await replicas.notify(self.store.conn, replicas.OUTBOX_CHANNEL)

    async def pause(self, poll: float) -> float:
        """How long to wait for news: briefly if every update was another replica's (it
        finishes them), else `poll`."""
        return 0.05 if self.taken and not self.claimed else poll


@dataclass(frozen=True)
class Delivered:
    """How sending one outbox message went: sent (`step` None), or the step that records
    a retry, a move or a failure."""

    item: OutboxItem
    message_id: int | None = None
    has_menu: bool = False
    step: Callable[[Store], Awaitable[None]] | None = None


class _Sender:
    """The outbox's delivery loop (see `TelegramService._send_loop`)."""

    def __init__(self, service: TelegramService, store: Store, runtime: Runtime):
        self.service = service
        self.store = store
        self.runtime = runtime
        self.interval = service.settings.chat_interval
        #: When each chat was last sent to (for Telegram's one message per second per chat).
        self.last_sent: dict[int, float] = {}
        #: Sends in flight or not yet recorded, by chat.
        self.flying: dict[int, tuple[OutboxItem, asyncio.Task[Delivered]]] = {}
        #: The last look found more messages due than could be started.
        self.more_due = False
        #: The sending lock was lost: start nothing more, record what is in flight.
        self.lost_lead = False

    async def run(self) -> None:
        """Send until stopping, and then until nothing is due or in flight."""
        wake = self.runtime.wake_sender
        while True:
            wake.clear()  # before looking: news from now on ends the wait below
            await self._record_finished()
            pause = await self._start_due()
            if not self.flying:
                if self.lost_lead or (self.service.stopping.is_set() and pause is None):
                    return
                if pause is None:
                    due = await self.store.next_outbox_time()
                    pause = 1.0 if due is None else max(0.01, min(1.0, due - time.time()))
            # A send finishing sets `wake` too (see `_start_due`).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=pause)

    async def _record_finished(self) -> None:
        """Record the finished sends: at once when nothing else waits to be sent, else
        when half the window is done (one transaction for several outcomes)."""
        finished = [chat for chat, (_, task) in self.flying.items() if task.done()]
        if not finished:
            return
        if (
            self.more_due
            and len(finished) < len(self.flying)
            and 2 * len(finished) < SEND_CONCURRENCY
            and not self.service.stopping.is_set()
        ):
            return
        outcomes = [self._outcome(chat) for chat in finished]
        await self.service.record(self.store, outcomes)
        now = time.monotonic()
        for chat in finished:
            del self.flying[chat]
            self.last_sent[chat] = now
        for done in outcomes:
            key = (done.item.chat_id, done.message_id or 0)
            self.runtime.menus.recorded(key)
            self.runtime.fresh_tickets.pop(key, None)

    def _sent(self, task: asyncio.Task[Delivered]) -> None:
        """A send finished: note its menu until it is recorded, and wake the loop."""
        if not task.cancelled() and task.exception() is None:
            done = task.result()
            key = (done.item.chat_id, done.message_id or 0)
            if done.step is None and done.message_id:
                if done.has_menu and done.item.owner:
                    self.runtime.menus.sent(key, done.item.owner)
                if done.item.ticket_id is not None:
                    self.runtime.fresh_tickets[key] = done.item.ticket_id
        self.runtime.wake_sender.set()

    def _outcome(self, chat: int) -> Delivered:
        item, task = self.flying[chat]
        error = task.exception()
        if error is None:
            return task.result()
        log.error("sending message %s failed", item.id, exc_info=error)
        text = repr(error)
        return Delivered(item, step=lambda st: st.outbox_failed(item.id, "failed", text))

    async def _start_due(self) -> float | None:
        """Start the sends that are due; return how long to wait for the next (None: no
        message is due, 0: look again at once)."""
        now = time.monotonic()
        paced = {c: at for c, at in self.last_sent.items() if now - at < self.interval}
        self.last_sent = paced  # forget chats not written to lately
        free = SEND_CONCURRENCY - len(self.flying)
        if free <= 0:
            return SEND_POLL
        # Still the one sender? (One round trip on the lock's connection, checked before
        # every batch: a lost connection releases the lock to another replica.)
        if self.lost_lead or not await self.service.duties_lead.held():
            self.lost_lead = True
            return SEND_POLL
        # Not the chats in flight (one message per chat at a time) nor those written to
        # less than `interval` ago.
        items = await self.store.due_outbox(free + 1, skip_chats=[*self.flying, *paced])
        self.more_due = len(items) > free
        for item in items[:free]:
            task = asyncio.create_task(self.service._deliver(item))
            task.add_done_callback(self._sent)
            self.flying[item.chat_id] = (item, task)
        if paced:
            return max(0.0, min(paced.values()) + self.interval - now)
        return SEND_POLL if items else None


def _markup(rows: list[list[dict[str, str]]] | None) -> list[list[dict[str, str]]]:
    """An inline keyboard in the Bot API's JSON form."""
    return [[{"text": c["text"], "callback_data": c["data"]} for c in row] for row in rows or []]


def _seconds(value: float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
