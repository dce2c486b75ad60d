"""Veille on Telegram, through python-telegram-bot's `Application`.

Updates come by long polling, or by webhook when `TELEGRAM_WEBHOOK_URL` is set (the secret
token is checked on every request). Commands run through the core's handler: French names
first, English aliases, `/cmd@botname` in groups, inline buttons routed back as command lines;
`adapters.telegram_commands` adds what only Telegram knows (administrators, channels managed
from a private chat). Groups upgraded to supergroups keep their subscriptions.

Sending maps Telegram's failures onto the core's errors:

    RetryAfter (429)                 → RetryLaterError(retry_after): the dispatcher keeps the
                                       delivery and retries it after the wait (never dropped)
    Forbidden (403), "chat not found" → ChatGoneError: the chat is marked inactive
    ChatMigrated                     → the chat is moved, the message sent to the new id
    BadRequest (400), any other      → this message is refused for what it is: sent once
                                       more in a degraded form ("message is too long": split
                                       between lines; else plain text, no preview, no
                                       buttons), then RejectedError: failed, never retried
    NetworkError, TimedOut, others   → SendError: retried with backoff through the outbox

Digests and unprompted replies (daily digests, notices: `send_reply`) raise `RetryLaterError`
rather than sleep, because the outbox already persists them and the dispatcher can serve
other chats meanwhile. Replies to commands have no outbox behind them, so they wait and retry
once (up to `max_reply_wait` seconds).
Pacing within Telegram's flood limits is `adapters.telegram_pacing`; HTML rendering and
splitting is `adapters.telegram_render`.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import structlog
from telegram import (
    Bot,
    BotCommand,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from adapters.base import ChatAdapter, CommandHandler
from adapters.telegram_commands import GROUP_TYPES, TEXT_COMMAND, CommandRunner, parse_command
from adapters.telegram_pacing import Limits, Pacer, PacingWait
from adapters.telegram_render import (
    clip,
    plain_text,
    render_digest,
    render_reply,
    split_html,
    usable_buttons,
    utf16_len,
)
from bot.chat.commands import INTERNAL_ERROR, CommandSpec
from bot.config import Settings
from bot.errors import ChatGoneError, ConfigError, RejectedError, RetryLaterError, SendError, VeilleError
from bot.feeds.urls import link_target
from bot.models import Reply
from digests.model import Digest

log = structlog.get_logger(__name__)

ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
GONE_STATUSES = {ChatMemberStatus.LEFT, ChatMemberStatus.BANNED}
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")  # what setMyCommands accepts
# BadRequest texts that mean "this chat will never take our messages again".
GONE_MARKERS = ("chat not found", "not enough rights", "have no rights", "need administrator rights")
TOO_LONG = "too long"  # in "Bad Request: message is too long"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def link_preview(url: str) -> LinkPreviewOptions:
    """Preview the article's page only when its URL passes the one link check (`link_target`)."""
    target = link_target(url) if url else None
    return LinkPreviewOptions(url=target) if target else NO_PREVIEW
MAX_BUTTONS = 100  # Telegram refuses bigger inline keyboards
MAX_TOAST = 200  # answerCallbackQuery text limit


def api_chat_id(chat_id: str) -> int | str:
    """Turn a stored chat id back into what the Bot API expects (int, or "@channel")."""
    return int(chat_id) if re.fullmatch(r"-?\d+", chat_id) else chat_id


def retry_after_seconds(exc: RetryAfter) -> float:
    """Read `RetryAfter.retry_after` as seconds, whatever PTB's int/timedelta transition says."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)  # PTB 22.2+ warns on int access
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramAdapter(ChatAdapter):
    """A Telegram bot; build it with `from_settings`, then `start(handler)` … `stop()`.

    `limits` are Telegram's flood limits (scaled down by tests and the bench). A digest whose
    chat must wait more than `max_pacing_wait` seconds (a group past 20 messages a minute)
    goes back to the outbox instead of holding a dispatcher slot. `max_reply_wait` caps how
    long a command's reply sleeps on a 429 before giving up. `webhook_listen` is the address
    the webhook server binds (all interfaces by default: Telegram must reach it).
    """

    platform = "telegram"

    def __init__(
        self,
        token: str,
        *,
        api_url: str = "https://api.telegram.org",
        webhook_url: str | None = None,
        webhook_port: int = 8443,
        webhook_secret: str | None = None,
        webhook_listen: str = "0.0.0.0",
        timezone: str = "Europe/Paris",
        limits: Limits | None = None,
        max_pacing_wait: float = 2.0,
        max_reply_wait: float = 60.0,
        poll_timeout: int = 30,
    ) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.webhook_url = webhook_url
        self.webhook_port = webhook_port
        self.webhook_secret = webhook_secret
        self.webhook_listen = webhook_listen
        self.tz = ZoneInfo(timezone)
        self.pacer = Pacer(limits)
        self.max_pacing_wait = max_pacing_wait
        self.max_reply_wait = max_reply_wait
        self.poll_timeout = poll_timeout
        self.handler: CommandHandler | None = None
        self.username: str | None = None
        self._app: Application[Any, Any, Any, Any, Any, Any] | None = None
        self._commands: CommandRunner | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> TelegramAdapter:
        """Build the adapter from `TELEGRAM_*` settings; `options` override keyword arguments."""
        if not settings.telegram_bot_token:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set", french="TELEGRAM_BOT_TOKEN n'est pas défini.")
        kwargs: dict[str, Any] = {
            "api_url": settings.telegram_api_url,
            "webhook_url": settings.telegram_webhook_url,
            "webhook_port": settings.telegram_webhook_port,
            "webhook_secret": settings.telegram_webhook_secret,
            "webhook_listen": settings.telegram_webhook_listen,
            "timezone": settings.timezone,
        }
        kwargs.update(options)
        return cls(settings.telegram_bot_token, **kwargs)

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self, handler: CommandHandler) -> None:
        """Connect (getMe), publish the command list, and start polling or the webhook server.

        Runs the `Application` in-process (initialize/start/updater) rather than
        `run_polling`, which would own and close the event loop Veille runs in.
        """
        if self._app is not None:
            return
        # Opt in to PTB's timedelta time periods (the v23 behaviour), so reading a 429's
        # retry_after does not raise a deprecation warning on every flood wait.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self.handler = handler
        # Our own request objects, so they can be closed even when getMe fails half-way.
        requests = (HTTPXRequest(connection_pool_size=256), HTTPXRequest(connection_pool_size=1))
        app = (
            Application.builder()
            .token(self.token)
            .base_url(f"{self.api_url}/bot")
            .base_file_url(f"{self.api_url}/file/bot")
            .request(requests[0])
            .get_updates_request(requests[1])
            .concurrent_updates(32)  # a slow /abonner (fetching a site) must not hold up others
            .job_queue(None)  # scheduling is the core's (APScheduler), not PTB's
            .build()
        )
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self._on_migrate))
        commands = filters.COMMAND | filters.Regex(TEXT_COMMAND)  # "/désabonner" has no command entity
        app.add_handler(MessageHandler(commands & filters.UpdateType.MESSAGE, self._on_command))
        app.add_handler(CallbackQueryHandler(self._on_callback))
        app.add_handler(ChatMemberHandler(self._on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_error_handler(self._on_error)
        try:
            await app.initialize()
        except InvalidToken as exc:
            await asyncio.gather(*(request.shutdown() for request in requests))
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN was refused by the Bot API",
                french="Le jeton TELEGRAM_BOT_TOKEN est refusé par Telegram.",
            ) from exc
        except TelegramError as exc:
            await asyncio.gather(*(request.shutdown() for request in requests))
            raise VeilleError(f"cannot reach the Bot API at {self.api_url}: {exc}") from exc
        self._app = app
        self.username = app.bot.username
        self._commands = CommandRunner(app.bot, handler, platform=self.platform)
        try:
            await self._publish_commands(handler.specs)
            await app.start()
            await self._receive_updates(app)
        except BaseException:
            await self.stop()  # e.g. the webhook port is taken: close what was opened
            raise
        log.info("telegram.started", bot=self.username, mode="webhook" if self.webhook_url else "polling")

    async def _receive_updates(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Start the webhook server when a webhook URL is set, else long polling."""
        assert app.updater is not None  # built by default
        if self.webhook_url:
            secret = self.webhook_secret or secrets.token_urlsafe(32)
            await app.updater.start_webhook(
                listen=self.webhook_listen,
                port=self.webhook_port,
                url_path=urlsplit(self.webhook_url).path.lstrip("/"),
                webhook_url=self.webhook_url,
                secret_token=secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        else:
            await app.updater.start_polling(timeout=self.poll_timeout, allowed_updates=list(ALLOWED_UPDATES))

    async def stop(self) -> None:
        """Stop receiving updates, let running handlers finish, close connections (idempotent)."""
        app, self._app = self._app, None
        if app is None:
            return
        try:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
        finally:
            await app.shutdown()
        log.info("telegram.stopped")

    async def _publish_commands(self, specs: Sequence[CommandSpec]) -> None:
        """Set the command menu: French for French-speaking users, English aliases by default."""
        bot = self._bot()
        valid = [s for s in specs if COMMAND_NAME.match(s.name)][:100]
        french = [BotCommand(s.name, clip(s.description_fr, 256)) for s in valid]
        english = [BotCommand(s.alias, clip(s.description_en, 256)) for s in valid if COMMAND_NAME.match(s.alias)]
        try:
            await bot.set_my_commands(english)
            await bot.set_my_commands(french, language_code="fr")
        except TelegramError as exc:  # a missing menu must not stop the bot
            log.warning("telegram.commands_not_set", error=str(exc))

    # -- sending ---------------------------------------------------------------------------------

    async def send_digest(self, chat_id: str, digest: Digest, *, note: str | None = None) -> None:
        """Post one digest as HTML with the article's link preview; raise the core's send errors."""
        preview = link_preview(digest.url)
        text = render_digest(digest, note=note, tz=self.tz)
        await self._send_or_degrade(chat_id, text, preview=preview, max_wait=self.max_pacing_wait)

    async def send_reply(self, chat_id: str, reply: Reply) -> None:
        """Post a reply from the outbox (a notice, a daily digest), split if it is long.

        Never sleeps on a flood limit: `RetryLaterError` sends it back to the outbox.
        """
        await self._deliver(chat_id, reply, max_wait=self.max_pacing_wait, wait_out=False)

    async def _deliver(
        self,
        chat_id: str,
        reply: Reply,
        *,
        reply_to: int | None = None,
        max_wait: float | None = None,
        wait_out: bool = True,
    ) -> None:
        """Send a reply's messages in order; buttons go under the last one.

        `wait_out` sleeps once through a 429 (a command's reply, which no outbox keeps).
        """
        chunks = [chunk for chunk in render_reply(reply) if chunk.strip()]
        buttons = usable_buttons(reply.buttons)[:MAX_BUTTONS]
        markup = (
            InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data)] for b in buttons])
            if buttons
            else None
        )
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            await self._patiently(
                self._send_or_degrade,
                chat_id,
                chunk,
                wait_out=wait_out,
                preview=NO_PREVIEW,
                markup=markup if last else None,
                reply_to=reply_to if index == 0 else None,
                max_wait=max_wait,
            )

    async def _patiently(
        self,
        send: Callable[..., Awaitable[None]],
        chat_id: str,
        text: str,
        *,
        wait_out: bool = True,
        **kwargs: Any,
    ) -> None:
        """Send, and after a flood wait of at most `max_reply_wait` seconds, send once more.

        For what has no outbox row of its own behind it (a command's reply, the pieces of a
        degraded message): retrying later from the start would repeat what already went out.
        With `wait_out` false (an outbox message), a flood wait is raised for the outbox.
        """
        try:
            await send(chat_id, text, **kwargs)
        except RetryLaterError as exc:
            if not wait_out or not 0 <= exc.retry_after <= self.max_reply_wait:  # also refuses NaN
                raise
            await asyncio.sleep(exc.retry_after)
            await send(chat_id, text, **kwargs)

    async def _send_or_degrade(
        self,
        chat_id: str,
        text: str,
        *,
        preview: LinkPreviewOptions,
        markup: InlineKeyboardMarkup | None = None,
        reply_to: int | None = None,
        max_wait: float | None = None,
    ) -> None:
        """Send one HTML message; when Telegram refuses it for what it is, send it once degraded.

        A 400 is deterministic: the same request would be refused again, so it is never worth
        a retry as is. "Message is too long" gets the same HTML split between lines into
        pieces of at most half the refused length; any other refusal ("can't parse entities",
        a preview or button it dislikes) gets plain text without parse mode, preview or
        buttons. If the degraded form is refused too, `RejectedError` carries both answers.
        The pieces wait for their pacing slots (every wait is finite), since a piece handed
        back to the outbox would resend the ones before it.
        """
        try:
            await self._send(chat_id, text, preview=preview, markup=markup, reply_to=reply_to, max_wait=max_wait)
            return
        except RejectedError as refused:
            first = refused
        if TOO_LONG in str(first).lower():
            pieces, parse_mode = split_html(text, max(utf16_len(text) // 2, 1)), ParseMode.HTML
        else:
            pieces, parse_mode, preview, markup = [plain_text(text)], None, NO_PREVIEW, None
        log.info("telegram.degraded_send", chat_id=chat_id, refused=str(first)[:200], pieces=len(pieces))
        try:
            for index, piece in enumerate(pieces):
                await self._patiently(
                    self._send,
                    chat_id,
                    piece,
                    parse_mode=parse_mode,
                    preview=preview if index == 0 else NO_PREVIEW,
                    markup=markup if index == len(pieces) - 1 else None,
                    reply_to=reply_to if index == 0 else None,
                )
        except RejectedError as again:
            raise RejectedError(f"{first}; degraded form refused too: {again.answer}") from again

    async def _send(
        self,
        chat_id: str,
        text: str,
        *,
        preview: LinkPreviewOptions,
        markup: InlineKeyboardMarkup | None = None,
        reply_to: int | None = None,
        max_wait: float | None = None,
        parse_mode: str | None = ParseMode.HTML,
    ) -> None:
        """Send one message within the flood limits, translating Telegram's errors."""
        bot = self._bot()
        reply_parameters = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to is not None else None
        try:
            async with self.pacer.slot(chat_id, max_wait=max_wait):
                await bot.send_message(
                    chat_id=api_chat_id(chat_id),
                    text=text,
                    parse_mode=parse_mode,
                    link_preview_options=preview,
                    reply_markup=markup,
                    reply_parameters=reply_parameters,
                )
        except PacingWait as wait:
            raise RetryLaterError(
                f"telegram chat {chat_id} paced for {wait.seconds:.1f}s", retry_after=wait.seconds
            ) from None
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            self.pacer.block(chat_id, seconds)
            log.warning("telegram.flood_wait", chat_id=chat_id, retry_after=seconds)
            raise RetryLaterError(f"telegram asked to wait {seconds:g}s", retry_after=seconds) from exc
        except ChatMigrated as exc:
            new_id = str(exc.new_chat_id)
            await self._moved(chat_id, new_id)
            await self._send(
                new_id, text, preview=preview, markup=markup, reply_to=None, max_wait=max_wait, parse_mode=parse_mode
            )
        except Forbidden as exc:
            raise ChatGoneError(f"telegram refused chat {chat_id}: {exc.message}") from exc
        except BadRequest as exc:
            if any(marker in exc.message.lower() for marker in GONE_MARKERS):
                raise ChatGoneError(f"telegram chat {chat_id} unusable: {exc.message}") from exc
            raise RejectedError(f"telegram refused a message to {chat_id}: {exc.message}", answer=exc.message) from exc
        except NetworkError as exc:  # includes TimedOut
            raise SendError(f"telegram unreachable: {exc.message}") from exc
        except TelegramError as exc:
            raise SendError(f"telegram error: {exc.message}") from exc

    # -- updates ---------------------------------------------------------------------------------

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Run a /command typed in a chat and answer it there."""
        message = update.message
        if message is None or not message.text:
            return
        parsed = parse_command(message.text, self.username)
        if parsed is None:
            return  # "/cmd@otherbot"
        name, args, addressed = parsed
        chat = message.chat
        is_group = chat.type in GROUP_TYPES
        if is_group and not addressed and not self._runner().known(name):
            return  # another bot's command; answering it would spam the group
        reply = await self._run(chat, message.from_user, name, args, sender_chat=message.sender_chat)
        if reply is not None:
            await self._answer(str(chat.id), reply, reply_to=message.message_id if is_group else None)

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Run an inline button's command line; a short private answer becomes a toast."""
        query = update.callback_query
        if query is None:
            return
        toast: str | None = None
        reply: Reply | None = None
        if query.message is None or not query.data:
            toast = "Ce bouton a expiré : relancez la commande."
        else:
            name, _, args = query.data.strip().partition(" ")
            chat = query.message.chat
            reply = await self._run(chat, query.from_user, name.lower(), args.strip())
            if reply is not None and reply.ephemeral and not reply.items and not reply.buttons:
                if utf16_len(reply.text) <= MAX_TOAST:
                    toast, reply = reply.text, None
        try:
            await query.answer(text=toast)
        except TelegramError as exc:  # too old a query: the reply below still says it
            log.info("telegram.callback_answer_failed", error=str(exc))
        if reply is not None and query.message is not None:
            await self._answer(str(query.message.chat.id), reply)

    async def _run(
        self, chat: Chat, user: User | None, name: str, args: str, *, sender_chat: Chat | None = None
    ) -> Reply | None:
        """Run a command; a failure outside the core's own net still gets the French internal error."""
        try:
            return await self._runner().run(chat, user, name, args, sender_chat=sender_chat)
        except Exception:
            log.exception("telegram.command_failed", command=name[:40], chat_id=chat.id)
            return INTERNAL_ERROR

    async def _on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Carry a group's subscriptions over when Telegram upgrades it to a supergroup."""
        message = update.message
        if message is not None and message.migrate_to_chat_id:
            await self._moved(str(message.chat.id), str(message.migrate_to_chat_id))

    async def _on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop sending to a chat as soon as the bot is blocked or removed (no failed send needed)."""
        change = update.my_chat_member
        if change is None or change.new_chat_member.status not in GONE_STATUSES:
            return
        await self._runner().handler.chat_unreachable(self.platform, str(change.chat.id))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log a handler's failure; the bot keeps serving other updates."""
        log.error("telegram.update_failed", error=repr(context.error)[:300], exc_info=context.error)

    async def _answer(self, chat_id: str, reply: Reply, *, reply_to: int | None = None) -> None:
        """Send a command's reply; a failure is logged, since the user can simply ask again."""
        try:
            await self._deliver(chat_id, reply, reply_to=reply_to)
        except SendError as exc:
            log.warning("telegram.reply_failed", chat_id=chat_id, error=str(exc))

    async def _moved(self, old_chat_id: str, new_chat_id: str) -> None:
        await self._runner().handler.chat_moved(self.platform, old_chat_id, new_chat_id)

    def _runner(self) -> CommandRunner:
        if self._commands is None:
            raise RuntimeError("TelegramAdapter.start() was not awaited")
        return self._commands

    def _bot(self) -> Bot:
        if self._app is None:
            raise SendError("the Telegram adapter is not started")
        return self._app.bot
