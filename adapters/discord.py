"""Discord as a Veille chat: slash commands in, digest embeds out, one channel = one chat.

The slash commands are generated from the core's command specs (French names, English
localizations), so a command a feature registers appears on Discord without touching this
module (`adapters.discord_commands` builds them; `adapters.discord_render` builds the embeds).
Only non-privileged gateway intents are used: commands arrive as interactions, and the
`guilds` intent tells us when a channel is deleted.

Endpoints come from the settings (`DISCORD_API_URL`, `DISCORD_GATEWAY_URL`): discord.py keeps
them in class attributes, so `start` sets them and `stop` puts the previous values back.

Failures map onto the core's errors: a 429 is waited out by discord.py (and, past a minute,
becomes `RetryLaterError`, so nothing is dropped); `Forbidden` and `NotFound` become
`ChatGoneError` (after telling the server's owner once); a 400 (50035 Invalid Form Body) or
413 refuses the message for what it is, so it is posted once more as plain content (no
embed, no buttons) and, if refused again, becomes `RejectedError` (failed, never retried);
5xx and network errors are a `SendError`, retried through the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord
import structlog
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters import discord_render as render
from adapters.base import ChatAdapter, CommandHandler
from adapters.discord_commands import CommandButton, SpecTranslator, slash_command, valid_name
from bot.chat.commands import INTERNAL_ERROR
from bot.config import Settings
from bot.errors import ChatGoneError, ConfigError, RejectedError, RetryLaterError, SendError
from bot.models import CommandContext, Reply
from digests.model import Digest

log = structlog.get_logger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
# Guild and channel events only: no privileged intent (members, presences, message content).
INTENTS = discord.Intents.none()
INTENTS.guilds = True
DEFER_AFTER = 2.0  # Discord wants an answer within 3 s; slower commands are deferred first.
REFUSED_STATUSES = {400, 413}  # the message itself is refused: the same request never succeeds


class ChannelPacer:
    """Keep each channel under `limit` messages per `window` seconds, waiting when needed.

    Why our own pacing on top of discord.py's: its buckets react to 429s, while Discord's
    per-channel budget (5 messages / 5 s) is known in advance; waiting keeps the order.
    """

    def __init__(
        self,
        *,
        limit: int = 5,
        window: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self._sent: dict[int, deque[float]] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def wait(self, channel_id: int) -> None:
        """Return when one more message may be sent to `channel_id`, and count it."""
        lock = self._locks.setdefault(channel_id, asyncio.Lock())
        async with lock:
            sent = self._sent.setdefault(channel_id, deque())
            self._forget(sent)
            if len(sent) >= self.limit:
                await self.sleep(sent[0] + self.window - self.clock())
                self._forget(sent)
            sent.append(self.clock())
        if len(self._sent) > 10_000:  # bounded memory: drop channels idle for a whole window
            for key in [k for k, v in self._sent.items() if not v or self.clock() - v[-1] > self.window]:
                if not self._locks[key].locked():
                    del self._sent[key], self._locks[key]

    def _forget(self, sent: deque[float]) -> None:
        while sent and self.clock() - sent[0] >= self.window:
            sent.popleft()


class VeilleClient(discord.Client):
    """A discord.py client that forwards the channel events Veille cares about to its adapter."""

    def __init__(self, adapter: DiscordAdapter, **options: Any) -> None:
        super().__init__(**options)
        self.adapter = adapter

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        """Deactivate a deleted channel's subscriptions."""
        await self.adapter.chat_gone(channel.id, reason="channel deleted")

    async def on_thread_delete(self, thread: discord.Thread) -> None:
        """Deactivate a deleted thread's subscriptions."""
        await self.adapter.chat_gone(thread.id, reason="thread deleted")

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Deactivate every channel of a server that removed the bot."""
        for channel in [*guild.text_channels, *guild.threads]:
            await self.adapter.chat_gone(channel.id, reason="removed from guild")


class DiscordAdapter(ChatAdapter):
    """Veille on Discord: slash commands routed to the core, digests posted as embeds."""

    platform = "discord"

    def __init__(
        self,
        token: str,
        *,
        api_url: str = "https://discord.com/api/v10",
        gateway_url: str | None = None,
        guild_id: int | None = None,
        guild_ready_timeout: float = 2.0,
        ready_timeout: float = 60.0,
        pacer: ChannelPacer | None = None,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.gateway_url = gateway_url
        self.guild_id = guild_id
        self.guild_ready_timeout = guild_ready_timeout
        self.ready_timeout = ready_timeout
        self.pacer = pacer or ChannelPacer()
        self.client_options = client_options or {}
        self.client: VeilleClient | None = None
        self.tree: app_commands.CommandTree[VeilleClient] | None = None
        self.handler: CommandHandler | None = None
        self._runner: asyncio.Task[None] | None = None
        self._saved_endpoints: tuple[str, yarl.URL] | None = None
        self._told_admin: set[int] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> DiscordAdapter:
        """Build the adapter from `DISCORD_*` settings."""
        if not settings.discord_bot_token:
            raise ConfigError("DISCORD_BOT_TOKEN is not set")
        return cls(
            settings.discord_bot_token,
            api_url=settings.discord_api_url,
            gateway_url=settings.discord_gateway_url,
            guild_id=settings.discord_guild_id,
        )

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self, handler: CommandHandler) -> None:
        """Log in, sync the slash commands, connect the gateway; return once READY."""
        if self.client is not None:
            raise RuntimeError("DiscordAdapter already started")
        self.handler = handler
        self._install_endpoints()
        options: dict[str, Any] = {
            "intents": INTENTS,
            "allowed_mentions": NO_MENTIONS,
            "chunk_guilds_at_startup": False,
            "guild_ready_timeout": self.guild_ready_timeout,
            "max_ratelimit_timeout": 60.0,  # a longer wait becomes RetryLaterError: the outbox keeps it
            **self.client_options,
        }
        client = VeilleClient(self, **options)
        self.client = client
        try:
            self.tree = await self._build_tree(client, handler)
            client.add_dynamic_items(CommandButton)
            await client.login(self.token)
            await self._sync_commands()
            self._runner = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
            ready = asyncio.create_task(client.wait_until_ready(), name="discord-ready")
            done, _ = await asyncio.wait(
                {self._runner, ready}, timeout=self.ready_timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if ready not in done:
                ready.cancel()
                if self._runner in done:
                    self._runner.result()  # raises the gateway's error
                raise ConfigError("Discord gateway did not become ready", french="Discord ne répond pas.")
        except discord.LoginFailure as exc:
            await self.stop()
            raise ConfigError("DISCORD_BOT_TOKEN was refused by Discord") from exc
        except discord.PrivilegedIntentsRequired as exc:
            await self.stop()
            raise ConfigError("Discord refused the gateway intents") from exc
        except BaseException:
            await self.stop()
            raise
        log.info("discord.ready", user=str(client.user), guilds=len(client.guilds))

    async def stop(self) -> None:
        """Close the gateway and HTTP session and restore discord.py's endpoints (idempotent)."""
        client, self.client = self.client, None
        runner, self._runner = self._runner, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()
        if runner is not None:
            done, _ = await asyncio.wait({runner}, timeout=5.0)
            if not done:
                runner.cancel()
                await asyncio.wait({runner}, timeout=1.0)
            elif not runner.cancelled() and runner.exception() is not None:
                log.info("discord.gateway_closed", error=repr(runner.exception())[:200])
        self._restore_endpoints()

    def _install_endpoints(self) -> None:
        self._saved_endpoints = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        Route.BASE = self.api_url
        if self.gateway_url:
            url = yarl.URL(self.gateway_url)
            scheme = {"http": "ws", "https": "wss"}.get(url.scheme, url.scheme)
            DiscordWebSocket.DEFAULT_GATEWAY = url.with_scheme(scheme)

    def _restore_endpoints(self) -> None:
        if self._saved_endpoints is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved_endpoints
            self._saved_endpoints = None

    async def _build_tree(
        self, client: VeilleClient, handler: CommandHandler
    ) -> app_commands.CommandTree[VeilleClient]:
        tree: app_commands.CommandTree[VeilleClient] = app_commands.CommandTree(client)
        await tree.set_translator(SpecTranslator())
        for spec in handler.specs:
            if not valid_name(spec.name):
                log.warning("discord.command_skipped", command=spec.name, reason="invalid slash name")
                continue
            tree.add_command(slash_command(self, spec))
        return tree

    async def _sync_commands(self) -> None:
        """Publish the slash commands: to one guild (instant, for development) or globally."""
        assert self.tree is not None
        guild = discord.Object(self.guild_id) if self.guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        try:
            synced = await self.tree.sync(guild=guild)
        except discord.HTTPException as exc:
            # The bot still runs with the commands Discord already knows.
            log.error("discord.sync_failed", status=exc.status, error=exc.text[:200], guild=self.guild_id)
            return
        log.info("discord.commands_synced", count=len(synced), guild=self.guild_id)

    # -- commands ----------------------------------------------------------------------------------

    async def run_interaction(
        self, interaction: discord.Interaction[Any], name: str, args: str, *, ephemeral_hint: bool
    ) -> None:
        """Run a command from a slash command or a button, and answer the interaction.

        The core may take seconds (a subscription fetches the feed); past `DEFER_AFTER` the
        interaction is deferred so Discord keeps waiting for the answer.
        """
        handler = self.handler
        if handler is None:
            return
        reply: Reply | None
        try:
            ctx = self._context(interaction, handler.canonical(name), args)
            task = asyncio.ensure_future(handler(ctx))
            done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
            if not done:
                with contextlib.suppress(discord.HTTPException):
                    await interaction.response.defer(ephemeral=ephemeral_hint, thinking=True)
            reply = await task
        except Exception:  # a bug outside the core's own net must still get an answer
            log.exception("discord.command_failed", command=name[:40])
            reply = INTERNAL_ERROR
        if reply is None:  # flood control: say nothing (and clear a deferred "thinking…")
            if interaction.response.is_done():
                with contextlib.suppress(discord.HTTPException):
                    await interaction.delete_original_response()
            return
        try:
            await self._answer(interaction, reply)
        except discord.HTTPException as exc:
            log.warning("discord.answer_failed", command=name[:40], status=exc.status, error=exc.text[:200])
        except Exception:  # rendering this reply failed: say so rather than nothing
            log.exception("discord.answer_failed", command=name[:40])
            with contextlib.suppress(discord.HTTPException):
                await self._answer(interaction, INTERNAL_ERROR)

    async def feed_choices(
        self, interaction: discord.Interaction[Any], typed: str
    ) -> list[app_commands.Choice[str]]:
        """Answer autocomplete with the channel's feeds matching what the user typed."""
        choices = getattr(self.handler, "feed_choices", None)
        if choices is None or interaction.channel_id is None:
            return []
        pairs = await choices(self.platform, str(interaction.channel_id), typed)
        return [
            app_commands.Choice(name=render.cut(label, 100), value=value[:100]) for label, value in pairs
        ][:25]

    def _context(self, interaction: discord.Interaction[Any], command: str, args: str) -> CommandContext:
        in_guild = interaction.guild_id is not None
        is_admin: bool | None = None
        if in_guild:
            perms = interaction.permissions
            is_admin = perms.administrator or perms.manage_guild or perms.manage_channels
        channel = interaction.channel
        name = getattr(channel, "name", None)
        guild_name = interaction.guild.name if interaction.guild and interaction.guild.name else ""
        if name:
            title = f"{guild_name} #{name}".strip()
        else:
            title = "Message privé" if not in_guild else guild_name
        return CommandContext(
            platform=self.platform,
            chat_id=str(interaction.channel_id),
            user_id=str(interaction.user.id),
            command=command,
            args=args,
            chat_title=title[:200],
            is_group=in_guild,
            is_admin=is_admin,
        )

    async def _answer(self, interaction: discord.Interaction[Any], reply: Reply) -> None:
        rendered = render.reply_message(reply)
        kwargs = self._message_kwargs(rendered)
        if interaction.response.is_done():
            await interaction.followup.send(ephemeral=reply.ephemeral, **kwargs)
        else:
            await interaction.response.send_message(ephemeral=reply.ephemeral, **kwargs)

    @staticmethod
    def _message_kwargs(rendered: render.Rendered) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if rendered.content:
            kwargs["content"] = rendered.content
        if rendered.embed is not None:
            kwargs["embed"] = rendered.embed
        if rendered.buttons:
            view = discord.ui.View(timeout=None)
            for button in rendered.buttons:
                view.add_item(CommandButton(button.data, render.button_label(button)))
            view.stop()  # dispatched by CommandButton's template, so discord.py need not store it
            kwargs["view"] = view
        return kwargs

    # -- sending -----------------------------------------------------------------------------------

    async def send_digest(self, chat_id: str, digest: Digest, *, note: str | None = None) -> None:
        """Post a digest as an embed in the channel (as plain content if the embed is refused)."""
        await self._post_or_degrade(
            chat_id, render.digest_message(digest, note=note), render.plain_digest(digest, note=note)
        )

    async def send_reply(self, chat_id: str, reply: Reply) -> None:
        """Post a core reply in the channel (notices, daily digests)."""
        await self._post_or_degrade(chat_id, render.reply_message(reply), render.plain_reply(reply))

    async def _post_or_degrade(self, chat_id: str, rendered: render.Rendered, degraded: render.Rendered) -> None:
        """Post a message; if Discord refuses it for what it is, post its plain form once.

        A refusal of the plain form too is final: `RejectedError` with both of Discord's answers.
        """
        try:
            await self._post(chat_id, rendered)
            return
        except RejectedError as refused:
            first = refused
        log.info("discord.degraded_send", channel_id=chat_id, refused=str(first)[:200])
        try:
            await self._post(chat_id, degraded)
        except RejectedError as again:
            raise RejectedError(f"{first}; degraded form refused too: {again.answer}") from again

    async def _post(self, chat_id: str, rendered: render.Rendered) -> None:
        client = self.client
        if client is None or client.is_closed():
            raise RetryLaterError("discord client not running", retry_after=30.0)
        try:
            channel_id = int(chat_id)
        except ValueError:
            raise ChatGoneError(f"not a Discord channel id: {chat_id!r}") from None
        await self.pacer.wait(channel_id)
        try:
            await client.get_partial_messageable(channel_id).send(**self._message_kwargs(rendered))
        except discord.Forbidden as exc:
            await self._tell_admin_once(channel_id)
            raise ChatGoneError(f"discord forbidden ({exc.code}): {exc.text[:200]}") from exc
        except discord.NotFound as exc:
            raise ChatGoneError(f"discord channel not found ({exc.code})") from exc
        except discord.RateLimited as exc:
            raise RetryLaterError("discord rate limited", retry_after=exc.retry_after) from exc
        except discord.HTTPException as exc:
            if exc.status == 429:
                raise RetryLaterError("discord rate limited (retries exhausted)", retry_after=10.0) from exc
            if exc.status in REFUSED_STATUSES:
                answer = f"{exc.code} {exc.text[:300]}"
                message = f"discord refused the message (HTTP {exc.status}, {answer})"
                raise RejectedError(message, answer=answer) from exc
            raise SendError(f"discord HTTP {exc.status} ({exc.code}): {exc.text[:200]}") from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise SendError(f"discord unreachable: {exc!r}"[:300]) from exc

    async def chat_gone(self, channel_id: int, *, reason: str) -> None:
        """Tell the core a channel can no longer be reached (deleted, bot removed)."""
        unreachable = getattr(self.handler, "chat_unreachable", None)
        if unreachable is None:
            return
        log.info("discord.channel_gone", channel_id=channel_id, reason=reason)
        try:
            await unreachable(self.platform, str(channel_id))
        except Exception as exc:  # noqa: BLE001  # an event handler must not kill the gateway loop
            log.error("discord.channel_gone_failed", channel_id=channel_id, error=repr(exc)[:300])

    async def _tell_admin_once(self, channel_id: int) -> None:
        """DM the server's owner (else post in its system channel) that a channel is refused.

        Once per channel and process: the chat goes inactive, so nothing else is sent to it
        until someone types /start there.
        """
        client = self.client
        if client is None or channel_id in self._told_admin:
            return
        self._told_admin.add(channel_id)
        channel = client.get_channel(channel_id)
        guild = getattr(channel, "guild", None)
        if guild is None:
            return  # a DM: its only reader is the one who blocked us
        text = render.cut(
            f"Veille ne peut plus publier dans #{render.clean(getattr(channel, 'name', '?'))} "
            f"sur le serveur « {render.clean(guild.name or '?')} » : permissions insuffisantes. "
            "Les abonnements de ce salon sont suspendus. Pour les reprendre, accordez-moi "
            "Voir le salon, Envoyer des messages et Intégrer des liens dans ce salon, "
            "puis tapez /start dans le salon.",
            render.CONTENT_LIMIT,
        )
        try:
            if guild.owner_id is None:
                raise discord.DiscordException("owner unknown")
            dm = await client.create_dm(discord.Object(guild.owner_id))
            await dm.send(text, allowed_mentions=NO_MENTIONS)
            log.info("discord.admin_told", channel_id=channel_id, via="dm")
            return
        except (discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            log.info("discord.admin_dm_failed", channel_id=channel_id, error=repr(exc)[:200])
        system = guild.system_channel
        if system is not None and system.id != channel_id and system.permissions_for(guild.me).send_messages:
            with contextlib.suppress(discord.DiscordException, aiohttp.ClientError, OSError):
                await system.send(text, allowed_mentions=NO_MENTIONS)
                log.info("discord.admin_told", channel_id=channel_id, via="system_channel")
